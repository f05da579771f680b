import type { DeviceEvent, RawMessage } from '../core/event.js'
import { type GatewayError, gatewayError } from '../core/errors.js'

/** What a decoder returns (device-adapters' DecodeResult, restated here so this stage imports only core). */
export type DecoderResult =
  | { readonly ok: true; readonly events: readonly { readonly eventId: string | null; readonly type: string; readonly at: number | null; readonly detail?: Readonly<Record<string, unknown>> }[]; readonly state?: unknown }
  | { readonly ok: false; readonly reason: 'not_json' | 'bad_shape'; readonly message: string }

/** The part of a device adapter the normaliser uses (the adapter registry is passed in, never imported). */
export interface Decoder {
  readonly id: string
  readonly events: Readonly<Record<string, string>>
  decode(payload: Buffer, ctx: { readonly previous: unknown; readonly topicSuffix: string | null }): DecoderResult
}

export type NormaliseResult =
  | { readonly ok: true; readonly events: readonly Omit<DeviceEvent, 'seq'>[]; readonly state: unknown }
  | { readonly ok: false; readonly error: GatewayError }

/** The device a message came from, as far as normalising needs to know it. */
export interface SourceDevice {
  readonly id: string
  readonly type: string
  readonly site: string
}

/**
 * The normalise stage: decode the payload with the device type's adapter (which may find several events in
 * one message, comparing with the device's previous state), and check every event type is one this device
 * type declares. Adapters are called inside try/catch: a broken adapter costs one message, not the gateway
 * (house-style §2.8). A wire format without event ids or device times gets ids made from the receipt.
 */
export function normalise(
  msg: { readonly raw: RawMessage; readonly device: SourceDevice; readonly topicSuffix?: string | null },
  adapters: ReadonlyMap<string, Decoder>,
  previous: unknown = undefined,
): NormaliseResult {
  const adapter = adapters.get(msg.device.type)
  if (!adapter) return { ok: false, error: gatewayError('GW_ERR_BUG', [`no adapter for device type '${msg.device.type}'`]) }
  let decoded: DecoderResult
  try {
    decoded = adapter.decode(msg.raw.payload, { previous, topicSuffix: msg.topicSuffix ?? null })
  } catch (err) {
    return { ok: false, error: gatewayError('GW_ERR_BUG', [`adapter '${adapter.id}' threw: ${err instanceof Error ? err.message : String(err)}`], {}, err) }
  }
  if (!decoded.ok) {
    const code = decoded.reason === 'not_json' ? 'GW_ERR_INPUT_NOT_JSON' : 'GW_ERR_INPUT_BAD_SHAPE'
    return { ok: false, error: gatewayError(code, [decoded.message]) }
  }
  const events: Omit<DeviceEvent, 'seq'>[] = []
  for (const [i, e] of decoded.events.entries()) {
    if (!Object.hasOwn(adapter.events, e.type)) {
      return { ok: false, error: gatewayError('GW_ERR_INPUT_UNKNOWN_EVENT_TYPE', [adapter.id, e.type, Object.keys(adapter.events).join(', ')]) }
    }
    const r = msg.raw.receivedAt
    events.push({
      siteId: msg.device.site, deviceId: msg.device.id, type: e.type,
      eventId: e.eventId ?? `gw-${r.toString(36)}-${i}-${Math.floor(Math.random() * 1e9).toString(36)}`,
      deviceAt: e.at ?? r, receivedAt: r, ...(e.detail ? { detail: e.detail } : {}),
    })
  }
  return { ok: true, events, state: decoded.state }
}
