import { defineDeviceType } from '../define.js'
import { decodeNativeJson } from '../families/native-json.js'

/** Epilepsy seizure monitor (Epi-Care style bed or wrist sensor) through its base station, native JSON. */
export default defineDeviceType(
  {
    id: 'seizure-monitor',
    vendor: 'Generic',
    model: 'Seizure monitor base station',
    description: 'Detects sustained rhythmic movement and raises an alarm',
    family: 'native-json',
    events: {
      seizure_alarm: 'the monitor detected sustained seizure-like movement',
      seizure_cleared: 'the monitor reports the movement has stopped',
      heartbeat: 'periodic supervision message',
      fault: 'the monitor reports a fault',
      battery_low: 'the sensor battery needs replacing',
      mains_fail: 'the base station lost mains power and runs on its battery',
      mains_restored: 'mains power is back',
    },
    // A fault or flat battery can silence seizure alarms: both are technical alerts, the fault high.
    technical: {
      fault: { alert_class: 'SEIZURE MONITOR FAULT', priority: 'high' },
      battery_low: { alert_class: 'BATTERY LOW', priority: 'medium' },
      mains_fail: { alert_class: 'MAINS FAILURE', priority: 'medium', cleared_by: 'mains_restored' },
    },
    supervision: { interval_s: 300, grace_s: 60 },
    examples: [
      { payload: { event_id: 's-17', type: 'seizure_alarm', at: '2026-11-28T03:01:00+00:00' }, events: [{ type: 'seizure_alarm' }] },
    ],
  },
  decodeNativeJson,
)
