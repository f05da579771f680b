import { beforeEach, describe, expect, it } from 'vitest'
import { createInMemoryRepositories } from '../../../test/contracts/in-memory-repos.js'
import type { NotificationState } from '../core/alert.js'
import { createEffects, type Effects } from '../core/effects.js'
import { GatewayError } from '../core/errors.js'
import { acceptAlert, type LifecycleDeps, type NotificationPlan, type RaiseInput, raiseAlert, reportNotification } from './alert-service.js'
import type { NotificationEvent } from './transitions.js'

const T0 = Date.UTC(2026, 10, 28, 2, 15, 35)
const input: RaiseInput = {
  siteId: 'oak-house', personId: 'p-001', deviceId: 'bed-r12', ruleId: 'bed-exit-night', ruleVersion: 'abc123def456', conditionKey: 'p-001/bed-exit-night',
  kind: 'care', alertClass: 'BED EXIT', priority: 'medium', triggerEventSeq: 7, reason: 'not back in bed within 90 s',
}
const plans: NotificationPlan[] = [
  { userId: 'c-amy', pagerId: 'soft-amy', protocol: 'soft', text: 'R12 BED EXIT', truncatedFrom: null },
  { userId: 'c-bob', pagerId: 'soft-bob', protocol: 'soft', text: 'R12 BED EXIT', truncatedFrom: null },
]
/** Who may act for p-001: the two carers and the team leader; c-cat cares for someone else. */
const mayActFor = new Set(['c-amy', 'c-bob', 'tl-kim'])

let repos: ReturnType<typeof createInMemoryRepositories>
let deps: LifecycleDeps
let fx: Effects

