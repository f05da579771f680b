/**
 * Local wall-clock time for rule "active hours" and daily deadlines.
 *
 * Rules are written in the site's local time (an IANA zone, default Europe/London) while the gateway works in
 * epoch milliseconds. Everything here is pure: instants are passed in and the clock is never read, so rule
 * evaluation can be replayed exactly. Zone rules come from the runtime's ICU data through Intl.DateTimeFormat,
 * so no dependency is needed. An unknown zone or a non-finite instant makes Intl throw a RangeError.
 */

/** "HH:MM", 24-hour, 00:00–23:59. */
export type LocalTime = string
/** A daily span of local wall time, `from` inclusive, `to` exclusive; `from` > `to` crosses midnight. */
export interface TimeWindow { readonly from: LocalTime; readonly to: LocalTime }

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
// Strict two-digit form: "7:00" or "24:00" in a config file is more likely a typo than a wish.
const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/

const notATime = (s: unknown) => `'${String(s)}' is not a time (HH:MM)`
const show = (w: TimeWindow) => `${w.from}–${w.to}`

/** Parse "HH:MM" to minutes after local midnight; throws TypeError naming the bad value. */
export function parseLocalTime(s: string): number {
  const m = typeof s === 'string' ? LOCAL_TIME.exec(s) : null
  if (!m) throw new TypeError(notATime(s))
  return Number(m[1]) * 60 + Number(m[2])
}

/** True when `s` is a valid "HH:MM". */
export function isLocalTime(s: string): boolean {
  return typeof s === 'string' && LOCAL_TIME.test(s)
}

interface Wall { year: number; month: number; day: number; hour: number; minute: number; second: number }

// Creating a formatter costs far more than using one, and this runs for every event, so keep one per zone.
// The zone list comes from site config, so the cache stays small; a bad zone throws before it is cached.
const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', // h23: midnight is 00, never "24"
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    })
    formatters.set(tz, f)
  }
  return f
}

/**
 * The last second formatted per zone. `formatToParts` costs ~4 µs and runs for every event an active-hours rule
 * sees; events arrive thousands to the second, and the parts stop at seconds, so one entry per zone suffices.
 */
const lastSecond = new Map<string, { second: number; wall: Readonly<Wall> }>()

/** Read-only: the same object is handed to every caller within the second. */
function wall(ms: number, tz: string): Readonly<Wall> {
  const second = Math.floor(ms / 1000)
  const hit = lastSecond.get(tz)
  if (hit?.second === second) return hit.wall
  const w: Wall = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 }
  for (const p of formatter(tz).formatToParts(ms)) {
    switch (p.type) {
      case 'year': case 'month': case 'day': case 'hour': case 'minute': case 'second':
        w[p.type] = Number(p.value)
    }
  }
  lastSecond.set(tz, { second, wall: w })
  return w
}

/** The wall time read as if it were UTC: local calendar arithmetic without any DST in the way. */
const wallMs = (w: Wall) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
/** local - UTC in ms. Whole seconds, because the formatted parts stop at seconds. */
const offsetMs = (ms: number, tz: string) => wallMs(wall(ms, tz)) - Math.floor(ms / 1000) * 1000
/** The local calendar date of the instant, as UTC midnight of that date. */
function localDay(ms: number, tz: string): number {
  const w = wall(ms, tz)
  return Date.UTC(w.year, w.month - 1, w.day)
}

/** Local wall-clock parts of an instant in zone `tz`. weekday 1=Monday..7=Sunday; offsetMinutes = local - UTC (e.g. 60 in BST). */
export function localParts(ms: number, tz: string): { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number; offsetMinutes: number } {
  const w = wall(ms, tz)
  // Weekday from the local date rather than a formatted name: no locale strings to map.
  const dow = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay()
  return { ...w, weekday: dow === 0 ? 7 : dow, offsetMinutes: Math.round((wallMs(w) - Math.floor(ms / 1000) * 1000) / MINUTE_MS) }
}

