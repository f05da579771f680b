import { beforeEach, describe, expect, it } from 'vitest'
import { careHomeConfig, createInMemoryRepositories, lifecycleDepsFor } from '../../../test/contracts/in-memory-repos.js'
import type { Priority } from '../core/alert.js'
import { createEffects } from '../core/effects.js'
import { acceptAlert, advanceDue, declineAlert, type LifecycleDeps, type RaiseInput, raiseAlert, reportNotification } from './alert-service.js'
import { openNotificationStates } from './escalation.js'

// The shared care home (test/contracts/in-memory-repos.ts). oak-house high ladder: assigned 60 s → on_shift 60 s →
// team_leader 120 s → all 120 s. At NIGHT c-bob (p-001's night carer) and c-cat are on shift; by DAY c-amy and c-cat.
const NIGHT = Date.UTC(2026, 10, 28, 2, 15, 35) // Saturday, GMT
const DAY = Date.UTC(2026, 10, 27, 10, 0, 0) // Friday
const s = (n: number) => n * 1000
const input: RaiseInput = {
  siteId: 'oak-house', personId: 'p-001', deviceId: 'bed-r12', ruleId: 'bed-exit', ruleVersion: 'v1', conditionKey: 'p-001/bed-exit',
  kind: 'care', alertClass: 'BED EXIT', priority: 'high', triggerEventSeq: null, reason: 'out of bed',
}

let repos: ReturnType<typeof createInMemoryRepositories>
let deps: LifecycleDeps
beforeEach(() => {
  repos = createInMemoryRepositories()
  deps = lifecycleDepsFor(repos)
})

const raise = (at: number, over: Partial<RaiseInput> = {}) => raiseAlert(deps, createEffects(), { ...input, ...over }, at)
const tick = (at: number) => advanceDue(deps, createEffects(), at)
const alertOf = (id: string) => repos.alerts.get(id)!
const pagedAt = (id: string, at: number) => repos.notifications.forAlert(id).filter((n) => n.createdAt === at).map((n) => n.userId).sort()
const openPages = (id: string) => repos.notifications.forAlert(id).filter((n) => openNotificationStates.includes(n.state)).map((n) => `${n.userId}#${n.attempt}`).sort()
const pageOf = (id: string, user: string) => repos.notifications.forAlert(id).filter((n) => n.userId === user).at(-1)!
const escalations = (id: string) => repos.audit.rows.filter((r) => r.alertId === id && r.detail.event === 'escalate').map((r) => r.detail)
const send = (id: string, user: string) => reportNotification(deps, createEffects(), pageOf(id, user).id, 'send', pageOf(id, user).createdAt)

