/**
 * The housekeeping a battery zigbee sensor reports besides its own measurement: tamper, battery and
 * availability. Shared by the zigbee2mqtt device files so each declares only what makes it different.
 */
export const housekeepingEvents = {
  tamper: 'the case was opened or the sensor moved',
  tamper_cleared: 'the tamper switch is closed again',
  battery_low: 'the battery needs replacing (device flag, or level below 20 %)',
  battery_ok: 'the device cleared its low-battery flag (battery replaced)',
  online: 'zigbee2mqtt reports the device available again',
  offline: 'zigbee2mqtt reports the device unavailable',
} as const

/** Tamper and low battery as technical alerts, each cleared by its opposite event. */
export const housekeepingTechnical = {
  tamper: { alert_class: 'TAMPER', priority: 'medium', cleared_by: 'tamper_cleared' },
  battery_low: { alert_class: 'BATTERY LOW', priority: 'low', cleared_by: 'battery_ok' },
} as const
