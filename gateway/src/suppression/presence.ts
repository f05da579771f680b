import type { SuppressionRepository } from '../core/contracts.js'
import { gatewayError } from '../core/errors.js'
import type { SetSuppressionInput } from './suppressions.js'

/** Event types from presence buttons (a carer presses "in the room" and "leaving"). */
export const CARER_PRESENT = 'carer_present'
export const CARER_LEFT = 'carer_left'

/**
 * A carer-presence event becomes a "carer present" suppression for the person, lasting until "left"
 * or the person's `presence_timeout_s`, so a forgotten button cannot silence the person for long (and never
 * holds back a high-priority alarm: rules/gate.ts holdsBack).
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

/**
 * A carer-present suppression set through the API may last at most as long as a presence button's: it records the
 * same fact (a carer is in the room), and a longer one would hold back the person's alerts long after the carer left.
 */
export function checkPresenceLength(person: { id: string; presence_timeout_s: number }, expiresAt: number, now: number): void {
  const asked = expiresAt - now
  if (asked <= person.presence_timeout_s * 1000) return
  throw gatewayError('GW_ERR_API_BAD_REQUEST', [
    `a carer_present suppression may last at most ${person.presence_timeout_s} s, as long as a presence button's (people/${person.id}/presence_timeout_s); this one would last ${Math.ceil(asked / 1000)} s`,
  ])
}