/** Minutes after local midnight (0..1439) of the instant, in `tz`. */
export function localMinuteOfDay(ms: number, tz: string): number {
  const w = wall(ms, tz)
  return w.hour * 60 + w.minute
}

function bounds(w: TimeWindow): [number, number] {
  // Parse before touching the zone, so a bad window fails the same way whatever the zone.
  const from = parseLocalTime(w.from)
  const to = parseLocalTime(w.to)
  // Zero length is rejected rather than read as "never" or "always": either reading would surprise someone.
  if (from === to) throw new TypeError(`window ${show(w)} has zero length`)
  return [from, to]
}

const inside = ([from, to]: [number, number], m: number) => (from < to ? m >= from && m < to : m >= from || m < to)

/**
 * True when the instant's LOCAL wall time lies in the window. `from` inclusive, `to` exclusive.
 * from > to means the window crosses midnight (21:00–07:00). from == to is an error (zero length): throws TypeError,
 * as does a malformed time.
 * Wall-clock semantics: during the repeated autumn hour both 01:30 instants are "01:30"; in the spring gap no instant
 * has local time 01:30. So a night window is 1 h shorter in real time in spring and 1 h longer in autumn.
 */
export function isWithinWindow(ms: number, tz: string, w: TimeWindow): boolean {
  const b = bounds(w)
  return inside(b, localMinuteOfDay(ms, tz))
}

/**
 * Within any of the windows. An empty list means "always" (returns true): a rule with no active hours is always active.
 * Every window is validated (TypeError as for isWithinWindow), even when an earlier one already matches.
 */
export function isWithinAnyWindow(ms: number, tz: string, windows: readonly TimeWindow[]): boolean {
  if (windows.length === 0) return true
  const all = windows.map(bounds)
  const m = localMinuteOfDay(ms, tz)
  return all.some((b) => inside(b, m))
}

/**
 * The one instant that stands for local time `minute` on the local date `dayMs` (UTC midnight of that date):
 * the earliest instant whose wall clock reads it, or, when the wall time falls in a forward gap, the first
 * instant after the gap (the transition itself).
 */
function resolve(dayMs: number, minute: number, tz: string): number {
  const target = dayMs + minute * MINUTE_MS
  // Offsets in force a day either side cover the before/after of any transition near this wall time.
  const offsets = [...new Set([-DAY_MS, 0, DAY_MS].map((d) => offsetMs(target + d, tz)))]
  const hits = offsets.map((o) => target - o).filter((t) => wallMs(wall(t, tz)) === target)
  if (hits.length > 0) return Math.min(...hits) // autumn repeat: the first (summer-time) one
  // Gap: the transition lies between these two instants.
  const lo = target - Math.max(...offsets)
  return clockChange(lo, target - Math.min(...offsets), tz, offsetMs(lo, tz))
}

/** The first whole second in (lo, hi] whose offset is no longer `before` (offset(lo) is `before`, offset(hi) is not). */
function clockChange(lo: number, hi: number, tz: string, before: number): number {
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000
    if (offsetMs(mid, tz) === before) lo = mid
    else hi = mid
  }
  return hi
}

/**
 * The first instant STRICTLY AFTER `afterMs` at which the local wall clock reads `at` (seconds 0).
 * Each local day contributes exactly one instant per LocalTime, so a daily deadline fires once a day:
 * - spring-forward gap (e.g. 01:30 Europe/London on 29 March 2026 does not exist): the first instant after the gap
 *   that day (02:00 BST = 01:00 UTC), which is the same instant as that day's 02:00;
 * - autumn repeat (01:30 happens twice on 25 October 2026): the FIRST of the two (00:30 UTC, BST) only. The second
 *   (01:30 UTC) is never returned, even when `afterMs` lies between them: the next occurrence is then the next day's.
 * Throws TypeError for a malformed `at`.
 */
export function nextLocalTime(afterMs: number, tz: string, at: LocalTime): number {
  const minute = parseLocalTime(at)
  const today = localDay(afterMs, tz)
  // Today's occurrence may still be ahead; a 25 h day or a gap can push the answer into the day after.
  for (let k = 0; k <= 3; k++) {
    const t = resolve(today + k * DAY_MS, minute, tz)
    if (t > afterMs) return t
  }
  throw new Error(`no ${at} in ${tz} within 3 days after ${new Date(afterMs).toISOString()}`)
}

