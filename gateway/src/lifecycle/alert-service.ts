import type { Alert, AlertKind, Notification, NotificationState, Priority } from '../core/alert.js'
import type { AlertRepository, AuditLog, NotificationRepository } from '../core/contracts.js'
import type { Effects } from '../core/effects.js'
import { gatewayError } from '../core/errors.js'
import { nextAlertState, nextNotificationState, type NotificationEvent } from './transitions.js'


/** A planned notification as the lifecycle needs it (the routing stage makes these). */
export interface NotificationPlan {
  readonly userId: string
  readonly pagerId: string
  readonly protocol: string
  readonly text: string
  readonly truncatedFrom: string | null
}

export interface LifecycleDeps {
  readonly alerts: AlertRepository
  readonly notifications: NotificationRepository
  readonly audit: AuditLog
  readonly newId: (prefix: 'al' | 'nt') => string
  /** Who receives a new alert for this person. */
  readonly plan: (personId: string, alertClass: string) => readonly NotificationPlan[]
  /** May this user act on alerts for this person? */
  readonly mayAct: (userId: string, personId: string) => boolean
}

export interface RaiseInput {
  readonly siteId: string
  readonly personId: string
  readonly deviceId: string | null
  readonly ruleId: string
  readonly ruleVersion: string
  readonly conditionKey: string
  readonly kind: AlertKind
  readonly alertClass: string
  readonly priority: Priority
  readonly triggerEventSeq: number | null
  readonly reason: string
  /** A re-alert for a condition still going on: pages the recipients again if nobody has accepted. */
  readonly realert?: boolean
}

/**
 * Raise an alert, or fold a repeat trigger into the open alert for the same person and condition
 * (protocols.md §4.3 "de-duplicate repeat triggers as an update").
 */
export function raiseAlert(deps: LifecycleDeps, fx: Effects, input: RaiseInput, now: number): Alert {
  const existing = deps.alerts.findOpenByCondition(input.conditionKey)
  if (existing) {
    const triggerCount = existing.triggerCount + 1
    deps.alerts.update(existing.id, { triggerCount, updatedAt: now })
    const repage = input.realert === true && existing.state !== 'acknowledged'
    deps.audit.append({ at: now, kind: 'alert.repeat', actor: `rule:${input.ruleId}`, alertId: existing.id, personId: input.personId, deviceId: input.deviceId, eventSeq: input.triggerEventSeq, detail: { trigger_count: triggerCount, reason: input.reason, realert: input.realert === true, paged_again: repage } })
    if (repage) queueNotifications(deps, fx, existing.id, input, now)
    fx.alertsChanged.add(existing.id)
    return { ...existing, triggerCount, updatedAt: now }
  }
  const id = deps.newId('al')
  const alert: Alert = {
    id, siteId: input.siteId, personId: input.personId, deviceId: input.deviceId, ruleId: input.ruleId, ruleVersion: input.ruleVersion,
    kind: input.kind, alertClass: input.alertClass, priority: input.priority, state: 'new', raisedAt: now, updatedAt: now,
    acceptedBy: null, acceptedAt: null, triggerEventSeq: input.triggerEventSeq, triggerCount: 1,
  }
  deps.alerts.insert({ ...alert, conditionKey: input.conditionKey })
  const base = { at: now, actor: `rule:${input.ruleId}`, alertId: id, personId: input.personId, deviceId: input.deviceId, eventSeq: input.triggerEventSeq }
  deps.audit.append({ ...base, kind: 'alert.transition', detail: { from: null, to: 'new', event: 'raise', rule_id: input.ruleId, rule_version: input.ruleVersion, priority: input.priority, alert_class: input.alertClass, reason: input.reason } })

  const plans = queueNotifications(deps, fx, id, input, now)
  const to = nextAlertState(id, 'new', 'activate')
  deps.alerts.update(id, { state: to, updatedAt: now })
  deps.audit.append({ ...base, actor: 'gateway', kind: 'alert.transition', detail: { from: 'new', to, event: 'activate', recipients: plans.map((p) => p.userId) } })
  fx.alertsChanged.add(id)
  return { ...alert, state: to }
}

