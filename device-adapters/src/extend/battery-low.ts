import type { Z2mBlock } from '../families/zigbee2mqtt.js'
import { binary } from './binary.js'

/**
 * The device's own low-battery flag (`battery_low`, IAS zoneStatus bit 3, §5.2):
 * 'battery_low' when it sets, 'battery_ok' when it clears (battery replaced).
 */
export function batteryLow(opts: { on?: string; off?: string } = {}): Z2mBlock {
  return binary({ key: 'battery_low', activeWhen: true, onActive: opts.on ?? 'battery_low', onInactive: opts.off ?? 'battery_ok' })
}
