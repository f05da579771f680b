import type { AuditLog } from '../core/contracts.js'
import type { AuditEntry, AuditKind, AuditRecord } from '../core/audit.js'
import { type ChainRow, GENESIS, rowHash } from '../audit/chain.js'
import type { Db } from './db.js'

interface Row { seq: number; at: number; kind: string; actor: string; alert_id: string | null; device_id: string | null; person_id: string | null; event_seq: number | null; detail: string }

function toRecord(r: Row): AuditRecord {
  return { seq: r.seq, at: r.at, kind: r.kind as AuditKind, actor: r.actor, alertId: r.alert_id, deviceId: r.device_id, personId: r.person_id, eventSeq: r.event_seq, detail: JSON.parse(r.detail) as Record<string, unknown> }
}

/**
 * The audit trail. With a key, each row is chained (issue 8): `prev_hash` is the previous row's hash and
 * `hash` the HMAC-SHA256 of its content and `prev_hash` (audit/chain.ts). The previous row is read inside the
 * same transaction, so a rolled-back batch leaves no gap in the chain. Without a key (unit tests only) rows
 * are written unchained.
 */
export function createAuditRepo(db: Db, key?: Buffer): AuditLog {
  const insert = db.prepare('INSERT INTO audit (seq, at, kind, actor, alert_id, device_id, person_id, event_seq, detail, prev_hash, hash) VALUES (@seq, @at, @kind, @actor, @alert_id, @device_id, @person_id, @event_seq, @detail, @prev_hash, @hash)')
  const last = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')
  // The alert's own rows, plus the rows of the events that led to it (received, rule decisions before it existed).
  const forAlert = db.prepare(`
    SELECT * FROM audit WHERE alert_id = @id
    UNION
    SELECT a.* FROM audit a WHERE a.event_seq IN (SELECT DISTINCT event_seq FROM audit WHERE alert_id = @id AND event_seq IS NOT NULL) AND a.alert_id IS NULL
    ORDER BY seq`)
  const search = db.prepare(`SELECT * FROM audit WHERE (@kind IS NULL OR kind = @kind) AND (@deviceId IS NULL OR device_id = @deviceId)
    AND (@personId IS NULL OR person_id = @personId) AND (@alertId IS NULL OR alert_id = @alertId)
    AND (@actor IS NULL OR actor = @actor OR actor = 'user:' || @actor) AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at <= @to)
    AND seq > @afterSeq ORDER BY seq LIMIT @limit`)
  return {
    search: (f) => (search.all({ kind: f.kind ?? null, deviceId: f.deviceId ?? null, personId: f.personId ?? null, alertId: f.alertId ?? null, actor: f.actor ?? null, from: f.from ?? null, to: f.to ?? null, afterSeq: f.afterSeq ?? 0, limit: f.limit }) as Row[]).map(toRecord),
    append(e: AuditEntry): number {
      const prev = last.get() as { seq: number; hash: string | null } | undefined
      const row: Omit<ChainRow, 'hash' | 'prev_hash'> = { seq: (prev?.seq ?? 0) + 1, at: e.at, kind: e.kind, actor: e.actor, alert_id: e.alertId ?? null, device_id: e.deviceId ?? null, person_id: e.personId ?? null, event_seq: e.eventSeq ?? null, detail: JSON.stringify(e.detail) }
      // Never restart the chain after a row without a hash: that row was tampered with (or written without a
      // key by a unit test); linking on from it keeps the break visible instead of starting a fresh, clean chain.
      const prevHash = prev ? (prev.hash ?? 'unchained') : GENESIS
      insert.run({ ...row, prev_hash: key ? prevHash : null, hash: key ? rowHash(key, row, prevHash) : null })
      return row.seq
    },
    forAlert: (alertId) => (forAlert.all({ id: alertId }) as Row[]).map(toRecord),
  }
}
