import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['gateway/src/**/*.test.ts', 'broker/src/**/*.test.ts', 'device-adapters/src/**/*.test.ts', 'pager-bridge/src/**/*.test.ts', 'simulators/**/*.test.ts', 'test/**/*.test.ts'],
    // End-to-end tests start real gateway processes; give them room on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
})
