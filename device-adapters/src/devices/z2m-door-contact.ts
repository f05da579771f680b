import { defineDeviceType } from '../define.js'
import { availability, battery, batteryLow, contact, tamper } from '../extend/index.js'
import { zigbee2mqttDecoder } from '../families/zigbee2mqtt.js'
import { housekeepingEvents, housekeepingTechnical } from '../extend/housekeeping.js'

/** The §5.2 door contact payload (`contact: false` = OPEN). */
const DOOR = { contact: false, battery: 100, battery_low: false, tamper: false, voltage: 3000, linkquality: 96 }

/**
 * Zigbee door / window contact through zigbee2mqtt (§5.2). **`contact: true` = closed, `false` = open**
 * (the IAS alarm bit set means open). Open is the active condition: a door found open at start is reported.
 *
 * Supervision: hourly (3600 s + 900 s). An exit-door contact is on an alarm path (leaving at night), so a
 * silent one must be found within the hour. zigbee2mqtt's defaults report battery only every ≤ 62 000 s,
 * so commissioning must set the sensor's reporting max interval to ≤ 3600 s (zigbee2mqtt "Reporting" tab,
 * genPowerCfg batteryPercentageRemaining), or it will show as not reporting.
 */
export default defineDeviceType(
  {
    id: 'z2m-door-contact',
    vendor: 'Generic (zigbee2mqtt)',
    model: 'Zigbee door/window contact',
    description: 'Reports a door or window opening and closing through zigbee2mqtt',
    family: 'zigbee2mqtt',
    events: {
      door_open: 'contact turned false: the door or window opened',
      door_closed: 'contact turned true: the door or window closed again',
      ...housekeepingEvents,
    },
    technical: housekeepingTechnical,
    supervision: { interval_s: 3600, grace_s: 900 },
    examples: [
      { payload: DOOR, events: [{ type: 'door_open' }] },
      // Closed at start is the normal position: nothing to report.
      { payload: { ...DOOR, contact: true }, events: [] },
      { payload: { ...DOOR, contact: true }, previous: { contact: false }, events: [{ type: 'door_closed' }] },
      // Still open; the republish is only a battery or link-quality report.
      { payload: { ...DOOR, battery: 99 }, previous: { contact: false, battery_below: false }, events: [] },
      { payload: { ...DOOR, contact: true, tamper: true }, previous: { contact: true, tamper: false }, events: [{ type: 'tamper' }] },
      { payload: { state: 'offline' }, topicSuffix: 'availability', previous: { availability: 'online' }, events: [{ type: 'offline' }] },
      { payload: 'online', topicSuffix: 'availability', previous: { availability: 'offline' }, events: [{ type: 'online' }] },
    ],
  },
  zigbee2mqttDecoder([contact({ open: 'door_open', closed: 'door_closed' }), tamper(), batteryLow(), battery({ lowBelow: 20 }), availability()]),
)
