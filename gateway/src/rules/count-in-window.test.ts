import { describe, expect, it } from 'vitest'
import { evaluateTimer, ruleTriggeredBy } from './engine.js'
import { bind, Driver, raisesIn, rules, sec, utc } from './test-driver.js'

const T0 = utc(1, 14, 2, 0, 0) // 14 Jan 2026 02:00 GMT
const NIGHT = [{ from: '21:00', to: '07:00' }]

/** Feed `motion` hits at the given offsets (seconds from `base`) to a `count` in `window_s` rule. */
function hits(count: number, window_s: number, offsets: readonly number[], base = T0, over = {}) {
  const d = new Driver(rules.count(count, window_s, over))
  for (const o of offsets) d.event('motion', base + sec(o))
  return d
}

describe('count_in_window', () => {
  it('reacts only to its on event', () => {
    const b = bind(rules.count(3, 60))
    expect(['motion', 'door', 'heartbeat'].map((t) => ruleTriggeredBy(b, t))).toEqual([true, false, false])
  })

  it.each([
    { name: '3 hits within 40 s of a 60 s window raise', count: 3, window_s: 60, at: [0, 20, 40], raisesAt: [40] },
    { name: '3 hits in the same instant raise', count: 3, window_s: 60, at: [0, 0, 0], raisesAt: [0] },
    { name: '3 hits spanning 59.999 s raise', count: 3, window_s: 60, at: [0, 30, 59.999], raisesAt: [59.999] },
    { name: '3 hits spread over 61 s do not raise', count: 3, window_s: 60, at: [0, 30, 61], raisesAt: [] },
    { name: 'hits spread wider than the window never raise', count: 3, window_s: 60, at: [0, 40, 80, 120, 160, 200], raisesAt: [] },
    { name: 'a hit exactly window_s old has left the window', count: 2, window_s: 60, at: [0, 60], raisesAt: [] },
    { name: '2 hits within 10 min raise', count: 2, window_s: 600, at: [0, 599], raisesAt: [599] },
    { name: 'the count restarts after a raise: a 4th hit alone does not raise again', count: 3, window_s: 60, at: [0, 10, 20, 30], raisesAt: [20] },
    { name: 'after a raise, k fresh hits are needed for the next raise', count: 3, window_s: 60, at: [0, 10, 20, 30, 40, 50], raisesAt: [20, 50] },
    { name: 'old hits drop out while new ones arrive', count: 3, window_s: 60, at: [0, 50, 70, 100], raisesAt: [100] },
  ])('$name', ({ count, window_s, at, raisesAt }) => {
    expect(raisesIn(hits(count, window_s, at).trace).map((t) => t.at)).toEqual(raisesAt.map((x) => T0 + sec(x)))
  })

  it('each hit below the threshold is pending and says how many of how many', () => {
    const d = hits(3, 60, [0, 20])
    expect(d.trace.map((t) => t.decision)).toEqual([
      { outcome: 'pending', reason: '1 of 3 × motion within 60 s' },
      { outcome: 'pending', reason: '2 of 3 × motion within 60 s' },
    ])
  })

  it('the threshold hit raises with its count, and resets the stored hits', () => {
    const d = hits(3, 60, [0, 20, 40])
    expect(d.trace.at(-1)?.decision).toEqual({ outcome: 'raise', reason: '3 × motion within 60 s (threshold 3)', alert: { alertClass: 'RESTLESS', priority: 'low', kind: 'care' } })
    expect(d.state).toEqual({ k: { hits: [] }, raised: [T0 + sec(40)] })
  })

  it('stores only the hits still inside the window', () => {
    expect(hits(5, 60, [0, 30, 70]).state).toEqual({ k: { hits: [T0 + sec(30), T0 + sec(70)] }, raised: [] })
  })

  it('sets no deadline, and a deadline firing is ignored', () => {
    const d = hits(3, 60, [0])
    expect(d.deadline).toBeNull()
    expect(evaluateTimer(d.b, d.state, T0 + sec(5)).decisions).toEqual([{ outcome: 'ignore', reason: 'count rules set no deadlines' }])
  })
})

describe('count_in_window active hours 21:00–07:00 Europe/London', () => {
  it.each([
    { name: 'hits around midnight count across it', base: utc(1, 14, 23, 59, 30), at: [0, 20, 40], outcomes: ['pending', 'pending', 'raise'] },
    { name: 'a hit at 07:00 GMT is outside and is not counted', base: utc(1, 15, 6, 59), at: [0, 30, 60], outcomes: ['pending', 'pending', 'outside_hours'] },
    { name: 'a hit before 21:00 is not counted towards hits after it', base: utc(1, 14, 20, 59, 50), at: [0, 10, 20], outcomes: ['outside_hours', 'pending', 'pending'] },
    { name: 'Sun 29 Mar: 05:59 UTC is 06:59 BST (inside), 06:00 UTC is 07:00 BST (outside)', base: utc(3, 29, 5, 59, 10), at: [0, 30, 50], outcomes: ['pending', 'pending', 'outside_hours'] },
    { name: 'Sat 28 Mar: 06:00 UTC is 06:00 GMT, inside', base: utc(3, 28, 5, 59, 10), at: [0, 30, 50], outcomes: ['pending', 'pending', 'raise'] },
    { name: 'Sun 25 Oct: hits across the clocks going back (01:59 BST → 01:00 GMT) count together', base: utc(10, 25, 0, 59, 30), at: [0, 20, 40], outcomes: ['pending', 'pending', 'raise'] },
  ])('$name', ({ base, at, outcomes }) => {
    const d = hits(3, 60, at, base, { active_hours: NIGHT })
    expect(d.trace.map((t) => t.decision.outcome)).toEqual(outcomes)
  })

  it('a hit outside active hours is recorded with its reason and clears the count', () => {
    const d = hits(3, 60, [0, 10, 20], utc(1, 15, 6, 59, 40), { active_hours: NIGHT })
    expect(d.trace.at(-1)?.decision).toEqual({ outcome: 'outside_hours', reason: 'motion outside active hours: not counted' })
    expect(d.state).toEqual({ k: { hits: [] }, raised: [] })
  })
})
