import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AuditEntry, AuditRecord, RoutineEvent } from '../core/audit.js'
import type { AuditFilter, AuditLog } from '../core/contracts.js'
import { auditPage } from '../http/audit-api.js'
import { verifyStoredTrail } from '../store/audit-integrity.js'
import { createRepositories, openDatabase } from '../store/index.js'
import { DIGEST_SPAN_MS, expandRoutine, routineHolder, writeRoutineDigest, writeRoutineRows } from './routine-events.js'

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0)
const iso = (ms: number) => new Date(ms).toISOString()

/** An audit log that only records what is appended, in order. */
function recorder(): AuditLog & { rows: AuditEntry[] } {
  const rows: AuditEntry[] = []
  return { rows, append: (e) => rows.push(e), forAlert: () => [], search: () => [] }
}

const event = (seq: number, device = 'pir-r12', at = T0 + seq): RoutineEvent => ({ seq, event_id: `e-${seq}`, device, type: 'motion', device_at: iso(at - 5), received_at: iso(at) })
const decision = (outcome: string) => ({ rule: 'motion', version: 'v1', person: 'p-012', outcome, reason: `${outcome} because` })
const decisionRow = (e: RoutineEvent, outcome: string, alertId: string | null = null): AuditEntry => ({ at: Date.parse(e.received_at), kind: 'rule.decision', actor: 'rule:motion', alertId, personId: 'p-012', deviceId: e.device, eventSeq: e.seq, detail: { rule_id: 'motion', rule_version: 'v1', outcome, reason: `${outcome} because` } })
const other: AuditEntry = { at: T0, kind: 'alert.transition', actor: 'gateway', alertId: 'al-1', detail: { to: 'new' } }

type Step = { d: string; deadline?: boolean } | 'other' | 'keep'

describe('which events are routine, and the order of what is written', () => {
  it.each<{ name: string; steps: Step[]; routine: boolean; written: string[] }>([
    { name: 'a heartbeat: its receipt only', steps: [], routine: true, written: [] },
    { name: 'motion outside a rule\'s hours', steps: [{ d: 'outside_hours' }], routine: true, written: [] },
    { name: 'an ignored event, two rules', steps: [{ d: 'ignore' }, { d: 'outside_hours' }], routine: true, written: [] },
    { name: 'an ignored event that sets a deadline (an expected-by check-in)', steps: ['keep', { d: 'ignore', deadline: true }], routine: false, written: ['event.received', 'rule.decision:ignore'] },
    { name: 'activity that only moves an inactivity rule\'s deadline (no decision)', steps: ['keep'], routine: false, written: ['event.received'] },
    { name: 'an ignored decision, then another rule moves its deadline', steps: [{ d: 'outside_hours' }, 'keep'], routine: false, written: ['event.received', 'rule.decision:outside_hours'] },
    { name: 'a pending decision', steps: [{ d: 'outside_hours' }, { d: 'pending', deadline: true }], routine: false, written: ['event.received', 'rule.decision:outside_hours', 'rule.decision:pending'] },
    { name: 'a suppressed decision', steps: [{ d: 'suppress' }], routine: false, written: ['event.received', 'rule.decision:suppress'] },
    { name: 'a rate-limited raise', steps: [{ d: 'rate_limited' }], routine: false, written: ['event.received', 'rule.decision:rate_limited'] },
    { name: 'a raise: alert rows come after the receipt, before the decision', steps: [{ d: 'ignore' }, 'other', { d: 'raise' }], routine: false, written: ['event.received', 'rule.decision:ignore', 'alert.transition', 'rule.decision:raise'] },
    { name: 'a technical alert or suppression row before any decision', steps: ['other', { d: 'outside_hours' }], routine: false, written: ['event.received', 'alert.transition', 'rule.decision:outside_hours'] },
  ])('$name', ({ steps, routine, written }) => {
    const audit = recorder()
    const h = routineHolder(audit)
    const e = event(7)
    h.received(e, Date.parse(e.received_at))
    for (const s of steps) {
      if (s === 'other') h.log.append(other)
      else if (s === 'keep') h.keep()
      else h.decision(decision(s.d), s.deadline === true, decisionRow(e, s.d))
    }
    const taken = h.take()
    expect(audit.rows.map((r) => (r.kind === 'rule.decision' ? `${r.kind}:${String(r.detail.outcome)}` : r.kind))).toEqual(written)
    expect(taken !== null).toBe(routine)
    // Nothing of the event is left to leak into the next one.
    h.log.append(other)
    expect(audit.rows.at(-1)).toBe(other)
    expect(audit.rows.length).toBe(written.length + 1)
  })

  it('forgets a held event after reset (its processing threw)', () => {
    const audit = recorder()
    const h = routineHolder(audit)
    h.received(event(1), T0)
    h.reset()
    h.log.append(other)
    expect(audit.rows).toEqual([other])
    expect(h.take()).toBeNull()
  })
})

