import { defineDeviceType } from '../define.js'
import { availability, battery, batteryLow, tamper, waterLeak } from '../extend/index.js'
import { zigbee2mqttDecoder } from '../families/zigbee2mqtt.js'
import { housekeepingEvents, housekeepingTechnical } from '../extend/housekeeping.js'

/** A water leak sensor's state as zigbee2mqtt publishes it (IAS zone, alarm bit = wet). */
const WET = { water_leak: true, battery: 96, battery_low: false, tamper: false, linkquality: 60 }

/**
 * Zigbee water leak sensor through zigbee2mqtt (e.g. a bathroom floor: a bath left running). Wet is the
 * active condition; dry again raises 'water_leak_cleared' so the alert can resolve.
 *
 * Supervision: a leak sensor is silent for weeks by design, so the check is the zigbee-herdsman-converters
 * battery report bound, 62 000 s, plus an hour (as for z2m-pir).
 */
export default defineDeviceType(
  {
    id: 'z2m-water-leak',
    vendor: 'Generic (zigbee2mqtt)',
    model: 'Zigbee water leak sensor',
    description: 'Reports water on the floor through zigbee2mqtt',
    family: 'zigbee2mqtt',
    events: {
      water_leak: 'water_leak turned true: the probes are wet',
      water_leak_cleared: 'water_leak turned false: dry again',
      ...housekeepingEvents,
    },
    technical: housekeepingTechnical,
    supervision: { interval_s: 62_000, grace_s: 3600 },
    examples: [
      { payload: WET, events: [{ type: 'water_leak' }] },
      { payload: WET, previous: { water_leak: true }, events: [] },
      { payload: { ...WET, water_leak: false }, previous: { water_leak: true }, events: [{ type: 'water_leak_cleared' }] },
      // Dry at start is normal: no 'cleared' for something never raised.
      { payload: { ...WET, water_leak: false }, events: [] },
      { payload: { ...WET, battery_low: true }, previous: { water_leak: true, battery_low: false }, events: [{ type: 'battery_low' }] },
      { payload: { state: 'offline' }, topicSuffix: 'availability', events: [{ type: 'offline' }] },
      { payload: 'online', topicSuffix: 'availability', previous: { availability: 'offline' }, events: [{ type: 'online' }] },
    ],
  },
  zigbee2mqttDecoder([waterLeak(), tamper(), batteryLow(), battery({ lowBelow: 20 }), availability()]),
)