/** Queue one notification per planned recipient (attempt = previous attempts + 1), each audited. */
function queueNotifications(deps: LifecycleDeps, fx: Effects, alertId: string, input: RaiseInput, now: number): readonly NotificationPlan[] {
  const plans = deps.plan(input.personId, input.alertClass)
  const attempt = 1 + Math.max(0, ...deps.notifications.forAlert(alertId).map((n) => n.attempt))
  const base = { at: now, actor: 'gateway', alertId, personId: input.personId, deviceId: input.deviceId, eventSeq: input.triggerEventSeq }
  for (const p of plans) {
    const n: Notification = { id: deps.newId('nt'), alertId, userId: p.userId, pagerId: p.pagerId, protocol: p.protocol, attempt, state: 'queued', text: p.text, createdAt: now, updatedAt: now }
    deps.notifications.insert(n)
    deps.audit.append({ ...base, kind: 'notification.transition', detail: { notification_id: n.id, user_id: p.userId, pager_id: p.pagerId, protocol: p.protocol, attempt, from: null, to: 'queued', text: p.text } })
    if (p.truncatedFrom !== null) deps.audit.append({ ...base, kind: 'pager.text_truncated', detail: { notification_id: n.id, pager_id: p.pagerId, full_length: p.truncatedFrom.length, sent_length: p.text.length } })
    fx.notificationsToSend.push(n.id)
  }
  return plans
}

/** How an acknowledgement arrived. */
export type AckChannel = 'soft_pager' | 'dashboard' | 'api' | 'pager_status'

/** A carer accepts ("I'm going"). Refuses clearly when someone else already did. */
export function acceptAlert(deps: LifecycleDeps, fx: Effects, alertId: string, userId: string, via: AckChannel, now: number): Alert {
  const alert = deps.alerts.get(alertId)
  if (!alert) throw gatewayError('GW_ERR_ALERT_NOT_FOUND', [alertId])
  if (!deps.mayAct(userId, alert.personId)) throw gatewayError('GW_ERR_LIFECYCLE_NOT_RECIPIENT', [userId, alertId])
  if (alert.state === 'acknowledged' && alert.acceptedBy !== null) {
    throw gatewayError('GW_ERR_LIFECYCLE_ALREADY_ACCEPTED', [alertId, alert.acceptedBy], { accepted_by: alert.acceptedBy, accepted_at: alert.acceptedAt })
  }
  const to = nextAlertState(alertId, alert.state, 'accept')
  deps.alerts.update(alertId, { state: to, acceptedBy: userId, acceptedAt: now, updatedAt: now })
  deps.audit.append({ at: now, kind: 'alert.transition', actor: `user:${userId}`, alertId, personId: alert.personId, deviceId: alert.deviceId, detail: { from: alert.state, to, event: 'accept', via } })
  for (const n of deps.notifications.forAlert(alertId)) {
    if (n.userId === userId && canMove(n.state, 'accept')) transitionNotification(deps, n, 'accept', now, { actor: `user:${userId}`, via })
    else if (canMove(n.state, 'cancel')) transitionNotification(deps, n, 'cancel', now, { actor: 'gateway', reason: `accepted by ${userId}` })
  }
  fx.alertsChanged.add(alertId)
  return { ...alert, state: to, acceptedBy: userId, acceptedAt: now, updatedAt: now }
}

/** Record a driver or device report about one notification (sent, delivered, failed, ...). */
export function reportNotification(deps: LifecycleDeps, fx: Effects, notificationId: string, event: NotificationEvent, now: number, detail: Record<string, unknown> = {}): Notification {
  const n = deps.notifications.get(notificationId)
  if (!n) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`no notification '${notificationId}'`])
  const moved = transitionNotification(deps, n, event, now, { actor: 'gateway', ...detail })
  fx.alertsChanged.add(n.alertId)
  return moved
}

function canMove(state: NotificationState, event: NotificationEvent): boolean {
  try {
    nextNotificationState('', state, event)
    return true
  } catch {
    return false
  }
}

function transitionNotification(deps: LifecycleDeps, n: Notification, event: NotificationEvent, now: number, detail: Record<string, unknown>): Notification {
  const to = nextNotificationState(n.id, n.state, event)
  deps.notifications.setState(n.id, to, now)
  const { actor, ...rest } = detail
  deps.audit.append({ at: now, kind: 'notification.transition', actor: String(actor ?? 'gateway'), alertId: n.alertId, detail: { notification_id: n.id, user_id: n.userId, pager_id: n.pagerId, protocol: n.protocol, from: n.state, to, event, ...rest } })
  return { ...n, state: to, updatedAt: now }
}
