import { nextLocalTime, previousLocalTime } from '../core/local-time.js'

/** A half-open span of time [from, to) in epoch ms, with the local date it stands for. */
export interface ReportWindow {
  readonly from: number
  readonly to: number
  /** Local calendar date, "YYYY-MM-DD". */
  readonly date: string
}

/**
 * The site's local day containing `at`: from local midnight to the next one. Reports follow the site's
 * wall clock (a night shift reads "today" as the home does), so the day is 23 or 25 hours long when the
 * clocks change.
 */
export function localDay(at: number, tz: string): ReportWindow {
  const from = previousLocalTime(at, tz, '00:00')
  const to = nextLocalTime(at, tz, '00:00')
  // en-CA formats dates as YYYY-MM-DD.
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(from)
  return { from, to, date }
}

/** True when the instant lies in the window. */
export const within = (w: Pick<ReportWindow, 'from' | 'to'>, at: number | null): at is number => at !== null && at >= w.from && at < w.to
