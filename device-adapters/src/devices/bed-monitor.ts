import { defineDeviceType } from '../define.js'
import { decodeNativeJson } from '../families/native-json.js'

/** Bed occupancy monitor (pressure pad under the mattress with a controller), native JSON. */
export default defineDeviceType(
  {
    id: 'bed-monitor',
    vendor: 'Generic',
    model: 'Bed occupancy monitor',
    description: 'Pressure pad and controller reporting getting out of and back into bed',
    family: 'native-json',
    events: {
      out_of_bed: 'the pad reports the bed is no longer occupied',
      in_bed: 'the pad reports the bed is occupied again',
      heartbeat: 'periodic supervision message',
      battery_low: 'the controller battery needs replacing',
      fault: 'the controller or its cable reports a fault (a cut cable on a normally-closed input)',
    },
    technical: {
      fault: { alert_class: 'BED SENSOR FAULT', priority: 'high' },
      battery_low: { alert_class: 'BATTERY LOW', priority: 'low' },
    },
    examples: [
      { payload: { event_id: 'b-0001', type: 'out_of_bed', at: '2026-11-28T02:14:05Z' }, events: [{ type: 'out_of_bed' }] },
      { payload: { event_id: 'b-0002', type: 'in_bed', at: '2026-11-28T02:14:46Z', battery: 81 }, events: [{ type: 'in_bed' }] },
    ],
  },
  decodeNativeJson,
)
