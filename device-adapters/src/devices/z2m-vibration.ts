import { defineDeviceType } from '../define.js'
import { availability, battery, batteryLow, tamper, vibration } from '../extend/index.js'
import { zigbee2mqttDecoder } from '../families/zigbee2mqtt.js'
import { housekeepingEvents, housekeepingTechnical } from '../extend/housekeeping.js'

/** A vibration sensor's state as zigbee2mqtt publishes it (keys other than the ones read are ignored). */
const SHAKE = { vibration: true, strength: 12, battery: 91, voltage: 3005, linkquality: 72 }

/**
 * Zigbee vibration sensor through zigbee2mqtt (§5.2 lists vibration among the low-cost sensors), e.g. on a
 * door, a bed frame or a chair. Like a PIR it resets `vibration` to false by itself after a timeout, so only
 * the rising edge is an event. Many report a battery level but no `battery_low` flag, hence `battery()`.
 *
 * Supervision: passive battery device that may legitimately be still all night, so the check is the
 * zigbee-herdsman-converters battery report bound, 62 000 s, plus an hour (as for z2m-pir).
 */
export default defineDeviceType(
  {
    id: 'z2m-vibration',
    vendor: 'Generic (zigbee2mqtt)',
    model: 'Zigbee vibration sensor',
    description: 'Reports vibration of whatever it is fixed to through zigbee2mqtt',
    family: 'zigbee2mqtt',
    events: {
      vibration: 'vibration turned true: the sensor felt movement',
      ...housekeepingEvents,
    },
    technical: housekeepingTechnical,
    supervision: { interval_s: 62_000, grace_s: 3600 },
    examples: [
      { payload: SHAKE, events: [{ type: 'vibration' }] },
      { payload: { ...SHAKE, strength: 30 }, previous: { vibration: true }, events: [] },
      // The sensor's own reset after its timeout: no event.
      { payload: { ...SHAKE, vibration: false }, previous: { vibration: true }, events: [] },
      // Level below 20 % with no flag in the payload: the level alone raises it, once.
      { payload: { ...SHAKE, vibration: false, battery: 18 }, previous: { vibration: false, battery_below: false }, events: [{ type: 'battery_low' }] },
      { payload: { ...SHAKE, vibration: false, battery: 17 }, previous: { vibration: false, battery_below: true }, events: [] },
      { payload: { state: 'offline' }, topicSuffix: 'availability', events: [{ type: 'offline' }] },
      { payload: 'online', topicSuffix: 'availability', previous: { availability: 'offline' }, events: [{ type: 'online' }] },
    ],
  },
  zigbee2mqttDecoder([vibration(), tamper(), batteryLow(), battery({ lowBelow: 20 }), availability()]),
)
