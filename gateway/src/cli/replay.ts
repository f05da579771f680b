import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { loadConfig } from '../config/load.js'
import { isGatewayError } from '../core/errors.js'
import { registryContext } from '../registry-context.js'
import type { ReplayReport } from '../replay/compare.js'
import { applyProposal, parseInstant, runReplay } from '../replay/run-replay.js'
import { openReplaySource } from '../store/replay-source.js'

/**
 * `npm run replay -- --rules <file> --from <date> --to <date> [--person <id>] [--config <file>] [--data-dir <dir>] [--json]`
 * Runs the proposed rules and the current rules over the recorded journal (read-only) and prints, per
 * person and rule, how many alerts each raised and which ones differ.
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      rules: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, person: { type: 'string' },
      config: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false },
    },
  })
  if (!values.rules || !values.from || !values.to) throw new Error('usage: npm run replay -- --rules <file> --from <date> --to <date> [--person <id>] [--json]')
  const current = loadConfig(values.config ?? process.env.GATEWAY_CONFIG ?? 'config/demo.json', registryContext)
  const proposed = applyProposal(current, JSON.parse(readFileSync(values.rules, 'utf8')), registryContext)
  const source = openReplaySource(join(values['data-dir'] ?? process.env.GATEWAY_DATA_DIR ?? 'data', 'gateway.db'))
  try {
    const report = runReplay(current, proposed, source, parseInstant('from', values.from), parseInstant('to', values.to), values.person)
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : render(report))
  } finally {
    source.close()
  }
}

function render(r: ReplayReport): string {
  const lines = [`Replay ${r.from} → ${r.to}: ${r.events_replayed} events`, '', 'person     rule                 current  proposed  differences']
  for (const x of r.rules) {
    const diff = x.only_current.length + x.only_proposed.length
    lines.push(`${x.person_id.padEnd(10)} ${x.rule_id.padEnd(20)} ${String(x.current_alerts).padStart(7)}  ${String(x.proposed_alerts).padStart(8)}  ${diff}`)
    for (const d of x.only_current) lines.push(`    only current  ${d.at}  ${d.reason}`)
    for (const d of x.only_proposed) lines.push(`    only proposed ${d.at}  ${d.reason}`)
  }
  lines.push('', `total: current ${r.totals.current_alerts}, proposed ${r.totals.proposed_alerts}`, r.note, '')
  return lines.join('\n')
}

try {
  main()
} catch (err) {
  process.stderr.write(`${isGatewayError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`)
  process.exit(1)
}
