import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { careHomeConfig, createInMemoryRepositories, lifecycleDepsFor, sequentialIds } from '../../../test/contracts/in-memory-repos.js'
import { type AlertOutcome, alertOutcomes, type AlertState, type NotificationState } from '../core/alert.js'
import type { AuditRecord } from '../core/audit.js'
import { createEffects } from '../core/effects.js'
import { type ErrorCode, GatewayError } from '../core/errors.js'
import { ACCEPTED_REPEAT_WINDOW_MS, acceptAlert, advanceDue, closeAlert, declineAlert, type LifecycleDeps, raiseAlert, reportNotification, resolveAlert, sourceCleared } from './alert-service.js'
import { openNotificationStates } from './escalation.js'
import { type NotificationEvent, notificationTransitions } from './transitions.js'

// Model-based test of the alert lifecycle over the shared care home (test/contracts/in-memory-repos.ts), with the real
// ladder, rota, pager and fallback code. Random commands run against a small model; after every command the repositories
// must agree with the model and satisfy the invariants. Time only passes in "time passes", which moves a fake clock in
// 1 s ticks and calls advanceDue at each tick where a deadline is due, as the scheduler does. "restart" rebuilds the
// LifecycleDeps around the same repositories: nothing else survives.

const TICK = 1000
const config = careHomeConfig()
const conditions = [
  { key: 'p-001/bed-exit', personId: 'p-001', priority: 'high', alertClass: 'BED EXIT' },
  { key: 'p-001/door', personId: 'p-001', priority: 'medium', alertClass: 'DOOR' },
  { key: 'p-002/fall', personId: 'p-002', priority: 'low', alertClass: 'FALL' },
] as const
type Condition = (typeof conditions)[number]
const users = ['c-amy', 'c-bob', 'c-cat', 'tl-kim', 'c-dan'] as const

interface ModelAlert {
  readonly id: string
  readonly condition: Condition
  state: AlertState
  step: number
  nextStepAt: number | null
  acceptedBy: string | null
  acceptedAt?: number
  triggerCount: number
  outcome: AlertOutcome | null
  /** alert.transition rows this alert must have (one per transition, escalated → escalated included). */
  transitions: number
}
interface Model { now: number; readonly alerts: ModelAlert[] }
interface Real { readonly repos: ReturnType<typeof createInMemoryRepositories>; deps: LifecycleDeps; session: number }

const escalating = (state: AlertState) => state === 'new' || state === 'active' || state === 'escalated'
const finished = (state: AlertState) => state === 'resolved' || state === 'cancelled' || state === 'closed'
const hasFallback = (pagerId: string) => config.pagers.some((p) => p.id === pagerId && p.fallback !== undefined)

/** The model of runStep: page step `index` (or the next one with anyone to page now) and set its deadline. */
function fire(r: Real, a: ModelAlert, index: number, now: number): void {
  const steps = r.deps.ladder('oak-house', a.condition.priority)
  let i = Math.min(index, steps.length - 1)
  while (i < steps.length - 1 && r.deps.recipients(steps[i]!.to, a.condition.personId, 'oak-house', now).length === 0) i++
  a.step = i
  a.nextStepAt = now + steps[i]!.wait_s * 1000
}
function escalate(r: Real, a: ModelAlert, now: number): void {
  a.state = 'escalated'
  a.transitions++
  fire(r, a, a.step + 1, now)
}
/** Responsible for the person, or paged for this alert by the ladder. */
const mayAnswer = (r: Real, a: ModelAlert, user: string) => r.deps.mayAct(user, a.condition.personId) || r.repos.notifications.forAlert(a.id).some((n) => n.userId === user)

/** A refused command throws the expected code and writes nothing. */
function refused(r: Real, code: ErrorCode, run: () => unknown): GatewayError {
  const before = { rows: r.repos.audit.rows.length, alerts: r.repos.alerts.list({ limit: 10_000 }) }
  let error: unknown = null
  try {
    run()
  } catch (err) {
    error = err
  }
  expect(error).toBeInstanceOf(GatewayError)
  expect((error as GatewayError).code).toBe(code)
  expect({ rows: r.repos.audit.rows.length, alerts: r.repos.alerts.list({ limit: 10_000 }) }).toEqual(before)
  return error as GatewayError
}

