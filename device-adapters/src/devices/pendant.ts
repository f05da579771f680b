import { defineDeviceType } from '../define.js'
import { decodeNativeJson } from '../families/native-json.js'

/** Pendant or pull cord with a separate "I'm OK" check-in button, native JSON. */
export default defineDeviceType(
  {
    id: 'pendant',
    vendor: 'Generic',
    model: 'Pendant with check-in button',
    description: 'Help call, and a daily "I am OK" check-in',
    family: 'native-json',
    events: {
      help_call: 'the person pressed for help',
      check_in: 'the person pressed "I am OK"',
      heartbeat: 'periodic supervision message',
      battery_low: 'the battery needs replacing',
    },
    examples: [{ payload: { event_id: 'h-3', type: 'help_call', at: '2026-11-28T09:00:00Z' }, events: [{ type: 'help_call' }] }],
  },
  decodeNativeJson,
)
