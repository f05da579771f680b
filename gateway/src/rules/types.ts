import type { AlertKind, Priority } from '../core/alert.js'

/**
 * What a rule concluded about one event or deadline. Every decision is audited with its reason.
 * `outside_hours`, `rate_limited` and `suppress` are how the shared modifiers turn a would-be raise down.
 */
export type Outcome = 'pending' | 'suppress' | 'ignore' | 'cleared' | 'outside_hours' | 'rate_limited' | 'raise'

export type Decision =
  | { readonly outcome: Exclude<Outcome, 'raise'>; readonly reason: string }
  | {
      readonly outcome: 'raise'
      readonly reason: string
      readonly alert: { readonly alertClass: string; readonly priority: Priority; readonly kind: AlertKind }
      /** A re-alert for a condition that is still going on (pages again if nobody has accepted). */
      readonly realert?: boolean
    }

/** The result of folding one input into a rule's state. `timer` sets (dueAt) or clears the rule's one deadline. */
export interface RuleStep<S> {
  readonly state: S
  readonly decisions: readonly Decision[]
  readonly timer?: { readonly dueAt: number } | 'clear'
}

/** The part of an event a rule may look at. `at` is gateway receipt time (epoch ms): rules never trust device clocks. */
export interface RuleInput {
  readonly type: string
  readonly at: number
}

/** What a rule kind may know besides its own state: the site's zone and whether a time is in active hours. */
export interface RuleContext {
  readonly tz: string
  /** True when the rule's active hours include this instant (always true without active hours). */
  readonly inHours: (at: number) => boolean
  /** The first instant at or after `at` outside active hours (`at` itself when outside); null if they never end. */
  readonly hoursEnd: (at: number) => number | null
  /** The first instant at or after `at` inside active hours (`at` itself when inside). */
  readonly hoursBegin: (at: number) => number | null
}

/**
 * A kind of rule: a pure, deterministic reducer over events and deadlines. No I/O, no clock:
 * time arrives as `input.at` or the deadline's `now`.
 */
export interface RuleKind<C, S> {
  initial(rule: C): S
  /** Event types this rule reacts to; others never reach `onEvent`. */
  triggers(rule: C): readonly string[]
  onEvent(rule: C, state: S, input: RuleInput, ctx: RuleContext): RuleStep<S>
  onTimer(rule: C, state: S, now: number, ctx: RuleContext): RuleStep<S>
  /** Rules whose deadlines come from the clock, not from events (expected_by, inactivity): the deadline to hold when none is stored. */
  arm?(rule: C, state: S, now: number, ctx: RuleContext): RuleStep<S>
}

/** A raise decision for a rule's priority and class. */
export function raiseDecision(rule: { alert_class: string; priority: Priority }, reason: string, realert = false): Decision {
  return { outcome: 'raise', reason, alert: { alertClass: rule.alert_class, priority: rule.priority, kind: 'care' }, ...(realert ? { realert } : {}) }
}
