import Database from 'better-sqlite3'
import { readAnchors } from '../audit/anchor-file.js'
import type { ChainFinding } from '../audit/chain.js'
import { loadAuditKey } from '../audit/key-file.js'
import { verifyStoredTrail } from '../store/audit-integrity.js'
import { retentionStart } from '../store/retention-marks.js'

export interface AuditVerification extends ChainFinding {
  readonly anchorFile: string
  readonly anchors: number
  readonly malformedAnchorLines: number
  readonly verifiedFromSeq: number
}

/**
 * Verifies the whole audit trail of a database file against its key and anchor file (or its newest `tailRows`
 * rows), through a read-only connection (safe while the gateway writes). Used by `npm run audit -- verify` and, in a
 * worker thread, by `GET /api/audit/verify` and the check that follows start-up.
 */
export function verifyAuditFiles(files: { dbFile: string; keyFile: string; anchorFile: string; tailRows?: number }): AuditVerification {
  const key = loadAuditKey(files.keyFile, false)
  const { anchors, malformed } = readAnchors(files.anchorFile)
  const db = new Database(files.dbFile, { readonly: true, fileMustExist: true })
  try {
    const from = retentionStart(db)
    const finding = verifyStoredTrail(db, key, anchors, files.tailRows === undefined ? {} : { tailRows: files.tailRows })
    return { ...finding, anchorFile: files.anchorFile, anchors: anchors.length, malformedAnchorLines: malformed, verifiedFromSeq: from?.seq ?? 1 }
  } finally {
    db.close()
  }
}
