/**
 * Reusable zigbee2mqtt blocks, composed in a device file's decoder (ZHC "modern extend", house-style §2.4).
 * Each reads one key (or the availability sub-topic) and names the events its edges raise.
 */
export { availability } from './availability.js'
export { battery, type BatteryOptions } from './battery.js'
export { batteryLow } from './battery-low.js'
export { binary, type BinaryOptions } from './binary.js'
export { contact, type ContactOptions } from './contact.js'
export { occupancy, type OccupancyOptions } from './occupancy.js'
export { tamper } from './tamper.js'
export { vibration, type VibrationOptions } from './vibration.js'
export { waterLeak } from './water-leak.js'
