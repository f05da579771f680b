import { spawnSync } from 'node:child_process'
import { npmScript, repoRoot } from '../../simulators/lib/npm-script.js'

/** `npm run audit -- verify --json` exactly as an operator runs it (node + tsx, like the npm script). */
export function verifyCli(dataDir: string): { code: number | null; report: any; out: string } {
  const [node, ...args] = npmScript('audit')
  const r = spawnSync(node!, [...args, 'verify', '--data-dir', dataDir, '--json'], { cwd: repoRoot, encoding: 'utf8' })
  let report: unknown = null
  try {
    report = JSON.parse(r.stdout)
  } catch {
    /* not JSON: the caller shows the output */
  }
  return { code: r.status, report, out: r.stderr + r.stdout }
}
