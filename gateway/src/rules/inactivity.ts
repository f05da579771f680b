import { formatDuration, formatTime } from './explain.js'
import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleKind, type RuleStep } from './types.js'

export interface InactivityState {
  /** Receipt time of the last activity, or when monitoring started. */
  readonly lastSeen: number | null
  readonly alerted: boolean
}

/** Outside active hours, look again this often (cheap: one stored deadline per rule). */
const RECHECK_MS = 5 * 60_000

/**
 * No activity (`on` events, e.g. motion) for `period_s`. Activity only moves the deadline, which is not a
 * decision and so writes no audit row; the first activity after an alert is recorded as `cleared`.
 */
export const inactivity: RuleKind<RuleOf<'inactivity'>, InactivityState> = {
  initial: () => ({ lastSeen: null, alerted: false }),
  triggers: (rule) => rule.on,
  onEvent(rule, state, input): RuleStep<InactivityState> {
    const timer = { dueAt: input.at + rule.period_s * 1000 }
    if (state.alerted) {
      return { state: { lastSeen: input.at, alerted: false }, decisions: [{ outcome: 'cleared', reason: `${input.type} after ${formatDuration(input.at - (state.lastSeen ?? input.at))} without activity` }], timer }
    }
    return { state: { lastSeen: input.at, alerted: false }, decisions: [], timer }
  },
  arm: (rule, state, now) => {
    const from = state.lastSeen ?? now
    return { state: { lastSeen: from, alerted: state.alerted }, decisions: [], ...(state.alerted ? {} : { timer: { dueAt: Math.max(now, from + rule.period_s * 1000) } }) }
  },
  onTimer(rule, state, now, ctx): RuleStep<InactivityState> {
    if (state.alerted) return { state, decisions: [] }
    const last = state.lastSeen ?? now
    const dueAt = last + rule.period_s * 1000
    if (now < dueAt) return { state, decisions: [], timer: { dueAt } }
    if (!ctx.inHours(now)) return { state, decisions: [], timer: { dueAt: now + RECHECK_MS } }
    return { state: { lastSeen: last, alerted: true }, decisions: [raiseDecision(rule, `no ${rule.on.join(' or ')} for ${formatDuration(now - last)} (last at ${formatTime(last)})`)] }
  },
}
