import type { Alert, Notification, NotificationState } from '../core/alert.js'
import type { Effects } from '../core/effects.js'
import type { LifecycleDeps } from './deps.js'
import { nextAlertState, nextNotificationState } from './transitions.js'

/** Notification states in which a page is still waiting for an answer. */
export const openNotificationStates: readonly NotificationState[] = ['queued', 'sent', 'delivered', 'read']

/** Alert states in which the ladder runs. */
export const escalatingStates = ['new', 'active', 'escalated'] as const

/**
 * Page the recipients of ladder step `index` (or the next step that has any), supersede their earlier
 * pages for this alert, and set the deadline for the following step. The last step repeats, so an alert
 * that nobody accepts always has a next step.
 */
export function runStep(deps: LifecycleDeps, fx: Effects, alert: Alert, index: number, now: number, opts: { keepDeadline?: boolean } = {}): { step: number; recipients: readonly string[] } {
  const steps = deps.ladder(alert.siteId, alert.priority)
  const last = steps.length - 1
  let i = Math.min(index, last)
  let users = deps.recipients(steps[i]!.to, alert.personId, alert.siteId, now)
  while (users.length === 0 && i < last) {
    deps.audit.append({ at: now, kind: 'escalation.step_skipped', actor: 'gateway', alertId: alert.id, personId: alert.personId, detail: { step: i + 1, to: steps[i]!.to, reason: 'nobody to page for this step now (rota)' } })
    i++
    users = deps.recipients(steps[i]!.to, alert.personId, alert.siteId, now)
  }
  const existing = deps.notifications.forAlert(alert.id)
  const attempt = 1 + Math.max(0, ...existing.map((n) => n.attempt))
  for (const n of existing) if (users.includes(n.userId) && openNotificationStates.includes(n.state)) transitionNotification(deps, n, 'expire', now, { actor: 'gateway', reason: `superseded by step ${i + 1}` })
  const base = { at: now, actor: 'gateway', alertId: alert.id, personId: alert.personId, deviceId: alert.deviceId, eventSeq: alert.triggerEventSeq }
  for (const p of deps.plan(alert.personId, alert.subject, alert.alertClass, users)) {
    const n = queuedNotification(deps, alert.id, p, attempt, now)
    deps.notifications.insert(n)
    deps.audit.append({ ...base, kind: 'notification.transition', detail: { notification_id: n.id, user_id: p.userId, pager_id: p.pagerId, protocol: p.protocol, attempt, step: i + 1, from: null, to: 'queued', text: p.text } })
    if (p.truncatedFrom !== null) deps.audit.append({ ...base, kind: 'pager.text_truncated', detail: { notification_id: n.id, pager_id: p.pagerId, full_length: p.truncatedFrom.length, sent_length: p.text.length } })
    fx.notificationsToSend.push(n.id)
    fx.pages.push({ alert, notification: n })
  }
  // A re-page of the same step (a rule's re-alert) must not push the step's deadline back: otherwise a
  // condition that re-alerts more often than the wait would never escalate.
  const nextStepAt = opts.keepDeadline && alert.nextStepAt !== null ? alert.nextStepAt : now + steps[i]!.wait_s * 1000
  deps.alerts.update(alert.id, { escalationStep: i, nextStepAt, updatedAt: now })
  fx.alertsChanged.add(alert.id)
  fx.timersChanged = true
  return { step: i, recipients: users }
}

/** A new page for `alert`, queued: to whom, on which pager and with what text as planned. */
export function queuedNotification(deps: Pick<LifecycleDeps, 'newId'>, alertId: string, p: Pick<Notification, 'userId' | 'pagerId' | 'protocol' | 'text'>, attempt: number, now: number): Notification {
  return { id: deps.newId('nt'), alertId, userId: p.userId, pagerId: p.pagerId, protocol: p.protocol, attempt, state: 'queued', text: p.text, createdAt: now, updatedAt: now }
}

/**
 * Every step's pages for an alert at once, planned and not stored: what is paged while the store refuses writes
 * (compose/unstored-routing.ts). With no stored deadline the ladder cannot escalate, so every step is paged now.
 * One page per carer and pager, however many steps name them.
 */
export function planEveryStep(deps: Pick<LifecycleDeps, 'ladder' | 'recipients' | 'plan' | 'newId'>, alert: Alert, now: number): Notification[] {
  const out: Notification[] = []
  const seen = new Set<string>()
  for (const step of deps.ladder(alert.siteId, alert.priority)) {
    for (const p of deps.plan(alert.personId, alert.subject, alert.alertClass, deps.recipients(step.to, alert.personId, alert.siteId, now))) {
      if (seen.has(`${p.userId}|${p.pagerId}`)) continue
      seen.add(`${p.userId}|${p.pagerId}`)
      out.push(queuedNotification(deps, alert.id, p, 1, now))
    }
  }
  return out
}

/**
 * Move an open alert one step up its ladder, at once (decline, failed page) or at its deadline (timeout).
 * A no-op for an alert that is no longer escalating.
 */
export function advance(deps: LifecycleDeps, fx: Effects, alertId: string, reason: string, now: number, actor = 'gateway'): Alert | null {
  const alert = deps.alerts.get(alertId)
  if (!alert || !(escalatingStates as readonly string[]).includes(alert.state)) return null
  const to = nextAlertState(alert.id, alert.state, 'escalate')
  deps.alerts.update(alert.id, { state: to, updatedAt: now })
  const { step, recipients } = runStep(deps, fx, { ...alert, state: to }, alert.escalationStep + 1, now)
  const steps = deps.ladder(alert.siteId, alert.priority)
  deps.audit.append({ at: now, kind: 'alert.transition', actor, alertId: alert.id, personId: alert.personId, deviceId: alert.deviceId, detail: { from: alert.state, to, event: 'escalate', step: step + 1, target: steps[step]!.to, recipients, repeat: step === alert.escalationStep, reason } })
  return deps.alerts.get(alert.id)
}

/** Move one notification through its state table, with one audit row. */
export function transitionNotification(deps: LifecycleDeps, n: Notification, event: Parameters<typeof nextNotificationState>[2], now: number, detail: Record<string, unknown>): Notification {
  const to = nextNotificationState(n.id, n.state, event)
  deps.notifications.setState(n.id, to, now)
  const { actor, ...rest } = detail
  deps.audit.append({ at: now, kind: 'notification.transition', actor: String(actor ?? 'gateway'), alertId: n.alertId, detail: { notification_id: n.id, user_id: n.userId, pager_id: n.pagerId, protocol: n.protocol, from: n.state, to, event, ...rest } })
  return { ...n, state: to, updatedAt: now }
}

/** True when the table allows `event` from `state`. */
export function canMove(state: NotificationState, event: Parameters<typeof nextNotificationState>[2]): boolean {
  try {
    nextNotificationState('', state, event)
    return true
  } catch {
    return false
  }
}
