import { describe, expect, it } from 'vitest'
import { type ActiveSuppression, gate } from './gate.js'
import type { RuleConfig } from './rule-config.js'
import { Driver, mins, rules, sec, suppression, utc } from './test-driver.js'
import type { Decision } from './types.js'

const T0 = utc(1, 14, 3) // 14 Jan 2026 03:00 GMT
const PRESS = 'pendant_press received: immediate alert'

/** Pendant presses at the given offsets (seconds from T0); returns the outcome of each. */
function presses(offsets: readonly number[], over: Partial<RuleConfig> = {}, active: ActiveSuppression[] = []) {
  const d = new Driver(rules.immediate(over as object), { ctx: () => ({ suppressions: active }) })
  for (const o of offsets) d.event('pendant_press', T0 + sec(o))
  return d
}
const outcomesOf = (d: Driver) => d.trace.map((t) => t.decision.outcome)

describe('gate: rate limit', () => {
  const rearm = { rate_limit: { rearm_s: 300, window_s: 3600 } }

  it.each([
    { name: 'a second raise 100 s later is within the 300 s re-arm time', at: [0, 100], outcomes: ['raise', 'rate_limited'] },
    { name: 'a second raise 1 ms short of the re-arm time is rate-limited', at: [0, 299.999], outcomes: ['raise', 'rate_limited'] },
    { name: 'a second raise exactly at the re-arm time is allowed', at: [0, 300], outcomes: ['raise', 'raise'] },
    { name: 'a rate-limited raise does not restart the re-arm time', at: [0, 200, 300], outcomes: ['raise', 'rate_limited', 'raise'] },
  ])('rearm_s: $name', ({ at, outcomes }) => {
    expect(outcomesOf(presses(at, rearm))).toEqual(outcomes)
  })

  it('a re-arm rate limit names the time since the last alert and keeps the original reason', () => {
    expect(presses([0, 100], rearm).trace[1]?.decision).toEqual({ outcome: 'rate_limited', reason: `rate-limited: last alert 100 s ago, re-arm time 300 s: ${PRESS}` })
  })

  const repeats = { rate_limit: { rearm_s: 0, max_repeats: 2, window_s: 3600 } }
  it.each([
    { name: 'a third raise within the hour is rate-limited', at: [0, 600, 1200], outcomes: ['raise', 'raise', 'rate_limited'] },
    { name: 'the first alert leaves the window exactly window_s later', at: [0, 600, 3600], outcomes: ['raise', 'raise', 'raise'] },
    { name: 'a rate-limited raise does not count towards max_repeats', at: [0, 600, 1200, 4200], outcomes: ['raise', 'raise', 'rate_limited', 'raise'] },
    { name: 'raises spread wider than the window are never limited', at: [0, 3600, 7200, 10800], outcomes: ['raise', 'raise', 'raise', 'raise'] },
  ])('max_repeats 2 per 3600 s: $name', ({ at, outcomes }) => {
    expect(outcomesOf(presses(at, repeats))).toEqual(outcomes)
  })

  it('a max_repeats rate limit says how many alerts in how long', () => {
    expect(presses([0, 600, 1200], repeats).trace[2]?.decision).toEqual({ outcome: 'rate_limited', reason: `rate-limited: 2 alerts in the last 60 min 0 s (maximum 2): ${PRESS}` })
  })

  it('re-alerts are not rate-limited, however close together', () => {
    const d = new Driver(rules.bedExit(60, { realert_after_s: 120, rate_limit: { rearm_s: 600, max_repeats: 1, window_s: 3600 } }))
    d.event('out_of_bed', T0)
    d.until(T0 + sec(60 + 3 * 120))
    expect(d.timeline()).toEqual([['pending', T0], ['raise', T0 + sec(60)], ['raise', T0 + sec(180)], ['raise', T0 + sec(300)], ['raise', T0 + sec(420)]])
    expect(d.trace.slice(2).every((t) => t.decision.outcome === 'raise' && t.decision.realert === true)).toBe(true)
  })

  // BUG (gate.ts, final `return { decision: d, raised: [at] }`): with a rate limit configured, a re-alert skips the
  // rate-limit branch and falls through to the last line, which REPLACES the rule's alert history with the re-alert's
  // time. The re-alert then counts as "the last alert" for rearm_s, so the next real alert is wrongly held back.
  // Here: alert at 60 s, re-alert at 360 s, back in bed, out again at 700 s, deadline at 760 s → 'rate_limited'
  // ("last alert 6 min 40 s ago, re-arm time 600 s") although the last real alert was 700 s earlier.
  it('a re-alert does not count as a new alert for rearm_s: the next episode 700 s after the first alert raises', () => {
    const d = new Driver(rules.bedExit(60, { realert_after_s: 300, rate_limit: { rearm_s: 600, window_s: 3600 } }))
    d.event('out_of_bed', T0)
    d.event('in_bed', T0 + sec(400))
    d.event('out_of_bed', T0 + sec(700))
    d.until(T0 + sec(760))
    expect(d.trace.at(-1)).toEqual({ at: T0 + sec(760), source: 'timer', decision: expect.objectContaining({ outcome: 'raise' }) })
  })

  // Same line, other face: the re-alert erases the earlier alert times, so max_repeats forgets them. Alerts at 60 s
  // and 260 s fill max_repeats 2; a re-alert at 560 s resets the history to [560 s]; a third alert at 760 s raises.
  it('a re-alert does not erase the alert history: a third alert within the hour with max_repeats 2 is rate-limited', () => {
    const d = new Driver(rules.bedExit(60, { realert_after_s: 300, rate_limit: { rearm_s: 0, max_repeats: 2, window_s: 3600 } }))
    for (const [type, at] of [['out_of_bed', 0], ['in_bed', 100], ['out_of_bed', 200], ['in_bed', 600], ['out_of_bed', 700]] as const) d.event(type, T0 + sec(at))
    d.until(T0 + sec(760))
    expect(d.timeline().filter(([o]) => o === 'raise' || o === 'rate_limited')).toEqual([['raise', T0 + sec(60)], ['raise', T0 + sec(260)], ['raise', T0 + sec(560)], ['rate_limited', T0 + sec(760)]])
  })
})

