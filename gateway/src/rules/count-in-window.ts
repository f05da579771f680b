import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleKind, type RuleStep } from './types.js'

export interface CountState {
  /** Receipt times of recent hits, oldest first, none older than the window. */
  readonly hits: readonly number[]
}

/** k hits within m seconds (k motion detections in a minute). The count restarts after a raise. */
export const countInWindow: RuleKind<RuleOf<'count_in_window'>, CountState> = {
  initial: () => ({ hits: [] }),
  triggers: (rule) => [rule.on],
  onEvent(rule, state, input, ctx): RuleStep<CountState> {
    const windowMs = rule.window_s * 1000
    const hits = [...state.hits.filter((t) => t > input.at - windowMs), input.at]
    if (!ctx.inHours(input.at)) return { state: { hits: [] }, decisions: [{ outcome: 'outside_hours', reason: `${rule.on} outside active hours: not counted` }] }
    if (hits.length >= rule.count) return { state: { hits: [] }, decisions: [raiseDecision(rule, `${hits.length} × ${rule.on} within ${rule.window_s} s (threshold ${rule.count})`)] }
    return { state: { hits }, decisions: [{ outcome: 'pending', reason: `${hits.length} of ${rule.count} × ${rule.on} within ${rule.window_s} s` }] }
  },
  onTimer: (_rule, state) => ({ state, decisions: [{ outcome: 'ignore', reason: 'count rules set no deadlines' }] }),
}
