import { beforeEach, describe, expect, it } from 'vitest'
import { careHomeConfig, createInMemoryRepositories, lifecycleDepsFor } from '../../../test/contracts/in-memory-repos.js'
import type { NotificationState, Priority } from '../core/alert.js'
import { createEffects, type Effects } from '../core/effects.js'
import { GatewayError } from '../core/errors.js'
import {
  acceptAlert, advanceDue, closeAlert, type LifecycleDeps, type RaiseInput, raiseAlert, reportNotification, resolveAlert, sourceCleared,
} from './alert-service.js'
import { ACCEPTED_REPEAT_WINDOW_MS } from './alert-service.js'
import type { NotificationEvent } from './transitions.js'

// oak-house with no rota, so everyone at the site is on shift: step 1 ("assigned") pages both of p-001's carers.
// The medium ladder is assigned 120 s → team_leader 300 s; low alerts use the default ladder (assigned 60 s → all 60 s).
const T0 = Date.UTC(2026, 10, 28, 2, 15, 35)
const input: RaiseInput = {
  siteId: 'oak-house', personId: 'p-001', deviceId: 'bed-r12', ruleId: 'bed-exit-night', ruleVersion: 'abc123def456', conditionKey: 'p-001/bed-exit-night',
  kind: 'care', alertClass: 'BED EXIT', priority: 'medium', triggerEventSeq: 7, reason: 'not back in bed within 90 s',
}

let repos: ReturnType<typeof createInMemoryRepositories>
let deps: LifecycleDeps
let fx: Effects

beforeEach(() => {
  repos = createInMemoryRepositories()
  deps = lifecycleDepsFor(repos, careHomeConfig({ rota: [] }))
  fx = createEffects()
})

function thrown(run: () => unknown): GatewayError {
  try {
    run()
  } catch (err) {
    if (err instanceof GatewayError) return err
    throw err
  }
  throw new Error('expected a GatewayError')
}

/** Raise, then move each recipient's notification through the given driver/device events. */
function raiseAndReport(moves: Record<string, readonly NotificationEvent[]> = {}, priority: Priority = 'medium') {
  const alert = raiseAlert(deps, createEffects(), { ...input, priority }, T0)
  for (const n of repos.notifications.forAlert(alert.id)) for (const e of moves[n.userId] ?? []) reportNotification(deps, createEffects(), n.id, e, T0 + 1000)
  return alert
}
const stateOf = (alertId: string) => Object.fromEntries(repos.notifications.forAlert(alertId).map((n) => [`${n.pagerId}#${n.attempt}`, n.state]))
const transitions = (alertId: string) => repos.audit.rows.filter((r) => r.alertId === alertId && r.kind === 'alert.transition').map((r) => `${String(r.detail.from)}→${String(r.detail.to)}`)
const snapshot = (alertId: string) => ({ alert: repos.alerts.get(alertId), audit: repos.audit.rows.length, pages: stateOf(alertId) })

