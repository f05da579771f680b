import type { DeviceEvent, RawMessage } from '../core/event.js'
import { type GatewayError, gatewayError } from '../core/errors.js'

/** The part of a device adapter the normaliser uses (the adapter registry is passed in, never imported). */
export interface Decoder {
  readonly id: string
  readonly events: Readonly<Record<string, string>>
  decode(payload: Buffer): { ok: true; event: { eventId: string; type: string; at: number } } | { ok: false; reason: 'not_json' | 'bad_shape'; message: string }
}

export type NormaliseResult = { readonly ok: true; readonly event: Omit<DeviceEvent, 'seq'> } | { readonly ok: false; readonly error: GatewayError }

/**
 * The normalise stage: decode the payload with the device type's adapter and check the event type
 * is one this device type declares. Adapters are called inside try/catch: a broken adapter costs one
 * message, not the gateway (house-style §2.8).
 */
/** The device a message came from, as far as normalising needs to know it. */
export interface SourceDevice {
  readonly id: string
  readonly type: string
  readonly site: string
}

export function normalise(msg: { readonly raw: RawMessage; readonly device: SourceDevice }, adapters: ReadonlyMap<string, Decoder>): NormaliseResult {
  const adapter = adapters.get(msg.device.type)
  if (!adapter) return { ok: false, error: gatewayError('GW_ERR_BUG', [`no adapter for device type '${msg.device.type}'`]) }
  let decoded: ReturnType<Decoder['decode']>
  try {
    decoded = adapter.decode(msg.raw.payload)
  } catch (err) {
    return { ok: false, error: gatewayError('GW_ERR_BUG', [`adapter '${adapter.id}' threw: ${err instanceof Error ? err.message : String(err)}`], {}, err) }
  }
  if (!decoded.ok) {
    const code = decoded.reason === 'not_json' ? 'GW_ERR_INPUT_NOT_JSON' : 'GW_ERR_INPUT_BAD_SHAPE'
    return { ok: false, error: gatewayError(code, [decoded.message]) }
  }
  const { eventId, type, at } = decoded.event
  if (!Object.hasOwn(adapter.events, type)) {
    return { ok: false, error: gatewayError('GW_ERR_INPUT_UNKNOWN_EVENT_TYPE', [adapter.id, type, Object.keys(adapter.events).join(', ')]) }
  }
  return { ok: true, event: { siteId: msg.device.site, deviceId: msg.device.id, eventId, type, deviceAt: at, receivedAt: msg.raw.receivedAt } }
}
