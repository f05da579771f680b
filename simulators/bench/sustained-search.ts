/**
 * Which open-loop rate to try next when looking for the sustained throughput (issue 9, figure 2).
 *
 * The first try is 90 % of the closed-loop (saturated) rate: an open loop at capacity only queues. While nothing has
 * been carried, each next try is 15 % lower; while everything has, 15 % higher. Once one rate was carried and a higher
 * one was not, the next try is halfway between them, until they are within `resolution` of each other: without that,
 * the figure was whichever 15 % step happened to be carried, up to 15 % below what the gateway sustains.
 *
 * The closed loop is not a ceiling: aedes reads a client's next packets only once all of its previous read's
 * publishes are acknowledged, so a closed loop of 3 publishes per device runs in lockstep with the group commit and
 * its fsync, and with the device broker on its own thread the gateway carried 90 % of it with CPU to spare.
 */
export interface Attempt {
  readonly rate: number
  readonly kept: boolean
}

export const FIRST_FRACTION = 0.9
export const STEP_DOWN = 0.85
export const STEP_UP = 1.15
export const RESOLUTION = 0.05

/** The next rate to try, or null when the search is done (carried within `resolution`, or out of attempts). */
export function nextRate(saturated: number, tried: readonly Attempt[], maxAttempts: number, resolution = RESOLUTION): number | null {
  if (tried.length === 0) return Math.floor(saturated * FIRST_FRACTION)
  if (tried.length >= maxAttempts) return null
  const kept = tried.filter((a) => a.kept).map((a) => a.rate)
  const failed = tried.filter((a) => !a.kept).map((a) => a.rate)
  const best = kept.length ? Math.max(...kept) : null
  // Only failures above the best carried rate bound it (a lower failure would be noise; it does not lower the figure).
  const above = failed.filter((r) => best === null || r > best)
  const ceiling = above.length ? Math.min(...above) : null
  if (best === null) return Math.floor(Math.min(...failed) * STEP_DOWN)
  if (ceiling === null) return Math.floor(best * STEP_UP)
  if (ceiling - best <= best * resolution) return null
  return Math.floor((best + ceiling) / 2)
}