describe('gate: suppressions', () => {
  const kinds = {
    carer_present: { words: 'carer present', why: 'personal care', by: 'device:presence-r12' },
    away: { words: 'person away', why: 'in hospital', by: 'user:u-17' },
    maintenance: { words: 'device in maintenance', why: 'battery swap', by: 'user:tech-2' },
  } as const
  const suppressed = (kind: keyof typeof kinds) => `suppressed: ${kinds[kind].words} (${kinds[kind].why}; set by ${kinds[kind].by}, until 03:30:00Z): ${PRESS}`
  // The explanation of a high-priority raise that went through a carer-present suppression: the audit shows it was seen.
  const NOT_APPLIED = `${PRESS}; not suppressed although a carer is recorded present (set by device:presence-r12, until 03:30:00Z): a carer-present suppression never holds back a high-priority rule`

  // Every priority against every kind: carer presence holds back only medium and low (a seizure or a fall is paged
  // with a carer in the room, who may be the one needing help); away and maintenance hold back every priority.
  it.each([
    { priority: 'high', kind: 'carer_present', outcome: 'raise', reason: NOT_APPLIED },
    { priority: 'medium', kind: 'carer_present', outcome: 'suppress', reason: suppressed('carer_present') },
    { priority: 'low', kind: 'carer_present', outcome: 'suppress', reason: suppressed('carer_present') },
    { priority: 'high', kind: 'away', outcome: 'suppress', reason: suppressed('away') },
    { priority: 'medium', kind: 'away', outcome: 'suppress', reason: suppressed('away') },
    { priority: 'low', kind: 'away', outcome: 'suppress', reason: suppressed('away') },
    { priority: 'high', kind: 'maintenance', outcome: 'suppress', reason: suppressed('maintenance') },
    { priority: 'medium', kind: 'maintenance', outcome: 'suppress', reason: suppressed('maintenance') },
    { priority: 'low', kind: 'maintenance', outcome: 'suppress', reason: suppressed('maintenance') },
  ] as const)('a $priority-priority raise under $kind: $outcome', ({ priority, kind, outcome, reason }) => {
    const { why, by } = kinds[kind]
    const d = presses([0], { priority }, [suppression(kind, why, by, T0 + mins(30))])
    const alert = { alertClass: 'PENDANT', priority, kind: 'care' }
    expect(d.trace.map((t) => t.decision)).toEqual([outcome === 'raise' ? { outcome, reason, alert } : { outcome, reason }])
    // Only a raise that went through counts for the rate limit.
    expect(d.state).toEqual({ k: { active: true }, raised: outcome === 'raise' ? [T0] : [] })
  })

  it.each([
    { name: 'away listed after carer present still holds back a high-priority raise', order: ['carer_present', 'away'], outcome: 'suppress', reason: suppressed('away') },
    { name: 'carer present listed after away: away holds it back', order: ['away', 'carer_present'], outcome: 'suppress', reason: suppressed('away') },
  ] as const)('$name', ({ order, outcome, reason }) => {
    const d = presses([0], {}, order.map((k) => suppression(k, kinds[k].why, kinds[k].by, T0 + mins(30))))
    expect(d.trace.map((t) => t.decision)).toEqual([{ outcome, reason }])
  })

  it('without a suppression a raise keeps its reason as it is', () => {
    expect(presses([0]).trace.map((t) => t.decision.reason)).toEqual([PRESS])
  })

  it('a high-priority raise that went through carer presence is still rate-limited, and says both', () => {
    const carer = suppression('carer_present', 'personal care', 'device:presence-r12', T0 + mins(30))
    const d = presses([0, 100], { rate_limit: { rearm_s: 300, window_s: 3600 } }, [carer])
    expect(d.trace.map((t) => t.decision.outcome)).toEqual(['raise', 'rate_limited'])
    expect(d.trace[1]?.decision.reason).toBe(`rate-limited: last alert 100 s ago, re-arm time 300 s: ${NOT_APPLIED}`)
  })

  it('a bed-exit deadline passing while a carer is present is suppressed with the bed-exit reason kept', () => {
    const carer = suppression('carer_present', 'night check', 'user:u-3', T0 + mins(5))
    const d = new Driver(rules.bedExit(90), { ctx: (at) => ({ suppressions: at >= T0 + sec(60) && at < carer.expiresAt ? [carer] : [] }) })
    d.event('out_of_bed', T0)
    expect(d.until(T0 + sec(90)).map((t) => t.decision)).toEqual([
      { outcome: 'suppress', reason: 'suppressed: carer present (night check; set by user:u-3, until 03:05:00Z): not back in bed within 90 s (out of bed since 03:00:00Z, 90 s ago)' },
    ])
  })

  it('a suppressed raise is not an alert for the rate limit', () => {
    const away = suppression('away', 'day centre', 'user:u-1', T0 + sec(50))
    const d = new Driver(rules.immediate({ rate_limit: { rearm_s: 300, window_s: 3600 } }), { ctx: (at) => ({ suppressions: at < away.expiresAt ? [away] : [] }) })
    d.event('pendant_press', T0)
    d.event('pendant_press', T0 + sec(100))
    expect(outcomesOf(d)).toEqual(['suppress', 'raise'])
  })

  it('decisions other than raise pass through a suppression unchanged', () => {
    const d = new Driver(rules.bedExit(90), { ctx: () => ({ suppressions: [suppression('maintenance', 'x', 'user:u-1', T0 + mins(60))] }) })
    expect(d.event('out_of_bed', T0).map((t) => t.decision)).toEqual([{ outcome: 'pending', reason: 'out of bed; alert if not back in bed within 90 s' }])
  })
})

