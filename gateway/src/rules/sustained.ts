import { deferredToHours, endThen, ended, episodeEnd, episodeTimer } from './episode.js'
import { formatDuration, formatTime } from './explain.js'
import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleContext, type RuleInput, type RuleKind, type RuleStep } from './types.js'

type Config = RuleOf<'sustained'>

/**
 * `idle`: nothing active; `active`: start seen, the minimum duration running; `alerted`: it lasted, alert raised;
 * `ended`: no stop yet, but the active hours the episode began in have ended (episode.ts): not monitored.
 */
export interface SustainedState {
  readonly phase: 'idle' | 'active' | 'alerted' | 'ended'
  readonly since: number | null
  /** `ended` only: the episode had raised an alert, so the stop still reports `cleared` for it. */
  readonly alerted?: true
}

type Open = SustainedState & { readonly since: number }
const open = (s: SustainedState): s is Open => (s.phase === 'active' || s.phase === 'alerted') && s.since !== null

/**
 * Sustained condition (seizure movement, vibration): `start` … `stop` lasting at least `min_duration_s`
 * raises; a shorter burst is recorded as suppressed with its length. With active hours, the episode ends
 * when the hours it began in end (episode.ts), so a lost stop never hides the next night's start.
 */
export const sustained: RuleKind<Config, SustainedState> = {
  initial: () => ({ phase: 'idle', since: null }),
  triggers: (rule) => [rule.start, rule.stop],
  onEvent(rule, state, input, ctx): RuleStep<SustainedState> {
    const over = open(state) ? episodeEnd(ctx, state.since) : null
    return ended(over, input.at) ? endThen(end(rule, state as Open, over), (s) => fold(rule, s, input, ctx)) : fold(rule, state, input, ctx)
  },
  onTimer(rule, state, now, ctx): RuleStep<SustainedState> {
    if (!open(state)) return { state, decisions: [{ outcome: 'ignore', reason: 'deadline no longer applies' }] }
    const over = episodeEnd(ctx, state.since)
    if (ended(over, now)) return end(rule, state, over)
    if (state.phase === 'alerted') return { state, decisions: [{ outcome: 'ignore', reason: 'deadline no longer applies' }] }
    const dueAt = state.since + rule.min_duration_s * 1000
    if (now < dueAt) return { state, decisions: [], ...episodeTimer(over, dueAt) }
    const later = deferredToHours(ctx, now)
    if (later !== null) return { state, decisions: [], ...episodeTimer(over, later) }
    return { state: { phase: 'alerted', since: state.since }, decisions: [raiseDecision(rule, `${rule.start} sustained for ${formatDuration(now - state.since)} (at least ${rule.min_duration_s} s)`)], ...episodeTimer(over, null) }
  },
}

/** One event, with any episode whose active hours have ended already ended. */
function fold(rule: Config, state: SustainedState, input: RuleInput, ctx: RuleContext): RuleStep<SustainedState> {
  if (input.type === rule.start) {
    // Still running: the earlier start stands (the alert comes no later for it).
    if (state.phase === 'active') return { state, decisions: [{ outcome: 'ignore', reason: `${rule.start} while already active` }] }
    // A start after the alert with no stop between: the stop was lost (a radio frame), and this is a new episode. Kept
    // as the old one, every later seizure of a rule without active hours was ignored for good.
    const again = state.phase === 'alerted' ? ` again, ${formatDuration(input.at - (state.since ?? input.at))} after the alerted one began (its ${rule.stop} never came): a new episode` : ''
    // From idle, or after an ended episode whose stop never came: a new episode.
    if (!ctx.inHours(input.at)) return { state: { phase: 'idle', since: null }, decisions: [{ outcome: 'outside_hours', reason: `${rule.start}${again} outside active hours: not monitored` }], timer: 'clear' }
    // No `cleared` for the old one: a start re-sent for the same seizure (a contact module's first status after a
    // restart) would cancel its unanswered alert. If this one lasts, its raise is a repeat of the open alert, or a new
    // alert that pages once the old one was accepted long enough ago (lifecycle/alert-service.ts).
    return { state: { phase: 'active', since: input.at }, decisions: [{ outcome: 'pending', reason: `${rule.start}${again}; alert if it lasts ${rule.min_duration_s} s` }], ...episodeTimer(episodeEnd(ctx, input.at), input.at + rule.min_duration_s * 1000) }
  }
  const lasted = state.since === null ? 0 : input.at - state.since
  const idle: SustainedState = { phase: 'idle', since: null }
  if (state.phase === 'active') {
    if (lasted >= rule.min_duration_s * 1000) {
      // The deadline was processed late; the condition did last long enough.
      return { state: idle, decisions: [raiseDecision(rule, `${rule.start} lasted ${formatDuration(lasted)}, at least ${rule.min_duration_s} s`), { outcome: 'cleared', reason: `${rule.stop} after ${formatDuration(lasted)}` }], timer: 'clear' }
    }
    return { state: idle, decisions: [{ outcome: 'suppress', reason: `suppressed: ${rule.stop} after ${formatDuration(lasted)}, shorter than ${rule.min_duration_s} s` }], timer: 'clear' }
  }
  if (state.phase === 'alerted' || (state.phase === 'ended' && state.alerted)) {
    return { state: idle, decisions: [{ outcome: 'cleared', reason: `${rule.stop} after ${formatDuration(lasted)}; an open alert stays open until a carer closes it` }], timer: 'clear' }
  }
  if (state.phase === 'ended') return { state: idle, decisions: [{ outcome: 'ignore', reason: `${rule.stop} after ${formatDuration(lasted)}; not monitored since active hours ended` }] }
  return { state, decisions: [{ outcome: 'ignore', reason: `${rule.stop} with nothing active` }] }
}

/** The active hours the episode began in have ended: it ends, with no deadline left, and one decision says so. */
function end(rule: Config, state: Open, at: number): RuleStep<SustainedState> {
  const when = `active hours ended at ${formatTime(at)}, ${formatDuration(at - state.since)} after ${rule.start} at ${formatTime(state.since)} with no ${rule.stop}`
  const next = `not monitored until the next ${rule.start} inside active hours`
  const reason = state.phase === 'alerted' ? `${when}: episode ended; ${next}; an open alert stays open until a carer closes it` : `${when}: episode ended without an alert; ${next}`
  return { state: { phase: 'ended', since: state.since, ...(state.phase === 'alerted' ? { alerted: true as const } : {}) }, decisions: [{ outcome: 'outside_hours', reason }], timer: 'clear' }
}
