import type { Alert, AlertKind, AlertOutcome, Notification, Priority } from '../core/alert.js'
import type { Effects } from '../core/effects.js'
import { gatewayError } from '../core/errors.js'
import type { LifecycleDeps } from './deps.js'
import { advance, canMove, escalatingStates, openNotificationStates, queuedNotification, runStep, transitionNotification } from './escalation.js'
import { nextAlertState, type NotificationEvent } from './transitions.js'

export type { LifecycleDeps, NotificationPlan } from './deps.js'

export interface RaiseInput {
  readonly siteId: string
  readonly personId: string | null
  /** For a person-less technical alert: what it is about (shown instead of a room code). */
  readonly subject?: string
  readonly deviceId: string | null
  readonly ruleId: string
  readonly ruleVersion: string
  readonly conditionKey: string
  readonly kind: AlertKind
  readonly alertClass: string
  readonly priority: Priority
  readonly triggerEventSeq: number | null
  readonly reason: string
  /** A re-alert for a condition still going on: pages the current step again if nobody has accepted. */
  readonly realert?: boolean
}

/** How an acknowledgement or answer arrived. */
export type AckChannel = 'soft_pager' | 'dashboard' | 'api' | 'pager_status'

const open = (a: Alert) => (escalatingStates as readonly string[]).includes(a.state)

/** Responsible for the person, or paged for this alert by the ladder: either may answer it. */
function mayAnswer(deps: LifecycleDeps, alert: Alert, userId: string): boolean {
  return deps.mayAct(userId, alert.personId) || deps.notifications.forAlert(alert.id).some((n) => n.userId === userId)
}

function getAlert(deps: LifecycleDeps, id: string): Alert {
  const alert = deps.alerts.get(id)
  if (!alert) throw gatewayError('GW_ERR_ALERT_NOT_FOUND', [id])
  return alert
}

/**
 * A trigger this long after its open alert was accepted is a new incident, raised and paged as a new alert, not a
 * repeat folded into the accepted one. An accepted alert waits for its carer to close it, and a two-way pager can
 * accept but not close (product.md, case 2): folded, a second seizure hours later, or a second pendant press after the
 * carer had left, paged nobody. Within it, repeats while the carer is on the way or there stay one alert.
 */
export const ACCEPTED_REPEAT_WINDOW_MS = 10 * 60_000

/**
 * Raise an alert and start its escalation ladder, or fold a repeat trigger into the open alert for the
 * same person and condition (protocols.md §4.3 "de-duplicate repeat triggers as an update").
 */
export function raiseAlert(deps: LifecycleDeps, fx: Effects, input: RaiseInput, now: number): Alert {
  const current = deps.alerts.findOpenByCondition(input.conditionKey)
  // A rule's re-alert ("still out of bed") belongs to its episode: it reminds while nobody has accepted, never a new incident.
  const acceptedLongAgo = input.realert !== true && current?.state === 'acknowledged' && current.acceptedAt !== null && now - current.acceptedAt >= ACCEPTED_REPEAT_WINDOW_MS
  const existing = acceptedLongAgo ? null : current
  if (acceptedLongAgo) input = { ...input, reason: `${input.reason}; a new incident: alert ${current.id} was accepted by ${current.acceptedBy} ${Math.round((now - current.acceptedAt!) / 60_000)} min ago and is not closed` }
  if (existing) {
    const triggerCount = existing.triggerCount + 1
    deps.alerts.update(existing.id, { triggerCount, updatedAt: now })
    const repage = input.realert === true && open(existing)
    deps.audit.append({ at: now, kind: 'alert.repeat', actor: `rule:${input.ruleId}`, alertId: existing.id, personId: input.personId, deviceId: input.deviceId, eventSeq: input.triggerEventSeq, detail: { trigger_count: triggerCount, reason: input.reason, realert: input.realert === true, paged_again: repage } })
    if (repage) runStep(deps, fx, { ...existing, triggerCount }, existing.escalationStep, now, { keepDeadline: true })
    fx.alertsChanged.add(existing.id)
    return deps.alerts.get(existing.id)!
  }
  const id = deps.newId('al')
  const alert: Alert = {
    id, siteId: input.siteId, personId: input.personId, subject: input.subject ?? null, deviceId: input.deviceId, ruleId: input.ruleId, ruleVersion: input.ruleVersion,
    kind: input.kind, alertClass: input.alertClass, priority: input.priority, state: 'new', raisedAt: now, updatedAt: now,
    acceptedBy: null, acceptedAt: null, triggerEventSeq: input.triggerEventSeq, triggerCount: 1, escalationStep: 0, nextStepAt: null,
    resolvedBy: null, resolvedAt: null, closedBy: null, closedAt: null, outcome: null, outcomeNote: null,
  }
  deps.alerts.insert({ ...alert, conditionKey: input.conditionKey })
  const base = { at: now, alertId: id, personId: input.personId, deviceId: input.deviceId, eventSeq: input.triggerEventSeq }
  deps.audit.append({ ...base, actor: `rule:${input.ruleId}`, kind: 'alert.transition', detail: { from: null, to: 'new', event: 'raise', rule_id: input.ruleId, rule_version: input.ruleVersion, priority: input.priority, alert_class: input.alertClass, reason: input.reason } })
  const { step, recipients } = runStep(deps, fx, alert, 0, now)
  const to = nextAlertState(id, 'new', 'activate')
  deps.alerts.update(id, { state: to, updatedAt: now })
  deps.audit.append({ ...base, actor: 'gateway', kind: 'alert.transition', detail: { from: 'new', to, event: 'activate', step: step + 1, recipients } })
  fx.alertsChanged.add(id)
  return deps.alerts.get(id)!
}

