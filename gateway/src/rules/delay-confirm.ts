import { deferredToHours, endThen, ended, episodeEnd, episodeTimer } from './episode.js'
import { formatDuration, formatTime } from './explain.js'
import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleContext, type RuleInput, type RuleKind, type RuleStep } from './types.js'

type Config = RuleOf<'bed_exit'> | RuleOf<'delay_confirm'>

/**
 * `unarmed`: waiting for the cancel state to hold `min_armed_s` (in bed 30 s) before monitoring;
 * `arming`: in the cancel state, the arming deadline running; `in`: armed, nothing happening;
 * `out`: start seen, the delay running; `alerted`: still out after the delay, alert raised;
 * `ended`: still out, but the active hours the episode began in have ended (episode.ts): not monitored.
 */
export interface DelayConfirmState {
  readonly phase: 'unarmed' | 'arming' | 'in' | 'out' | 'alerted' | 'ended'
  readonly since: number | null
  /** `ended` only: the episode had raised an alert, so the cancel still reports `cleared` for it. */
  readonly alerted?: true
}

const startOf = (r: Config) => (r.kind === 'bed_exit' ? 'out_of_bed' : r.start)
const cancelOf = (r: Config) => (r.kind === 'bed_exit' ? 'in_bed' : r.cancel)
const words = (r: Config) => (r.kind === 'bed_exit' ? { out: 'out of bed', back: 'back in bed' } : { out: `${r.start}`, back: `${r.cancel}` })

/** An episode in progress: the delay running, or alerted. */
type Open = DelayConfirmState & { readonly since: number }
const open = (s: DelayConfirmState): s is Open => (s.phase === 'out' || s.phase === 'alerted') && s.since !== null

/**
 * Delay then confirm, with cancel (bed exit: out of bed → alert if not back within N s). A return at or
 * before the deadline cancels and is recorded as a suppression with its reason; still out when it passes
 * raises one alert, and optionally re-alerts `realert_after_s` later. The return time decides, not the
 * timer, so a deadline processed late never turns a late return into "within the delay". With active
 * hours, the episode ends when the hours it began in end (episode.ts): no raise or re-alert after that.
 */
export const delayConfirm: RuleKind<Config, DelayConfirmState> = {
  initial: (rule) => ({ phase: rule.min_armed_s ? 'unarmed' : 'in', since: null }),
  triggers: (rule) => [startOf(rule), cancelOf(rule)],

  onEvent(rule, state, input, ctx): RuleStep<DelayConfirmState> {
    const over = open(state) ? episodeEnd(ctx, state.since) : null
    return ended(over, input.at) ? endThen(end(rule, state as Open, over), (s) => fold(rule, s, input, ctx)) : fold(rule, state, input, ctx)
  },

  onTimer(rule, state, now, ctx): RuleStep<DelayConfirmState> {
    const w = words(rule)
    if (state.phase === 'arming' && state.since !== null) {
      const due = state.since + (rule.min_armed_s ?? 0) * 1000
      if (now < due) return { state, decisions: [], timer: { dueAt: due } }
      return { state: { phase: 'in', since: null }, decisions: [{ outcome: 'pending', reason: `monitoring armed: ${w.back} for ${rule.min_armed_s} s` }] }
    }
    if (!open(state)) return { state, decisions: [{ outcome: 'ignore', reason: 'deadline no longer applies' }] }
    const over = episodeEnd(ctx, state.since)
    if (ended(over, now)) return end(rule, state, over)
    const later = deferredToHours(ctx, now)
    if (state.phase === 'alerted') {
      if (!rule.realert_after_s) return { state, decisions: [{ outcome: 'ignore', reason: 'deadline no longer applies' }] }
      if (later !== null) return { state, decisions: [], ...episodeTimer(over, later) }
      return { state, decisions: [raiseDecision(rule, `still not ${w.back} after ${formatDuration(now - state.since)}: re-alert`, true)], ...alertedTimer(rule, over, now) }
    }
    const dueAt = state.since + rule.delay_s * 1000
    // A stored deadline can predate a longer delay in a new configuration: move it, never raise early.
    if (now < dueAt) return { state, decisions: [{ outcome: 'pending', reason: `deadline moved: the delay is now ${rule.delay_s} s` }], ...episodeTimer(over, dueAt) }
    if (later !== null) return { state, decisions: [], ...episodeTimer(over, later) }
    return {
      state: { phase: 'alerted', since: state.since },
      decisions: [raiseDecision(rule, `not ${w.back} within ${rule.delay_s} s (${w.out} since ${formatTime(state.since)}, ${formatDuration(now - state.since)} ago)`)],
      ...alertedTimer(rule, over, now),
    }
  },
}