describe('raiseAlert', () => {
  it('creates one active alert, pages the first step of its ladder and sets the deadline to that step’s wait', () => {
    const alert = raiseAlert(deps, fx, input, T0)
    expect(alert).toMatchObject({ id: 'al-1', state: 'active', personId: 'p-001', priority: 'medium', triggerCount: 1, acceptedBy: null, raisedAt: T0, escalationStep: 0, nextStepAt: T0 + 120_000 })
    const notifications = repos.notifications.forAlert(alert.id)
    expect(notifications.map((n) => ({ user: n.userId, pager: n.pagerId, state: n.state, text: n.text, attempt: n.attempt }))).toEqual([
      { user: 'c-amy', pager: 'soft-amy', state: 'queued', text: 'R12 BED EXIT', attempt: 1 },
      { user: 'c-bob', pager: 'soft-bob', state: 'queued', text: 'R12 BED EXIT', attempt: 1 },
    ])
    expect(fx.notificationsToSend).toEqual(notifications.map((n) => n.id))
    expect([...fx.alertsChanged]).toEqual([alert.id])
    expect(fx.timersChanged).toBe(true)
  })

  it('audits the raise, each queued notification and the activation, in that order', () => {
    const alert = raiseAlert(deps, fx, input, T0)
    const rows = repos.audit.forAlert(alert.id).map((r) => ({ kind: r.kind, actor: r.actor, from: r.detail.from, to: r.detail.to, event: r.detail.event ?? null, user: r.detail.user_id ?? null }))
    expect(rows).toEqual([
      { kind: 'alert.transition', actor: 'rule:bed-exit-night', from: null, to: 'new', event: 'raise', user: null },
      { kind: 'notification.transition', actor: 'gateway', from: null, to: 'queued', event: null, user: 'c-amy' },
      { kind: 'notification.transition', actor: 'gateway', from: null, to: 'queued', event: null, user: 'c-bob' },
      { kind: 'alert.transition', actor: 'gateway', from: 'new', to: 'active', event: 'activate', user: null },
    ])
    expect(repos.audit.rows[0]!.detail).toMatchObject({ rule_version: 'abc123def456', reason: 'not back in bed within 90 s', priority: 'medium', alert_class: 'BED EXIT' })
    expect(repos.audit.rows[1]!.detail).toMatchObject({ step: 1, attempt: 1, pager_id: 'soft-amy', text: 'R12 BED EXIT' })
    expect(repos.audit.rows[3]!.detail).toMatchObject({ step: 1, recipients: ['c-amy', 'c-bob'] })
  })

  it('audits a pager text cut to the pager’s max_length with both lengths', () => {
    const cfg = careHomeConfig({ rota: [] })
    deps = lifecycleDepsFor(repos, { ...cfg, pagers: cfg.pagers.map((p) => (p.id === 'soft-amy' ? { ...p, max_length: 8 } : p)) })
    const alert = raiseAlert(deps, fx, input, T0)
    expect(repos.notifications.forAlert(alert.id).map((n) => n.text)).toEqual(['R12 BED ', 'R12 BED EXIT'])
    expect(repos.audit.rows.filter((r) => r.kind === 'pager.text_truncated').map((r) => r.detail)).toEqual([{ notification_id: 'nt-2', pager_id: 'soft-amy', full_length: 12, sent_length: 8 }])
  })

  it('a repeat trigger for the same condition while open updates trigger_count and neither pages again nor moves the deadline', () => {
    const first = raiseAlert(deps, createEffects(), input, T0)
    const second = raiseAlert(deps, fx, { ...input, triggerEventSeq: 9 }, T0 + 60_000)
    const third = raiseAlert(deps, createEffects(), input, T0 + 90_000)
    expect(second).toMatchObject({ id: first.id, triggerCount: 2, updatedAt: T0 + 60_000, state: 'active', nextStepAt: T0 + 120_000 })
    expect(third.triggerCount).toBe(3)
    expect(repos.alerts.list({ limit: 10 })).toHaveLength(1)
    expect(repos.notifications.forAlert(first.id)).toHaveLength(2)
    expect(fx.notificationsToSend).toEqual([])
    expect(repos.audit.rows.filter((r) => r.kind === 'alert.repeat').map((r) => [r.detail.trigger_count, r.detail.paged_again])).toEqual([[2, false], [3, false]])
    expect(transitions(first.id)).toEqual(['null→new', 'new→active'])
  })

  it('a realert while nobody has accepted re-pages the current step, expiring each recipient’s previous page', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'] })
    raiseAlert(deps, fx, { ...input, realert: true, reason: 'still out of bed' }, T0 + 100_000)
    expect(stateOf(alert.id)).toEqual({ 'soft-amy#1': 'expired', 'soft-bob#1': 'expired', 'soft-amy#2': 'queued', 'soft-bob#2': 'queued' })
    expect(fx.notificationsToSend).toHaveLength(2)
    expect(repos.alerts.get(alert.id)).toMatchObject({ state: 'active', escalationStep: 0, triggerCount: 2 })
    expect(repos.audit.rows.filter((r) => r.kind === 'alert.repeat').map((r) => r.detail)).toEqual([{ trigger_count: 2, reason: 'still out of bed', realert: true, paged_again: true }])
    expect(repos.audit.rows.filter((r) => r.detail.to === 'expired').map((r) => r.detail.reason)).toEqual(['superseded by step 1', 'superseded by step 1'])
  })

  it('a realert after someone accepted counts the trigger but pages nobody', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'] })
    acceptAlert(deps, createEffects(), alert.id, 'c-amy', 'soft_pager', T0 + 5000)
    const pages = stateOf(alert.id)
    expect(raiseAlert(deps, fx, { ...input, realert: true }, T0 + 100_000)).toMatchObject({ state: 'acknowledged', triggerCount: 2, nextStepAt: null })
    expect(stateOf(alert.id)).toEqual(pages)
    expect(fx.notificationsToSend).toEqual([])
  })

  it.each(['resolved', 'cancelled', 'closed'] as const)('after the alert is %s, the same condition raises a new alert', (state) => {
    const first = raiseAlert(deps, createEffects(), input, T0)
    repos.alerts.update(first.id, { state })
    const next = raiseAlert(deps, fx, input, T0 + 60_000)
    expect(next.id).not.toBe(first.id)
    expect(next).toMatchObject({ state: 'active', triggerCount: 1 })
    expect(fx.notificationsToSend).toHaveLength(2)
  })
})

