import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const repoRoot = resolve(import.meta.dirname, '..', '..')

/**
 * What `npm run <name>` runs, as [node, ...args], read from package.json so tests and the bench start the gateway
 * and its tools exactly as users do. Node itself is spawned (not npm), so a signal reaches the process.
 */
export function npmScript(name: string): string[] {
  const script = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string | undefined> }).scripts[name]
  const parts = script?.split(/\s+/) ?? []
  if (parts[0] !== 'node') throw new Error(`npm run ${name} is expected to run node, got: ${script}`)
  return [process.execPath, ...parts.slice(1)]
}
