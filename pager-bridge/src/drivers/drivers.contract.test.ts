import { describe } from 'vitest'
import { pagerDriverContract, recordingDeps } from '../../../test/contracts/pager-driver.contract.js'
import { EspaPagingSystemSimulator } from '../../../simulators/pagers/espa-paging-system.js'
import { TapTerminalSimulator } from '../../../simulators/pagers/tap-terminal.js'
import { openPort } from '../ports.js'
import espa from './espa.js'
import tap from './tap.js'

/** Each driver against its simulator over tcp:// (a serial device server), through the real port code. */
describe('espa driver contract (tcp://)', () => {
  pagerDriverContract(async () => {
    const sim = await EspaPagingSystemSimulator.start('listen://127.0.0.1:0', {})
    const deps = recordingDeps('espa-test', openPort)
    const driver = espa.create(espa.config.parse({ port: `tcp://127.0.0.1:${sim.link.port}`, poll_ms: 200, ack_timeout_ms: 400, retries: 1, down_after: 1, reconnect_ms: 200 }), deps)
    await waitUntil(() => sim.link.listenerCount('data') > 0 && deps.health.length === 0)
    return {
      driver,
      health: deps.health,
      refuseNext: () => sim.nakNext(10, '3'),
      dropLink: () => sim.stop(),
      received: () => sim.calls.map((c) => c.message ?? ''),
      cleanup: async () => {
        await driver.close()
        await sim.stop().catch(() => undefined)
      },
    }
  })
})

describe('tap driver contract (tcp://)', () => {
  pagerDriverContract(async () => {
    const term = await TapTerminalSimulator.start('listen://127.0.0.1:0', {})
    const deps = recordingDeps('tap-test', openPort)
    const driver = tap.create(tap.config.parse({ port: `tcp://127.0.0.1:${term.link.port}`, data_bits: 8, parity: 'none', t1_ms: 300, t3_ms: 1000, retries: 1 }), deps)
    return {
      driver,
      health: deps.health,
      refuseNext: () => term.nakNext(10),
      dropLink: () => term.stop(),
      received: () => term.pages.map((p) => p.text),
      cleanup: async () => {
        await driver.close()
        await term.stop().catch(() => undefined)
      },
    }
  })
})


async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
}
