import type { RuleConfig } from '../config/schema.js'
import { formatDuration, formatTime } from './explain.js'
import type { RuleKind, RuleStep } from './types.js'

type BedExitConfig = Extract<RuleConfig, { kind: 'bed_exit' }>

/** `in`: in bed (or unknown); `out`: out and the delay is running; `alerted`: out past the delay, alert raised. */
export interface BedExitState {
  readonly phase: 'in' | 'out' | 'alerted'
  readonly since: number | null
}

/**
 * Delay then confirm, with cancel: out of bed starts a delay; back in bed within it (inclusive) cancels,
 * and the suppression is recorded with its reason; still out when it ends raises one alert.
 */
export const bedExit: RuleKind<BedExitConfig, BedExitState> = {
  initial: () => ({ phase: 'in', since: null }),
  triggers: () => ['out_of_bed', 'in_bed'],

  onEvent(rule, state, input): RuleStep<BedExitState> {
    const delayMs = rule.delay_s * 1000
    if (input.type === 'out_of_bed') {
      if (state.phase !== 'in') return { state, decisions: [{ outcome: 'ignore', reason: `already out of bed since ${formatTime(state.since ?? input.at)}` }] }
      if (delayMs === 0) {
        return { state: { phase: 'alerted', since: input.at }, decisions: [raise(rule, 'out of bed with a 0 s delay: immediate alert')] }
      }
      return {
        state: { phase: 'out', since: input.at },
        decisions: [{ outcome: 'pending', reason: `out of bed; alert if not back within ${rule.delay_s} s` }],
        timer: { dueAt: input.at + delayMs },
      }
    }
    // in_bed
    const away = state.since === null ? 0 : input.at - state.since
    if (state.phase === 'out') {
      // The deadline may fire late (busy process, restart); the return time decides, not the timer.
      if (away > delayMs) {
        return {
          state: { phase: 'in', since: null },
          decisions: [
            raise(rule, `not back in bed within ${rule.delay_s} s (back after ${formatDuration(away)}, before the deadline was processed)`),
            { outcome: 'cleared', reason: `back in bed after ${formatDuration(away)}; the alert stays open until a carer closes it` },
          ],
          timer: 'clear',
        }
      }
      return {
        state: { phase: 'in', since: null },
        decisions: [{ outcome: 'suppress', reason: `suppressed: back in bed after ${formatDuration(away)}, within the ${rule.delay_s} s delay` }],
        timer: 'clear',
      }
    }
    if (state.phase === 'alerted') {
      return { state: { phase: 'in', since: null }, decisions: [{ outcome: 'cleared', reason: `back in bed after ${formatDuration(away)}; the alert stays open until a carer closes it` }] }
    }
    return { state, decisions: [{ outcome: 'ignore', reason: 'already in bed' }] }
  },

  onTimer(rule, state, now): RuleStep<BedExitState> {
    if (state.phase !== 'out' || state.since === null) return { state, decisions: [{ outcome: 'ignore', reason: 'deadline no longer applies' }] }
    const dueAt = state.since + rule.delay_s * 1000
    // A stored deadline can predate a longer delay in a new configuration: move it, never raise early.
    if (now < dueAt) return { state, decisions: [{ outcome: 'pending', reason: `deadline moved: the delay is now ${rule.delay_s} s` }], timer: { dueAt } }
    return {
      state: { phase: 'alerted', since: state.since },
      decisions: [raise(rule, `not back in bed within ${rule.delay_s} s (out since ${formatTime(state.since)}, ${formatDuration(now - state.since)} ago)`)],
    }
  },
}

function raise(rule: BedExitConfig, reason: string) {
  return { outcome: 'raise' as const, reason, alert: { alertClass: rule.alert_class, priority: rule.priority, kind: 'care' as const } }
}
