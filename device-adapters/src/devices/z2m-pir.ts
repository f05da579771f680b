import { defineDeviceType } from '../define.js'
import { availability, battery, batteryLow, occupancy, tamper } from '../extend/index.js'
import { zigbee2mqttDecoder } from '../families/zigbee2mqtt.js'
import { housekeepingEvents, housekeepingTechnical } from '../extend/housekeeping.js'

/** The §5.2 PIR payload, as zigbee2mqtt publishes it. */
const PIR = { occupancy: true, battery: 87, battery_low: false, tamper: false, linkquality: 120 }

/**
 * Zigbee PIR / occupancy sensor through zigbee2mqtt (protocols.md §5.2). Only the rising edge of `occupancy`
 * is an event: `false` comes after the sensor's own 60–90 s timeout and does not mean the person left.
 * Battery: the device's `battery_low` flag (IAS bit 3) where it has one, and the level as a backstop for
 * sensors that report only `battery` (%); the flag is what sends 'battery_ok'.
 *
 * Supervision: battery zigbee devices are passive and report nothing while nobody moves except their battery
 * level, which zigbee-herdsman-converters configures at most every 62 000 s (repInterval.MAX). An hourly check
 * would page "not reporting" every quiet night; a dead PIR in a lived-in home also shows up sooner through
 * the person's inactivity rules. So: 62 000 s plus an hour, still well inside zigbee2mqtt's own 25 h.
 */
export default defineDeviceType(
  {
    id: 'z2m-pir',
    vendor: 'Generic (zigbee2mqtt)',
    model: 'Zigbee PIR occupancy sensor',
    description: 'Reports movement in a room through zigbee2mqtt',
    family: 'zigbee2mqtt',
    events: {
      motion: 'occupancy turned true: movement detected',
      ...housekeepingEvents,
    },
    technical: housekeepingTechnical,
    supervision: { interval_s: 62_000, grace_s: 3600 },
    examples: [
      { payload: PIR, events: [{ type: 'motion' }] },
      // A whole-state republish (battery report) while still occupied: nothing new.
      { payload: PIR, previous: { occupancy: true, tamper: false, battery_low: false, battery_below: false }, events: [] },
      // The sensor's timeout expired: not "left" (§5.2).
      { payload: { ...PIR, occupancy: false }, previous: { occupancy: true }, events: [] },
      { payload: { ...PIR, occupancy: false, tamper: true, battery_low: true, battery: 15 }, events: [{ type: 'tamper' }, { type: 'battery_low' }] },
      { payload: { ...PIR, occupancy: false }, previous: { occupancy: false, tamper: true }, events: [{ type: 'tamper_cleared' }] },
      { payload: { state: 'offline' }, topicSuffix: 'availability', events: [{ type: 'offline' }] },
      { payload: 'online', topicSuffix: 'availability', previous: { availability: 'offline' }, events: [{ type: 'online' }] },
    ],
  },
  zigbee2mqttDecoder([occupancy(), tamper(), batteryLow(), battery({ lowBelow: 20 }), availability()]),
)
