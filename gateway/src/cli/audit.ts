import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { auditPaths } from '../audit/paths.js'
import { verifyAuditFiles } from '../compose/audit-verify.js'
import { isGatewayError } from '../core/errors.js'

const usage = 'usage: npm run audit -- verify [--data-dir <dir>] [--db <file>] [--audit-key-file <file>] [--audit-anchor-file <file>] [--json]'

/**
 * `npm run audit -- verify`: checks the whole audit trail's hash chain and anchors, read-only (safe while
 * the gateway runs). Prints the finding; exit code 0 when intact, 1 when broken (naming the first bad row
 * and the kind of break), 2 when it could not check at all.
 */
function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, db: { type: 'string' }, 'audit-key-file': { type: 'string' }, 'audit-anchor-file': { type: 'string' }, json: { type: 'boolean' } },
  })
  if (positionals[0] !== 'verify') throw new Error(usage)
  const dataDir = values['data-dir'] ?? process.env.GATEWAY_DATA_DIR ?? 'data'
  const dbFile = values.db ?? join(dataDir, 'gateway.db')
  if (!existsSync(dbFile)) throw new Error(`no database at ${dbFile}`)
  const paths = auditPaths(dataDir, { keyFile: values['audit-key-file'], anchorFile: values['audit-anchor-file'] }, process.env)
  const r = verifyAuditFiles({ dbFile, ...paths })
  if (values.json) process.stdout.write(JSON.stringify({ ...r, database: dbFile }, null, 2) + '\n')
  else process.stdout.write(`${r.ok ? 'OK' : `BROKEN (${r.kind}) at row ${r.firstBadSeq}`}: ${r.message}${r.malformedAnchorLines ? `; ${r.malformedAnchorLines} malformed anchor lines` : ''}\n`)
  return r.ok && r.malformedAnchorLines === 0 ? 0 : 1
}

try {
  process.exitCode = main()
} catch (err) {
  process.stderr.write(`${isGatewayError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`)
  process.exitCode = 2
}
