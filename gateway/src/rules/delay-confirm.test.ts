import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { evaluateEvent, evaluateTimer, ruleTriggeredBy } from './engine.js'
import { bind, Driver, raisesIn, rules, sec, utc } from './test-driver.js'

const T0 = Date.UTC(2026, 10, 28, 2, 14, 5) // 28 Nov 2026 02:14:05 GMT
const NIGHT = [{ from: '21:00', to: '07:00' }]
const state = (phase: string, since: number | null, raised: number[] = []) => ({ k: { phase, since }, raised })
const raise = (reason: string, extra: object = {}) => ({ outcome: 'raise', reason, alert: { alertClass: 'BED EXIT', priority: 'medium', kind: 'care' }, ...extra })

describe('bed_exit', () => {
  it('reacts only to out_of_bed and in_bed', () => {
    const b = bind(rules.bedExit(90))
    expect(['out_of_bed', 'in_bed', 'heartbeat'].map((t) => ruleTriggeredBy(b, t))).toEqual([true, true, false])
  })

  it('out_of_bed starts the delay: pending, with a deadline at out time + delay_s', () => {
    const d = new Driver(rules.bedExit(90))
    expect(d.event('out_of_bed', T0).map((t) => t.decision)).toEqual([{ outcome: 'pending', reason: 'out of bed; alert if not back in bed within 90 s' }])
    expect(d.deadline).toBe(T0 + sec(90))
    expect(d.state).toEqual(state('out', T0))
  })

  it.each([
    { name: 'back in bed 41 s into a 90 s delay', delay_s: 90, back: sec(41), reason: 'suppressed: back in bed after 41 s, within the 90 s delay' },
    { name: 'back in bed 1 ms after leaving', delay_s: 90, back: 1, reason: 'suppressed: back in bed after 0 s, within the 90 s delay' },
    { name: 'back in bed exactly at the deadline is within the delay', delay_s: 90, back: sec(90), reason: 'suppressed: back in bed after 90 s, within the 90 s delay' },
    { name: 'back in bed after 3 min 5 s of a 600 s delay', delay_s: 600, back: sec(185), reason: 'suppressed: back in bed after 3 min 5 s, within the 600 s delay' },
    { name: 'back in bed exactly at a 1 s deadline', delay_s: 1, back: sec(1), reason: 'suppressed: back in bed after 1 s, within the 1 s delay' },
  ])('$name: suppressed with its reason, deadline cleared, no alert later', ({ delay_s, back, reason }) => {
    const d = new Driver(rules.bedExit(delay_s))
    d.event('out_of_bed', T0)
    expect(d.event('in_bed', T0 + back).map((t) => t.decision)).toEqual([{ outcome: 'suppress', reason }])
    expect(d.last?.timer).toBe('clear')
    expect(d.state).toEqual(state('in', null))
    d.until(T0 + sec(delay_s) * 10)
    expect(raisesIn(d.trace)).toEqual([])
  })

  it.each([
    { priority: 'medium' as const, alert_class: 'BED EXIT' },
    { priority: 'high' as const, alert_class: 'FALLS RISK' },
  ])('still out at the deadline raises exactly one $priority "$alert_class" care alert', ({ priority, alert_class }) => {
    const d = new Driver(rules.bedExit(90, { priority, alert_class }))
    d.event('out_of_bed', T0)
    expect(d.until(T0 + sec(3600)).map((t) => t.decision)).toEqual([
      { outcome: 'raise', reason: 'not back in bed within 90 s (out of bed since 02:14:05Z, 90 s ago)', alert: { alertClass: alert_class, priority, kind: 'care' } },
    ])
    expect(d.deadline).toBeNull()
    expect(d.state).toEqual(state('alerted', T0, [T0 + sec(90)]))
  })

  it.each([
    { what: 'in_bed when already in bed', script: [['in_bed', 0]] as const, reason: 'already back in bed' },
    { what: 'a repeated out_of_bed while the delay runs', script: [['out_of_bed', 0], ['out_of_bed', 50]] as const, reason: 'already out of bed since 02:14:05Z' },
    { what: 'a repeated out_of_bed after the alert', script: [['out_of_bed', 0], ['out_of_bed', 100]] as const, reason: 'already out of bed since 02:14:05Z' },
  ])('$what is ignored and changes nothing', ({ script, reason }) => {
    const d = new Driver(rules.bedExit(90))
    for (const [type, at] of script.slice(0, -1)) d.event(type, T0 + sec(at))
    const [type, at] = script.at(-1)!
    d.until(T0 + sec(at) - 1)
    const before = d.state
    expect(d.event(type, T0 + sec(at)).filter((t) => t.source === 'event').map((t) => t.decision)).toEqual([{ outcome: 'ignore', reason }])
    expect(d.last?.timer).toBeUndefined()
    if (before !== undefined) expect(d.state).toEqual(before)
  })

  it("in_bed after the alert is 'cleared' (never a close) and returns the rule to in bed", () => {
    const d = new Driver(rules.bedExit(90))
    d.event('out_of_bed', T0)
    expect(d.event('in_bed', T0 + sec(200)).map((t) => t.decision)).toEqual([
      raise('not back in bed within 90 s (out of bed since 02:14:05Z, 90 s ago)'),
      { outcome: 'cleared', reason: 'back in bed after 3 min 20 s; an open alert stays open until a carer closes it' },
    ])
    expect(d.state).toEqual(state('in', null, [T0 + sec(90)]))
  })

  it('delay_s 0 raises at once on out_of_bed and sets no deadline', () => {
    const d = new Driver(rules.bedExit(0))
    expect(d.event('out_of_bed', T0).map((t) => t.decision)).toEqual([raise('out of bed with a 0 s delay: immediate alert')])
    expect(d.deadline).toBeNull()
  })

  it('an in_bed after the deadline instant but before the deadline fired still raises, then clears', () => {
    const b = bind(rules.bedExit(90))
    const out = evaluateEvent(b, undefined, { type: 'out_of_bed', at: T0 })
    const back = evaluateEvent(b, out.state, { type: 'in_bed', at: T0 + sec(95) })
    expect(back.decisions).toEqual([
      raise('not back in bed within 90 s (back in bed after 95 s, before the deadline was processed)'),
      { outcome: 'cleared', reason: 'back in bed after 95 s; an open alert stays open until a carer closes it' },
    ])
    expect(back.timer).toBe('clear')
  })

  it('a deadline evaluated before out time + delay_s does not raise and moves the deadline', () => {
    const b = bind(rules.bedExit(90))
    const step = evaluateTimer(b, evaluateEvent(b, undefined, { type: 'out_of_bed', at: T0 }).state, T0 + sec(10))
    expect(step.decisions.map((x) => x.outcome)).toEqual(['pending'])
    expect(step.timer).toEqual({ dueAt: T0 + sec(90) })
  })
})

