import { formatTime } from './explain.js'
import { nextLocalTime, previousLocalTime } from '../core/local-time.js'
import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleKind, type RuleStep } from './types.js'

export interface ExpectedByState {
  /** Receipt times of recent `expect` events (last few days), oldest first. */
  readonly seen: readonly number[]
  /** The deadline currently set: the instant whose window is judged when it fires. */
  readonly dueAt: number | null
}

/** Keep enough history to judge deadlines missed during an outage of a few days. */
const KEEP_MS = 4 * 86_400_000

/**
 * Expected event missing: `expect` must arrive between `from` and `by` (site local time) each day, e.g.
 * "not in bed by 23:00" (expect in_bed from 20:00 by 23:00) or a daily check-in by 10:00. The deadline is
 * the next local `by`, re-armed daily; it comes from the clock, so `arm` sets it when none is stored.
 * A deadline is judged at its own instant, not when it happens to be processed: a late event never
 * counts as on time, and a deadline missed during an outage judges its own day.
 */
export const expectedBy: RuleKind<RuleOf<'expected_by'>, ExpectedByState> = {
  initial: () => ({ seen: [], dueAt: null }),
  triggers: (rule) => [rule.expect],
  onEvent: (_rule, state, input) => ({ state: { ...state, seen: [...state.seen.filter((t) => t > input.at - KEEP_MS), input.at] }, decisions: [] }),
  arm(rule, state, now, ctx) {
    const dueAt = nextLocalTime(now, ctx.tz, rule.by)
    return { state: { ...state, dueAt }, decisions: [], timer: { dueAt } }
  },
  onTimer(rule, state, now, ctx): RuleStep<ExpectedByState> {
    const deadline = state.dueAt ?? now
    // The stored deadline predates a change of `by`: move it, never judge the wrong window.
    if (nextLocalTime(deadline - 1, ctx.tz, rule.by) !== deadline) {
      const dueAt = nextLocalTime(now, ctx.tz, rule.by)
      return { state: { ...state, dueAt }, decisions: [{ outcome: 'pending', reason: `deadline moved: expected by ${rule.by} now` }], timer: { dueAt } }
    }
    if (now < deadline) return { state, decisions: [], timer: { dueAt: deadline } }
    const windowStart = previousLocalTime(deadline, ctx.tz, rule.from)
    const next = nextLocalTime(deadline, ctx.tz, rule.by)
    const after = { ...state, dueAt: next }
    const span = `between ${rule.from} and ${rule.by} (${ctx.tz})`
    const inWindow = state.seen.filter((t) => t >= windowStart && t <= deadline)
    if (inWindow.length > 0) {
      return { state: after, decisions: [{ outcome: 'ignore', reason: `${rule.expect} at ${formatTime(inWindow[0]!)}, ${span}` }], timer: { dueAt: next } }
    }
    return { state: after, decisions: [raiseDecision(rule, `no ${rule.expect} ${span}`)], timer: { dueAt: next } }
  },
}
