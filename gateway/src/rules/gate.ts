import { formatDuration, formatTime } from './explain.js'
import type { Suppression } from '../core/suppression.js'
import type { RuleConfig } from './rule-config.js'
import type { Decision } from './types.js'

/** A suppression in force: carer present, person away or in hospital, device in maintenance. */
export type ActiveSuppression = Pick<Suppression, 'id' | 'kind' | 'scope' | 'target' | 'reason' | 'setBy' | 'expiresAt'>

const kindWords: Record<Suppression['kind'], string> = { carer_present: 'carer present', away: 'person away', maintenance: 'device in maintenance' }

export interface GateContext {
  readonly inHours: (at: number) => boolean
  readonly describeHours: string
  /** Suppressions in force at the decision time for this person and device. */
  readonly suppressions: readonly ActiveSuppression[]
}

/**
 * The shared modifiers, applied to every raise of every rule kind, in a fixed order:
 * active hours, then suppression, then rate limit. A turned-down raise keeps its reason and
 * says why it was turned down. `raised` is the rule's recent alert times (rate-limit memory).
 */
export function gate(rule: RuleConfig, d: Decision, at: number, raised: readonly number[], ctx: GateContext): { decision: Decision; raised: readonly number[] } {
  if (d.outcome !== 'raise') return { decision: d, raised }
  if (!ctx.inHours(at)) {
    return { decision: { outcome: 'outside_hours', reason: `outside active hours ${ctx.describeHours}: ${d.reason}` }, raised }
  }
  const s = ctx.suppressions[0]
  if (s) {
    return { decision: { outcome: 'suppress', reason: `suppressed: ${kindWords[s.kind]} (${s.reason}; set by ${s.setBy}, until ${formatTime(s.expiresAt)}): ${d.reason}` }, raised }
  }
  const rl = rule.rate_limit
  // A re-alert belongs to an alert already raised: it is neither limited nor counted as a new alert.
  if (d.realert) return { decision: d, raised }
  if (rl) {
    const last = raised.at(-1)
    if (last !== undefined && rl.rearm_s > 0 && at - last < rl.rearm_s * 1000) {
      return { decision: { outcome: 'rate_limited', reason: `rate-limited: last alert ${formatDuration(at - last)} ago, re-arm time ${rl.rearm_s} s: ${d.reason}` }, raised }
    }
    const recent = raised.filter((t) => t > at - rl.window_s * 1000)
    if (rl.max_repeats !== undefined && recent.length >= rl.max_repeats) {
      return { decision: { outcome: 'rate_limited', reason: `rate-limited: ${recent.length} alerts in the last ${formatDuration(rl.window_s * 1000)} (maximum ${rl.max_repeats}): ${d.reason}` }, raised }
    }
    return { decision: d, raised: [...recent, at] }
  }
  return { decision: d, raised: [at] }
}
