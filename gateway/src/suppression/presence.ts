import type { SuppressionRepository } from '../core/contracts.js'
import type { SetSuppressionInput } from './suppressions.js'

/** Event types from presence buttons (a carer presses "in the room" and "leaving"). */
export const CARER_PRESENT = 'carer_present'
export const CARER_LEFT = 'carer_left'

/**
 * A carer-presence event becomes a "carer present" suppression for the person, lasting until "left"
 * or the person's `presence_timeout_s`, so a forgotten button cannot silence the person for long.
 */
export function presenceChange(
  type: string,
  person: { id: string; presence_timeout_s: number },
  deviceId: string,
  at: number,
  suppressions: Pick<SuppressionRepository, 'activeFor'>,
): { set?: SetSuppressionInput; clear?: string[] } | null {
  if (type === CARER_PRESENT) {
    return { set: { kind: 'carer_present', scope: 'person', target: person.id, reason: 'presence button', setBy: `device:${deviceId}`, expiresAt: at + person.presence_timeout_s * 1000, personId: person.id, deviceId } }
  }
  if (type === CARER_LEFT) {
    return { clear: suppressions.activeFor(person.id, null, at).filter((s) => s.kind === 'carer_present').map((s) => s.id) }
  }
  return null
}
