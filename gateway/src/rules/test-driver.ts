/**
 * Test-only driver for the rules engine: folds events and deadline firings through engine.ts the way the
 * pipeline does. Imported by *.test.ts files only; never import it from gateway code.
 *
 * Ordering: a stored deadline fires at its dueAt, before any event at a strictly later time; an event at the
 * same instant as the deadline is evaluated first (a return exactly at the deadline counts as within it).
 */
import type { ActiveSuppression } from './gate.js'
import { armRule, type EvalContext, evaluateEvent, evaluateTimer, type RuleBinding, ruleTriggeredBy, ruleVersion, type StoredRuleState } from './engine.js'
import type { RuleConfig, RuleOf } from './rule-config.js'
import type { Decision, Outcome, RuleStep } from './types.js'

export const TZ = 'Europe/London'
export const sec = (n: number): number => n * 1000
export const mins = (n: number): number => n * 60_000
export const hours = (n: number): number => n * 3_600_000
/** A 2026 instant given in UTC, month 1-based. */
export const utc = (mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(2026, mo - 1, d, h, mi, s)

/** Bind a rule for person p-001 at a Europe/London site, as bindRules does. */
export function bind(rule: RuleConfig, tz = TZ): RuleBinding {
  return { personId: 'p-001', siteId: 'oak-house', deviceId: rule.device ?? null, rule, version: ruleVersion(rule), conditionKey: `p-001/${rule.id}`, tz }
}

/** Small rule constructors with the fields every kind needs; `over` adds or replaces fields. */
export const rules = {
  bedExit: (delay_s: number, over: Partial<RuleOf<'bed_exit'>> = {}): RuleOf<'bed_exit'> =>
    ({ id: 'bed-exit', kind: 'bed_exit', device: 'bed-r12', delay_s, priority: 'medium', alert_class: 'BED EXIT', ...over }),
  delayConfirm: (delay_s: number, over: Partial<RuleOf<'delay_confirm'>> = {}): RuleOf<'delay_confirm'> =>
    ({ id: 'door', kind: 'delay_confirm', start: 'door_open', cancel: 'door_closed', delay_s, priority: 'medium', alert_class: 'DOOR OPEN', ...over }),
  sustained: (min_duration_s: number, over: Partial<RuleOf<'sustained'>> = {}): RuleOf<'sustained'> =>
    ({ id: 'seizure', kind: 'sustained', start: 'vibration_start', stop: 'vibration_stop', min_duration_s, priority: 'high', alert_class: 'SEIZURE', ...over }),
  count: (count: number, window_s: number, over: Partial<RuleOf<'count_in_window'>> = {}): RuleOf<'count_in_window'> =>
    ({ id: 'restless', kind: 'count_in_window', on: 'motion', count, window_s, priority: 'low', alert_class: 'RESTLESS', ...over }),
  expectedBy: (from: string, by: string, over: Partial<RuleOf<'expected_by'>> = {}): RuleOf<'expected_by'> =>
    ({ id: 'bedtime', kind: 'expected_by', expect: 'in_bed', from, by, priority: 'medium', alert_class: 'NOT IN BED', ...over }),
  inactivity: (period_s: number, over: Partial<RuleOf<'inactivity'>> = {}): RuleOf<'inactivity'> =>
    ({ id: 'no-movement', kind: 'inactivity', on: ['motion', 'door'], period_s, priority: 'medium', alert_class: 'INACTIVITY', ...over }),
  immediate: (over: Partial<RuleOf<'immediate'>> = {}): RuleOf<'immediate'> =>
    ({ id: 'pendant', kind: 'immediate', on: 'pendant_press', clears: 'pendant_reset', priority: 'high', alert_class: 'PENDANT', ...over }),
}

/** A suppression in force, for EvalContext. */
export function suppression(kind: ActiveSuppression['kind'], reason: string, setBy: string, expiresAt: number): ActiveSuppression {
  return { id: `s-${kind}`, kind, scope: 'person', target: 'p-001', reason, setBy, expiresAt }
}

export interface Traced {
  readonly at: number
  readonly source: 'event' | 'timer' | 'arm'
  readonly decision: Decision
}

export interface DriverOptions {
  /** Facts at each evaluation instant (suppressions); none by default. */
  readonly ctx?: (at: number) => EvalContext
  /** Store the state as JSON between every step, as SQLite does. */
  readonly roundTrip?: boolean
}

export class Driver {
  state: unknown = undefined
  deadline: number | null = null
  /** The engine's last step (its state, decisions and timer), or null before the first. */
  last: RuleStep<StoredRuleState> | null = null
  readonly trace: Traced[] = []
  readonly b: RuleBinding
  readonly #opts: DriverOptions

  constructor(b: RuleBinding | RuleConfig, opts: DriverOptions = {}) {
    this.b = 'rule' in b ? b : bind(b)
    this.#opts = opts
  }

  #ctx(at: number): EvalContext {
    return this.#opts.ctx?.(at) ?? { suppressions: [] }
  }

  #apply(step: RuleStep<StoredRuleState>, at: number, source: Traced['source']): Traced[] {
    this.last = step
    this.state = this.#opts.roundTrip ? JSON.parse(JSON.stringify(step.state)) : step.state
    if (step.timer === 'clear') this.deadline = null
    else if (step.timer) this.deadline = step.timer.dueAt
    const out = step.decisions.map((decision) => ({ at, source, decision }))
    this.trace.push(...out)
    return out
  }

  /** Clock-driven rules: take the deadline armRule gives when none is stored (the pipeline does so at start). */
  arm(now: number): Traced[] {
    if (this.deadline !== null) return []
    const step = armRule(this.b, this.state, now)
    return step ? this.#apply(step, now, 'arm') : []
  }

  /** Fire the stored deadline at its dueAt (the pipeline deletes it before evaluating). */
  fire(): Traced[] {
    const due = this.deadline
    if (due === null) throw new Error('no deadline stored')
    this.deadline = null
    return this.#apply(evaluateTimer(this.b, this.state, due, this.#ctx(due)), due, 'timer')
  }

  /** Fire every deadline due at or before `to`, including ones set by those firings. */
  until(to: number): Traced[] {
    return this.#fireWhile((due) => due <= to)
  }

  #fireWhile(due: (dueAt: number) => boolean): Traced[] {
    const out: Traced[] = []
    for (let n = 0; this.deadline !== null && due(this.deadline); n++) {
      if (n > 200_000) throw new Error('deadline loop')
      out.push(...this.fire())
    }
    return out
  }

  /** One event: deadlines strictly before `at` fire first; events the rule does not react to never reach it. */
  event(type: string, at: number): Traced[] {
    const out = this.#fireWhile((due) => due < at)
    if (ruleTriggeredBy(this.b, type)) out.push(...this.#apply(evaluateEvent(this.b, this.state, { type, at }, this.#ctx(at)), at, 'event'))
    return out
  }

  /** Decisions of the whole run, as [outcome, at] pairs. */
  timeline(): [Outcome, number][] {
    return this.trace.map((t) => [t.decision.outcome, t.at])
  }
}

export const outcomes = (ts: readonly Traced[]): Outcome[] => ts.map((t) => t.decision.outcome)
export const raisesIn = (ts: readonly Traced[]): Traced[] => ts.filter((t) => t.decision.outcome === 'raise')
