import { formatDuration } from './explain.js'
import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleKind, type RuleStep } from './types.js'

export interface SustainedState {
  readonly phase: 'idle' | 'active' | 'alerted'
  readonly since: number | null
}

/**
 * Sustained condition (seizure movement, vibration): `start` … `stop` lasting at least `min_duration_s`
 * raises; a shorter burst is recorded as suppressed with its length.
 */
export const sustained: RuleKind<RuleOf<'sustained'>, SustainedState> = {
  initial: () => ({ phase: 'idle', since: null }),
  triggers: (rule) => [rule.start, rule.stop],
  onEvent(rule, state, input, ctx): RuleStep<SustainedState> {
    if (input.type === rule.start) {
      if (state.phase !== 'idle') return { state, decisions: [{ outcome: 'ignore', reason: `${rule.start} while already active` }] }
      if (!ctx.inHours(input.at)) return { state, decisions: [{ outcome: 'outside_hours', reason: `${rule.start} outside active hours: not monitored` }] }
      return { state: { phase: 'active', since: input.at }, decisions: [{ outcome: 'pending', reason: `${rule.start}; alert if it lasts ${rule.min_duration_s} s` }], timer: { dueAt: input.at + rule.min_duration_s * 1000 } }
    }
    const lasted = state.since === null ? 0 : input.at - state.since
    if (state.phase === 'active') {
      if (lasted >= rule.min_duration_s * 1000) {
        // The deadline was processed late; the condition did last long enough.
        return { state: { phase: 'idle', since: null }, decisions: [raiseDecision(rule, `${rule.start} lasted ${formatDuration(lasted)}, at least ${rule.min_duration_s} s`), { outcome: 'cleared', reason: `${rule.stop} after ${formatDuration(lasted)}` }], timer: 'clear' }
      }
      return { state: { phase: 'idle', since: null }, decisions: [{ outcome: 'suppress', reason: `suppressed: ${rule.stop} after ${formatDuration(lasted)}, shorter than ${rule.min_duration_s} s` }], timer: 'clear' }
    }
    if (state.phase === 'alerted') return { state: { phase: 'idle', since: null }, decisions: [{ outcome: 'cleared', reason: `${rule.stop} after ${formatDuration(lasted)}; an open alert stays open until a carer closes it` }] }
    return { state, decisions: [{ outcome: 'ignore', reason: `${rule.stop} with nothing active` }] }
  },
  onTimer(rule, state, now): RuleStep<SustainedState> {
    if (state.phase !== 'active' || state.since === null) return { state, decisions: [{ outcome: 'ignore', reason: 'deadline no longer applies' }] }
    const dueAt = state.since + rule.min_duration_s * 1000
    if (now < dueAt) return { state, decisions: [], timer: { dueAt } }
    return { state: { phase: 'alerted', since: state.since }, decisions: [raiseDecision(rule, `${rule.start} sustained for ${formatDuration(now - state.since)} (at least ${rule.min_duration_s} s)`)] }
  },
}
