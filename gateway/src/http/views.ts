import type { ConfigIndex } from '../config/config-index.js'
import type { Alert, Notification } from '../core/alert.js'
import type { AuditRecord } from '../core/audit.js'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** An alert as screens and the API see it: room code and alert class, never a name or diagnosis. Public keys are snake_case. */
export function alertView(index: ConfigIndex, a: Alert) {
  const acceptedBy = a.acceptedBy ? index.users.get(a.acceptedBy) : undefined
  return {
    id: a.id,
    site_id: a.siteId,
    person_id: a.personId,
    room_code: (a.personId ? index.people.get(a.personId)?.room_code : a.subject) ?? '?',
    subject: a.subject,
    device_id: a.deviceId,
    rule_id: a.ruleId,
    rule_version: a.ruleVersion,
    kind: a.kind,
    alert_class: a.alertClass,
    priority: a.priority,
    state: a.state,
    raised_at: iso(a.raisedAt),
    updated_at: iso(a.updatedAt),
    accepted_by: a.acceptedBy ? { id: a.acceptedBy, display_name: acceptedBy?.display_name ?? a.acceptedBy } : null,
    accepted_at: iso(a.acceptedAt),
    trigger_count: a.triggerCount,
    escalation_step: a.escalationStep + 1,
    next_step_at: iso(a.nextStepAt),
    resolved_by: a.resolvedBy,
    resolved_at: iso(a.resolvedAt),
    closed_by: a.closedBy,
    closed_at: iso(a.closedAt),
    outcome: a.outcome,
    outcome_note: a.outcomeNote,
    // What must never happen near the person (e.g. no in-room sounder): the carer on the way needs it.
    restrictions: (a.personId ? index.people.get(a.personId)?.restrictions : undefined) ?? [],
  }
}
export type AlertView = ReturnType<typeof alertView>

export function notificationView(n: Notification) {
  return { id: n.id, alert_id: n.alertId, user_id: n.userId, pager_id: n.pagerId, protocol: n.protocol, attempt: n.attempt, state: n.state, text: n.text, created_at: iso(n.createdAt), updated_at: iso(n.updatedAt) }
}

export function auditView(r: AuditRecord) {
  return { seq: r.seq, at: iso(r.at), kind: r.kind, actor: r.actor, alert_id: r.alertId ?? null, device_id: r.deviceId ?? null, person_id: r.personId ?? null, event_seq: r.eventSeq ?? null, detail: r.detail }
}
