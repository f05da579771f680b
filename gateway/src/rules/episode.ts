import type { RuleContext, RuleStep } from './types.js'

/**
 * An episode (out of bed, a sustained burst) is watched only during the stretch of active hours it began in. Carried
 * past their end, its deadline or re-alert fires the next evening as "still not back in bed after 14 h": a false page
 * about a condition that began in another night. So the episode ends when those hours end, and only a new start
 * inside the next active hours begins another. Without active hours an episode never ends this way.
 */

/**
 * Active hours that stop and start again within this are one stretch for an episode: "until midnight" written as
 * 21:00–23:59 plus 00:00–07:00 leaves a one-minute gap (`to` is exclusive), and an hour's break in a night's
 * monitoring (a medication round) must not end a seizure or bed exit in progress: it would never be raised.
 */
export const EPISODE_GAP_MS = 60 * 60_000

/** When the active hours the episode began in (at `since`) end, gaps under EPISODE_GAP_MS bridged; null if never. */
export function episodeEnd(ctx: RuleContext, since: number): number | null {
  let end = ctx.hoursEnd(since)
  // Bounded: a day holds at most a few dozen windows.
  for (let i = 0; end !== null && i < 100; i++) {
    const back = ctx.hoursBegin(end)
    if (back === null || back - end >= EPISODE_GAP_MS) return end
    end = ctx.hoursEnd(back)
  }
  return end
}

/**
 * A raise or re-alert falling due inside a bridged gap waits for the hours to begin again (the gate would turn it
 * down as outside hours, and the episode would then hold no deadline): the deadline to set instead, or null when
 * `now` is inside active hours.
 */
export const deferredToHours = (ctx: RuleContext, now: number): number | null => (ctx.inHours(now) ? null : ctx.hoursBegin(now))

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