/** A carer accepts ("I'm going"): the ladder stops and everyone else's page is withdrawn with who is attending. */
export function acceptAlert(deps: LifecycleDeps, fx: Effects, alertId: string, userId: string, via: AckChannel, now: number): Alert {
  const alert = getAlert(deps, alertId)
  if (!mayAnswer(deps, alert, userId)) throw gatewayError('GW_ERR_LIFECYCLE_NOT_RECIPIENT', [userId, alertId])
  if (alert.acceptedBy !== null && alert.state === 'acknowledged') {
    throw gatewayError('GW_ERR_LIFECYCLE_ALREADY_ACCEPTED', [alertId, alert.acceptedBy], { accepted_by: alert.acceptedBy, accepted_at: alert.acceptedAt })
  }
  const to = nextAlertState(alertId, alert.state, 'accept')
  deps.alerts.update(alertId, { state: to, acceptedBy: userId, acceptedAt: now, nextStepAt: null, updatedAt: now })
  deps.audit.append({ at: now, kind: 'alert.transition', actor: `user:${userId}`, alertId, personId: alert.personId, deviceId: alert.deviceId, detail: { from: alert.state, to, event: 'accept', via } })
  for (const n of deps.notifications.forAlert(alertId)) {
    if (n.userId === userId && canMove(n.state, 'accept')) transitionNotification(deps, n, 'accept', now, { actor: `user:${userId}`, via })
    else if (canMove(n.state, 'cancel')) transitionNotification(deps, n, 'cancel', now, { actor: 'gateway', reason: `${userId} is attending` })
  }
  fx.alertsChanged.add(alertId)
  fx.timersChanged = true
  return deps.alerts.get(alertId)!
}

/** A carer declines ("can't"): their page is rejected and the ladder moves on at once. */
export function declineAlert(deps: LifecycleDeps, fx: Effects, alertId: string, userId: string, via: AckChannel, now: number): Alert {
  const alert = getAlert(deps, alertId)
  if (!mayAnswer(deps, alert, userId)) throw gatewayError('GW_ERR_LIFECYCLE_NOT_RECIPIENT', [userId, alertId])
  if (!open(alert)) throw gatewayError('GW_ERR_LIFECYCLE_INVALID_TRANSITION', ['alert', alertId, 'decline', alert.state])
  const mine = deps.notifications.forAlert(alertId).filter((n) => n.userId === userId && openNotificationStates.includes(n.state))
  for (const n of mine) transitionNotification(deps, n, canMove(n.state, 'reject') ? 'reject' : 'cancel', now, { actor: `user:${userId}`, via })
  return advance(deps, fx, alertId, `declined by ${userId}`, now, `user:${userId}`) ?? alert
}

