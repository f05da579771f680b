import { defineDeviceType } from '../define.js'
import { availability, battery, batteryLow, contact, tamper } from '../extend/index.js'
import { zigbee2mqttDecoder } from '../families/zigbee2mqtt.js'

/** A zigbee contact input wired to the mat, mat stepped on: the input is OPEN (`contact: false`). */
const PRESSED = { contact: false, battery: 95, battery_low: false, tamper: false, linkquality: 84 }

/**
 * Pressure mat (floor by the bed, chair seat) read through a zigbee contact input, via zigbee2mqtt.
 *
 * Wiring decision: the mat is connected **normally closed**, so `contact: true` (closed, §5.2) = mat NOT
 * pressed and `contact: false` (open) = pressed. §5.1: installations prefer NC so a cut cable shows as an
 * alarm rather than as silence; here a cut cable reads as "pressed", which a carer will check. A normally-open
 * mat must be wired through an NC interface (or given its own device type with `contact({ active: 'closed' })`).
 *
 * Supervision: hourly (3600 s + 900 s), as for z2m-door-contact: a mat is on an alarm path (bed exit,
 * falls), so commissioning must set the input's reporting max interval to ≤ 3600 s.
 */
export default defineDeviceType(
  {
    id: 'z2m-pressure-mat',
    vendor: 'Generic (zigbee2mqtt)',
    model: 'Pressure mat on a zigbee contact input (NC)',
    description: 'Reports a floor or chair mat being pressed and released through zigbee2mqtt',
    family: 'zigbee2mqtt',
    events: {
      mat_pressed: 'contact turned false (open): weight on the mat, or its cable is cut',
      mat_released: 'contact turned true (closed): the mat is no longer pressed',
      tamper: 'the input module case was opened',
      tamper_cleared: 'the tamper switch is closed again',
      battery_low: 'the input module battery needs replacing (device flag, or level below 20 %)',
      battery_ok: 'the device cleared its low-battery flag (battery replaced)',
      online: 'zigbee2mqtt reports the input module available again',
      offline: 'zigbee2mqtt reports the input module unavailable',
    },
    technical: {
      tamper: { alert_class: 'TAMPER', priority: 'medium', cleared_by: 'tamper_cleared' },
      battery_low: { alert_class: 'BATTERY LOW', priority: 'low', cleared_by: 'battery_ok' },
    },
    supervision: { interval_s: 3600, grace_s: 900 },
    examples: [
      { payload: PRESSED, events: [{ type: 'mat_pressed' }] },
      { payload: { ...PRESSED, contact: true }, previous: { contact: false }, events: [{ type: 'mat_released' }] },
      // Not pressed at start is the normal position.
      { payload: { ...PRESSED, contact: true }, events: [] },
      // Still pressed: a republish for a battery report is not a second press.
      { payload: { ...PRESSED, battery: 94 }, previous: { contact: false }, events: [] },
      { payload: { state: 'offline' }, topicSuffix: 'availability', events: [{ type: 'offline' }] },
      { payload: 'online', topicSuffix: 'availability', previous: { availability: 'offline' }, events: [{ type: 'online' }] },
    ],
  },
  zigbee2mqttDecoder([contact({ open: 'mat_pressed', closed: 'mat_released', active: 'open' }), tamper(), batteryLow(), battery({ lowBelow: 20 }), availability()]),
)