describe('the ladder climbs on timeouts', () => {
  it('a high alert at night pages the assigned carer on shift, then every carer on shift, then the team leader, then everyone', () => {
    const a = raise(NIGHT)
    expect(pagedAt(a.id, NIGHT)).toEqual(['c-bob'])
    const climb: [number, number, string, string[]][] = [[60, 1, 'on_shift', ['c-bob', 'c-cat']], [120, 2, 'team_leader', ['tl-kim']], [240, 3, 'all', ['c-amy', 'c-bob', 'c-cat', 'tl-kim']]]
    let previousWait = 60
    for (const [at, step, target, users] of climb) {
      expect(tick(NIGHT + s(at) - 1)).toBe(0)
      expect(tick(NIGHT + s(at))).toBe(1)
      expect(pagedAt(a.id, NIGHT + s(at))).toEqual(users)
      expect(escalations(a.id).at(-1)).toMatchObject({ to: 'escalated', step: step + 1, target, recipients: users, repeat: false, reason: `nobody accepted within ${previousWait} s` })
      expect(alertOf(a.id)).toMatchObject({ state: 'escalated', escalationStep: step })
      previousWait = deps.ladder('oak-house', 'high')[step]!.wait_s
      expect(alertOf(a.id).nextStepAt).toBe(NIGHT + s(at) + s(previousWait))
    }
    expect(openPages(a.id)).toEqual(['c-amy#4', 'c-bob#4', 'c-cat#4', 'tl-kim#4'])
  })

  it('re-paging a user supersedes their earlier page: it expires, naming the step', () => {
    const a = raise(NIGHT)
    tick(NIGHT + s(60))
    expect(repos.notifications.forAlert(a.id).map((n) => [n.userId, n.attempt, n.state])).toEqual([['c-bob', 1, 'expired'], ['c-bob', 2, 'queued'], ['c-cat', 2, 'queued']])
    expect(repos.audit.rows.find((r) => r.detail.to === 'expired')!.detail).toMatchObject({ user_id: 'c-bob', event: 'expire', reason: 'superseded by step 2' })
  })

  it('the last step repeats every wait until someone accepts, with one open page per user', () => {
    const a = raise(NIGHT)
    for (const at of [60, 120, 240, 360, 480]) tick(NIGHT + s(at))
    expect(escalations(a.id).map((e) => [e.step, e.repeat])).toEqual([[2, false], [3, false], [4, false], [4, true], [4, true]])
    expect(openPages(a.id)).toEqual(['c-amy#6', 'c-bob#6', 'c-cat#6', 'tl-kim#6'])
    expect(alertOf(a.id)).toMatchObject({ escalationStep: 3, nextStepAt: NIGHT + s(600) })
  })

  it('a deadline found long overdue (after downtime) moves one step, and that step gets its full wait from then', () => {
    const a = raise(NIGHT)
    expect(tick(NIGHT + s(900))).toBe(1)
    expect(alertOf(a.id)).toMatchObject({ escalationStep: 1, nextStepAt: NIGHT + s(960) })
  })

  it('who a step pages is decided when it fires: across the 19:00 shift change the day carer is not paged again', () => {
    const t = Date.UTC(2026, 10, 27, 18, 59, 30)
    const a = raise(t)
    expect(pagedAt(a.id, t)).toEqual(['c-amy'])
    tick(t + s(60))
    expect(pagedAt(a.id, t + s(60))).toEqual(['c-bob', 'c-cat'])
  })

  it('a step with nobody to page now is skipped, audited, and the next step is paged at once', () => {
    const cfg = careHomeConfig()
    deps = lifecycleDepsFor(repos, careHomeConfig({ rota: cfg.rota.filter((r) => r.user !== 'c-bob') }))
    const a = raise(NIGHT)
    expect(repos.audit.rows.filter((r) => r.kind === 'escalation.step_skipped').map((r) => r.detail)).toEqual([{ step: 1, to: 'assigned', reason: 'nobody to page for this step now (rota)' }])
    expect(pagedAt(a.id, NIGHT)).toEqual(['c-cat'])
    expect(alertOf(a.id)).toMatchObject({ state: 'active', escalationStep: 1, nextStepAt: NIGHT + s(60) })
  })

  it.each<[Priority, string, [number, string[]][]]>([
    ['medium', 'p-001/door', [[120, ['tl-kim']], [420, ['tl-kim']]]],
    ['low', 'p-001/battery', [[60, ['c-amy', 'c-bob', 'c-cat', 'tl-kim']], [120, ['c-amy', 'c-bob', 'c-cat', 'tl-kim']]]],
  ])('a %s alert follows its own ladder', (priority, conditionKey, steps) => {
    const a = raise(NIGHT, { priority, conditionKey })
    expect(pagedAt(a.id, NIGHT)).toEqual(['c-bob'])
    for (const [at, users] of steps) {
      expect(tick(NIGHT + s(at) - 1)).toBe(0)
      tick(NIGHT + s(at))
      expect(pagedAt(a.id, NIGHT + s(at))).toEqual(users)
    }
  })

  it('each site has its own ladder: elm-court pages everyone there every 30 s', () => {
    const a = raise(NIGHT, { siteId: 'elm-court', personId: 'p-003', conditionKey: 'p-003/fall' })
    expect(pagedAt(a.id, NIGHT)).toEqual(['c-dan', 'tl-kim'])
    expect(tick(NIGHT + s(30))).toBe(1)
    expect(pagedAt(a.id, NIGHT + s(30))).toEqual(['c-dan', 'tl-kim'])
  })
})

describe('answers and failed pages move the ladder at once', () => {
  it.each([
    ['c-amy declines', (id: string) => declineAlert(deps, createEffects(), id, 'c-amy', 'soft_pager', DAY + s(10)), 'rejected', 'declined by c-amy', 'user:c-amy'],
    ['the page to c-amy fails', (id: string) => reportNotification(deps, createEffects(), pageOf(id, 'c-amy').id, 'fail', DAY + s(10)), 'failed', 'page to c-amy on soft-amy failed', 'gateway'],
    ['the page to c-amy is undeliverable', (id: string) => reportNotification(deps, createEffects(), pageOf(id, 'c-amy').id, 'undeliverable', DAY + s(10)), 'undeliverable', 'page to c-amy on soft-amy undeliverable', 'gateway'],
  ] as const)('when %s, step 2 is paged at that moment and gets its full wait', (_what, act, pageState, reason, actor) => {
    const a = raise(DAY)
    send(a.id, 'c-amy')
    act(a.id)
    expect(repos.notifications.forAlert(a.id).map((n) => [n.userId, n.attempt, n.state])).toEqual([['c-amy', 1, pageState], ['c-amy', 2, 'queued'], ['c-cat', 2, 'queued']])
    expect(alertOf(a.id)).toMatchObject({ state: 'escalated', escalationStep: 1, nextStepAt: DAY + s(70) })
    expect(repos.audit.rows.filter((r) => r.detail.event === 'escalate').map((r) => [r.actor, r.detail.reason, r.at])).toEqual([[actor, reason, DAY + s(10)]])
  })

  it('a failed page to a pager with a fallback is re-sent there first; a failure there moves the ladder on', () => {
    const a = raise(NIGHT)
    reportNotification(deps, createEffects(), pageOf(a.id, 'c-bob').id, 'fail', NIGHT + s(5))
    expect(repos.notifications.forAlert(a.id).map((n) => [n.pagerId, n.attempt, n.state])).toEqual([['soft-bob', 1, 'failed'], ['phone-bob', 1, 'queued']])
    expect(repos.audit.rows.at(-1)!.detail).toMatchObject({ pager_id: 'phone-bob', to: 'queued', failover_from: 'soft-bob' })
    expect(alertOf(a.id)).toMatchObject({ state: 'active', escalationStep: 0, nextStepAt: NIGHT + s(60) })
    reportNotification(deps, createEffects(), pageOf(a.id, 'c-bob').id, 'fail', NIGHT + s(8))
    expect(alertOf(a.id)).toMatchObject({ state: 'escalated', escalationStep: 1, nextStepAt: NIGHT + s(68) })
  })

  it('a pager whose line is down is paged on its fallback from the start', () => {
    deps = lifecycleDepsFor(repos, careHomeConfig(), undefined, (pagerId) => pagerId !== 'soft-bob')
    const a = raise(NIGHT)
    expect(repos.notifications.forAlert(a.id).map((n) => n.pagerId)).toEqual(['phone-bob'])
  })
})

