import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './gateway-process.js'

/** `npm run audit -- verify --json` exactly as an operator runs it (node + tsx, like the npm script). */
export function verifyCli(dataDir: string): { code: number | null; report: any; out: string } {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { audit: string } }
  const [, ...args] = pkg.scripts.audit.split(/\s+/)
  const r = spawnSync(process.execPath, [...args, 'verify', '--data-dir', dataDir, '--json'], { cwd: repoRoot, encoding: 'utf8' })
  let report: unknown = null
  try {
    report = JSON.parse(r.stdout)
  } catch {
    /* not JSON: the caller shows the output */
  }
  return { code: r.status, report, out: r.stderr + r.stdout }
}
