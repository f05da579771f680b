import { defineDeviceType, type DeviceAdapter } from '../define.js'
import { availability, battery, batteryLow, contact, tamper } from '../extend/index.js'
import { zigbee2mqttDecoder } from '../families/zigbee2mqtt.js'

/**
 * An Epi-Care-style seizure monitor base station whose alarm relay ("nurse call out") is wired to a zigbee
 * contact input, read through zigbee2mqtt (§5.1 volt-free relay path, §5.2 contact payload).
 *
 * - Which relay position is the alarm depends on the wiring. The registered type is **normally closed**:
 *   the relay holds the input closed (`contact: true`, §5.2) at rest and opens it on alarm, so a cut or
 *   unplugged cable also raises `seizure_alarm` rather than silence (§5.1 NC preference).
 *   `seizureBaseType(id, 'closed')` builds the normally-open variant for its own device file.
 * - `tamper` on the input module means the alarm path itself may be compromised, so it is raised as `fault`
 *   (high) rather than as an ordinary tamper.
 * - Battery low on this input is `medium`, not `low`: a flat input silences seizure alarms.
 * - Supervision is hourly (3600 s + 900 s): this is the alarm path, so commissioning must set the input's
 *   reporting max interval to ≤ 3600 s (zigbee2mqtt's defaults report battery only every ≤ 62 000 s).
 * - If zigbee2mqtt retains this device's state, a gateway restart during an alarm re-raises it: intended,
 *   the alarm is still standing.
 */
export function seizureBaseType(id: string, alarmWhen: 'open' | 'closed'): DeviceAdapter {
  const alarmContact = alarmWhen === 'closed' // the zigbee2mqtt `contact` value while alarming
  const base = { battery: 100, battery_low: false, tamper: false, linkquality: 110 }
  return defineDeviceType(
    {
      id,
      vendor: 'Generic (zigbee2mqtt)',
      model: `Seizure monitor base station on a zigbee contact input (${alarmWhen === 'open' ? 'NC' : 'NO'})`,
      description: 'Seizure alarm relay of an Epi-Care-style base station, through zigbee2mqtt',
      family: 'zigbee2mqtt',
      events: {
        seizure_alarm: `the base station relay ${alarmWhen === 'open' ? 'opened (or the cable is cut)' : 'closed'}: seizure alarm`,
        seizure_cleared: 'the relay returned to rest: the base station cleared its alarm',
        fault: 'the input module reports tamper: the alarm path may be interrupted',
        fault_cleared: 'the input module tamper switch is closed again',
        battery_low: 'the input module battery needs replacing (device flag, or level below 20 %)',
        battery_ok: 'the device cleared its low-battery flag (battery replaced)',
        online: 'zigbee2mqtt reports the input module available again',
        offline: 'zigbee2mqtt reports the input module unavailable',
      },
      technical: {
        fault: { alert_class: 'SEIZURE MONITOR FAULT', priority: 'high', cleared_by: 'fault_cleared' },
        battery_low: { alert_class: 'BATTERY LOW', priority: 'medium', cleared_by: 'battery_ok' },
      },
      supervision: { interval_s: 3600, grace_s: 900 },
      examples: [
        { payload: { ...base, contact: alarmContact }, events: [{ type: 'seizure_alarm' }] },
        // Still alarming: a battery or link-quality republish must not page again.
        { payload: { ...base, contact: alarmContact, linkquality: 98 }, previous: { contact: alarmContact }, events: [] },
        { payload: { ...base, contact: !alarmContact }, previous: { contact: alarmContact }, events: [{ type: 'seizure_cleared' }] },
        { payload: { ...base, contact: !alarmContact }, events: [] },
        { payload: { ...base, contact: !alarmContact, tamper: true }, previous: { contact: !alarmContact, tamper: false }, events: [{ type: 'fault' }] },
        { payload: { ...base, contact: !alarmContact }, previous: { tamper: true }, events: [{ type: 'fault_cleared' }] },
        { payload: { ...base, contact: !alarmContact, battery_low: true, battery: 12 }, previous: { contact: !alarmContact }, events: [{ type: 'battery_low' }] },
        { payload: { state: 'offline' }, topicSuffix: 'availability', events: [{ type: 'offline' }] },
        { payload: 'online', topicSuffix: 'availability', previous: { availability: 'offline' }, events: [{ type: 'online' }] },
      ],
    },
    zigbee2mqttDecoder([
      contact({ open: alarmWhen === 'open' ? 'seizure_alarm' : 'seizure_cleared', closed: alarmWhen === 'open' ? 'seizure_cleared' : 'seizure_alarm', active: alarmWhen }),
      tamper({ on: 'fault', off: 'fault_cleared' }),
      batteryLow(),
      battery({ lowBelow: 20 }),
      availability(),
    ]),
  )
}

/** Normally-closed wiring: the relay opens on alarm (see above). */
export default seizureBaseType('z2m-seizure-base', 'open')
