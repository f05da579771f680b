import { describe, expect, it } from 'vitest'
import { evaluateEvent, evaluateTimer, ruleTriggeredBy } from './engine.js'
import { bind, Driver, raisesIn, rules, sec, utc } from './test-driver.js'

const T0 = utc(1, 14, 3, 0, 0) // 14 Jan 2026 03:00:00 GMT
const NIGHT = [{ from: '21:00', to: '07:00' }]
const SEIZURE = { alertClass: 'SEIZURE', priority: 'high', kind: 'care' }

describe('sustained', () => {
  it('reacts only to its start and stop events', () => {
    const b = bind(rules.sustained(60))
    expect(['vibration_start', 'vibration_stop', 'motion'].map((t) => ruleTriggeredBy(b, t))).toEqual([true, true, false])
  })

  it('start is pending, with a deadline at start + min_duration_s', () => {
    const d = new Driver(rules.sustained(60))
    expect(d.event('vibration_start', T0).map((t) => t.decision)).toEqual([{ outcome: 'pending', reason: 'vibration_start; alert if it lasts 60 s' }])
    expect(d.deadline).toBe(T0 + sec(60))
    expect(d.state).toEqual({ k: { phase: 'active', since: T0 }, raised: [] })
  })

  it.each([
    { name: 'a 1 ms burst', lasted: 1, reason: 'suppressed: vibration_stop after 0 s, shorter than 60 s' },
    { name: 'a 30 s burst', lasted: sec(30), reason: 'suppressed: vibration_stop after 30 s, shorter than 60 s' },
    { name: 'a burst 1 ms short of min_duration_s', lasted: sec(60) - 1, reason: 'suppressed: vibration_stop after 60 s, shorter than 60 s' },
  ])('$name is shorter than min_duration_s: suppressed with its length, deadline cleared, nothing raised later', ({ lasted, reason }) => {
    const d = new Driver(rules.sustained(60))
    d.event('vibration_start', T0)
    expect(d.event('vibration_stop', T0 + lasted).map((t) => t.decision)).toEqual([{ outcome: 'suppress', reason }])
    expect(d.last?.timer).toBe('clear')
    d.until(T0 + sec(3600))
    expect(raisesIn(d.trace)).toEqual([])
  })

  it('lasting until the deadline raises once when it fires; the later stop is cleared', () => {
    const d = new Driver(rules.sustained(60))
    d.event('vibration_start', T0)
    expect(d.until(T0 + sec(60)).map((t) => t.decision)).toEqual([{ outcome: 'raise', reason: 'vibration_start sustained for 60 s (at least 60 s)', alert: SEIZURE }])
    expect(d.event('vibration_stop', T0 + sec(130)).map((t) => t.decision)).toEqual([
      { outcome: 'cleared', reason: 'vibration_stop after 2 min 10 s; an open alert stays open until a carer closes it' },
    ])
    expect(d.state).toEqual({ k: { phase: 'idle', since: null }, raised: [T0 + sec(60)] })
  })

  it.each([
    { name: 'a stop exactly at the deadline instant (min_duration_s reached) raises', stopAfter: sec(60), lasted: '60 s' },
    { name: 'a stop after the deadline instant, before the timer fired, still raises', stopAfter: sec(75), lasted: '75 s' },
    { name: 'a stop long after a deadline that never fired still raises', stopAfter: sec(600), lasted: '10 min 0 s' },
  ])('$name, then records the stop as cleared', ({ stopAfter, lasted }) => {
    const b = bind(rules.sustained(60))
    const start = evaluateEvent(b, undefined, { type: 'vibration_start', at: T0 })
    const stop = evaluateEvent(b, start.state, { type: 'vibration_stop', at: T0 + stopAfter })
    expect(stop.decisions).toEqual([
      { outcome: 'raise', reason: `vibration_start lasted ${lasted}, at least 60 s`, alert: SEIZURE },
      { outcome: 'cleared', reason: `vibration_stop after ${lasted}` },
    ])
    expect(stop.timer).toBe('clear')
    expect(evaluateTimer(b, stop.state, T0 + sec(60)).decisions.map((x) => x.outcome)).toEqual(['ignore'])
  })

  it('a deadline evaluated before start + min_duration_s does not raise and moves the deadline', () => {
    const b = bind(rules.sustained(60))
    const step = evaluateTimer(b, evaluateEvent(b, undefined, { type: 'vibration_start', at: T0 }).state, T0 + sec(10))
    expect(step.decisions).toEqual([])
    expect(step.timer).toEqual({ dueAt: T0 + sec(60) })
  })

  it.each([
    { name: 'a start while active', script: [['vibration_start', 0], ['vibration_start', 10]], reason: 'vibration_start while already active' },
    { name: 'a stop with nothing active', script: [['vibration_stop', 0]], reason: 'vibration_stop with nothing active' },
  ] as const)('$name is ignored', ({ script, reason }) => {
    const d = new Driver(rules.sustained(60))
    for (const [type, at] of script) d.event(type, T0 + sec(at))
    expect(d.trace.at(-1)?.decision).toEqual({ outcome: 'ignore', reason })
  })

  it('a start after the alert with no stop between (the stop was lost) is a new episode: an hour later it raises again', () => {
    // Kept as the old episode, every later seizure of a rule without active hours was ignored for good.
    const d = new Driver(rules.sustained(60))
    d.event('vibration_start', T0)
    d.until(T0 + sec(120))
    d.event('vibration_start', T0 + sec(3600))
    d.until(T0 + sec(3700))
    expect(d.trace.map((t) => [t.decision.outcome, (t.at - T0) / 1000])).toEqual([['pending', 0], ['raise', 60], ['pending', 3600], ['raise', 3660]])
    expect(d.trace[2]!.decision.reason).toBe('vibration_start again, 60 min 0 s after the alerted one began (its vibration_stop never came): a new episode; alert if it lasts 60 s')
  })

  it('a start while active keeps the first start time: the alert comes min_duration_s after the first', () => {
    const d = new Driver(rules.sustained(60))
    d.event('vibration_start', T0)
    d.event('vibration_start', T0 + sec(30))
    d.until(T0 + sec(1000))
    expect(raisesIn(d.trace).map((t) => t.at)).toEqual([T0 + sec(60)])
  })

  it('a new episode after a stop is timed from its own start', () => {
    const d = new Driver(rules.sustained(60))
    d.event('vibration_start', T0)
    d.event('vibration_stop', T0 + sec(20))
    d.event('vibration_start', T0 + sec(40))
    d.until(T0 + sec(1000))
    expect(raisesIn(d.trace).map((t) => t.at)).toEqual([T0 + sec(100)])
  })
})

