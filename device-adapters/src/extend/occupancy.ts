import type { Z2mBlock } from '../families/zigbee2mqtt.js'
import { binary } from './binary.js'

/** Options for `occupancy()`. */
export interface OccupancyOptions {
  /** Event when `occupancy` turns true. Default 'motion'. */
  readonly on?: string
  /** Event when `occupancy` turns false. Default: none. */
  readonly off?: string
}

/**
 * PIR / occupancy (`occupancy`, IAS zoneStatus bit 0, §5.2). `false` is NOT "the person left": many PIRs
 * report it only after a built-in 60–90 s timeout (or zigbee2mqtt's `occupancy_timeout`), so no event is
 * raised for it unless `off` is given.
 */
export function occupancy(opts: OccupancyOptions = {}): Z2mBlock {
  return binary({ key: 'occupancy', activeWhen: true, onActive: opts.on ?? 'motion', ...(opts.off !== undefined ? { onInactive: opts.off } : {}) })
}
