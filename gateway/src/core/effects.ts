import type { Alert, Notification } from './alert.js'
import type { RoutineEvent } from './audit.js'

/**
 * Side effects of a unit of work, carried out only after the transaction that caused them has committed:
 * nothing is sent or shown that the database does not already hold.
 */
export interface Effects {
  readonly alertsChanged: Set<string>
  readonly notificationsToSend: string[]
  /**
   * The same pages with what a driver needs to send them without the database: if the commit fails (disk full,
   * read-only, I/O error) they are still sent (reliability-security.md row 16: alarms routed, not acknowledged).
   */
  readonly pages: PlannedPage[]
  timersChanged: boolean
  /** Routine events to record in the commit's `events.routine` digest row, written just before COMMIT. */
  readonly routine: RoutineEvent[]
}

export function createEffects(): Effects {
  return { alertsChanged: new Set(), notificationsToSend: [], pages: [], timersChanged: false, routine: [] }
}

/** Add `from` into `into`. */
export function mergeEffects(into: Effects, from: Effects): void {
  for (const id of from.alertsChanged) into.alertsChanged.add(id)
  into.notificationsToSend.push(...from.notificationsToSend)
  into.pages.push(...from.pages)
  into.timersChanged ||= from.timersChanged
  for (const e of from.routine) into.routine.push(e)
}

/** A page queued in this unit of work, with its alert as it stood when the page was planned. */
export interface PlannedPage {
  readonly alert: Alert
  readonly notification: Notification
}
