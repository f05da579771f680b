import Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { readAnchors } from '../audit/anchor-file.js'
import { loadAuditKey } from '../audit/key-file.js'
import { auditPaths } from '../audit/paths.js'
import { isGatewayError } from '../core/errors.js'
import { chainHead, verifyStoredTrail } from '../store/audit-integrity.js'
import { createAuditRepo } from '../store/audit-repo.js'

const usage = 'usage: npm run backup -- <backup-file> [--data-dir <dir>] [--audit-key-file <file>] [--audit-anchor-file <file>] [--by <who>]'

/**
 * `npm run backup -- <file>`: an online, consistent copy of the gateway's database while it runs (SQLite's
 * backup API through better-sqlite3, page by page, never blocking the gateway's writer for long), then
 * proves the copy: it opens, passes `PRAGMA integrity_check`, and its audit chain verifies with the key and
 * every anchor it covers. The backup is audited in the live trail. The audit key is NOT in the backup (it is
 * kept apart from the database by design): keep a copy of the key file in a different safe place.
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'data-dir': { type: 'string' }, 'audit-key-file': { type: 'string' }, 'audit-anchor-file': { type: 'string' }, by: { type: 'string' } } })
  const target = positionals[0]
  if (!target) throw new Error(usage)
  const dataDir = values['data-dir'] ?? process.env.GATEWAY_DATA_DIR ?? 'data'
  const dbFile = join(dataDir, 'gateway.db')
  if (!existsSync(dbFile)) throw new Error(`no database at ${dbFile}`)
  if (existsSync(target)) throw new Error(`${target} exists; choose a new file (a backup never overwrites)`)
  const paths = auditPaths(dataDir, { keyFile: values['audit-key-file'], anchorFile: values['audit-anchor-file'] }, process.env)
  const key = loadAuditKey(paths.keyFile, false)

  const live = new Database(dbFile, { fileMustExist: true })
  live.pragma('busy_timeout = 5000')
  live.pragma('synchronous = FULL')
  try {
    const started = Date.now()
    await live.backup(target)
    const copy = new Database(target, { readonly: true, fileMustExist: true })
    let summary: Record<string, unknown>
    try {
      const integrity = copy.pragma('integrity_check', { simple: true })
      const head = chainHead(copy)
      // Anchors written after the copy was taken name rows it cannot have; they are not a break.
      const anchors = readAnchors(paths.anchorFile).anchors.filter((a) => head !== null && a.seq <= head.seq)
      const finding = verifyStoredTrail(copy, key, anchors)
      summary = {
        file: resolve(target), bytes: statSync(target).size, took_ms: Date.now() - started, integrity_check: integrity,
        audit_verified: finding.ok, audit_finding: finding.ok ? null : `${finding.kind} at row ${finding.firstBadSeq}: ${finding.message}`,
        audit_rows: finding.rowsChecked, audit_head: head, anchors_checked: finding.anchorsChecked,
        alerts: copy.prepare('SELECT count(*) FROM alerts').pluck().get(), journal_rows: copy.prepare('SELECT count(*) FROM journal').pluck().get(), open_alerts: copy.prepare("SELECT count(*) FROM alerts WHERE state NOT IN ('closed', 'resolved')").pluck().get(),
        audit_key_file: paths.keyFile, note: 'the audit key is not in the backup: keep a copy of the key file in a separate safe place',
      }
      if (integrity !== 'ok' || !finding.ok) {
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
        return 1
      }
    } finally {
      copy.close()
    }
    const now = Date.now()
    // Recorded in the live trail, chained like the gateway's own rows (the gateway writes with BEGIN IMMEDIATE, so this waits its turn).
    live.transaction(() => createAuditRepo(live, key).append({ at: now, kind: 'backup.taken', actor: `cli:${values.by ?? process.env.USER ?? 'unknown'}`, detail: { file: summary.file, bytes: summary.bytes, audit_head: summary.audit_head } })).immediate()
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
    return 0
  } finally {
    live.close()
  }
}

main().then((code) => (process.exitCode = code), (err: unknown) => {
  process.stderr.write(`${isGatewayError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`)
  process.exitCode = 2
})
