/** Percentile summary of a sample, in the sample's unit. */
export interface Summary {
  readonly n: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]!
}

export function summarise(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b)
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1]! : NaN }
}

export function median(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Monotonic milliseconds, comparable across processes on one machine (CLOCK_MONOTONIC). */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Round for reports: 3 significant decimals below 10, fewer above. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v
  return v >= 100 ? Math.round(v) : v >= 10 ? Math.round(v * 10) / 10 : Math.round(v * 1000) / 1000
}
