import { defineDeviceType } from '../define.js'
import { decodeNativeJson } from '../families/native-json.js'

/**
 * Carer presence button by the door: "in the room" and "leaving". While a carer is present the person's
 * medium- and low-priority alerts are suppressed (with the reason recorded), up to the person's
 * `presence_timeout_s`; high-priority ones are still raised (rules/gate.ts holdsBack).
 */
export default defineDeviceType(
  {
    id: 'presence-button',
    vendor: 'Generic',
    model: 'Carer presence button',
    description: 'Carer presses on arrival and on leaving',
    family: 'native-json',
    events: {
      carer_present: 'a carer pressed "in the room"',
      carer_left: 'a carer pressed "leaving"',
      heartbeat: 'periodic supervision message',
    },
    examples: [{ payload: { event_id: 'c-1', type: 'carer_present', at: '2026-11-28T07:30:00Z' }, events: [{ type: 'carer_present' }] }],
  },
  decodeNativeJson,
)
