/**
 * Percentiles by the nearest-rank method: the p-th percentile of n sorted values is the value at rank
 * ⌈p·n/100⌉ (1-based). It is always one of the observed values (never an interpolated time nobody
 * waited), needs no tie-breaking rule, and is the definition most care-quality reports quote.
 * So the median (p = 50) of an even count is the lower of the two middle values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  return percentileOfSorted([...values].sort((a, b) => a - b), p)
}

/** `percentile` of values already sorted ascending (several percentiles of one list need one sort). */
export function percentileOfSorted(sorted: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile p must be in (0, 100], got ${p}`)
  if (sorted.length === 0) return null
  // p·n first, then /100: with integer p this stays exact (0.9·30 in floating point is 27.000000000000004).
  const rank = Math.ceil((p * sorted.length) / 100)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

/** Count, median and 90th percentile (nearest rank) of durations, in seconds. */
export interface DurationSummary {
  readonly count: number
  readonly median_s: number | null
  readonly p90_s: number | null
}

/** Summarise durations given in milliseconds as seconds. */
export function summariseDurations(durationsMs: readonly number[]): DurationSummary {
  const s = durationsMs.map((ms) => ms / 1000).sort((a, b) => a - b)
  return { count: s.length, median_s: percentileOfSorted(s, 50), p90_s: percentileOfSorted(s, 90) }
}
