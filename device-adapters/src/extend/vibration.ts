import type { Z2mBlock } from '../families/zigbee2mqtt.js'
import { binary } from './binary.js'

/** Options for `vibration()`. */
export interface VibrationOptions {
  /** Event when `vibration` turns true. Default 'vibration'. */
  readonly on?: string
  /** Event when it turns false. Default none: like a PIR, the sensor resets itself after a timeout. */
  readonly off?: string
}

/** Vibration sensor (`vibration` binary expose). Only the rising edge is news (cf. occupancy, §5.2). */
export function vibration(opts: VibrationOptions = {}): Z2mBlock {
  return binary({ key: 'vibration', activeWhen: true, onActive: opts.on ?? 'vibration', ...(opts.off !== undefined ? { onInactive: opts.off } : {}) })
}