describe('bed_exit re-alert (realert_after_s)', () => {
  it.each([
    { name: 'back in bed before the first re-alert', back: 300, realerts: [] },
    { name: 'still out after one period re-alerts once', back: 500, realerts: [390] },
    { name: 'still out for three periods re-alerts each period', back: 1000, realerts: [390, 690, 990] },
    { name: 'back in bed exactly when a re-alert is due stops it', back: 690, realerts: [390] },
  ])('$name; back in bed stops re-alerting', ({ back, realerts }) => {
    const d = new Driver(rules.bedExit(90, { realert_after_s: 300 }))
    d.event('out_of_bed', T0)
    d.event('in_bed', T0 + sec(back))
    expect(d.last?.decisions.map((x) => x.outcome)).toEqual(['cleared'])
    expect(d.last?.timer).toBe('clear')
    d.until(T0 + sec(10_000))
    const r = raisesIn(d.trace)
    expect(r.map((t) => t.at)).toEqual([T0 + sec(90), ...realerts.map((x) => T0 + sec(x))])
    expect(r.map((t) => t.decision.outcome === 'raise' && t.decision.realert === true)).toEqual([false, ...realerts.map(() => true)])
  })

  it('the re-alert reason says how long the person has been out', () => {
    const d = new Driver(rules.bedExit(90, { realert_after_s: 300 }))
    d.event('out_of_bed', T0)
    expect(d.until(T0 + sec(390)).map((t) => t.decision)[1]).toEqual(raise('still not back in bed after 6 min 30 s: re-alert', { realert: true }))
  })
})

