import type { Z2mBlock } from '../families/zigbee2mqtt.js'

/**
 * Per-device availability from `<base>/<friendly_name>/availability` (§5.2): the family accepts both the JSON
 * `{"state":"online"}` and the older plain `online`, and hands this block 'online' or 'offline'.
 * 'offline' is the active condition: raised on the first message after start (the topic is retained, so a
 * device that went offline while the gateway was down is still reported); 'online' only after an 'offline'.
 * Battery devices are "passive" and zigbee2mqtt notices them missing only after hours, so per-device
 * supervision stays the gateway's job (§5.2); these events inform it, they are not technical alerts.
 */
export function availability(opts: { online?: string; offline?: string } = {}): Z2mBlock {
  return {
    name: 'availability',
    topic: 'availability',
    key: 'state',
    read: (value) => (value === 'online' || value === 'offline' ? { fact: value } : { error: `availability must be online or offline, got ${JSON.stringify(value)}` }),
    isActive: (fact) => fact === 'offline',
    onActive: opts.offline ?? 'offline',
    onInactive: opts.online ?? 'online',
  }
}