describe('sustained active hours 21:00–07:00 Europe/London', () => {
  it.each([
    { name: 'start at 23:59:30 GMT, sustained past midnight: raise', start: utc(1, 14, 23, 59, 30), outcome: 'raise' },
    { name: 'start at 06:58 GMT, deadline 06:59 GMT: raise', start: utc(1, 15, 6, 58), outcome: 'raise' },
    { name: 'start at 06:59:30 GMT, deadline 07:00:30 GMT: the episode ends at 07:00, outside_hours', start: utc(1, 15, 6, 59, 30), outcome: 'outside_hours' },
    { name: 'start on Sun 29 Mar 05:59:30 UTC (06:59:30 BST), deadline 07:00:30 BST: the episode ends at 07:00 BST, outside_hours', start: utc(3, 29, 5, 59, 30), outcome: 'outside_hours' },
    { name: 'start on Sat 28 Mar 05:59:30 UTC (05:59:30 GMT): raise', start: utc(3, 28, 5, 59, 30), outcome: 'raise' },
    { name: 'start in the second 01:30 on Sun 25 Oct (01:30 GMT): raise', start: utc(10, 25, 1, 30), outcome: 'raise' },
  ])('$name', ({ start, outcome }) => {
    const d = new Driver(rules.sustained(60, { active_hours: NIGHT }))
    expect(d.event('vibration_start', start).map((t) => t.decision.outcome)).toEqual(['pending'])
    expect(d.until(start + sec(60)).map((t) => t.decision.outcome)).toEqual([outcome])
  })

  it.each([
    { name: '20:59 GMT', at: utc(1, 14, 20, 59) },
    { name: '07:00 GMT', at: utc(1, 15, 7, 0) },
    { name: '07:30 BST on Sun 29 Mar', at: utc(3, 29, 6, 30) },
  ])('a start at $name is outside active hours: not monitored, and its stop is ignored', ({ at }) => {
    const d = new Driver(rules.sustained(60, { active_hours: NIGHT }))
    expect(d.event('vibration_start', at).map((t) => t.decision)).toEqual([{ outcome: 'outside_hours', reason: 'vibration_start outside active hours: not monitored' }])
    expect(d.deadline).toBeNull()
    expect(d.event('vibration_stop', at + sec(120)).map((t) => t.decision.outcome)).toEqual(['ignore'])
  })

  it('an episode still running when active hours end ends then, with one decision giving its times', () => {
    const d = new Driver(rules.sustained(60, { active_hours: NIGHT }))
    d.event('vibration_start', utc(1, 15, 6, 59, 30))
    expect(d.until(utc(1, 15, 8)).map((t) => [t.at, t.decision.reason])).toEqual([[utc(1, 15, 7), 'active hours ended at 07:00:00Z, 30 s after vibration_start at 06:59:30Z with no vibration_stop: episode ended without an alert; not monitored until the next vibration_start inside active hours']])
    expect(d.deadline).toBeNull()
  })
})