/** One event, with any episode whose active hours have ended already ended. */
function fold(rule: Config, state: DelayConfirmState, input: RuleInput, ctx: RuleContext): RuleStep<DelayConfirmState> {
  const w = words(rule)
  if (input.type === startOf(rule)) {
    // A start after an ended episode (its cancel never came) is a new episode, judged from the initial state: armed,
    // or with min_armed_s waiting for the cancel state to hold first, as for a person never seen in bed.
    if (state.phase === 'ended') return fold(rule, delayConfirm.initial(rule), input, ctx)
    if (state.phase === 'unarmed') return { state, decisions: [{ outcome: 'ignore', reason: `${w.out}, but monitoring is not armed yet (needs ${w.back} for ${rule.min_armed_s} s)` }] }
    if (state.phase === 'arming') {
      const held = input.at - (state.since ?? input.at)
      return { state: { phase: 'unarmed', since: null }, decisions: [{ outcome: 'ignore', reason: `${w.out} after ${formatDuration(held)} ${w.back}; monitoring arms after ${rule.min_armed_s} s` }], timer: 'clear' }
    }
    if (state.phase !== 'in') return { state, decisions: [{ outcome: 'ignore', reason: `already ${w.out} since ${formatTime(state.since ?? input.at)}` }] }
    if (!ctx.inHours(input.at)) return { state, decisions: [{ outcome: 'outside_hours', reason: `${w.out} outside active hours: not monitored` }] }
    if (rule.delay_s === 0) {
      return { state: { phase: 'alerted', since: input.at }, decisions: [raiseDecision(rule, `${w.out} with a 0 s delay: immediate alert`)], ...alertedTimer(rule, episodeEnd(ctx, input.at), input.at) }
    }
    return {
      state: { phase: 'out', since: input.at },
      decisions: [{ outcome: 'pending', reason: `${w.out}; alert if not ${w.back} within ${rule.delay_s} s` }],
      ...episodeTimer(episodeEnd(ctx, input.at), input.at + rule.delay_s * 1000),
    }
  }
  // The cancel event.
  const away = state.since === null ? 0 : input.at - state.since
  const settled: DelayConfirmState = rule.min_armed_s ? { phase: 'arming', since: input.at } : { phase: 'in', since: null }
  const armTimer = rule.min_armed_s ? { dueAt: input.at + rule.min_armed_s * 1000 } : ('clear' as const)
  if (state.phase === 'out') {
    if (away > rule.delay_s * 1000) {
      return {
        state: settled,
        decisions: [
          raiseDecision(rule, `not ${w.back} within ${rule.delay_s} s (${w.back} after ${formatDuration(away)}, before the deadline was processed)`),
          { outcome: 'cleared', reason: `${w.back} after ${formatDuration(away)}; an open alert stays open until a carer closes it` },
        ],
        timer: armTimer,
      }
    }
    return { state: settled, decisions: [{ outcome: 'suppress', reason: `suppressed: ${w.back} after ${formatDuration(away)}, within the ${rule.delay_s} s delay` }], timer: armTimer }
  }
  if (state.phase === 'alerted' || (state.phase === 'ended' && state.alerted)) {
    return { state: settled, decisions: [{ outcome: 'cleared', reason: `${w.back} after ${formatDuration(away)}; an open alert stays open until a carer closes it` }], timer: armTimer }
  }
  if (state.phase === 'ended') {
    const arms = rule.min_armed_s ? `; monitoring arms in ${rule.min_armed_s} s` : ''
    return { state: settled, decisions: [{ outcome: 'ignore', reason: `${w.back} after ${formatDuration(away)}; not monitored since active hours ended${arms}` }], timer: armTimer }
  }
  if (state.phase === 'unarmed') return { state: settled, decisions: [{ outcome: 'pending', reason: `${w.back}; monitoring arms in ${rule.min_armed_s} s` }], timer: armTimer }
  return { state, decisions: [{ outcome: 'ignore', reason: `already ${w.back}` }] }
}

/** After a raise at `from`: the next re-alert, if any, or the end of the episode's active hours if sooner. */
function alertedTimer(rule: Config, end: number | null, from: number): { timer?: { dueAt: number } } {
  return episodeTimer(end, rule.realert_after_s ? from + rule.realert_after_s * 1000 : null)
}

/**
 * The active hours the episode began in have ended: it ends, unwatched, with no deadline left. One decision, at the
 * end of the hours, says so; the person may still be out, and only a new start inside active hours is monitored.
 */
function end(rule: Config, state: Open, at: number): RuleStep<DelayConfirmState> {
  const w = words(rule)
  const when = `active hours ended at ${formatTime(at)}, ${formatDuration(at - state.since)} after ${w.out} at ${formatTime(state.since)}`
  const next = `not monitored until the next ${w.out} inside active hours`
  const reason = state.phase === 'alerted'
    ? `${when}, not ${w.back}: episode ended${rule.realert_after_s ? ', no more re-alerts' : ''}; ${next}; an open alert stays open until a carer closes it`
    : `${when}: episode ended without an alert; ${next}`
  return { state: { phase: 'ended', since: state.since, ...(state.phase === 'alerted' ? { alerted: true as const } : {}) }, decisions: [{ outcome: 'outside_hours', reason }], timer: 'clear' }
}
