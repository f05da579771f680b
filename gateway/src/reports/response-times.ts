import type { Alert } from '../core/alert.js'
import { type DurationSummary, summariseDurations } from './percentile.js'
import { type ReportWindow, within } from './window.js'

/** Response times for alerts raised in a window. */
export interface ResponseTimes {
  /** Alerts raised in the window. */
  readonly raised: number
  /** Raise → accept, over the alerts that were accepted. */
  readonly to_accept: DurationSummary
  /** Raise → close with an outcome, over the alerts that were closed. */
  readonly to_close: DurationSummary
  /** Raised in the window and neither accepted nor closed yet (they are not in the figures above, and a reader should know). */
  readonly not_yet_accepted: number
}

/**
 * Time to accept and time to close for the alerts RAISED in the window (an alert raised at 23:50 and closed
 * at 00:10 counts for the day it was raised). Alerts closed without ever being accepted (source cleared,
 * then closed) count towards time to close only.
 */
export function responseTimes(alerts: readonly Pick<Alert, 'raisedAt' | 'acceptedAt' | 'closedAt'>[], w: Pick<ReportWindow, 'from' | 'to'>): ResponseTimes {
  const raised = alerts.filter((a) => within(w, a.raisedAt))
  const toAccept = raised.flatMap((a) => (a.acceptedAt === null ? [] : [a.acceptedAt - a.raisedAt]))
  const toClose = raised.flatMap((a) => (a.closedAt === null ? [] : [a.closedAt - a.raisedAt]))
  return {
    raised: raised.length,
    to_accept: summariseDurations(toAccept),
    to_close: summariseDurations(toClose),
    not_yet_accepted: raised.filter((a) => a.acceptedAt === null && a.closedAt === null).length,
  }
}