/** The carer has attended ("done"). */
export function resolveAlert(deps: LifecycleDeps, fx: Effects, alertId: string, userId: string, now: number): Alert {
  const alert = getAlert(deps, alertId)
  if (!mayAnswer(deps, alert, userId)) throw gatewayError('GW_ERR_LIFECYCLE_NOT_RECIPIENT', [userId, alertId])
  const to = nextAlertState(alertId, alert.state, 'resolve')
  deps.alerts.update(alertId, { state: to, resolvedBy: userId, resolvedAt: now, updatedAt: now })
  deps.audit.append({ at: now, kind: 'alert.transition', actor: `user:${userId}`, alertId, personId: alert.personId, deviceId: alert.deviceId, detail: { from: alert.state, to, event: 'resolve' } })
  fx.alertsChanged.add(alertId)
  return deps.alerts.get(alertId)!
}

/** Close with an outcome (real / false alarm / test / device fault). An acknowledged alert is resolved first. */
export function closeAlert(deps: LifecycleDeps, fx: Effects, alertId: string, userId: string, outcome: AlertOutcome, note: string | null, now: number): Alert {
  let alert = getAlert(deps, alertId)
  if (!mayAnswer(deps, alert, userId)) throw gatewayError('GW_ERR_LIFECYCLE_NOT_RECIPIENT', [userId, alertId])
  if (alert.state === 'acknowledged') alert = resolveAlert(deps, fx, alertId, userId, now)
  const to = nextAlertState(alertId, alert.state, 'close')
  deps.alerts.update(alertId, { state: to, closedBy: userId, closedAt: now, outcome, outcomeNote: note, nextStepAt: null, updatedAt: now })
  deps.audit.append({ at: now, kind: 'alert.transition', actor: `user:${userId}`, alertId, personId: alert.personId, deviceId: alert.deviceId, detail: { from: alert.state, to, event: 'close', outcome, note } })
  fx.alertsChanged.add(alertId)
  return deps.alerts.get(alertId)!
}

/**
 * The source cleared (back in bed, seizure stopped). Before anyone accepted, a low or medium alert is
 * cancelled (it still needs a human to close it with an outcome); a high-priority alert is never
 * silently ended: it stays open and keeps escalating, with the clearing recorded. An accepted alert stays
 * acknowledged for its carer to close (a later trigger is a new alert once ACCEPTED_REPEAT_WINDOW_MS has passed).
 */
export function sourceCleared(deps: LifecycleDeps, fx: Effects, conditionKey: string, reason: string, now: number): Alert | null {
  const alert = deps.alerts.findOpenByCondition(conditionKey)
  if (!alert) return null
  const base = { at: now, actor: 'gateway', alertId: alert.id, personId: alert.personId, deviceId: alert.deviceId }
  if (!open(alert) || alert.priority === 'high') {
    deps.audit.append({ ...base, kind: 'alert.source_cleared', detail: { state: alert.state, priority: alert.priority, kept_open: true, reason } })
    fx.alertsChanged.add(alert.id)
    return alert
  }
  const to = nextAlertState(alert.id, alert.state, 'cancel')
  deps.alerts.update(alert.id, { state: to, nextStepAt: null, updatedAt: now })
  deps.audit.append({ ...base, kind: 'alert.transition', detail: { from: alert.state, to, event: 'cancel', reason: `source cleared before anyone attended: ${reason}` } })
  for (const n of deps.notifications.forAlert(alert.id)) if (canMove(n.state, 'cancel')) transitionNotification(deps, n, 'cancel', now, { actor: 'gateway', reason: 'source cleared' })
  fx.alertsChanged.add(alert.id)
  fx.timersChanged = true
  return deps.alerts.get(alert.id)!
}

/**
 * The gateway itself ends a technical alert whose cause went away (a device reporting steadily again).
 * Never a high-priority alert: that one stays open for a person to close (the clearing is recorded).
 */
