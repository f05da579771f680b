import type { Z2mBlock } from '../families/zigbee2mqtt.js'
import { binary } from './binary.js'

/**
 * Tamper switch (`tamper`, IAS zoneStatus bit 2, §5.2): 'tamper' when the case is opened or the sensor moved,
 * 'tamper_cleared' when it is closed again. Event names can be changed for devices where tamper means more
 * (a seizure-monitor interface maps it to 'fault').
 */
export function tamper(opts: { on?: string; off?: string } = {}): Z2mBlock {
  return binary({ key: 'tamper', activeWhen: true, onActive: opts.on ?? 'tamper', onInactive: opts.off ?? 'tamper_cleared' })
}