describe('the first accept stops the ladder', () => {
  it('stops escalation (nextStepAt null) and cancels every other open page with who is attending', () => {
    const a = raise(NIGHT)
    tick(NIGHT + s(60))
    tick(NIGHT + s(120))
    expect(openPages(a.id)).toEqual(['c-bob#2', 'c-cat#2', 'tl-kim#3'])
    send(a.id, 'tl-kim')
    expect(acceptAlert(deps, createEffects(), a.id, 'tl-kim', 'soft_pager', NIGHT + s(150))).toMatchObject({ state: 'acknowledged', acceptedBy: 'tl-kim', nextStepAt: null })
    expect(repos.notifications.forAlert(a.id).filter((n) => n.attempt > 1).map((n) => [n.userId, n.state])).toEqual([['c-bob', 'cancelled'], ['c-cat', 'cancelled'], ['tl-kim', 'accepted']])
    expect(repos.audit.rows.filter((r) => r.detail.to === 'cancelled').map((r) => r.detail.reason)).toEqual(['tl-kim is attending', 'tl-kim is attending'])
    expect(tick(NIGHT + s(3600))).toBe(0)
    expect(escalations(a.id)).toHaveLength(2)
  })

  it('a carer the on_shift step paged, though not assigned to the person, may accept', () => {
    const a = raise(NIGHT)
    tick(NIGHT + s(60))
    expect(acceptAlert(deps, createEffects(), a.id, 'c-cat', 'soft_pager', NIGHT + s(70))).toMatchObject({ state: 'acknowledged', acceptedBy: 'c-cat' })
  })

  it('a carer the ladder never paged and who is not assigned may not answer', () => {
    const a = raise(NIGHT)
    expect(() => declineAlert(deps, createEffects(), a.id, 'c-cat', 'soft_pager', NIGHT + s(5))).toThrow(expect.objectContaining({ code: 'GW_ERR_LIFECYCLE_NOT_RECIPIENT' }))
    expect(alertOf(a.id).escalationStep).toBe(0)
  })

  it('a declined alert that is later accepted stays accepted; a decline after that is refused', () => {
    const a = raise(NIGHT)
    declineAlert(deps, createEffects(), a.id, 'c-bob', 'soft_pager', NIGHT + s(5))
    acceptAlert(deps, createEffects(), a.id, 'c-cat', 'soft_pager', NIGHT + s(6))
    expect(() => declineAlert(deps, createEffects(), a.id, 'c-cat', 'soft_pager', NIGHT + s(7))).toThrow(expect.objectContaining({ code: 'GW_ERR_LIFECYCLE_INVALID_TRANSITION' }))
    expect(openPages(a.id)).toEqual([])
  })
})

describe('re-alerts', () => {
  // A re-alert re-pages the current step but keeps the step's deadline, so a condition that re-alerts more often than
  // the wait (realert_after_s may be 1 s) still climbs: steps at 60, 120, 240, then the last repeating at 360, 480, 600 s.
  it('do not hold the ladder back: a condition re-alerting every 50 s still climbs at each step’s wait', () => {
    const a = raise(NIGHT)
    for (let t = 10; t <= 600; t += 10) {
      if (t % 50 === 0) raise(NIGHT + s(t), { realert: true, reason: 'still out of bed' })
      tick(NIGHT + s(t))
    }
    expect(escalations(a.id).map((e) => e.step)).toEqual([2, 3, 4, 4, 4, 4])
  })
})