export function closeBySystem(deps: LifecycleDeps, fx: Effects, conditionKey: string, reason: string, now: number): Alert | null {
  const alert = deps.alerts.findOpenByCondition(conditionKey)
  if (!alert) return null
  const base = { at: now, actor: 'gateway', alertId: alert.id, personId: alert.personId, deviceId: alert.deviceId }
  if (alert.priority === 'high') {
    deps.audit.append({ ...base, kind: 'alert.source_cleared', detail: { state: alert.state, priority: alert.priority, kept_open: true, reason } })
    fx.alertsChanged.add(alert.id)
    return alert
  }
  let state = alert.state
  const step = (event: 'cancel' | 'resolve' | 'close') => {
    const to = nextAlertState(alert.id, state, event)
    deps.audit.append({ ...base, kind: 'alert.transition', detail: { from: state, to, event, reason, ...(event === 'close' ? { outcome: 'device_fault' } : {}) } })
    state = to
  }
  if (open(alert)) step('cancel')
  else if (state === 'acknowledged') step('resolve')
  step('close')
  deps.alerts.update(alert.id, { state, nextStepAt: null, closedBy: 'gateway', closedAt: now, outcome: 'device_fault', outcomeNote: reason, updatedAt: now })
  for (const n of deps.notifications.forAlert(alert.id)) if (canMove(n.state, 'cancel')) transitionNotification(deps, n, 'cancel', now, { actor: 'gateway', reason })
  fx.alertsChanged.add(alert.id)
  fx.timersChanged = true
  return deps.alerts.get(alert.id)
}

/**
 * Record a driver or pager report about one notification. A failed or undeliverable page fails over to
 * the pager's fallback (same carer, another route) when it has one; otherwise the ladder moves on at once, but only
 * for a page of the step it is on, and never from its last step: when every route fails at once (a cut paging line
 * fails each call immediately), a failure moved the ladder on, whose pages failed, and so on, paging and auditing
 * round the last step without pause. The last step is repeated at its deadline instead, as when nobody answers.
 */
export function reportNotification(deps: LifecycleDeps, fx: Effects, notificationId: string, event: NotificationEvent, now: number, detail: Record<string, unknown> = {}): void {
  const n = deps.notifications.get(notificationId)
  if (!n) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`no notification '${notificationId}'`])
  transitionNotification(deps, n, event, now, { actor: 'gateway', ...detail })
  fx.alertsChanged.add(n.alertId)
  if (event !== 'fail' && event !== 'undeliverable') return
  const alert = deps.alerts.get(n.alertId)
  if (!alert || !open(alert)) return
  const why = `page to ${n.userId} on ${n.pagerId} ${event === 'fail' ? 'failed' : 'undeliverable'}`
  const fb = deps.fallback(n.pagerId, alert.personId, alert.subject, alert.alertClass)
  if (!fb) {
    if (failureMovesLadder(deps, alert, n)) advance(deps, fx, n.alertId, why, now)
    return
  }
  const next = queuedNotification(deps, n.alertId, { ...fb, userId: n.userId }, n.attempt, now)
  deps.notifications.insert(next)
  deps.audit.append({ at: now, kind: 'notification.transition', actor: 'gateway', alertId: n.alertId, personId: alert.personId, detail: { notification_id: next.id, user_id: n.userId, pager_id: fb.pagerId, protocol: fb.protocol, attempt: n.attempt, from: null, to: 'queued', text: fb.text, failover_from: n.pagerId, reason: why } })
  fx.notificationsToSend.push(next.id)
  fx.pages.push({ alert, notification: next })
}

/**
 * A page of an earlier step (another carer of the step already moved it on) or of the last step does not move the
 * ladder. Each step's pages carry one attempt number, the latest the highest (escalation.ts `runStep`); a fallback
 * page carries the attempt of the page it replaces.
 */
function failureMovesLadder(deps: LifecycleDeps, alert: Alert, n: Notification): boolean {
  const latest = Math.max(0, ...deps.notifications.forAlert(alert.id).map((x) => x.attempt))
  return n.attempt >= latest && alert.escalationStep < deps.ladder(alert.siteId, alert.priority).length - 1
}

/** Every alert whose ladder step is due moves on (timeout). */
export function advanceDue(deps: LifecycleDeps, fx: Effects, now: number): number {
  const due = deps.alerts.dueForStep(now)
  for (const a of due) {
    const wait = deps.ladder(a.siteId, a.priority)[a.escalationStep]?.wait_s ?? 0
    advance(deps, fx, a.id, `nobody accepted within ${wait} s`, now)
  }
  return due.length
}
