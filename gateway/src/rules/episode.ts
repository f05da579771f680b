import type { RuleContext, RuleStep } from './types.js'

/**
 * An episode (out of bed, a sustained burst) is watched only during the stretch of active hours it began in. Carried
 * past their end, its deadline or re-alert fires the next evening as "still not back in bed after 14 h": a false page
 * about a condition that began in another night. So the episode ends when those hours end, and only a new start
 * inside the next active hours begins another. Without active hours an episode never ends this way.
 */

/** When the active hours the episode began in (at `since`) end; null if they never do. */
export const episodeEnd = (ctx: RuleContext, since: number): number | null => ctx.hoursEnd(since)

/** True when the episode's active hours, ending at `end`, have ended by `now`. */
export const ended = (end: number | null, now: number): end is number => end !== null && now >= end

/** The episode's one deadline: `dueAt` (its delay or re-alert, if any), or `end` (of its active hours) if sooner. */
export function episodeTimer(end: number | null, dueAt: number | null): { timer?: { dueAt: number } } {
  const at = end === null ? dueAt : dueAt === null ? end : Math.min(dueAt, end)
  return at === null ? {} : { timer: { dueAt: at } }
}

/**
 * An event reaching an episode whose active hours ended before it (its end deadline not yet processed, e.g. after a
 * restart): record the end first, as the deadline would have, then fold the event into the ended state.
 */
export function endThen<S>(closing: RuleStep<S>, then: (state: S) => RuleStep<S>): RuleStep<S> {
  const next = then(closing.state)
  return { state: next.state, decisions: [...closing.decisions, ...next.decisions], timer: next.timer ?? 'clear' }
}
