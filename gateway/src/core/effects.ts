/**
 * Side effects of a unit of work, carried out only after the transaction that caused them has committed:
 * nothing is sent or shown that the database does not already hold.
 */
export interface Effects {
  readonly alertsChanged: Set<string>
  readonly notificationsToSend: string[]
  timersChanged: boolean
}

export function createEffects(): Effects {
  return { alertsChanged: new Set(), notificationsToSend: [], timersChanged: false }
}

/** Add `from` into `into`. */
export function mergeEffects(into: Effects, from: Effects): void {
  for (const id of from.alertsChanged) into.alertsChanged.add(id)
  into.notificationsToSend.push(...from.notificationsToSend)
  into.timersChanged ||= from.timersChanged
}