/** Every invariant broken after a command, as readable lines (empty when all hold). */
function violations(m: Model, r: Real): string[] {
  const out: string[] = []
  const fail = (what: string) => void out.push(what)
  const rowsOf = new Map<string, AuditRecord[]>()
  for (const row of r.repos.audit.rows) {
    if (!row.alertId) continue
    if (!rowsOf.has(row.alertId)) rowsOf.set(row.alertId, [])
    rowsOf.get(row.alertId)!.push(row)
  }
  if (r.repos.alerts.list({ limit: 10_000 }).length !== m.alerts.length) fail(`stored alerts differ in number from the model's ${m.alerts.length}`)
  for (const a of m.alerts) {
    const real = r.repos.alerts.get(a.id)!
    const rows = rowsOf.get(a.id) ?? []
    const got = { state: real.state, step: real.escalationStep, nextStepAt: real.nextStepAt, acceptedBy: real.acceptedBy, triggerCount: real.triggerCount, outcome: real.outcome }
    const want = { state: a.state, step: a.step, nextStepAt: a.nextStepAt, acceptedBy: a.acceptedBy, triggerCount: a.triggerCount, outcome: a.outcome }
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${a.id}: stored ${JSON.stringify(got)}, model ${JSON.stringify(want)}`)
    // (1) An open alert always has a pending deadline or an acceptance.
    if (escalating(real.state) && real.nextStepAt === null && real.acceptedBy === null) fail(`${a.id}: open (${real.state}) with no deadline and no acceptance`)
    // (4) A closed alert has an outcome.
    if (real.state === 'closed' && !alertOutcomes.includes(real.outcome!)) fail(`${a.id}: closed without an outcome`)
    // (3) One audit row per alert transition: the count the model expects, chained from null to the stored state.
    const transitions = rows.filter((x) => x.kind === 'alert.transition')
    if (transitions.length !== a.transitions) fail(`${a.id}: ${transitions.length} alert.transition rows, expected ${a.transitions}`)
    let state: unknown = null
    for (const t of transitions) {
      if (t.detail.from !== state) fail(`${a.id}: transition row from '${String(t.detail.from)}' follows one to '${String(state)}'`)
      state = t.detail.to
    }
    if (state !== real.state) fail(`${a.id}: audit ends at '${String(state)}', stored state '${real.state}'`)
    // (3) One audit row per notification transition, each allowed by the table, ending at the stored state.
    const pages = r.repos.notifications.forAlert(a.id)
    const pageRows = new Map<unknown, AuditRecord[]>()
    for (const x of rows) if (x.kind === 'notification.transition') pageRows.set(x.detail.notification_id, [...(pageRows.get(x.detail.notification_id) ?? []), x])
    if (pageRows.size !== pages.length) fail(`${a.id}: ${pages.length} notifications but audit rows for ${pageRows.size}`)
    for (const p of pages) {
      let s: NotificationState | null = null
      for (const t of pageRows.get(p.id) ?? []) {
        const allowed = s === null ? 'queued' : notificationTransitions[s][t.detail.event as NotificationEvent]
        if (t.detail.from !== s || t.detail.to !== allowed) fail(`${p.id}: row ${String(t.detail.from)} -${String(t.detail.event)}-> ${String(t.detail.to)} after '${String(s)}'`)
        s = t.detail.to as NotificationState
      }
      if (s !== p.state) fail(`${p.id}: audit ends at '${String(s)}', stored state '${p.state}'`)
    }
    // (5) At most one open page per user per alert; (6) none once the ladder has stopped.
    const open = pages.filter((p) => openNotificationStates.includes(p.state)).map((p) => p.userId)
    if (new Set(open).size !== open.length) fail(`${a.id}: more than one open page for a user: ${open.join(', ')}`)
    if (!escalating(real.state) && open.length > 0) fail(`${a.id}: ${real.state} but pages still open for ${open.join(', ')}`)
    timing(r, a, rows, fail)
  }
  return out
}

/**
 * (2) A timeout fires no earlier than the running step's wait and no later than one tick after it, measured from the
 * step's start: its activation or escalation. A re-alert that re-pages the step does not restart its wait.
 */
function timing(r: Real, a: ModelAlert, rows: readonly AuditRecord[], fail: (what: string) => void): void {
  const steps = r.deps.ladder('oak-house', a.condition.priority)
  let start = 0
  let step = 0
  for (const x of rows) {
    if (x.kind === 'escalation.step_skipped') step = x.detail.step as number
    else if (x.kind === 'alert.transition' && (x.detail.event === 'activate' || x.detail.event === 'escalate')) {
      const waited = x.at - start
      const wait = steps[step]!.wait_s * 1000
      if (String(x.detail.reason).startsWith('nobody accepted within') && (waited < wait || waited > wait + TICK)) fail(`${a.id}: step ${step + 1} timed out after ${waited} ms, its wait is ${wait} ms`)
      start = x.at
      step = (x.detail.step as number) - 1
    }
  }
}

class Cmd implements fc.Command<Model, Real> {
  constructor(readonly label: string, readonly body: (m: Model, r: Real) => void) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): void {
    this.body(m, r)
    expect(violations(m, r)).toEqual([])
  }
  toString(): string {
    return this.label
  }
}

const pick = (m: Model, n: number) => m.alerts[n % Math.max(1, m.alerts.length)]
const condition = fc.constantFrom(...conditions)
const user = fc.constantFrom(...users)
const index = fc.nat(99)

const raise = fc.record({ c: condition, realert: fc.boolean() }).map(({ c, realert }) => new Cmd(`raise ${c.key}${realert ? ' (realert)' : ''}`, (m, r) => {
  // The newest open alert of the condition; one accepted ACCEPTED_REPEAT_WINDOW_MS ago or more takes no repeats.
  const newest = [...m.alerts].reverse().find((a) => a.condition.key === c.key && !finished(a.state))
  const open = !realert && newest?.state === 'acknowledged' && m.now - newest.acceptedAt! >= ACCEPTED_REPEAT_WINDOW_MS ? undefined : newest
  const got = raiseAlert(r.deps, createEffects(), { siteId: 'oak-house', personId: c.personId, deviceId: null, ruleId: 'r', ruleVersion: 'v1', conditionKey: c.key, kind: 'care', alertClass: c.alertClass, priority: c.priority, triggerEventSeq: null, reason: 'test', realert }, m.now)
  if (open) {
    expect(got.id).toBe(open.id)
    open.triggerCount++
    if (realert && escalating(open.state)) {
      // A re-alert re-pages the current step but keeps its deadline (the ladder is never held back).
      const deadline = open.nextStepAt
      fire(r, open, open.step, m.now)
      if (deadline !== null) open.nextStepAt = deadline
    }
    return
  }
  const a: ModelAlert = { id: got.id, condition: c, state: 'active', step: 0, nextStepAt: null, acceptedBy: null, triggerCount: 1, outcome: null, transitions: 2 }
  fire(r, a, 0, m.now)
  m.alerts.push(a)
}))

const accept = fc.tuple(user, index).map(([u, n]) => new Cmd(`accept #${n} by ${u}`, (m, r) => {
  const a = pick(m, n)
  if (!a) return
  const run = () => acceptAlert(r.deps, createEffects(), a.id, u, 'soft_pager', m.now)
  if (!mayAnswer(r, a, u)) return void refused(r, 'GW_ERR_LIFECYCLE_NOT_RECIPIENT', run)
  if (a.state === 'acknowledged') return void expect(refused(r, 'GW_ERR_LIFECYCLE_ALREADY_ACCEPTED', run).details).toMatchObject({ accepted_by: a.acceptedBy })
  if (!escalating(a.state)) return void refused(r, 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', run)
  run()
  Object.assign(a, { state: 'acknowledged', acceptedBy: u, acceptedAt: m.now, nextStepAt: null, transitions: a.transitions + 1 })
}))

