import { defineDeviceType } from '../define.js'
import { decodeNativeJson } from '../families/native-json.js'

/**
 * A call point on an existing nurse-call system. Its calls usually arrive from the panel over ESPA 4.4.4
 * (configured under `espa_inputs`, which maps the panel's call address to this device); a nurse-call
 * gateway may also publish the same events as native JSON.
 */
export default defineDeviceType(
  {
    id: 'nurse-call-point',
    vendor: 'Generic',
    model: 'Nurse-call point (via panel)',
    description: 'Call and reset from a nurse-call panel',
    family: 'native-json',
    events: {
      nurse_call: 'the panel reported a call from this point',
      nurse_call_reset: 'the call was reset at the panel (ESPA call type 1)',
    },
    examples: [{ payload: { event_id: 'nc-1', type: 'nurse_call', at: '2026-11-28T03:10:00Z' }, events: [{ type: 'nurse_call' }] }],
  },
  decodeNativeJson,
)