describe('acceptAlert', () => {
  it.each<{ amy: NotificationEvent[]; bob: NotificationEvent[]; expected: Record<string, NotificationState> }>([
    { amy: ['send'], bob: ['send'], expected: { 'soft-amy#1': 'accepted', 'soft-bob#1': 'cancelled' } },
    { amy: ['send', 'deliver'], bob: [], expected: { 'soft-amy#1': 'accepted', 'soft-bob#1': 'cancelled' } },
    { amy: ['send', 'read'], bob: ['send', 'deliver'], expected: { 'soft-amy#1': 'accepted', 'soft-bob#1': 'cancelled' } },
    { amy: ['send'], bob: ['fail'], expected: { 'soft-amy#1': 'accepted', 'soft-bob#1': 'failed', 'phone-bob#1': 'cancelled' } },
    { amy: [], bob: ['send'], expected: { 'soft-amy#1': 'cancelled', 'soft-bob#1': 'cancelled' } },
  ])('amy accepting after amy=$amy bob=$bob leaves the pages $expected', ({ amy, bob, expected }) => {
    const alert = raiseAndReport({ 'c-amy': amy, 'c-bob': bob })
    const accepted = acceptAlert(deps, fx, alert.id, 'c-amy', 'soft_pager', T0 + 30_000)
    expect(accepted).toMatchObject({ state: 'acknowledged', acceptedBy: 'c-amy', acceptedAt: T0 + 30_000, nextStepAt: null })
    expect(repos.alerts.get(alert.id)).toEqual(accepted)
    expect(stateOf(alert.id)).toEqual(expected)
    expect([...fx.alertsChanged]).toEqual([alert.id])
  })

  it('audits the accept with the carer as actor and the channel, and cancels the others’ pages naming who is attending', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'], 'c-bob': ['send'] })
    acceptAlert(deps, fx, alert.id, 'c-amy', 'dashboard', T0 + 30_000)
    const rows = repos.audit.forAlert(alert.id).filter((r) => r.at === T0 + 30_000)
    expect(rows.map((r) => [r.kind, r.actor, r.detail.to])).toEqual([
      ['alert.transition', 'user:c-amy', 'acknowledged'],
      ['notification.transition', 'user:c-amy', 'accepted'],
      ['notification.transition', 'gateway', 'cancelled'],
    ])
    expect(rows[0]!.detail).toMatchObject({ from: 'active', event: 'accept', via: 'dashboard' })
    expect(rows[2]!.detail).toMatchObject({ user_id: 'c-bob', reason: 'c-amy is attending' })
  })

  it('a team leader may accept an alert paged to others; every page is then cancelled', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'], 'c-bob': ['send'] })
    expect(acceptAlert(deps, fx, alert.id, 'tl-kim', 'api', T0 + 30_000).acceptedBy).toBe('tl-kim')
    expect(stateOf(alert.id)).toEqual({ 'soft-amy#1': 'cancelled', 'soft-bob#1': 'cancelled' })
  })

  it.each(['c-bob', 'tl-kim', 'c-amy'])('a second accept (by %s) throws GW_ERR_LIFECYCLE_ALREADY_ACCEPTED naming c-amy and changes nothing', (second) => {
    const alert = raiseAndReport({ 'c-amy': ['send'], 'c-bob': ['send'] })
    acceptAlert(deps, createEffects(), alert.id, 'c-amy', 'soft_pager', T0 + 30_000)
    const before = snapshot(alert.id)
    const err = thrown(() => acceptAlert(deps, fx, alert.id, second, 'soft_pager', T0 + 31_000))
    expect(err).toMatchObject({ code: 'GW_ERR_LIFECYCLE_ALREADY_ACCEPTED', status: 409, details: { accepted_by: 'c-amy', accepted_at: T0 + 30_000 } })
    expect(err.message).toBe(`alert '${alert.id}' was already accepted by c-amy`)
    expect(snapshot(alert.id)).toEqual(before)
  })

  it.each(['c-dan', 'c-cat', 'nobody'])('%s, neither responsible for p-001 nor paged for the alert, gets GW_ERR_LIFECYCLE_NOT_RECIPIENT and nothing changes', (user) => {
    const alert = raiseAndReport({ 'c-amy': ['send'] })
    const before = snapshot(alert.id)
    const err = thrown(() => acceptAlert(deps, fx, alert.id, user, 'soft_pager', T0 + 30_000))
    expect(err).toMatchObject({ code: 'GW_ERR_LIFECYCLE_NOT_RECIPIENT', status: 403, message: `user '${user}' is not responsible for alert '${alert.id}'` })
    expect(snapshot(alert.id)).toEqual(before)
    expect(fx.alertsChanged.size).toBe(0)
  })

  it('an unknown alert id gets GW_ERR_ALERT_NOT_FOUND naming the id', () => {
    expect(thrown(() => acceptAlert(deps, fx, 'al-nope', 'c-amy', 'api', T0))).toMatchObject({ code: 'GW_ERR_ALERT_NOT_FOUND', status: 404, message: "no alert 'al-nope'" })
  })

  it.each(['resolved', 'cancelled', 'closed'] as const)('accepting a %s alert is refused as an invalid transition', (state) => {
    const alert = raiseAndReport()
    repos.alerts.update(alert.id, { state })
    expect(thrown(() => acceptAlert(deps, fx, alert.id, 'c-amy', 'api', T0 + 30_000))).toMatchObject({ code: 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', message: `alert '${alert.id}' cannot 'accept' from state '${state}'` })
  })
})

