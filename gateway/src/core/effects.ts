import type { RoutineEvent } from './audit.js'

/**
 * Side effects of a unit of work, carried out only after the transaction that caused them has committed:
 * nothing is sent or shown that the database does not already hold.
 */
export interface Effects {
  readonly alertsChanged: Set<string>
  readonly notificationsToSend: string[]
  timersChanged: boolean
  /** Routine events to record in the commit's `events.routine` digest row, written just before COMMIT. */
  readonly routine: RoutineEvent[]
}

export function createEffects(): Effects {
  return { alertsChanged: new Set(), notificationsToSend: [], timersChanged: false, routine: [] }
}

/** Add `from` into `into`. */
export function mergeEffects(into: Effects, from: Effects): void {
  for (const id of from.alertsChanged) into.alertsChanged.add(id)
  into.notificationsToSend.push(...from.notificationsToSend)
  into.timersChanged ||= from.timersChanged
  for (const e of from.routine) into.routine.push(e)
}