/**
 * The instant of the most recent local day's `at` at or before `atOrBeforeMs` (inclusive), with the same
 * one-instant-per-day rule as nextLocalTime: so previousLocalTime(nextLocalTime(t)) === nextLocalTime(t).
 */
export function previousLocalTime(atOrBeforeMs: number, tz: string, at: LocalTime): number {
  const minute = parseLocalTime(at)
  const today = localDay(atOrBeforeMs, tz)
  // Start a day ahead: where a zone falls back across midnight, the old date is re-entered after the new one began.
  for (let k = 1; k >= -3; k--) {
    const t = resolve(today + k * DAY_MS, minute, tz)
    if (t <= atOrBeforeMs) return t
  }
  throw new Error(`no ${at} in ${tz} within 3 days before ${new Date(atOrBeforeMs).toISOString()}`)
}

/**
 * The first instant at or after `atMs` that is inside any of the windows (`inside` true: when active hours next
 * begin) or outside all of them (`inside` false: when the active hours holding `atMs` end); `atMs` itself when it
 * already is. Null when that never happens within 3 days: no windows (always active) or windows covering the day.
 * Wall-clock semantics as isWithinAnyWindow, so DST-correct: hours that end at a time the clocks skip end when they
 * skip it, and a window re-entered in the repeated autumn hour is active again.
 */
export function nextHoursChange(atMs: number, tz: string, windows: readonly TimeWindow[], inside: boolean): number | null {
  if (isWithinAnyWindow(atMs, tz, windows) === inside) return atMs
  // Only "never ends" is left (nothing is never inside): say so without walking three days.
  if (windows.length === 0 || coversTheDay(windows)) return null
  const edges = windows.map((w) => bounds(w)[inside ? 0 : 1])
  // The answer can only be a wall-clock edge (a window's `from` or `to`) or a clock change: step from one to the next.
  for (let t = atMs; t < atMs + 3 * DAY_MS;) {
    const w = wall(t, tz)
    const m = w.hour * 60 + w.minute
    const ahead = Math.min(...edges.map((e) => ((e - m + 1439) % 1440) + 1)) // 1..1440 wall minutes
    const second = Math.floor(t / 1000) * 1000
    let next = second - w.second * 1000 + ahead * MINUTE_MS
    const before = offsetMs(second, tz)
    if (offsetMs(next, tz) !== before) next = clockChange(second, next, tz, before)
    if (isWithinAnyWindow(next, tz, windows) === inside) return next
    t = next
  }
  return null
}

// Per configured list: rules hold their windows for as long as the configuration is loaded.
const wholeDay = new WeakMap<readonly TimeWindow[], boolean>()
/** True when every minute of the local day is in some window. */
function coversTheDay(windows: readonly TimeWindow[]): boolean {
  let known = wholeDay.get(windows)
  if (known === undefined) {
    const all = windows.map(bounds)
    known = true
    for (let m = 0; m < 1440 && known; m++) known = all.some((b) => inside(b, m))
    wholeDay.set(windows, known)
  }
  return known
}

/** Describe a window for humans: "21:00–07:00 Europe/London". */
export function describeWindow(w: TimeWindow, tz: string): string {
  return `${show(w)} ${tz}`
}

/** Validate a list of windows: returns problems (empty = fine) such as "window 21:00–21:00 has zero length", "'25:00' is not a time (HH:MM)". */
export function windowProblems(windows: readonly TimeWindow[]): string[] {
  const problems: string[] = []
  for (const w of windows) {
    const bad = [w.from, w.to].filter((s) => !isLocalTime(s))
    for (const s of bad) problems.push(notATime(s))
    // Both well-formed, so equal strings are equal times.
    if (bad.length === 0 && w.from === w.to) problems.push(`window ${show(w)} has zero length`)
  }
  return problems
}
