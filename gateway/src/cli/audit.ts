import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readAnchors } from '../audit/anchor-file.js'
import { loadAuditKey } from '../audit/key-file.js'
import { auditPaths } from '../audit/paths.js'
import { isGatewayError } from '../core/errors.js'
import { verifyStoredTrail } from '../store/audit-integrity.js'
import { retentionStart } from '../store/retention-marks.js'

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
  const key = loadAuditKey(paths.keyFile, false)
  const { anchors, malformed } = readAnchors(paths.anchorFile)
  const db = new Database(dbFile, { readonly: true, fileMustExist: true })
  try {
    const from = retentionStart(db)
    const finding = verifyStoredTrail(db, key, anchors, from ? { from } : {})
    const report = { ...finding, database: dbFile, anchor_file: paths.anchorFile, anchors: anchors.length, malformed_anchor_lines: malformed, verified_from_seq: from?.seq ?? 1 }
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n')
    else process.stdout.write(`${finding.ok ? 'OK' : `BROKEN (${finding.kind}) at row ${finding.firstBadSeq}`}: ${finding.message}${malformed ? `; ${malformed} malformed anchor lines` : ''}\n`)
    return finding.ok && malformed === 0 ? 0 : 1
  } finally {
    db.close()
  }
}

try {
  process.exitCode = main()
} catch (err) {
  process.stderr.write(`${isGatewayError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`)
  process.exitCode = 2
}
