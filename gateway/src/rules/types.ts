import type { AlertKind, Priority } from '../core/alert.js'

/** What a rule concluded about one event or deadline. Every decision is audited with its reason. */
export type Decision =
  | { readonly outcome: 'pending' | 'suppress' | 'ignore' | 'cleared'; readonly reason: string }
  | { readonly outcome: 'raise'; readonly reason: string; readonly alert: { readonly alertClass: string; readonly priority: Priority; readonly kind: AlertKind } }

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

/**
 * A kind of rule: a pure, deterministic reducer over events and deadlines. No I/O, no clock:
 * time arrives as `input.at` or the deadline's `now`.
 */
export interface RuleKind<C, S> {
  initial(): S
  /** Event types this rule reacts to; others never reach `onEvent`. */
  triggers(rule: C): readonly string[]
  onEvent(rule: C, state: S, input: RuleInput): RuleStep<S>
  onTimer(rule: C, state: S, now: number): RuleStep<S>
}