describe('sourceCleared', () => {
  it.each(['low', 'medium'] as const)('cancels a %s alert nobody accepted: pages cancelled, no deadline, nothing escalates later', (priority) => {
    const alert = raiseAndReport({ 'c-amy': ['send', 'deliver'] }, priority)
    const cleared = sourceCleared(deps, fx, input.conditionKey, 'back in bed', T0 + 20_000)
    expect(cleared).toMatchObject({ id: alert.id, state: 'cancelled', nextStepAt: null })
    expect(stateOf(alert.id)).toEqual({ 'soft-amy#1': 'cancelled', 'soft-bob#1': 'cancelled' })
    expect(repos.audit.rows.filter((r) => r.detail.to === 'cancelled').map((r) => [r.kind, r.detail.reason])).toEqual([
      ['alert.transition', 'source cleared before anyone attended: back in bed'],
      ['notification.transition', 'source cleared'],
      ['notification.transition', 'source cleared'],
    ])
    expect(advanceDue(deps, createEffects(), T0 + 3_600_000)).toBe(0)
    expect(transitions(alert.id)).toEqual(['null→new', 'new→active', 'active→cancelled'])
  })

  it('keeps a high alert open and escalating, recording the clearing with kept_open', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'] }, 'high')
    const before = stateOf(alert.id)
    expect(sourceCleared(deps, fx, input.conditionKey, 'seizure ended', T0 + 20_000)).toMatchObject({ state: 'active', nextStepAt: T0 + 60_000 })
    expect(stateOf(alert.id)).toEqual(before)
    expect(repos.audit.rows.filter((r) => r.kind === 'alert.source_cleared').map((r) => r.detail)).toEqual([{ state: 'active', priority: 'high', kept_open: true, reason: 'seizure ended' }])
    expect(advanceDue(deps, createEffects(), T0 + 60_000)).toBe(1)
    expect(repos.alerts.get(alert.id)).toMatchObject({ state: 'escalated', escalationStep: 1 })
  })

  it('leaves an accepted medium alert acknowledged (the carer is on the way) and records the clearing', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'] })
    acceptAlert(deps, createEffects(), alert.id, 'c-amy', 'soft_pager', T0 + 5000)
    expect(sourceCleared(deps, fx, input.conditionKey, 'back in bed', T0 + 20_000)).toMatchObject({ state: 'acknowledged', acceptedBy: 'c-amy' })
    expect(repos.audit.rows.at(-1)).toMatchObject({ kind: 'alert.source_cleared', detail: { state: 'acknowledged', kept_open: true } })
  })

  it.each([
    { name: 'within ACCEPTED_REPEAT_WINDOW_MS of the accept it is a repeat of the accepted alert (no page)', after: ACCEPTED_REPEAT_WINDOW_MS - 1, newAlert: false },
    { name: 'from ACCEPTED_REPEAT_WINDOW_MS after the accept it is a new incident: a new alert, paged', after: ACCEPTED_REPEAT_WINDOW_MS, newAlert: true },
    { name: 'a rule\'s re-alert ("still out of bed") is never a new incident, however long after the accept', after: 3_600_000, newAlert: false, realert: true },
  ])('a trigger on an accepted alert: $name', ({ after, newAlert, realert }) => {
    const alert = raiseAndReport({ 'c-amy': ['send'] }, 'high')
    acceptAlert(deps, createEffects(), alert.id, 'c-amy', 'pager_status', T0 + 5000)
    const again = raiseAlert(deps, createEffects(), { ...input, priority: 'high', realert: realert === true }, T0 + 5000 + after)
    expect(again.id !== alert.id).toBe(newAlert)
    expect(repos.alerts.get(alert.id)).toMatchObject({ state: 'acknowledged', triggerCount: newAlert ? 1 : 2 })
    if (!newAlert) return
    expect(again).toMatchObject({ state: 'active', triggerCount: 1, escalationStep: 0 })
    expect(repos.notifications.forAlert(again.id).length).toBeGreaterThan(0)
    expect(repos.audit.rows.find((r) => r.alertId === again.id && r.detail.event === 'raise')?.detail.reason).toMatch(new RegExp(`a new incident: alert ${alert.id} was accepted by c-amy 10 min ago and is not closed$`))
    // The newest open alert of the condition is the new one; the accepted one still waits for its outcome.
    expect(repos.alerts.findOpenByCondition(input.conditionKey)?.id).toBe(again.id)
    expect(closeAlert(deps, createEffects(), alert.id, 'c-amy', 'real', null, T0 + 7_300_000)).toMatchObject({ state: 'closed' })
  })

  it('returns null and writes nothing for a condition with no open alert', () => {
    expect(sourceCleared(deps, fx, 'p-001/nothing', 'back in bed', T0)).toBeNull()
    expect(repos.audit.rows).toEqual([])
  })
})

