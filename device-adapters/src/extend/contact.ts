import type { Z2mBlock } from '../families/zigbee2mqtt.js'
import { binary } from './binary.js'

/** Options for `contact()`. */
export interface ContactOptions {
  /** Event when the contact opens (`contact: false`). */
  readonly open: string
  /** Event when the contact closes (`contact: true`). */
  readonly closed: string
  /**
   * Which position is the alarm ("active") condition, raised on the first message after start. Default 'open':
   * the IAS alarm bit set means open, and normally-closed wiring makes a cut cable look open (§5.1).
   */
  readonly active?: 'open' | 'closed'
}

/**
 * Contact input (`contact`). **`contact: true` = closed, `false` = open**: the converter computes
 * `contact = !(zoneStatus & 1)`, so the IAS alarm bit set means open (§5.2, ZHC `ias_contact_alarm_1`).
 */
export function contact(opts: ContactOptions): Z2mBlock {
  const activeIsOpen = (opts.active ?? 'open') === 'open'
  return binary({
    key: 'contact',
    activeWhen: !activeIsOpen, // the active position as zigbee2mqtt reports it: open is `false`
    onActive: activeIsOpen ? opts.open : opts.closed,
    onInactive: activeIsOpen ? opts.closed : opts.open,
  })
}
