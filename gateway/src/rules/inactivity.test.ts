import { describe, expect, it } from 'vitest'
import { evaluateTimer, ruleTriggeredBy } from './engine.js'
import { bind, Driver, hours, mins, rules, sec, utc } from './test-driver.js'

const T0 = utc(1, 14, 2) // 14 Jan 2026 02:00 GMT
const INACTIVITY = { alertClass: 'INACTIVITY', priority: 'medium', kind: 'care' }
const DAY = [{ from: '08:00', to: '20:00' }]

/** A 2 h no-movement rule armed at `armAt`, fed activity events, deadlines fired up to `until`. */
function watch(armAt: number, events: readonly [string, number][], until: number, over = {}) {
  const d = new Driver(rules.inactivity(7200, over))
  d.arm(armAt)
  for (const [type, at] of events) d.event(type, at)
  d.until(until)
  return d
}

describe('inactivity: no motion or door for 2 h', () => {
  it('reacts to each of its on events only', () => {
    const b = bind(rules.inactivity(7200))
    expect(['motion', 'door', 'heartbeat'].map((t) => ruleTriggeredBy(b, t))).toEqual([true, true, false])
  })

  it('arming starts the period from now', () => {
    const d = new Driver(rules.inactivity(7200))
    expect(d.arm(T0)).toEqual([])
    expect(d.deadline).toBe(T0 + hours(2))
    expect(d.state).toEqual({ k: { lastSeen: T0, alerted: false }, raised: [] })
  })

  it('no activity for period_s raises exactly once, with the time since the last activity', () => {
    const d = watch(T0, [], T0 + hours(48))
    expect(d.trace.map((t) => [t.at, t.decision])).toEqual([[T0 + hours(2), { outcome: 'raise', reason: 'no motion or door for 2 h 0 min (last at 02:00:00Z)', alert: INACTIVITY }]])
    expect(d.deadline).toBeNull()
  })

  it.each([
    { name: 'motion after 1 h restarts the period', events: [['motion', T0 + hours(1)]], raiseAt: T0 + hours(3) },
    { name: 'a door event counts as activity too', events: [['door', T0 + hours(1) + mins(59)]], raiseAt: T0 + hours(3) + mins(59) },
    { name: 'motion exactly at the deadline counts: the event precedes the deadline', events: [['motion', T0 + hours(2)]], raiseAt: T0 + hours(4) },
    { name: 'an event type the rule does not watch is not activity', events: [['heartbeat', T0 + hours(1)]], raiseAt: T0 + hours(2) },
    { name: 'regular motion every 90 min never raises', events: [1.5, 3, 4.5, 6, 7.5].map((h) => ['motion', T0 + hours(h)]), raiseAt: T0 + hours(9.5) },
  ] as { name: string; events: [string, number][]; raiseAt: number }[])('$name', ({ events, raiseAt }) => {
    const d = watch(T0, events, raiseAt + hours(12))
    expect(d.timeline()).toEqual([['raise', raiseAt]])
  })

  it('activity only moves the deadline: no decision, so no audit row', () => {
    const d = new Driver(rules.inactivity(7200))
    d.arm(T0)
    expect(d.event('motion', T0 + mins(10))).toEqual([])
    expect(d.deadline).toBe(T0 + mins(130))
  })

  it("activity after an alert is 'cleared' with how long it was quiet, and monitoring starts again", () => {
    const d = watch(T0, [], T0 + hours(2))
    expect(d.event('motion', T0 + hours(2) + mins(30)).map((t) => t.decision)).toEqual([{ outcome: 'cleared', reason: 'motion after 2 h 30 min without activity' }])
    expect(d.deadline).toBe(T0 + hours(4) + mins(30))
    expect(d.event('motion', T0 + hours(3)).map((t) => t.decision)).toEqual([])
    d.until(T0 + hours(12))
    expect(d.timeline()).toEqual([['raise', T0 + hours(2)], ['cleared', T0 + hours(2) + mins(30)], ['raise', T0 + hours(5)]])
  })

  it.each([
    { name: 'deadline lost an hour after the last motion: due at motion + period', armAt: T0 + hours(1), due: T0 + hours(2) },
    { name: 'deadline lost past the period: due now', armAt: T0 + hours(5), due: T0 + hours(5) },
  ])('re-arming after a restart keeps the stored last activity ($name)', ({ armAt, due }) => {
    const d = new Driver(rules.inactivity(7200))
    d.event('motion', T0)
    d.deadline = null // the stored deadline was lost; the pipeline re-arms clock rules at start
    d.arm(armAt)
    expect(d.deadline).toBe(due)
    expect(d.until(due).map((t) => t.decision.outcome)).toEqual(['raise'])
  })

  it('re-arming after an alert sets no deadline: it raises once until there is activity', () => {
    const d = watch(T0, [], T0 + hours(2))
    d.arm(T0 + hours(3))
    expect(d.deadline).toBeNull()
  })

  it('a deadline evaluated before last activity + period_s does not raise and moves the deadline', () => {
    const d = watch(T0, [['motion', T0 + hours(1)]], T0)
    const step = evaluateTimer(d.b, d.state, T0 + hours(2))
    expect(step.decisions).toEqual([])
    expect(step.timer).toEqual({ dueAt: T0 + hours(3) })
  })
})

