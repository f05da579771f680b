import type { AuditLog } from '../core/contracts.js'
import type { AuditEntry, AuditKind, AuditRecord } from '../core/audit.js'
import { type ChainRow, GENESIS, rowHash } from '../audit/chain.js'
import type { Db } from './db.js'
import { DIGEST_SPAN_MS, digestNeedle, expandRoutine, matchesFilter } from '../audit/routine-events.js'

/** An audit row as stored: columns by name, detail as JSON text. */
export interface AuditRow { seq: number; at: number; kind: string; actor: string; alert_id: string | null; device_id: string | null; person_id: string | null; event_seq: number | null; detail: string }
type Row = AuditRow

/** A stored row as the record readers get (detail parsed). */
export function toRecord(r: AuditRow): AuditRecord {
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
      AND a.kind <> 'events.routine'
    ORDER BY seq`)
  // Rows matching the filter, and (when a digest can hold a match) the digest rows of routine events that may: those
  // are expanded and filtered exactly in `search`. A digest's `at` is its oldest event, the rest within DIGEST_SPAN_MS.
  const search = db.prepare(`SELECT * FROM audit WHERE seq > @afterSeq AND ((kind <> 'events.routine' AND (@kind IS NULL OR kind = @kind)
    AND (@deviceId IS NULL OR device_id = @deviceId) AND (@personId IS NULL OR person_id = @personId) AND (@alertId IS NULL OR alert_id = @alertId)
    AND (@actor IS NULL OR actor = @actor OR actor = 'user:' || @actor) AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at <= @to))
    OR (kind = 'events.routine' AND ((@rawDigests AND @deviceId IS NULL AND @personId IS NULL AND @alertId IS NULL AND (@actor IS NULL OR actor = @actor)
      AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at <= @to)) OR (@digests AND (@needle IS NULL OR instr(detail, @needle) > 0)
      AND (@from IS NULL OR at >= @from - ${DIGEST_SPAN_MS}) AND (@to IS NULL OR at <= @to)))))
    ORDER BY seq`)
  return {
    search(f) {
      const digest = digestNeedle(f)
      const out: AuditRecord[] = []
      const rows = search.iterate({
        kind: f.kind ?? null, deviceId: f.deviceId ?? null, personId: f.personId ?? null, alertId: f.alertId ?? null, actor: f.actor ?? null, from: f.from ?? null, to: f.to ?? null,
        afterSeq: f.afterSeq ?? 0, rawDigests: f.kind === 'events.routine' ? 1 : 0, digests: digest ? 1 : 0, needle: digest?.needle ?? null,
      }) as IterableIterator<Row>
      try {
        for (const r of rows) {
          if (out.length >= f.limit) break
          const record = toRecord(r)
          // A digest's records are never split between pages: they share its seq, which is what `after` pages by.
          if (r.kind === 'events.routine' && f.kind !== 'events.routine') out.push(...expandRoutine(record).filter((x) => matchesFilter(x, f)))
          else out.push(record)
        }
      } finally {
        rows.return?.()
      }
      return out
    },
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