describe('bed_exit min_armed_s (monitoring arms after in bed for N s)', () => {
  it.each([
    { name: 'out of bed before ever being in bed is not monitored', script: [['out_of_bed', 0]], last: { outcome: 'ignore', reason: 'out of bed, but monitoring is not armed yet (needs back in bed for 30 s)' } },
    { name: 'in bed starts arming', script: [['in_bed', 0]], last: { outcome: 'pending', reason: 'back in bed; monitoring arms in 30 s' } },
    { name: 'out of bed after 10 s in bed disarms', script: [['in_bed', 0], ['out_of_bed', 10]], last: { outcome: 'ignore', reason: 'out of bed after 10 s back in bed; monitoring arms after 30 s' } },
    { name: 'out of bed exactly when arming completes is not yet monitored', script: [['in_bed', 0], ['out_of_bed', 30]], last: { outcome: 'ignore', reason: 'out of bed after 30 s back in bed; monitoring arms after 30 s' } },
    { name: 'in bed for 30 s arms monitoring', script: [['in_bed', 0], ['tick', 30]], last: { outcome: 'pending', reason: 'monitoring armed: back in bed for 30 s' } },
    { name: 'out of bed once armed starts the delay', script: [['in_bed', 0], ['out_of_bed', 31]], last: { outcome: 'pending', reason: 'out of bed; alert if not back in bed within 90 s' } },
    { name: 'a return within the delay must re-arm before the next exit is monitored', script: [['in_bed', 0], ['out_of_bed', 40], ['in_bed', 60], ['out_of_bed', 70]], last: { outcome: 'ignore', reason: 'out of bed after 10 s back in bed; monitoring arms after 30 s' } },
  ] as const)('$name', ({ script, last }) => {
    const d = new Driver(rules.bedExit(90, { min_armed_s: 30 }))
    for (const [type, at] of script) (type === 'tick' ? d.until(T0 + sec(at)) : d.event(type, T0 + sec(at)))
    expect(d.trace.at(-1)?.decision).toEqual(last)
  })

  it('a person who stays out of bed after arming is alerted once the delay passes', () => {
    const d = new Driver(rules.bedExit(90, { min_armed_s: 30 }))
    d.event('in_bed', T0)
    d.event('out_of_bed', T0 + sec(100))
    d.until(T0 + sec(1000))
    expect(raisesIn(d.trace).map((t) => t.at)).toEqual([T0 + sec(190)])
  })
})

describe('delay_confirm with a generic start/cancel pair', () => {
  it.each([
    { name: 'closed after 60 s is within the 120 s delay', close: 60, decision: { outcome: 'suppress', reason: 'suppressed: door_closed after 60 s, within the 120 s delay' } },
    { name: 'closed exactly at the deadline is within the delay', close: 120, decision: { outcome: 'suppress', reason: 'suppressed: door_closed after 2 min 0 s, within the 120 s delay' } },
    { name: 'still open at the deadline raises', close: null, decision: { outcome: 'raise', reason: 'not door_closed within 120 s (door_open since 02:14:05Z, 2 min 0 s ago)', alert: { alertClass: 'DOOR OPEN', priority: 'medium', kind: 'care' } } },
  ])('$name', ({ close, decision }) => {
    const d = new Driver(rules.delayConfirm(120))
    expect(d.event('door_open', T0).map((t) => t.decision.reason)).toEqual(['door_open; alert if not door_closed within 120 s'])
    if (close !== null) d.event('door_closed', T0 + sec(close))
    d.until(T0 + sec(3600))
    expect(d.trace.at(-1)?.decision).toEqual(decision)
    expect(ruleTriggeredBy(d.b, 'out_of_bed')).toBe(false)
  })
})

