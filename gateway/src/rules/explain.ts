/** Human-readable durations for decision reasons: "41 s", "3 min 5 s", "2 h 0 min". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 120) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 120) return `${m} min ${s % 60} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** UTC clock time for reasons ("02:14:05Z"); local-time rendering belongs to the views. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19) + 'Z'
}
