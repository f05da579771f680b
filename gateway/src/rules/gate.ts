import { formatDuration, formatTime } from './explain.js'
import type { Priority } from '../core/alert.js'
import type { Suppression, SuppressionKind } from '../core/suppression.js'
import type { RuleConfig } from './rule-config.js'
import type { Decision } from './types.js'

/** A suppression in force: carer present, person away or in hospital, device in maintenance. */
export type ActiveSuppression = Pick<Suppression, 'id' | 'kind' | 'scope' | 'target' | 'reason' | 'setBy' | 'expiresAt'>

const kindWords: Record<Suppression['kind'], string> = { carer_present: 'carer present', away: 'person away', maintenance: 'device in maintenance' }

/**
 * Whether a suppression of this kind holds back a raise of this priority. A carer recorded in the room never holds
 * back a high-priority alarm (seizure, fall): the carer there may be the one who needs help, and a presence button
 * pressed and forgotten must not silence the worst alarm for its whole timeout (product.md: a lost or late seizure
 * alert is the worst failure). Away and maintenance hold back every priority: the person is not there, or the AT
 * team is testing the device.
 */
export function holdsBack(kind: SuppressionKind, priority: Priority): boolean {
  return kind !== 'carer_present' || priority !== 'high'
}

/**
 * What a raise says about the carer-present suppression it went through (the only kind holdsBack lets a raise
 * through), so the audit shows the suppression was seen and why it was not applied. It names who set it and until
 * when, never its reason: that is free text about the person, which the privacy split cuts out of suppressed
 * decisions only (privacy/personal-fields.ts), not out of raises.
 */
function notApplied(s: ActiveSuppression): string {
  return `; not suppressed although a carer is recorded present (set by ${s.setBy}, until ${formatTime(s.expiresAt)}): a carer-present suppression never holds back a high-priority rule`
}

export interface GateContext {
  readonly inHours: (at: number) => boolean
  readonly describeHours: string
  /** Suppressions in force at the decision time for this person and device. */
  readonly suppressions: readonly ActiveSuppression[]
}

/**
 * The shared modifiers, applied to every raise of every rule kind, in a fixed order:
 * active hours, then suppression, then rate limit. A turned-down raise keeps its reason and
 * says why it was turned down; a raise that went through a suppression (see holdsBack) says so.
 * `raised` is the rule's recent alert times (rate-limit memory).
 */
export function gate(rule: RuleConfig, d: Decision, at: number, raised: readonly number[], ctx: GateContext): { decision: Decision; raised: readonly number[] } {
  if (d.outcome !== 'raise') return { decision: d, raised }
  if (!ctx.inHours(at)) {
    return { decision: { outcome: 'outside_hours', reason: `outside active hours ${ctx.describeHours}: ${d.reason}` }, raised }
  }
  // Read once: the pipeline's context queries the store on each read (only a raise inside active hours asks).
  const active = ctx.suppressions
  const s = active.find((x) => holdsBack(x.kind, d.alert.priority))
  if (s) {
    return { decision: { outcome: 'suppress', reason: `suppressed: ${kindWords[s.kind]} (${s.reason}; set by ${s.setBy}, until ${formatTime(s.expiresAt)}): ${d.reason}` }, raised }
  }
  const passed = active[0]
  return rateLimit(rule, passed ? { ...d, reason: d.reason + notApplied(passed) } : d, at, raised)
}

/** The last modifier, for a raise that passed active hours and suppressions. */
function rateLimit(rule: RuleConfig, d: Extract<Decision, { outcome: 'raise' }>, at: number, raised: readonly number[]): { decision: Decision; raised: readonly number[] } {
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