describe('resolveAlert and closeAlert', () => {
  it('closing an acknowledged alert resolves it first: two audit rows, outcome and note recorded', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'] })
    acceptAlert(deps, createEffects(), alert.id, 'c-amy', 'soft_pager', T0 + 5000)
    const closed = closeAlert(deps, fx, alert.id, 'c-amy', 'false_alarm', 'sensor knocked', T0 + 600_000)
    expect(closed).toMatchObject({ state: 'closed', resolvedBy: 'c-amy', resolvedAt: T0 + 600_000, closedBy: 'c-amy', closedAt: T0 + 600_000, outcome: 'false_alarm', outcomeNote: 'sensor knocked', nextStepAt: null })
    const rows = repos.audit.rows.filter((r) => r.at === T0 + 600_000)
    expect(rows.map((r) => [r.kind, r.actor, r.detail.from, r.detail.to, r.detail.event])).toEqual([
      ['alert.transition', 'user:c-amy', 'acknowledged', 'resolved', 'resolve'],
      ['alert.transition', 'user:c-amy', 'resolved', 'closed', 'close'],
    ])
    expect(rows[1]!.detail).toMatchObject({ outcome: 'false_alarm', note: 'sensor knocked' })
  })

  it('closes a resolved alert with one audit row', () => {
    const alert = raiseAndReport()
    acceptAlert(deps, createEffects(), alert.id, 'c-bob', 'api', T0 + 5000)
    expect(resolveAlert(deps, createEffects(), alert.id, 'c-bob', T0 + 60_000)).toMatchObject({ state: 'resolved', resolvedBy: 'c-bob' })
    expect(closeAlert(deps, fx, alert.id, 'tl-kim', 'real', null, T0 + 90_000)).toMatchObject({ state: 'closed', closedBy: 'tl-kim', outcome: 'real' })
    expect(transitions(alert.id)).toEqual(['null→new', 'new→active', 'active→acknowledged', 'acknowledged→resolved', 'resolved→closed'])
  })

  it('closes a cancelled alert (source cleared) with an outcome, as a human close-out', () => {
    const alert = raiseAndReport()
    sourceCleared(deps, createEffects(), input.conditionKey, 'back in bed', T0 + 20_000)
    expect(closeAlert(deps, fx, alert.id, 'c-bob', 'test', null, T0 + 90_000)).toMatchObject({ state: 'closed', outcome: 'test' })
    expect(transitions(alert.id).at(-1)).toBe('cancelled→closed')
  })

  it.each(['active', 'escalated', 'closed'] as const)('closing a %s alert is refused with GW_ERR_LIFECYCLE_INVALID_TRANSITION and changes nothing', (state) => {
    const alert = raiseAndReport()
    repos.alerts.update(alert.id, { state })
    const before = snapshot(alert.id)
    expect(thrown(() => closeAlert(deps, fx, alert.id, 'c-amy', 'real', null, T0 + 90_000))).toMatchObject({ code: 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', message: `alert '${alert.id}' cannot 'close' from state '${state}'` })
    expect(snapshot(alert.id)).toEqual(before)
  })

  it('resolving an alert nobody accepted is refused', () => {
    const alert = raiseAndReport()
    expect(thrown(() => resolveAlert(deps, fx, alert.id, 'c-amy', T0 + 1000)).code).toBe('GW_ERR_LIFECYCLE_INVALID_TRANSITION')
  })

  it('a user not responsible for the person may not close', () => {
    const alert = raiseAndReport()
    sourceCleared(deps, createEffects(), input.conditionKey, 'back in bed', T0 + 20_000)
    expect(thrown(() => closeAlert(deps, fx, alert.id, 'c-dan', 'real', null, T0 + 90_000)).code).toBe('GW_ERR_LIFECYCLE_NOT_RECIPIENT')
    expect(repos.alerts.get(alert.id)!.state).toBe('cancelled')
  })
})
