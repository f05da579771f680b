import { formatDuration, formatTime } from './explain.js'
import type { RuleOf } from './rule-config.js'
import { type Decision, raiseDecision, type RuleContext, type RuleKind, type RuleStep } from './types.js'

type Config = RuleOf<'inactivity'>

export interface InactivityState {
  /** Receipt time of the last activity, or when monitoring started. */
  readonly lastSeen: number | null
  /** This count of quiet time has raised its alert: no other until there is activity or its active hours end. */
  readonly alerted: boolean
  /** With active hours: this count began when they did, after quiet time outside them (`lastSeen` is older). */
  readonly countFrom?: number
  /** An alert from a count that ended with its active hours, no activity since: the next activity reports `cleared`. */
  readonly earlierAlert?: true
}

/**
 * No activity (`on` events, e.g. motion) for `period_s`. Activity only moves the deadline, which is not a
 * decision and so writes no audit row; the first activity after an alert is recorded as `cleared`.
 * With active hours only quiet time inside them counts: a count ends when the hours it runs in end (after
 * an alert, with one decision that says so), and the next starts when they begin again. Otherwise a person
 * asleep at 08:00 would be paged at the opening of day hours for "no motion for 13 h" since the evening.
 */
export const inactivity: RuleKind<Config, InactivityState> = {
  initial: () => ({ lastSeen: null, alerted: false }),
  triggers: (rule) => rule.on,
  onEvent(rule, state, input): RuleStep<InactivityState> {
    // Not bounded by the end of active hours: that would cost a time-zone walk per motion event, and onTimer
    // handles a deadline that falls outside them or in later ones.
    const timer = { dueAt: input.at + rule.period_s * 1000 }
    if (state.alerted || state.earlierAlert) {
      return { state: { lastSeen: input.at, alerted: false }, decisions: [{ outcome: 'cleared', reason: `${input.type} after ${formatDuration(input.at - (state.lastSeen ?? input.at))} without activity` }], timer }
    }
    return { state: { lastSeen: input.at, alerted: false }, decisions: [], timer }
  },
  arm: (rule, state, now, ctx) => {
    const s = { ...state, lastSeen: state.lastSeen ?? now }
    const from = s.countFrom ?? s.lastSeen
    if (s.alerted) return { state: s, decisions: [], ...timerAt(ctx.hoursEnd(from)) }
    return { state: s, decisions: [], timer: { dueAt: Math.max(now, from + rule.period_s * 1000) } }
  },
  onTimer(rule, state, now, ctx): RuleStep<InactivityState> {
    const from = state.countFrom ?? state.lastSeen ?? now
    const end = ctx.hoursEnd(from)
    if (end !== null && now >= end) {
      const ended = endCount(rule, state, end)
      if (!ctx.inHours(now)) return { ...ended, ...timerAt(ctx.hoursBegin(now)) }
      // Processed inside later active hours (the deadline fell in them, or after a restart): count from their start.
      const next = inactivity.onTimer(rule, { ...ended.state, countFrom: hoursBegan(ctx, end, now) }, now, ctx)
      return { ...next, decisions: [...ended.decisions, ...next.decisions] }
    }
    if (state.alerted) return { state, decisions: [] }
    const dueAt = from + rule.period_s * 1000
    if (now < dueAt) return { state, decisions: [], timer: { dueAt: end === null ? dueAt : Math.min(dueAt, end) } }
    const last = state.lastSeen ?? from
    const quiet = state.countFrom === undefined
      ? `no ${rule.on.join(' or ')} for ${formatDuration(now - last)} (last at ${formatTime(last)})`
      : `no ${rule.on.join(' or ')} for ${formatDuration(now - from)} since active hours began at ${formatTime(from)} (last at ${formatTime(last)})`
    return { state: { ...state, alerted: true }, decisions: [raiseDecision(rule, quiet)], ...timerAt(end) }
  },
}

const timerAt = (dueAt: number | null): { timer?: { dueAt: number } } => (dueAt === null ? {} : { timer: { dueAt } })

/** The count's active hours ended at `end`. Only a count that alerted says so (a quiet day is not news). */
function endCount(rule: Config, state: InactivityState, end: number): { state: InactivityState; decisions: Decision[] } {
  const next: InactivityState = { lastSeen: state.lastSeen, alerted: false, ...(state.alerted || state.earlierAlert ? { earlierAlert: true } : {}) }
  if (!state.alerted) return { state: next, decisions: [] }
  const since = state.lastSeen === null ? '' : ` since ${formatTime(state.lastSeen)}`
  const reason = `active hours ended at ${formatTime(end)} with no ${rule.on.join(' or ')}${since}: this count ended with its alert; the next starts when active hours begin; an open alert stays open until a carer closes it`
  return { state: next, decisions: [{ outcome: 'outside_hours', reason }] }
}

/** When the active hours holding `now` began: the first stretch after `after` (outside them) that reaches `now`. */
function hoursBegan(ctx: RuleContext, after: number, now: number): number {
  let begin = ctx.hoursBegin(after)
  // One step per stretch of active hours missed: a day each, so bounded to two months of outage.
  for (let i = 0; begin !== null && i < 64; i++) {
    const end = ctx.hoursEnd(begin)
    if (end === null || end > now) return begin
    begin = ctx.hoursBegin(end)
  }
  return now
}