describe('bed_exit active hours 21:00–07:00 Europe/London (DST edges)', () => {
  it.each([
    { name: '20:59 GMT is before the window', at: utc(1, 14, 20, 59), monitored: false },
    { name: '21:00 GMT opens the window', at: utc(1, 14, 21, 0), monitored: true },
    { name: 'midnight is inside a window crossing midnight', at: utc(1, 15, 0, 0), monitored: true },
    { name: '06:59 GMT is inside', at: utc(1, 15, 6, 59), monitored: true },
    { name: '07:00 GMT closes the window', at: utc(1, 15, 7, 0), monitored: false },
    { name: 'Sat 28 Mar 06:30 UTC is 06:30 GMT: inside', at: utc(3, 28, 6, 30), monitored: true },
    { name: 'Sun 29 Mar 00:59 UTC, just before the clocks go forward: inside', at: utc(3, 29, 0, 59), monitored: true },
    { name: 'Sun 29 Mar 05:59 UTC is 06:59 BST: inside', at: utc(3, 29, 5, 59), monitored: true },
    { name: 'Sun 29 Mar 06:30 UTC is 07:30 BST: outside', at: utc(3, 29, 6, 30), monitored: false },
    { name: 'Sun 29 Mar 20:00 UTC is 21:00 BST: inside', at: utc(3, 29, 20, 0), monitored: true },
    { name: 'Sat 24 Oct 06:30 UTC is 07:30 BST: outside', at: utc(10, 24, 6, 30), monitored: false },
    { name: 'Sun 25 Oct 00:30 UTC is the first 01:30 (BST): inside', at: utc(10, 25, 0, 30), monitored: true },
    { name: 'Sun 25 Oct 01:30 UTC is the second 01:30 (GMT): inside', at: utc(10, 25, 1, 30), monitored: true },
    { name: 'Sun 25 Oct 06:30 UTC is 06:30 GMT: inside', at: utc(10, 25, 6, 30), monitored: true },
    { name: 'Sun 25 Oct 20:30 UTC is 20:30 GMT: outside', at: utc(10, 25, 20, 30), monitored: false },
  ])('$name', ({ at, monitored }) => {
    const d = new Driver(rules.bedExit(90, { active_hours: NIGHT }))
    expect(d.event('out_of_bed', at).map((t) => t.decision)).toEqual([monitored
      ? { outcome: 'pending', reason: 'out of bed; alert if not back in bed within 90 s' }
      : { outcome: 'outside_hours', reason: 'out of bed outside active hours: not monitored' }])
  })

  it.each([
    { name: 'deadline at 07:00:30 GMT', out: utc(1, 15, 6, 59) },
    { name: 'deadline at 07:00:30 BST on the day the clocks go forward', out: utc(3, 29, 5, 59) },
  ])('out at 06:59 local, still out when the window closes ($name): the episode ends at 07:00 local, saying so', ({ out }) => {
    const d = new Driver(rules.bedExit(90, { active_hours: NIGHT }))
    d.event('out_of_bed', out)
    const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19)
    expect(d.until(out + sec(90)).map((t) => [t.at, t.decision])).toEqual([[out + sec(60), { outcome: 'outside_hours', reason: `active hours ended at ${hhmmss(out + sec(60))}Z, 60 s after out of bed at ${hhmmss(out)}Z: episode ended without an alert; not monitored until the next out of bed inside active hours` }]])
    expect(d.deadline).toBeNull()
  })
})

// Random out_of_bed/in_bed scripts, deadlines fired at their due time.
const scenario = fc.integer({ min: 1, max: 300 }).chain((delay_s) => fc.record({
  delay_s: fc.constant(delay_s),
  events: fc.array(fc.record({ type: fc.constantFrom('out_of_bed', 'in_bed'), gap: fc.oneof(fc.integer({ min: 0, max: sec(2 * delay_s + 2) }), fc.constant(sec(delay_s))) }), { maxLength: 30 })
    .map((list) => { let at = T0; return list.map(({ type, gap }) => ({ type, at: (at += gap) })) }),
}))

describe('bed_exit properties (no re-alert)', () => {
  it('a raise comes only after at least delay_s out of bed, and once per out-of-bed period', () => {
    fc.assert(fc.property(scenario, ({ delay_s, events }) => {
      const d = new Driver(rules.bedExit(delay_s))
      for (const e of events) d.event(e.type, e.at)
      d.until(Number.MAX_SAFE_INTEGER)
      let start: number | null = null
      const periods: { start: number; end: number }[] = []
      for (const e of events) {
        if (e.type === 'out_of_bed' && start === null) start = e.at
        else if (e.type === 'in_bed' && start !== null) { periods.push({ start, end: e.at }); start = null }
      }
      if (start !== null) periods.push({ start, end: Infinity })
      for (const r of raisesIn(d.trace)) expect(periods.some((p) => r.at - p.start >= sec(delay_s) && r.at <= p.end)).toBe(true)
      for (const p of periods.filter((q) => q.end - q.start > sec(delay_s))) expect(raisesIn(d.trace).filter((r) => r.at >= p.start && r.at <= p.end)).toHaveLength(1)
    }))
  })
})
