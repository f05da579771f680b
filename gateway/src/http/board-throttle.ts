/** Timer functions, injectable so tests drive time by hand. */
export interface ThrottleTimers {
  now(): number
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const systemTimers: ThrottleTimers = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

/**
 * Leading- and trailing-edge throttle per key (issue 9). An alert's first change reaches every board at once; the
 * changes that follow within `intervalMs` (the page sent, delivered, the ESPA ACK: three more commits within a few
 * milliseconds of the raise) reach boards once, at the end of the interval, as the alert's state then. With 1,000
 * boards that is 1,000 writes per burst instead of 4,000, and the second thousand no longer competes with the first
 * for the event loop and the screens' CPU. Carers being paged are never throttled (live-hub.ts sends to them first).
 */
export function createBoardThrottle(intervalMs: number, fire: (key: string) => void, timers: ThrottleTimers = systemTimers) {
  const last = new Map<string, { at: number; pending: unknown }>()
  return {
    /** Returns true if the caller should send now; otherwise one trailing `fire(key)` is scheduled. */
    touch(key: string): boolean {
      const now = timers.now()
      const k = last.get(key)
      // A trailing send still due (its timer late behind a busy event loop) will carry this change too.
      if (k?.pending != null) return false
      if (!k || now - k.at >= intervalMs) {
        if (last.size > 10_000) for (const [key2, v] of last) if (v.pending === null && now - v.at >= intervalMs) last.delete(key2)
        last.set(key, { at: now, pending: null })
        return true
      }
      k.pending = timers.setTimeout(() => {
        k.pending = null
        k.at = timers.now()
        fire(key)
      }, intervalMs - (now - k.at))
      return false
    },
    /** Cancel every trailing send (shutdown). */
    clear(): void {
      for (const v of last.values()) if (v.pending !== null) timers.clearTimeout(v.pending)
      last.clear()
    },
  }
}