/** An arbitrary routine event with its decisions. */
const routineEvent = (seq: number) => fc.record({
  device: fc.constantFrom('pir-r12', 'pir-r14', 'bed-r12'),
  type: fc.constantFrom('heartbeat', 'motion'),
  dt: fc.integer({ min: 0, max: 5_000 }),
  reported: fc.option(fc.record({ battery: fc.integer({ min: 0, max: 100 }) }), { nil: undefined }),
  decisions: fc.array(fc.record({ rule: fc.constantFrom('motion', 'night'), version: fc.constantFrom('v1', 'v2'), person: fc.constantFrom('p-012', 'p-014'), outcome: fc.constantFrom('ignore', 'outside_hours'), reason: fc.string({ maxLength: 20 }) }), { maxLength: 2 }),
}).map((r): RoutineEvent => ({ seq, event_id: `e-${seq}`, device: r.device, type: r.type, device_at: iso(T0 + seq * 1000 - 3), received_at: iso(T0 + seq * 1000 + r.dt), ...(r.reported ? { reported: r.reported } : {}), ...(r.decisions.length ? { decisions: r.decisions } : {}) }))

/** The rows an event's processing writes when it is not held back: receipt, then each decision, as the pipeline writes them. */
function individually(e: RoutineEvent): AuditEntry[] {
  const audit = recorder()
  const h = routineHolder(audit)
  const at = Date.parse(e.received_at)
  h.received(e, at)
  h.log.append(other) // anything else makes it not routine, so its receipt is written
  audit.rows.pop()
  for (const d of e.decisions ?? []) {
    h.decision(d, true, { at, kind: 'rule.decision', actor: `rule:${d.rule}`, alertId: null, personId: d.person, deviceId: e.device, eventSeq: e.seq, detail: { rule_id: d.rule, rule_version: d.version, outcome: d.outcome, reason: d.reason } })
  }
  return audit.rows
}

describe('a digest reads back as the rows it stands for', () => {
  it('expandRoutine gives exactly the rows the events would have written one by one (property)', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 6 }).chain((seqs) => fc.tuple(...seqs.map((s, i) => routineEvent(s * 10 + i)))), (events) => {
      const digest = recorder()
      writeRoutineDigest(digest)({ routine: events })
      const expanded = digest.rows.flatMap((row, i) => expandRoutine({ ...row, seq: 100 + i }))
      const expected = events.flatMap((e) => individually(e)).map((e) => ({ ...e, detail: e.detail }))
      expect(expanded.map(({ seq: _seq, ...rest }) => rest)).toEqual(expected)
      expect(new Set(expanded.map((r) => r.seq)).size).toBe(digest.rows.length)
    }))
  })

  it('starts a new digest row rather than let one row span more than DIGEST_SPAN_MS of receipts', () => {
    const digest = recorder()
    const at = [0, 1_000, DIGEST_SPAN_MS, DIGEST_SPAN_MS + 1, DIGEST_SPAN_MS + 2, 3 * DIGEST_SPAN_MS]
    writeRoutineDigest(digest)({ routine: at.map((dt, i) => event(i + 1, 'pir-r12', T0 + dt)) })
    expect(digest.rows.map((r) => (r.detail.events as RoutineEvent[]).map((e) => e.seq))).toEqual([[1, 2, 3], [4, 5], [6]])
    expect(digest.rows.map((r) => r.at)).toEqual([T0, T0 + DIGEST_SPAN_MS + 1, T0 + 3 * DIGEST_SPAN_MS])
    expect(digest.rows.map((r) => r.eventSeq)).toEqual([1, 4, 6])
  })

  it('the fallback (writeRoutineRows) writes exactly the rows the events would have written one by one (property)', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 0, maxLength: 6 }).chain((seqs) => fc.tuple(...seqs.map((s, i) => routineEvent(s * 10 + i)))), (events) => {
      const rows = recorder()
      writeRoutineRows(rows)({ routine: events })
      expect(rows.rows).toEqual(events.flatMap((e) => individually(e)))
    }))
  })

  it('writes nothing for a commit without routine events', () => {
    const digest = recorder()
    writeRoutineDigest(digest)({ routine: [] })
    expect(digest.rows).toEqual([])
  })
})

/** Two trails of the same history: one written row by row, one with routine events in digests. */
function twoTrails(history: readonly (RoutineEvent | AuditEntry)[], groupSize: number) {
  const open = () => {
    const db = openDatabase(':memory:')
    const key = randomBytes(32)
    return { db, key, repos: createRepositories(db, { auditKey: key }) }
  }
  const plain = open()
  const digested = open()
  let group: RoutineEvent[] = []
  const flush = () => {
    writeRoutineDigest(digested.repos.audit)({ routine: group })
    group = []
  }
  for (const item of history) {
    if ('event_id' in item) {
      for (const row of individually(item)) plain.repos.audit.append(row)
      group.push(item)
      if (group.length >= groupSize) flush()
    } else {
      plain.repos.audit.append(item)
      digested.repos.audit.append(item)
    }
  }
  flush()
  return { plain, digested }
}

