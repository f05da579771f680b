import { GENESIS } from '../audit/chain.js'
import type { Db } from './db.js'

/** Where the audit trail was cut: rows up to `removedThroughSeq` are gone; verification starts at `firstKeptSeq`. */
export interface AuditCut {
  readonly removed: number
  readonly removedThroughSeq: number
  readonly firstKeptSeq: number
  readonly firstKeptPrevHash: string
}

/**
 * Deletes by age for the retention job (compose/retention-job.ts), each call at most `limit` rows so a
 * batch is one short transaction. Every method runs inside the caller's transaction.
 */
export function createRetentionRepo(db: Db) {
  const s = {
    // Journal rows an open alert was raised by are kept whatever their age (they explain an alert still in hand).
    journal: db.prepare(`DELETE FROM journal WHERE seq IN (SELECT seq FROM journal WHERE received_at < ?
      AND seq NOT IN (SELECT trigger_event_seq FROM alerts WHERE state <> 'closed' AND trigger_event_seq IS NOT NULL) ORDER BY received_at LIMIT ?)`),
    closedAlerts: db.prepare("SELECT id FROM alerts WHERE state = 'closed' AND closed_at < ? ORDER BY closed_at LIMIT ?").pluck(),
    notifications: db.prepare('DELETE FROM notifications WHERE alert_id IN (SELECT value FROM json_each(?))'),
    alerts: db.prepare('DELETE FROM alerts WHERE id IN (SELECT value FROM json_each(?))'),
    // Expired, not cleared: a suppression cleared early still ended by its expiry (at most 14 days later), and expiry is indexed.
    suppressions: db.prepare('DELETE FROM suppressions WHERE id IN (SELECT id FROM suppressions WHERE expires_at < ? ORDER BY expires_at LIMIT ?)'),
    personal: db.prepare('DELETE FROM personal_data WHERE ref IN (SELECT ref FROM personal_data WHERE created_at < ? ORDER BY created_at LIMIT ?)'),
    firstSeq: db.prepare('SELECT min(seq) FROM audit').pluck(),
    firstKept: db.prepare('SELECT min(seq) FROM audit WHERE at >= ?').pluck(),
    lastSeq: db.prepare('SELECT max(seq) FROM audit').pluck(),
    hashOf: db.prepare('SELECT hash FROM audit WHERE seq = ?').pluck(),
    openWindow: db.prepare('INSERT INTO audit_delete_window (id) VALUES (1)'),
    closeWindow: db.prepare('DELETE FROM audit_delete_window'),
    deleteAudit: db.prepare('DELETE FROM audit WHERE seq <= ?'),
    mark: db.prepare('INSERT INTO audit_retention (at, removed_through_seq, first_kept_seq, first_kept_prev_hash) VALUES (?, ?, ?, ?)'),
  }
  return {
    /** Raw device events received before `cutoff`. */
    deleteJournal: (cutoff: number, limit: number) => s.journal.run(cutoff, limit).changes,

    /** Closed alerts closed before `cutoff`, with their notifications. */
    deleteClosedAlerts(cutoff: number, limit: number): { alerts: number; notifications: number } {
      const ids = JSON.stringify(s.closedAlerts.all(cutoff, limit))
      const notifications = s.notifications.run(ids).changes
      return { alerts: s.alerts.run(ids).changes, notifications }
    },

    /** Suppressions that expired before `cutoff`. */
    deleteSuppressions: (cutoff: number, limit: number) => s.suppressions.run(cutoff, limit).changes,

    /** Personal data created before `cutoff`. */
    deletePersonalData: (cutoff: number, limit: number) => s.personal.run(cutoff, limit).changes,

    /**
     * The last audit row a cut may remove: the rows before the first one written at or after `cutoff` (a
     * prefix of the trail, so a row out of time order stops the cut), never the newest row (the next row's
     * seq and prev_hash are taken from it: store/audit-repo.ts). Null when nothing is due. One pass over the
     * old rows, once per run.
     */
    auditCutTarget(cutoff: number): number | null {
      const first = s.firstSeq.get() as number | null
      if (first === null) return null
      const kept = Math.min((s.firstKept.get(cutoff) as number | null) ?? Infinity, s.lastSeq.get() as number)
      return kept - 1 >= first ? kept - 1 : null
    },

    /**
     * Removes the oldest audit rows, at most `limit` and none after `target`, inside the delete window
     * (migration 006), and records where the kept trail starts and the hash its first row links to, so
     * verification starts there. Null when nothing is left to remove.
     */
    cutAudit(target: number, limit: number, at: number): AuditCut | null {
      const first = s.firstSeq.get() as number | null
      if (first === null || first > target) return null
      const through = Math.min(target, first + limit - 1)
      const prevHash = (s.hashOf.get(through) as string | null) ?? GENESIS
      s.openWindow.run()
      const removed = s.deleteAudit.run(through).changes
      s.closeWindow.run()
      s.mark.run(at, through, through + 1, prevHash)
      return { removed, removedThroughSeq: through, firstKeptSeq: through + 1, firstKeptPrevHash: prevHash }
    },
  }
}

export type RetentionRepo = ReturnType<typeof createRetentionRepo>
