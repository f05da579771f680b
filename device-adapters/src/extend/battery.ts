import type { Z2mBlock } from '../families/zigbee2mqtt.js'

/** Options for `battery()`. */
export interface BatteryOptions {
  /** Raise 'battery_low' when `battery` (%) falls below this. Default 20. */
  readonly lowBelow?: number
  /**
   * Once low, stay low until the level is back at `lowBelow + hysteresis` (a new battery). Default 5: levels
   * derived from voltage wander by a point or two, and 19, 20, 19 must not raise the alert twice.
   */
  readonly hysteresis?: number
  /** Event when the level crosses below `lowBelow`. Default 'battery_low'. */
  readonly on?: string
  /** Event when it recovers; default none (the `batteryLow()` flag, where present, sends 'battery_ok'). */
  readonly ok?: string
}

/**
 * Numeric battery percentage (`battery`, §5.2), for devices that report a level but no `battery_low` flag.
 * Remembers whether the level is currently low (not the level), which is what the hysteresis needs.
 * The level itself reaches the event through the family's `detail: { battery }`.
 */
export function battery(opts: BatteryOptions = {}): Z2mBlock {
  const lowBelow = opts.lowBelow ?? 20
  const hysteresis = opts.hysteresis ?? 5
  if (!(lowBelow > 0 && lowBelow <= 100) || !(hysteresis >= 0)) throw new TypeError(`battery(): lowBelow must be in (0, 100] and hysteresis >= 0, got ${lowBelow} and ${hysteresis}`)
  return {
    name: 'battery_below',
    topic: 'state',
    key: 'battery',
    read: (value, before) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { error: `'battery' must be a number (percent), got ${JSON.stringify(value)}` }
      return { fact: before === true ? value < lowBelow + hysteresis : value < lowBelow }
    },
    isActive: (fact) => fact === true,
    onActive: opts.on ?? 'battery_low',
    ...(opts.ok !== undefined ? { onInactive: opts.ok } : {}),
  }
}