/**
 * The records without their seq, in a canonical order: a digest row is written at its commit's end, so its records
 * come after the commit's other rows, where written one by one they would have been among them.
 */
const strip = (rows: readonly AuditRecord[]) => rows.map(({ seq: _seq, ...rest }) => JSON.stringify(rest)).sort()

/** Every page of a search, as the API pages it (`after` = the last seq of the previous page). */
function allPages(audit: AuditLog, f: Omit<AuditFilter, 'limit' | 'afterSeq'>, limit: number): AuditRecord[] {
  const out: AuditRecord[] = []
  let afterSeq = 0
  for (let i = 0; i < 1000; i++) {
    const { page, more } = auditPage(audit, { ...f, afterSeq, limit })
    out.push(...page)
    if (!more) return out
    afterSeq = page.at(-1)!.seq
  }
  throw new Error('paging did not end')
}

describe('search over a trail with digests finds what the trail written row by row would', () => {
  const history = fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom<AuditEntry>(
      { at: T0 + 30_000, kind: 'alert.transition', actor: 'gateway', alertId: 'al-1', personId: 'p-012', deviceId: 'pir-r12', detail: { to: 'new' } },
      { at: T0 + 60_000, kind: 'auth.login', actor: 'user:tl-kim', detail: { method: 'password' } },
      { at: T0 + 90_000, kind: 'rule.decision', actor: 'rule:motion', personId: 'p-014', deviceId: 'pir-r14', eventSeq: 5, detail: { rule_id: 'motion', outcome: 'raise' } },
    ) },
  ), { minLength: 1, maxLength: 40 })
  const filters: Omit<AuditFilter, 'limit' | 'afterSeq'>[] = [
    {}, { kind: 'event.received' }, { kind: 'rule.decision' }, { kind: 'alert.transition' }, { deviceId: 'pir-r12' }, { deviceId: 'bed-r12', kind: 'rule.decision' },
    { personId: 'p-014' }, { actor: 'device:pir-r14' }, { actor: 'rule:night' }, { actor: 'tl-kim' }, { alertId: 'al-1' },
    { from: T0 + 10_000, to: T0 + 20_500 }, { from: T0 + 35_000, deviceId: 'pir-r14' },
  ]

  it('for every filter, whole and paged (property)', () => {
    fc.assert(fc.property(history, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 }), (shape, groupSize, limit) => {
      let seq = 0
      const items = shape.map((x) => x ?? null).map((x) => x ?? event(++seq, ['pir-r12', 'pir-r14', 'bed-r12'][seq % 3], T0 + seq * 1000))
        .map((x) => ('event_id' in x && x.seq % 2 ? { ...x, decisions: [decision(x.seq % 4 === 1 ? 'ignore' : 'outside_hours'), { ...decision('ignore'), rule: 'night', person: 'p-014' }] } : x))
      const { plain, digested } = twoTrails(items, groupSize)
      for (const f of filters) {
        const want = strip(plain.repos.audit.search({ ...f, limit: 10_000 }))
        expect(strip(digested.repos.audit.search({ ...f, limit: 10_000 })), JSON.stringify(f)).toEqual(want)
        expect(strip(allPages(digested.repos.audit, f, limit)), `paged by ${limit}: ${JSON.stringify(f)}`).toEqual(want)
      }
    }), { numRuns: 60 })
  })

  it('returns the raw digest rows when asked for their kind', () => {
    const { digested } = twoTrails([event(1), event(2), event(3)], 2)
    const rows = digested.repos.audit.search({ kind: 'events.routine', limit: 10 })
    expect(rows.map((r) => (r.detail.events as RoutineEvent[]).map((e) => e.seq))).toEqual([[1, 2], [3]])
  })
})

describe('a digest row is chained like every other row', () => {
  it('an entry changed inside a digest is found as a changed row', () => {
    const { digested } = twoTrails([event(1), other, event(2), event(3), event(4)], 2)
    const { db, key } = digested
    db.exec('DROP TRIGGER audit_no_update')
    expect(verifyStoredTrail(db, key, [])).toMatchObject({ ok: true, rowsChecked: 3 })
    const target = db.prepare("SELECT seq, detail FROM audit WHERE kind = 'events.routine' ORDER BY seq LIMIT 1 OFFSET 1").get() as { seq: number; detail: string }
    // Someone removes a motion report from the trail: rewrite the digest without its second event.
    const detail = JSON.parse(target.detail) as { count: number; events: RoutineEvent[] }
    db.prepare('UPDATE audit SET detail = ? WHERE seq = ?').run(JSON.stringify({ count: 1, events: detail.events.slice(0, 1) }), target.seq)
    expect(verifyStoredTrail(db, key, [])).toMatchObject({ ok: false, kind: 'changed', firstBadSeq: target.seq })
  })
})