describe('gate: active hours, and the order of the modifiers', () => {
  it.each([
    { name: 'one window crossing midnight', active_hours: [{ from: '21:00', to: '07:00' }], described: '21:00–07:00 Europe/London' },
    { name: 'two windows', active_hours: [{ from: '06:00', to: '08:00' }, { from: '20:00', to: '22:00' }], described: '06:00–08:00 Europe/London, 20:00–22:00 Europe/London' },
  ])('outside active hours ($name) a raise becomes outside_hours, naming the hours', ({ active_hours, described }) => {
    const d = new Driver(rules.immediate({ active_hours }))
    expect(d.event('pendant_press', utc(1, 14, 12)).map((t) => t.decision)).toEqual([{ outcome: 'outside_hours', reason: `outside active hours ${described}: ${PRESS}` }])
    expect(d.state).toEqual({ k: { active: true }, raised: [] })
  })

  it.each([
    { name: 'outside hours wins over a suppression', over: { active_hours: [{ from: '21:00', to: '07:00' }] }, at: [43200], suppressed: true, outcomes: ['outside_hours'] },
    { name: 'a suppression wins over the rate limit', over: { priority: 'medium', rate_limit: { rearm_s: 300, window_s: 3600 } }, at: [0, 10], suppressed: 'second', outcomes: ['raise', 'suppress'] },
    { name: 'an outside_hours raise is not an alert for the rate limit', over: { active_hours: [{ from: '03:00', to: '04:00' }], rate_limit: { rearm_s: 7200, window_s: 3600 } }, at: [-60, 0], suppressed: false, outcomes: ['outside_hours', 'raise'] },
  ] as const)('$name', ({ over, at, suppressed, outcomes }) => {
    const carer = suppression('carer_present', 'visit', 'user:u-9', T0 + mins(600))
    const d = new Driver(rules.immediate(over as object), { ctx: (t) => ({ suppressions: suppressed === true || (suppressed === 'second' && t > T0) ? [carer] : [] }) })
    for (const o of at) d.event('pendant_press', T0 + sec(o))
    expect(outcomesOf(d)).toEqual(outcomes)
  })

  it('every turned-down raise keeps the rule reason after saying why it was turned down', () => {
    const turned = [presses([0, 1], { rate_limit: { rearm_s: 60, window_s: 3600 } }).trace[1]!, presses([0], {}, [suppression('away', 'holiday', 'user:u-1', T0 + mins(1))]).trace[0]!, presses([0], { active_hours: [{ from: '09:00', to: '17:00' }] }).trace[0]!]
    expect(turned.map((t) => t.decision.outcome)).toEqual(['rate_limited', 'suppress', 'outside_hours'])
    for (const t of turned) expect(t.decision.reason).toMatch(new RegExp(`^(rate-limited|suppressed|outside active hours)\\b.+: ${PRESS}$`))
  })

  it('gate leaves non-raise decisions and the alert history as they are', () => {
    const ctx = { inHours: () => false, describeHours: 'never', suppressions: [suppression('away', 'x', 'user:u', T0)] }
    const d: Decision = { outcome: 'pending', reason: 'waiting' }
    expect(gate(rules.immediate(), d, T0, [T0 - 1], ctx)).toEqual({ decision: d, raised: [T0 - 1] })
  })
})
