import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isWithinAnyWindow, type TimeWindow } from '../core/local-time.js'
import { eventsNeeded, type RuleConfig, type RuleOf } from './rule-config.js'
import { EPISODE_GAP_MS } from './episode.js'
import { Driver, hours, rules, sec, TZ, utc } from './test-driver.js'

// Random rules of every kind with random active hours, fed random event sequences; the Driver fires each stored
// deadline at its dueAt, before any event at a strictly later time (an event at the same instant goes first).

const pad = (n: number) => String(n).padStart(2, '0')
const hhmm = fc.integer({ min: 0, max: 1439 }).map((m) => `${pad(Math.floor(m / 60))}:${pad(m % 60)}`)
const window: fc.Arbitrary<TimeWindow> = fc.tuple(hhmm, hhmm).filter(([a, b]) => a !== b).map(([from, to]) => ({ from, to }))
const activeHours = fc.option(fc.array(window, { minLength: 1, maxLength: 3 }), { nil: undefined })
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined })
/** Drop undefined optional fields, as the zod-parsed configuration has them. */
const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T

const delayRule: fc.Arbitrary<RuleOf<'bed_exit'> | RuleOf<'delay_confirm'>> = fc
  .record({ generic: fc.boolean(), delay_s: fc.integer({ min: 1, max: 600 }), realert_after_s: opt(fc.integer({ min: 60, max: 1800 })), min_armed_s: opt(fc.integer({ min: 1, max: 120 })), active_hours: activeHours })
  .map(({ generic, delay_s, ...rest }) => (generic ? rules.delayConfirm(delay_s, clean(rest)) : rules.bedExit(delay_s, clean(rest))))

const anyRule: fc.Arbitrary<RuleConfig> = fc.oneof(
  delayRule,
  fc.record({ d: fc.integer({ min: 1, max: 600 }), active_hours: activeHours }).map(({ d, ...o }) => rules.sustained(d, clean(o))),
  fc.record({ k: fc.integer({ min: 2, max: 5 }), w: fc.integer({ min: 1, max: 900 }), active_hours: activeHours }).map(({ k, w, ...o }) => rules.count(k, w, clean(o))),
  fc.record({ from: hhmm, by: hhmm, active_hours: activeHours }).filter((r) => r.from !== r.by).map(({ from, by, ...o }) => rules.expectedBy(from, by, clean(o))),
  fc.record({ p: fc.integer({ min: 60, max: 14_400 }), active_hours: activeHours }).map(({ p, ...o }) => rules.inactivity(p, clean(o))),
  activeHours.map((active_hours) => rules.immediate(clean({ active_hours }))),
)

/** The length that matters for a rule's deadlines, so some gaps land exactly on them. */
function keyMs(r: RuleConfig): number {
  switch (r.kind) {
    case 'bed_exit': case 'delay_confirm': return sec(r.delay_s)
    case 'sustained': return sec(r.min_duration_s)
    case 'count_in_window': return sec(r.window_s)
    case 'inactivity': return sec(r.period_s)
    default: return sec(60)
  }
}

/** Starts near the 2026 Europe/London DST changes, a winter night and a summer evening. */
const start = fc.tuple(fc.constantFrom(utc(3, 28, 20), utc(3, 29, 0), utc(10, 24, 20), utc(10, 25, 0), utc(1, 14, 12), utc(6, 30, 18)), fc.integer({ min: 0, max: hours(6) })).map(([a, b]) => a + b)

function scenarioFor<R extends RuleConfig>(ruleArb: fc.Arbitrary<R>) {
  return ruleArb.chain((rule) => {
    const types = [...new Set(eventsNeeded(rule).map((e) => e.event)), 'heartbeat']
    const gap = fc.oneof(fc.constant(0), fc.constant(keyMs(rule)), fc.integer({ min: 1, max: 2 * keyMs(rule) + 1000 }), fc.integer({ min: 1, max: hours(4) }))
    return fc.record({
      rule: fc.constant(rule),
      start,
      events: fc.array(fc.record({ type: fc.constantFrom(...types), gap }), { maxLength: 25 }),
    }).map(({ rule, start, events }) => {
      let at = start
      return { rule, start, events: events.map(({ type, gap }) => ({ type, at: (at += gap) })) }
    })
  })
}

interface Scenario<R extends RuleConfig = RuleConfig> { rule: R; start: number; events: { type: string; at: number }[] }

/** Arm at the start (clock-driven kinds), feed the events, then fire deadlines for a day after the last one. */
function play(s: Scenario, roundTrip = false): Driver {
  const d = new Driver(s.rule, { roundTrip })
  d.arm(s.start)
  for (const e of s.events) d.event(e.type, e.at)
  d.until((s.events.at(-1)?.at ?? s.start) + hours(26))
  return d
}

const runs = { numRuns: 150 }

