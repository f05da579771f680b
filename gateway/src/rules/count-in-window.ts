import { episodeEnd } from './episode.js'
import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleKind, type RuleStep } from './types.js'

export interface CountState {
  /** Receipt times of recent hits, oldest first, none older than the window, all in one stretch of active hours. */
  readonly hits: readonly number[]
  /** When the active hours holding `hits` end, once worked out (at the second hit); absent if they never end. */
  readonly until?: number
}

/**
 * k hits within m seconds (k motion detections in a minute). The count restarts after a raise, and with active
 * hours when they end: a hit from an earlier night never counts with tonight's, even when no event came in
 * between to clear it (a `window_s` longer than the hours' gap).
 */
export const countInWindow: RuleKind<RuleOf<'count_in_window'>, CountState> = {
  initial: () => ({ hits: [] }),
  triggers: (rule) => [rule.on],
  onEvent(rule, state, input, ctx): RuleStep<CountState> {
    if (!ctx.inHours(input.at)) return { state: { hits: [] }, decisions: [{ outcome: 'outside_hours', reason: `${rule.on} outside active hours: not counted` }] }
    const recent = state.hits.filter((t) => t > input.at - rule.window_s * 1000)
    // Worked out once per run of hits, not per event: a burst of motion reuses it.
    const until = recent.length === 0 ? undefined : state.until ?? episodeEnd(ctx, recent[0]!) ?? undefined
    const kept = until !== undefined && input.at >= until ? [] : recent
    const hits = [...kept, input.at]
    if (hits.length >= rule.count) return { state: { hits: [] }, decisions: [raiseDecision(rule, `${hits.length} × ${rule.on} within ${rule.window_s} s (threshold ${rule.count})`)] }
    return { state: { hits, ...(kept.length > 0 && until !== undefined ? { until } : {}) }, decisions: [{ outcome: 'pending', reason: `${hits.length} of ${rule.count} × ${rule.on} within ${rule.window_s} s` }] }
  },
  onTimer: (_rule, state) => ({ state, decisions: [{ outcome: 'ignore', reason: 'count rules set no deadlines' }] }),
}