describe('inactivity outside active hours re-checks later instead of raising', () => {
  it('a period ending at 21:00, after 08:00–20:00 hours, makes no decision and looks again in 5 min', () => {
    const d = watch(utc(1, 14, 19), [], utc(1, 14, 21), { active_hours: DAY })
    expect(d.trace).toEqual([])
    expect(d.deadline).toBe(utc(1, 14, 21, 5))
  })

  it.each([
    { name: 'quiet from 19:00 GMT: raise at 08:00 GMT next morning', last: utc(1, 14, 19), raiseAt: utc(1, 15, 8), quiet: '13 h 0 min', hours: DAY },
    { name: 'quiet from 19:07 GMT: raise at the first re-check inside hours, 08:02', last: utc(1, 14, 19, 7), raiseAt: utc(1, 15, 8, 2), quiet: '12 h 55 min', hours: DAY },
    { name: 'clocks forward: quiet from Sat 28 Mar 19:00 GMT, raise at 08:00 BST (07:00 UTC)', last: utc(3, 28, 19), raiseAt: utc(3, 29, 7), quiet: '12 h 0 min', hours: DAY },
    { name: 'clocks back: quiet from Sat 24 Oct 19:00 BST (18:00 UTC), raise at 08:00 GMT', last: utc(10, 24, 18), raiseAt: utc(10, 25, 8), quiet: '14 h 0 min', hours: DAY },
    { name: 'night watch 21:00–07:00: quiet from 05:30 GMT, raise at 21:00 GMT', last: utc(1, 14, 5, 30), raiseAt: utc(1, 14, 21), quiet: '15 h 30 min', hours: [{ from: '21:00', to: '07:00' }] },
  ])('$name', ({ last, raiseAt, quiet, hours: active_hours }) => {
    const d = watch(last, [], raiseAt + hours(24), { active_hours })
    expect(d.timeline()).toEqual([['raise', raiseAt]])
    expect(d.trace[0]?.decision.reason).toBe(`no motion or door for ${quiet} (last at ${new Date(last).toISOString().slice(11, 19)}Z)`)
  })

  it('activity during the night re-checks restarts the period from that activity', () => {
    const d = watch(utc(1, 14, 19), [['motion', utc(1, 14, 23)]], utc(1, 15, 12), { active_hours: DAY })
    expect(d.timeline()).toEqual([['raise', utc(1, 15, 8)]])
    expect(d.trace[0]?.decision.reason).toBe('no motion or door for 9 h 0 min (last at 23:00:00Z)')
  })

  it('activity in the morning before hours open prevents the raise', () => {
    const d = watch(utc(1, 14, 19), [['motion', utc(1, 15, 7, 30)]], utc(1, 15, 9, 29), { active_hours: DAY })
    expect(d.trace).toEqual([])
    expect(d.deadline).toBe(utc(1, 15, 9, 30))
    expect(d.until(utc(1, 15, 9, 30) + sec(1)).map((t) => t.decision.outcome)).toEqual(['raise'])
  })
})
