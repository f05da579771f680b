import type { Z2mBlock } from '../families/zigbee2mqtt.js'

/** Options for a boolean zigbee2mqtt key (most IAS-zone and binary exposes, protocols.md §5.2). */
export interface BinaryOptions {
  /** The state payload key, e.g. 'occupancy'. */
  readonly key: string
  /** Decoder-state name for the remembered value. Default: the key. */
  readonly name?: string
  /** The reported value that is the "active" condition (raised on the first message too). */
  readonly activeWhen: boolean
  /** Event when the value becomes `activeWhen`. */
  readonly onActive?: string
  /** Event when it stops being `activeWhen` after having been so. */
  readonly onInactive?: string
}

/**
 * The shared shape behind occupancy, contact, vibration, water leak, battery_low and tamper: remember the
 * reported boolean itself (so decoder state reads like the payload, e.g. `{ contact: true }` = closed) and
 * compare it with `activeWhen`. A non-boolean value is an error: zigbee2mqtt types these exposes as binary.
 */
export function binary(opts: BinaryOptions): Z2mBlock {
  return {
    name: opts.name ?? opts.key,
    topic: 'state',
    key: opts.key,
    read: (value) => (typeof value === 'boolean' ? { fact: value } : { error: `'${opts.key}' must be true or false (zigbee2mqtt binary expose), got ${JSON.stringify(value)}` }),
    isActive: (fact) => fact === opts.activeWhen,
    ...(opts.onActive !== undefined ? { onActive: opts.onActive } : {}),
    ...(opts.onInactive !== undefined ? { onInactive: opts.onInactive } : {}),
  }
}
