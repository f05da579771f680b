import type { AuditLog } from '../core/contracts.js'
import type { AuditEntry, AuditKind, AuditRecord } from '../core/audit.js'
import type { Db } from './db.js'

interface Row { seq: number; at: number; kind: string; actor: string; alert_id: string | null; device_id: string | null; person_id: string | null; event_seq: number | null; detail: string }

function toRecord(r: Row): AuditRecord {
  return { seq: r.seq, at: r.at, kind: r.kind as AuditKind, actor: r.actor, alertId: r.alert_id, deviceId: r.device_id, personId: r.person_id, eventSeq: r.event_seq, detail: JSON.parse(r.detail) as Record<string, unknown> }
}

export function createAuditRepo(db: Db): AuditLog {
  const insert = db.prepare('INSERT INTO audit (at, kind, actor, alert_id, device_id, person_id, event_seq, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
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
      const r = insert.run(e.at, e.kind, e.actor, e.alertId ?? null, e.deviceId ?? null, e.personId ?? null, e.eventSeq ?? null, JSON.stringify(e.detail))
      return Number(r.lastInsertRowid)
    },
    forAlert: (alertId) => (forAlert.all({ id: alertId }) as Row[]).map(toRecord),
  }
}
