import { formatTime } from './explain.js'
import { nextLocalTime, previousLocalTime } from './local-time.js'
import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleKind, type RuleStep } from './types.js'

export interface ExpectedByState {
  /** Receipt time of the last `expect` event. */
  readonly lastSeen: number | null
}

/**
 * Expected event missing: `expect` must arrive between `from` and `by` (site local time) each day, e.g.
 * "not in bed by 23:00" (expect in_bed from 20:00 by 23:00) or a daily check-in by 10:00. The deadline
 * is the next local `by`, re-armed daily; it comes from the clock, so `arm` sets it when none is stored.
 */
export const expectedBy: RuleKind<RuleOf<'expected_by'>, ExpectedByState> = {
  initial: () => ({ lastSeen: null }),
  triggers: (rule) => [rule.expect],
  onEvent: (_rule, _state, input) => ({ state: { lastSeen: input.at }, decisions: [] }),
  arm: (rule, state, now, ctx) => ({ state, decisions: [], timer: { dueAt: nextLocalTime(now, ctx.tz, rule.by) } }),
  onTimer(rule, state, now, ctx): RuleStep<ExpectedByState> {
    // The window that ends at this deadline began at the most recent local `from` before it.
    const windowStart = previousLocalTime(now, ctx.tz, rule.from)
    const next = { dueAt: nextLocalTime(now, ctx.tz, rule.by) }
    const span = `between ${rule.from} and ${rule.by} (${ctx.tz})`
    if (state.lastSeen !== null && state.lastSeen >= windowStart) {
      return { state, decisions: [{ outcome: 'ignore', reason: `${rule.expect} at ${formatTime(state.lastSeen)}, ${span}` }], timer: next }
    }
    return { state, decisions: [raiseDecision(rule, `no ${rule.expect} ${span}`)], timer: next }
  },
}
