import type { DeviceConfig } from '../config/schema.js'
import type { RawMessage } from '../core/event.js'
import { type GatewayError, gatewayError } from '../core/errors.js'
import { parseDeviceEventTopic } from '../core/topics.js'

/** A message whose envelope passed: the right size, a device topic, a known device, sent by that device. */
export interface CheckedMessage {
  readonly raw: RawMessage
  readonly device: DeviceConfig
}

export type CheckResult = { readonly ok: true; readonly message: CheckedMessage } | { readonly ok: false; readonly error: GatewayError; readonly deviceId: string | null }

export interface CheckContext {
  readonly devices: ReadonlyMap<string, DeviceConfig>
  readonly maxPayloadBytes: number
}

/**
 * The ingest stage: everything about a message that does not need the device's payload format.
 * Order matters for the precision of the message: size first (cheapest, and a flood guard), then topic,
 * then who the device is and whether the sender may speak for it.
 */
export function checkMessage(raw: RawMessage, ctx: CheckContext): CheckResult {
  const topic = parseDeviceEventTopic(raw.topic)
  const deviceId = topic?.deviceId ?? null
  const fail = (error: GatewayError): CheckResult => ({ ok: false, error, deviceId })
  if (raw.payload.length > ctx.maxPayloadBytes) return fail(gatewayError('GW_ERR_INPUT_TOO_LARGE', [raw.payload.length, ctx.maxPayloadBytes]))
  if (!topic) return fail(gatewayError('GW_ERR_INPUT_BAD_TOPIC', [raw.topic]))
  const device = ctx.devices.get(topic.deviceId)
  if (!device) return fail(gatewayError('GW_ERR_INPUT_UNKNOWN_DEVICE', [topic.deviceId]))
  if (device.site !== topic.siteId) return fail(gatewayError('GW_ERR_INPUT_WRONG_SITE', [device.id, device.site, topic.siteId]))
  // No device may speak for another (issue 6): the authenticated principal must be the device itself.
  if (raw.principal !== device.id) return fail(gatewayError('GW_ERR_INPUT_FOREIGN_DEVICE', [raw.principal ?? '(anonymous)', device.id]))
  return { ok: true, message: { raw, device } }
}