describe('rules properties', () => {
  it('(1) no rule raises at an instant outside its active hours; every outside_hours decision is outside them', () => {
    fc.assert(fc.property(scenarioFor(anyRule), (s) => {
      const windows = s.rule.active_hours ?? []
      for (const t of play(s).trace) {
        if (t.decision.outcome === 'raise') expect(isWithinAnyWindow(t.at, TZ, windows), `raise at ${new Date(t.at).toISOString()}`).toBe(true)
        if (t.decision.outcome === 'outside_hours') expect(isWithinAnyWindow(t.at, TZ, windows)).toBe(false)
      }
    }), runs)
  })

  it('(2) delay_confirm / bed_exit: a cancel within the delay (inclusive) always prevents the alert for that episode', () => {
    fc.assert(fc.property(scenarioFor(delayRule), (s) => {
      const startType = s.rule.kind === 'bed_exit' ? 'out_of_bed' : s.rule.start
      const cancelType = s.rule.kind === 'bed_exit' ? 'in_bed' : s.rule.cancel
      const trace = play(s).trace
      let episode: number | null = null
      for (const e of s.events) {
        if (e.type === startType && episode === null) episode = e.at
        else if (e.type === cancelType && episode !== null) {
          const from = episode
          if (e.at - from <= sec(s.rule.delay_s)) {
            expect(trace.filter((t) => t.decision.outcome === 'raise' && t.at >= from && t.at <= e.at), `episode ${from}–${e.at}`).toEqual([])
          }
          episode = null
        }
      }
    }), { numRuns: 500 })
  })

  it('(3a) evaluation is deterministic: the same sequence gives the same decisions, deadline and state', () => {
    fc.assert(fc.property(scenarioFor(anyRule), (s) => {
      const a = play(s)
      const b = play(structuredClone(s))
      expect(b.trace).toEqual(a.trace)
      expect(b.deadline).toEqual(a.deadline)
      expect(b.state).toEqual(a.state)
    }), runs)
  })

  it('(3b) storing the state as JSON between every step changes nothing', () => {
    fc.assert(fc.property(scenarioFor(anyRule), (s) => {
      const live = play(s)
      const stored = play(s, true)
      expect(stored.trace).toEqual(live.trace)
      expect(stored.deadline).toEqual(live.deadline)
      expect(stored.state).toEqual(live.state === undefined ? undefined : JSON.parse(JSON.stringify(live.state)))
    }), runs)
  })

  it('(4) an episode\'s raise is about its own stretch of active hours (gaps under an hour bridged): what it reports on happened in it', () => {
    /**
     * [from, to] starts and ends inside active hours, with no stretch outside them of EPISODE_GAP_MS or more between
     * (wall time changes state only on whole minutes).
     */
    const inside = (windows: NonNullable<RuleConfig['active_hours']>, from: number, to: number) => {
      if (!isWithinAnyWindow(from, TZ, windows) || !isWithinAnyWindow(to, TZ, windows)) return false
      let outSince: number | null = null
      for (let t = Math.floor(from / 60_000) * 60_000 + 60_000; t < to; t += 60_000) {
        if (isWithinAnyWindow(t, TZ, windows)) outSince = null
        else if ((outSince ??= t) <= t - EPISODE_GAP_MS + 60_000) return false
      }
      return true
    }
    fc.assert(fc.property(scenarioFor(anyRule), (s) => {
      const r = s.rule
      const windows = r.active_hours ?? []
      for (const t of play(s).trace.filter((x) => x.decision.outcome === 'raise')) {
        const before = s.events.filter((e) => e.at <= t.at)
        const at = new Date(t.at).toISOString()
        if (r.kind === 'bed_exit' || r.kind === 'delay_confirm' || r.kind === 'sustained') {
          // A start, not cancelled before the raise, with the whole time since inside the same hours. The latest start
          // is the one to check: if an earlier one qualifies, so does it.
          const [start, stop] = r.kind === 'bed_exit' ? ['out_of_bed', 'in_bed'] : r.kind === 'sustained' ? [r.start, r.stop] : [r.start, r.cancel]
          const e = before.filter((x) => x.type === start).at(-1)
          const ok = e !== undefined && !before.some((c) => c.type === stop && c.at > e.at && c.at < t.at) && inside(windows, e.at, t.at)
          expect(ok, `raise at ${at}: no start in the same active hours`).toBe(true)
        } else if (r.kind === 'count_in_window') {
          const hits = before.filter((e) => e.type === r.on).slice(-r.count)
          expect(hits.length === r.count && t.at - hits[0]!.at < sec(r.window_s) && inside(windows, hits[0]!.at, t.at), `raise at ${at}`).toBe(true)
        }
        // Inactivity is not an episode: quiet time before active hours counts (someone who fell in the evening is
        // reported when the hours open), and (1) keeps its raise inside them.
      }
    }), { numRuns: 500 })
  })

  it('every decision keeps a human-readable reason', () => {
    fc.assert(fc.property(scenarioFor(anyRule), (s) => {
      for (const t of play(s).trace) expect(t.decision.reason).toMatch(/\S{2,}/)
    }), runs)
  })
})