const decline = fc.tuple(user, index).map(([u, n]) => new Cmd(`decline #${n} by ${u}`, (m, r) => {
  const a = pick(m, n)
  if (!a) return
  const run = () => declineAlert(r.deps, createEffects(), a.id, u, 'soft_pager', m.now)
  if (!mayAnswer(r, a, u)) return void refused(r, 'GW_ERR_LIFECYCLE_NOT_RECIPIENT', run)
  if (!escalating(a.state)) return void refused(r, 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', run)
  run()
  escalate(r, a, m.now)
}))

const pagerReport = fc.tuple(fc.constantFrom<NotificationEvent>('send', 'deliver', 'read', 'fail', 'undeliverable'), index).map(([event, n]) => new Cmd(`pager ${event} #${n}`, (m, r) => {
  const pages = m.alerts.flatMap((a) => r.repos.notifications.forAlert(a.id)).filter((p) => notificationTransitions[p.state][event] !== undefined)
  const p = pages[n % Math.max(1, pages.length)]
  if (!p) return
  const a = m.alerts.find((x) => x.id === p.alertId)!
  // Only a page of the step the ladder is on (the latest attempt) moves it on, and never from the last step.
  const ofCurrentStep = p.attempt === Math.max(...r.repos.notifications.forAlert(a.id).map((x) => x.attempt))
  const lastStep = a.step >= r.deps.ladder('oak-house', a.condition.priority).length - 1
  reportNotification(r.deps, createEffects(), p.id, event, m.now)
  if ((event === 'fail' || event === 'undeliverable') && escalating(a.state) && !hasFallback(p.pagerId) && ofCurrentStep && !lastStep) escalate(r, a, m.now)
}))

const timePasses = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 400_000 }), fc.integer({ min: 1, max: 1_800_000 })).map((ms) => new Cmd(`time passes ${ms} ms`, (m, r) => {
  const end = m.now + ms
  for (let guard = 0; ; guard++) {
    expect(guard).toBeLessThan(10_000)
    const due = r.repos.alerts.nextStepDue()
    if (due === null) break
    const at = Math.max(m.now, Math.ceil(due / TICK) * TICK)
    if (at > end) break
    m.now = at
    const expected = m.alerts.filter((a) => escalating(a.state) && a.nextStepAt !== null && a.nextStepAt <= at)
    expect(advanceDue(r.deps, createEffects(), at)).toBe(expected.length)
    for (const a of expected) escalate(r, a, at)
  }
  m.now = end
}))

