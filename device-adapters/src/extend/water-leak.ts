import type { Z2mBlock } from '../families/zigbee2mqtt.js'
import { binary } from './binary.js'

/** Water leak sensor (`water_leak`, IAS zone alarm bit): 'water_leak' when wet, 'water_leak_cleared' when dry again. */
export function waterLeak(opts: { on?: string; off?: string } = {}): Z2mBlock {
  return binary({ key: 'water_leak', activeWhen: true, onActive: opts.on ?? 'water_leak', onInactive: opts.off ?? 'water_leak_cleared' })
}