beforeEach(() => {
  repos = createInMemoryRepositories()
  let n = 0
  deps = {
    alerts: repos.alerts, notifications: repos.notifications, audit: repos.audit,
    newId: (prefix) => `${prefix}-${++n}`,
    plan: (personId, alertClass) => (personId === 'p-001' && alertClass === 'BED EXIT' ? plans : []),
    mayAct: (userId, personId) => personId === 'p-001' && mayActFor.has(userId),
  }
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
function raiseAndReport(moves: Record<string, readonly NotificationEvent[]> = {}) {
  const alert = raiseAlert(deps, createEffects(), input, T0)
  for (const n of repos.notifications.forAlert(alert.id)) for (const e of moves[n.userId] ?? []) reportNotification(deps, createEffects(), n.id, e, T0 + 1000)
  return alert
}
const stateOf = (alertId: string) => Object.fromEntries(repos.notifications.forAlert(alertId).map((n) => [n.userId, n.state]))

describe('raiseAlert', () => {
  it('creates one active alert with one queued notification per planned recipient', () => {
    const alert = raiseAlert(deps, fx, input, T0)
    expect(alert).toMatchObject({ id: 'al-1', state: 'active', personId: 'p-001', alertClass: 'BED EXIT', priority: 'medium', triggerCount: 1, acceptedBy: null, raisedAt: T0 })
    expect(repos.alerts.list({ limit: 10 })).toEqual([alert])
    const notifications = repos.notifications.forAlert(alert.id)
    expect(notifications.map((n) => ({ user: n.userId, pager: n.pagerId, state: n.state, text: n.text, attempt: n.attempt }))).toEqual([
      { user: 'c-amy', pager: 'soft-amy', state: 'queued', text: 'R12 BED EXIT', attempt: 1 },
      { user: 'c-bob', pager: 'soft-bob', state: 'queued', text: 'R12 BED EXIT', attempt: 1 },
    ])
    expect(fx.notificationsToSend).toEqual(notifications.map((n) => n.id))
    expect([...fx.alertsChanged]).toEqual([alert.id])
  })

  it('audits the raise, each queued notification and the activation', () => {
    const alert = raiseAlert(deps, fx, input, T0)
    const rows = repos.audit.forAlert(alert.id).map((r) => ({ kind: r.kind, actor: r.actor, from: r.detail.from, to: r.detail.to, event: r.detail.event ?? null, user: r.detail.user_id ?? null }))
    expect(rows).toEqual([
      { kind: 'alert.transition', actor: 'rule:bed-exit-night', from: null, to: 'new', event: 'raise', user: null },
      { kind: 'notification.transition', actor: 'gateway', from: null, to: 'queued', event: null, user: 'c-amy' },
      { kind: 'notification.transition', actor: 'gateway', from: null, to: 'queued', event: null, user: 'c-bob' },
      { kind: 'alert.transition', actor: 'gateway', from: 'new', to: 'active', event: 'activate', user: null },
    ])
    expect(repos.audit.rows[0]!.detail).toMatchObject({ rule_version: 'abc123def456', reason: 'not back in bed within 90 s', priority: 'medium', alert_class: 'BED EXIT' })
    expect(repos.audit.rows[3]!.detail).toMatchObject({ recipients: ['c-amy', 'c-bob'] })
  })

  it('audits a truncated pager text with both lengths', () => {
    deps = { ...deps, plan: () => [{ ...plans[0]!, text: 'R12 BED', truncatedFrom: 'R12 BED EXIT' }] }
    raiseAlert(deps, fx, input, T0)
    expect(repos.audit.rows.filter((r) => r.kind === 'pager.text_truncated').map((r) => r.detail)).toEqual([{ notification_id: 'nt-2', pager_id: 'soft-amy', full_length: 12, sent_length: 7 }])
  })

  it('a repeat for the same condition while open updates trigger_count instead of paging again', () => {
    const first = raiseAlert(deps, createEffects(), input, T0)
    const second = raiseAlert(deps, fx, { ...input, triggerEventSeq: 9 }, T0 + 60_000)
    const third = raiseAlert(deps, createEffects(), input, T0 + 120_000)
    expect(second).toMatchObject({ id: first.id, triggerCount: 2, updatedAt: T0 + 60_000, state: 'active' })
    expect(third.triggerCount).toBe(3)
    expect(repos.alerts.list({ limit: 10 })).toHaveLength(1)
    expect(repos.alerts.get(first.id)!.triggerCount).toBe(3)
    expect(repos.notifications.forAlert(first.id)).toHaveLength(2)
    expect(fx.notificationsToSend).toEqual([])
    expect(repos.audit.rows.filter((r) => r.kind === 'alert.repeat').map((r) => r.detail.trigger_count)).toEqual([2, 3])
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
    { amy: ['send'], bob: ['send'], expected: { 'c-amy': 'accepted', 'c-bob': 'cancelled' } },
    { amy: ['send', 'deliver'], bob: [], expected: { 'c-amy': 'accepted', 'c-bob': 'cancelled' } },
    { amy: ['send', 'read'], bob: ['send', 'deliver'], expected: { 'c-amy': 'accepted', 'c-bob': 'cancelled' } },
    { amy: ['send'], bob: ['fail'], expected: { 'c-amy': 'accepted', 'c-bob': 'failed' } },
    { amy: [], bob: ['send'], expected: { 'c-amy': 'cancelled', 'c-bob': 'cancelled' } },
  ])('amy accepting after amy=$amy bob=$bob leaves notifications $expected', ({ amy, bob, expected }) => {
    const alert = raiseAndReport({ 'c-amy': amy, 'c-bob': bob })
    const accepted = acceptAlert(deps, fx, alert.id, 'c-amy', 'soft_pager', T0 + 30_000)
    expect(accepted).toMatchObject({ state: 'acknowledged', acceptedBy: 'c-amy', acceptedAt: T0 + 30_000 })
    expect(repos.alerts.get(alert.id)).toMatchObject({ state: 'acknowledged', acceptedBy: 'c-amy', acceptedAt: T0 + 30_000 })
    expect(stateOf(alert.id)).toEqual(expected)
    expect([...fx.alertsChanged]).toEqual([alert.id])
  })

  it('audits the accept with the carer as actor and the channel', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'], 'c-bob': ['send'] })
    acceptAlert(deps, fx, alert.id, 'c-amy', 'dashboard', T0 + 30_000)
    const rows = repos.audit.forAlert(alert.id).filter((r) => r.at === T0 + 30_000)
    expect(rows.map((r) => [r.kind, r.actor, r.detail.to])).toEqual([
      ['alert.transition', 'user:c-amy', 'acknowledged'],
      ['notification.transition', 'user:c-amy', 'accepted'],
      ['notification.transition', 'gateway', 'cancelled'],
    ])
    expect(rows[0]!.detail).toMatchObject({ from: 'active', event: 'accept', via: 'dashboard' })
    expect(rows[2]!.detail).toMatchObject({ reason: 'accepted by c-amy' })
  })

  it('a team leader may accept an alert paged to others; every page is then cancelled', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'], 'c-bob': ['send'] })
    expect(acceptAlert(deps, fx, alert.id, 'tl-kim', 'api', T0 + 30_000).acceptedBy).toBe('tl-kim')
    expect(stateOf(alert.id)).toEqual({ 'c-amy': 'cancelled', 'c-bob': 'cancelled' })
  })

  it.each(['c-bob', 'tl-kim'])('a second accept by someone else (%s) throws GW_ERR_LIFECYCLE_ALREADY_ACCEPTED naming the first carer and changes nothing', (second) => {
    const alert = raiseAndReport({ 'c-amy': ['send'], 'c-bob': ['send'] })
    acceptAlert(deps, createEffects(), alert.id, 'c-amy', 'soft_pager', T0 + 30_000)
    const before = { alert: repos.alerts.get(alert.id), audit: repos.audit.rows.length, notes: stateOf(alert.id) }
    const err = thrown(() => acceptAlert(deps, fx, alert.id, second, 'soft_pager', T0 + 31_000))
    expect(err).toMatchObject({ code: 'GW_ERR_LIFECYCLE_ALREADY_ACCEPTED', status: 409, details: { accepted_by: 'c-amy', accepted_at: T0 + 30_000 } })
    expect(err.message).toBe(`alert '${alert.id}' was already accepted by c-amy`)
    expect({ alert: repos.alerts.get(alert.id), audit: repos.audit.rows.length, notes: stateOf(alert.id) }).toEqual(before)
  })

  it('a user not responsible for the person gets GW_ERR_LIFECYCLE_NOT_RECIPIENT and nothing changes', () => {
    const alert = raiseAndReport({ 'c-amy': ['send'] })
    const before = { alert: repos.alerts.get(alert.id), audit: repos.audit.rows.length }
    const err = thrown(() => acceptAlert(deps, fx, alert.id, 'c-cat', 'soft_pager', T0 + 30_000))
    expect(err).toMatchObject({ code: 'GW_ERR_LIFECYCLE_NOT_RECIPIENT', status: 403 })
    expect(err.message).toBe(`user 'c-cat' is not responsible for alert '${alert.id}'`)
    expect({ alert: repos.alerts.get(alert.id), audit: repos.audit.rows.length }).toEqual(before)
    expect(fx.alertsChanged.size).toBe(0)
  })

  it('an unknown alert id gets GW_ERR_ALERT_NOT_FOUND naming the id', () => {
    const err = thrown(() => acceptAlert(deps, fx, 'al-nope', 'c-amy', 'api', T0))
    expect(err).toMatchObject({ code: 'GW_ERR_ALERT_NOT_FOUND', status: 404, message: "no alert 'al-nope'" })
  })

  it.each(['resolved', 'cancelled', 'closed'] as const)('accepting a %s alert is refused as an invalid transition', (state) => {
    const alert = raiseAndReport()
    repos.alerts.update(alert.id, { state })
    const err = thrown(() => acceptAlert(deps, fx, alert.id, 'c-amy', 'api', T0 + 30_000))
    expect(err).toMatchObject({ code: 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', message: `alert '${alert.id}' cannot 'accept' from state '${state}'` })
  })
})
