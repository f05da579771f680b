import type { Alert, AlertKind, AlertOutcome, AlertState, Priority } from '../core/alert.js'
import type { AlertRepository } from '../core/contracts.js'
import type { Db } from './db.js'

interface Row {
  id: string; site_id: string; person_id: string | null; subject: string | null; device_id: string | null; rule_id: string; rule_version: string; condition_key: string
  kind: string; alert_class: string; priority: string; state: string; raised_at: number; updated_at: number
  accepted_by: string | null; accepted_at: number | null; trigger_event_seq: number | null; trigger_count: number
  escalation_step: number; next_step_at: number | null; resolved_by: string | null; resolved_at: number | null
  closed_by: string | null; closed_at: number | null; outcome: string | null; outcome_note: string | null
}

function toAlert(r: Row): Alert {
  return {
    id: r.id, siteId: r.site_id, personId: r.person_id, subject: r.subject, deviceId: r.device_id, ruleId: r.rule_id, ruleVersion: r.rule_version,
    kind: r.kind as AlertKind, alertClass: r.alert_class, priority: r.priority as Priority, state: r.state as AlertState,
    raisedAt: r.raised_at, updatedAt: r.updated_at, acceptedBy: r.accepted_by, acceptedAt: r.accepted_at,
    triggerEventSeq: r.trigger_event_seq, triggerCount: r.trigger_count,
    escalationStep: r.escalation_step, nextStepAt: r.next_step_at, resolvedBy: r.resolved_by, resolvedAt: r.resolved_at,
    closedBy: r.closed_by, closedAt: r.closed_at, outcome: r.outcome as AlertOutcome | null, outcomeNote: r.outcome_note,
  }
}

const columns: Record<string, string> = {
  state: 'state', updatedAt: 'updated_at', acceptedBy: 'accepted_by', acceptedAt: 'accepted_at', triggerCount: 'trigger_count',
  escalationStep: 'escalation_step', nextStepAt: 'next_step_at', resolvedBy: 'resolved_by', resolvedAt: 'resolved_at',
  closedBy: 'closed_by', closedAt: 'closed_at', outcome: 'outcome', outcomeNote: 'outcome_note',
}

/** The open alert of a condition. Its WHERE is migration 008's partial index word for word, so SQLite uses that index. */
export const OPEN_BY_CONDITION_SQL = "SELECT * FROM alerts WHERE condition_key = ? AND state NOT IN ('resolved', 'cancelled', 'closed') ORDER BY raised_at DESC LIMIT 1"

export function createAlertRepo(db: Db): AlertRepository {
  const insert = db.prepare(`INSERT INTO alerts (id, site_id, person_id, subject, device_id, rule_id, rule_version, condition_key, kind, alert_class, priority, state, raised_at, updated_at, accepted_by, accepted_at, trigger_event_seq, trigger_count, escalation_step, next_step_at)
    VALUES (@id, @siteId, @personId, @subject, @deviceId, @ruleId, @ruleVersion, @conditionKey, @kind, @alertClass, @priority, @state, @raisedAt, @updatedAt, @acceptedBy, @acceptedAt, @triggerEventSeq, @triggerCount, @escalationStep, @nextStepAt)`)
  const dueForStep = db.prepare("SELECT * FROM alerts WHERE next_step_at IS NOT NULL AND next_step_at <= ? AND state IN ('new', 'active', 'escalated') ORDER BY next_step_at, id")
  const nextStepDue = db.prepare("SELECT min(next_step_at) FROM alerts WHERE next_step_at IS NOT NULL AND state IN ('new', 'active', 'escalated')").pluck()
  const get = db.prepare('SELECT * FROM alerts WHERE id = ?')
  // No index on closed_at: one scan per board refresh (30 s, debounced) is cheap next to an index on every write.
  const sinceStmt = db.prepare('SELECT * FROM alerts WHERE raised_at >= ? OR closed_at >= ? ORDER BY raised_at DESC LIMIT ?')
  const openByCondition = db.prepare(OPEN_BY_CONDITION_SQL)
  const updates = new Map<string, ReturnType<Db['prepare']>>()
  return {
    insert: (a) => void insert.run({ id: a.id, siteId: a.siteId, personId: a.personId, subject: a.subject, deviceId: a.deviceId, ruleId: a.ruleId, ruleVersion: a.ruleVersion, conditionKey: a.conditionKey, kind: a.kind, alertClass: a.alertClass, priority: a.priority, state: a.state, raisedAt: a.raisedAt, updatedAt: a.updatedAt, acceptedBy: a.acceptedBy, acceptedAt: a.acceptedAt, triggerEventSeq: a.triggerEventSeq, triggerCount: a.triggerCount, escalationStep: a.escalationStep, nextStepAt: a.nextStepAt }),
    dueForStep: (now) => (dueForStep.all(now) as Row[]).map(toAlert),
    nextStepDue: () => (nextStepDue.get() as number | null) ?? null,
    get: (id) => {
      const r = get.get(id) as Row | undefined
      return r ? toAlert(r) : null
    },
    findOpenByCondition: (key) => {
      const r = openByCondition.get(key) as Row | undefined
      return r ? toAlert(r) : null
    },
    update(id, changes) {
      const keys = Object.keys(changes).filter((k) => k in columns).sort()
      if (keys.length === 0) return
      const sig = keys.join(',')
      let stmt = updates.get(sig)
      if (!stmt) {
        stmt = db.prepare(`UPDATE alerts SET ${keys.map((k) => `${columns[k]} = @${k}`).join(', ')} WHERE id = @id`)
        updates.set(sig, stmt)
      }
      stmt.run({ ...changes, id })
    },
    list({ states, limit }) {
      const rows = states && states.length
        ? (db.prepare(`SELECT * FROM alerts WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY raised_at DESC LIMIT ?`).all(...states, limit) as Row[])
        : (db.prepare('SELECT * FROM alerts ORDER BY raised_at DESC LIMIT ?').all(limit) as Row[])
      return rows.map(toAlert)
    },
    raisedOrClosedSince(from, limit) {
      return (sinceStmt.all(from, from, limit) as Row[]).map(toAlert)
    },
  }
}
