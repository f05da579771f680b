import type { DeviceConfig } from '../config/schema.js'
import type { RawMessage } from '../core/event.js'
import { type GatewayError, gatewayError } from '../core/errors.js'
import { parseDeviceEventTopic, parseDeviceTopic } from '../core/topics.js'

/** A message whose envelope passed: the right size, a device topic, a known device, sent by someone allowed to speak for it. */
export interface CheckedMessage {
  readonly raw: RawMessage
  readonly device: DeviceConfig
  /** The topic below the device's own (zigbee2mqtt 'availability'), or null. */
  readonly topicSuffix: string | null
}

export type CheckResult =
  | { readonly ok: true; readonly message: CheckedMessage }
  | { readonly ok: false; readonly error: GatewayError; readonly deviceId: string | null }
  /** A bridge's own housekeeping topic (zigbee2mqtt `bridge/...`): accepted, not a device message. */
  | { readonly ok: 'ignore'; readonly reason: string }
  /** The bridge's own liveness (`<base>/bridge/state`): online or offline. */
  | { readonly ok: 'bridge_state'; readonly bridgeId: string; readonly state: 'online' | 'offline' | null }

/** A zigbee2mqtt bridge: its MQTT identity and base topic. */
export interface BridgeView {
  readonly id: string
  readonly base_topic: string
}

export interface CheckContext {
  readonly devices: ReadonlyMap<string, DeviceConfig>
  readonly maxPayloadBytes: number
  readonly bridges: readonly BridgeView[]
  /** `<bridge id>/<friendly name>` → device. */
  readonly z2mDevices: ReadonlyMap<string, DeviceConfig>
  /** Devices out of service (issue 7), with why: refused by name rather than as unknown. */
  readonly disabledDevices?: ReadonlyMap<string, { readonly device: DeviceConfig; readonly reason: string }>
}

/**
 * The ingest stage: everything about a message that does not need the device's payload format.
 * Order matters for the precision of the message: size first (cheapest, and a flood guard), then topic,
 * then who the device is and whether the sender may speak for it (issue 6: no device may speak for another).
 */
export function checkMessage(raw: RawMessage, ctx: CheckContext): CheckResult {
  if (raw.payload.length > ctx.maxPayloadBytes) return { ok: false, error: gatewayError('GW_ERR_INPUT_TOO_LARGE', [raw.payload.length, ctx.maxPayloadBytes]), deviceId: parseDeviceEventTopic(raw.topic)?.deviceId ?? null }
  const bridge = ctx.bridges.find((b) => raw.topic.startsWith(`${b.base_topic}/`))
  if (bridge) return checkZigbee2mqtt(raw, bridge, ctx)
  // A device's last will (or its own online/offline): liveness for supervision, not an event (protocols.md §6.1).
  const topic = parseDeviceTopic(raw.topic)
  const status = topic?.suffix === 'status'
  const deviceId = topic?.deviceId ?? null
  const fail = (error: GatewayError): CheckResult => ({ ok: false, error, deviceId })
  if (!topic) return fail(gatewayError('GW_ERR_INPUT_BAD_TOPIC', [raw.topic]))
  const off = ctx.devices.has(topic.deviceId) ? undefined : ctx.disabledDevices?.get(topic.deviceId)
  const device = ctx.devices.get(topic.deviceId) ?? off?.device
  if (!device) return fail(gatewayError('GW_ERR_INPUT_UNKNOWN_DEVICE', [topic.deviceId]))
  if (device.site !== topic.siteId) return fail(gatewayError('GW_ERR_INPUT_WRONG_SITE', [device.id, device.site, topic.siteId]))
  if (raw.principal !== device.id) return fail(gatewayError('GW_ERR_INPUT_FOREIGN_DEVICE', [raw.principal ?? '(anonymous)', device.id]))
  // Checked after who is speaking, so spoofing is still reported as such; a disabled device's liveness is moot.
  if (off) return status ? { ok: 'ignore', reason: 'liveness of a disabled device' } : fail(gatewayError('GW_ERR_INPUT_DEVICE_DISABLED', [device.id, off.reason]))
  return { ok: true, message: { raw, device, topicSuffix: status ? 'status' : null } }
}

/** `{"state":"online"}` or the older plain `online` (protocols.md §5.2); null if neither. */
function bridgeState(payload: Buffer): 'online' | 'offline' | null {
  const text = payload.toString('utf8').trim()
  let value: unknown = text
  try {
    value = (JSON.parse(text) as { state?: unknown }).state
  } catch {
    /* the plain form */
  }
  return value === 'online' || value === 'offline' ? value : null
}

/** `<base>/<friendly_name>` (state) or `<base>/<friendly_name>/availability`; names may contain '/' (protocols.md §5.2). */
function checkZigbee2mqtt(raw: RawMessage, bridge: BridgeView, ctx: CheckContext): CheckResult {
  const rest = raw.topic.slice(bridge.base_topic.length + 1)
  if (raw.principal !== bridge.id) return { ok: false, error: gatewayError('GW_ERR_INPUT_FOREIGN_DEVICE', [raw.principal ?? '(anonymous)', `bridge ${bridge.id}`]), deviceId: null }
  if (rest === 'bridge/state') return { ok: 'bridge_state', bridgeId: bridge.id, state: bridgeState(raw.payload) }
  if (rest === 'bridge' || rest.startsWith('bridge/')) return { ok: 'ignore', reason: 'zigbee2mqtt bridge topic' }
  const availability = rest.endsWith('/availability')
  const name = availability ? rest.slice(0, -'/availability'.length) : rest
  const device = ctx.z2mDevices.get(`${bridge.id}/${name}`)
  if (!device) return { ok: false, error: gatewayError('GW_ERR_INPUT_UNKNOWN_DEVICE', [`zigbee2mqtt '${name}' on bridge ${bridge.id}`]), deviceId: null }
  return { ok: true, message: { raw, device, topicSuffix: availability ? 'availability' : null } }
}