const restart = fc.constant(new Cmd('restart', (_m, r) => {
  r.session++
  r.deps = lifecycleDepsFor(r.repos, config, sequentialIds(`s${r.session}-`))
}))

const cleared = condition.map((c) => new Cmd(`source cleared ${c.key}`, (m, r) => {
  const open = [...m.alerts].reverse().find((a) => a.condition.key === c.key && !finished(a.state))
  const rowsBefore = r.repos.audit.rows.length
  const got = sourceCleared(r.deps, createEffects(), c.key, 'back to normal', m.now)
  if (!open) return void expect(got).toBeNull()
  if (escalating(open.state) && c.priority !== 'high') return void Object.assign(open, { state: 'cancelled', nextStepAt: null, transitions: open.transitions + 1 })
  expect(r.repos.audit.rows.slice(rowsBefore).map((x) => [x.kind, x.detail.kept_open])).toEqual([['alert.source_cleared', true]])
}))

const resolve = fc.tuple(user, index).map(([u, n]) => new Cmd(`resolve #${n} by ${u}`, (m, r) => {
  const a = pick(m, n)
  if (!a) return
  const run = () => resolveAlert(r.deps, createEffects(), a.id, u, m.now)
  if (!mayAnswer(r, a, u)) return void refused(r, 'GW_ERR_LIFECYCLE_NOT_RECIPIENT', run)
  if (a.state !== 'acknowledged') return void refused(r, 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', run)
  run()
  Object.assign(a, { state: 'resolved', transitions: a.transitions + 1 })
}))

const close = fc.tuple(user, index, fc.constantFrom(...alertOutcomes)).map(([u, n, outcome]) => new Cmd(`close #${n} by ${u} as ${outcome}`, (m, r) => {
  const a = pick(m, n)
  if (!a) return
  const run = () => closeAlert(r.deps, createEffects(), a.id, u, outcome, null, m.now)
  if (!mayAnswer(r, a, u)) return void refused(r, 'GW_ERR_LIFECYCLE_NOT_RECIPIENT', run)
  const steps = a.state === 'acknowledged' ? 2 : a.state === 'resolved' || a.state === 'cancelled' ? 1 : 0
  if (steps === 0) return void refused(r, 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', run)
  run()
  Object.assign(a, { state: 'closed', outcome, nextStepAt: null, transitions: a.transitions + steps })
}))

const commands = fc.commands([
  fc.oneof(
    { arbitrary: raise, weight: 4 }, { arbitrary: timePasses, weight: 5 }, { arbitrary: accept, weight: 2 }, { arbitrary: decline, weight: 2 },
    { arbitrary: pagerReport, weight: 3 }, { arbitrary: restart, weight: 1 }, { arbitrary: cleared, weight: 2 }, { arbitrary: resolve, weight: 1 }, { arbitrary: close, weight: 2 },
  ),
], { maxCommands: 80, size: 'max' })

// Two weeks from Monday 23 March 2026 and from Monday 19 October 2026, so runs cross shift changes and both DST changes.
const start = fc.tuple(fc.constantFrom(Date.UTC(2026, 2, 23), Date.UTC(2026, 9, 19)), fc.integer({ min: 0, max: 14 * 86_400_000 })).map(([base, offset]) => base + offset)

describe('alert lifecycle model', () => {
  it('property: every command sequence keeps the repositories equal to the model and the lifecycle invariants true', () => {
    fc.assert(
      fc.property(start, commands, (t0, cmds) => {
        const setup = () => {
          const repos = createInMemoryRepositories()
          return { model: { now: t0, alerts: [] } as Model, real: { repos, deps: lifecycleDepsFor(repos, config, sequentialIds('s1-')), session: 1 } as Real }
        }
        fc.modelRun(setup, cmds)
      }),
      { numRuns: 200 },
    )
  })
})
