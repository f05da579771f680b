import { defineDeviceType } from '../define.js'
import { decodeNativeJson } from '../families/native-json.js'

/** Passive infra-red motion sensor, native JSON. Many PIRs have a 60–180 s blind time after a detection. */
export default defineDeviceType(
  {
    id: 'pir-motion',
    vendor: 'Generic',
    model: 'PIR motion sensor',
    description: 'Reports movement in a room',
    family: 'native-json',
    events: {
      motion: 'movement detected',
      heartbeat: 'periodic supervision message',
      tamper: 'the case was opened or the sensor moved',
      battery_low: 'the battery needs replacing',
    },
    examples: [{ payload: { event_id: 'm-9', type: 'motion', at: '2026-11-28T14:02:00Z' }, events: [{ type: 'motion' }] }],
  },
  decodeNativeJson,
)
