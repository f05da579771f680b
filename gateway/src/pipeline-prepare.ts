import type { ConfigIndex } from './config/config-index.js'
import type { DeviceConfig } from './config/schema.js'
import type { DeviceEvent, RawMessage } from './core/event.js'
import { type ErrorCode, GatewayError } from './core/errors.js'
import { type Decoder, normalise } from './normalise/normalise.js'
import { type BridgeView, type CheckContext, checkMessage } from './ingest/check-message.js'

/**
 * A device message read as far as it can be without the database (ingest, then normalise): what the pipeline is to
 * do with it. Made on the main thread for sources it reads itself, and on the device broker's thread for MQTT (issue
 * 9: decoding was a sixth of the main thread's cost per event), so this is plain data that crosses `postMessage`,
 * apart from the error, which `toWire`/`fromWire` carry across.
 */
export type Prepared =
  /** A bridge's housekeeping topic: nothing to do. */
  | { readonly kind: 'ignore' }
  /** A zigbee2mqtt bridge's own liveness. */
  | { readonly kind: 'bridge_state'; readonly bridgeId: string; readonly state: 'online' | 'offline' | null }
  | { readonly kind: 'reject'; readonly error: GatewayError; readonly deviceId: string | null }
  /** A device's status topic (its last will, or `online`). */
  | { readonly kind: 'liveness'; readonly deviceId: string }
  | { readonly kind: 'events'; readonly deviceId: string; readonly events: readonly Omit<DeviceEvent, 'seq'>[] }

/** What `prepareMessage` needs of the configuration, as data (the broker's thread gets a copy after every change). */
export interface IngestSnapshot {
  readonly devices: readonly DeviceConfig[]
  readonly disabled: readonly (readonly [string, { readonly device: DeviceConfig; readonly reason: string }])[]
  readonly bridges: readonly BridgeView[]
  readonly maxPayloadBytes: number
}

/** What reading a device message needs of the configuration, also sent to the broker's thread. */
export function ingestSnapshot(index: ConfigIndex): IngestSnapshot {
  return { devices: [...index.devices.values()], disabled: [...index.disabledDevices], bridges: index.config.zigbee2mqtt, maxPayloadBytes: index.config.ingest.max_payload_bytes }
}

/** The envelope checks' lookups, built once per configuration. */
export function checkContextOf(s: IngestSnapshot): CheckContext {
  return {
    devices: new Map(s.devices.map((d) => [d.id, d])),
    maxPayloadBytes: s.maxPayloadBytes,
    bridges: s.bridges,
    z2mDevices: new Map(s.devices.filter((d) => d.z2m).map((d) => [`${d.z2m!.bridge}/${d.z2m!.friendly_name}`, d])),
    disabledDevices: new Map(s.disabled),
  }
}

/**
 * Check and decode one message. A decoder's state (zigbee2mqtt edge detection) moves on at once, not after the
 * commit: a device's next message (a bridge flushing its queue sends them back to back) must be read against this
 * one, or an edge between them (occupied, then clear) is never seen. `undo` puts it back if the message is not
 * acknowledged, so the device's resend is read against the state it was first read against.
 */
export function prepareMessage(raw: RawMessage, ctx: CheckContext, decoders: ReadonlyMap<string, Decoder>, states: Map<string, unknown>): { readonly prepared: Prepared; readonly undo: (() => void) | null } {
  const checked = checkMessage(raw, ctx)
  if (checked.ok === 'ignore') return { prepared: { kind: 'ignore' }, undo: null }
  if (checked.ok === 'bridge_state') return { prepared: { kind: 'bridge_state', bridgeId: checked.bridgeId, state: checked.state }, undo: null }
  if (!checked.ok) return { prepared: { kind: 'reject', error: checked.error, deviceId: checked.deviceId }, undo: null }
  const device = checked.message.device
  if (checked.message.topicSuffix === 'status') return { prepared: { kind: 'liveness', deviceId: device.id }, undo: null }
  const before = states.get(device.id)
  const normalised = normalise(checked.message, decoders, before)
  if (!normalised.ok) return { prepared: { kind: 'reject', error: normalised.error, deviceId: device.id }, undo: null }
  let undo: (() => void) | null = null
  if (normalised.state !== undefined) {
    const after = normalised.state
    states.set(device.id, after)
    // Only if nothing newer was read since.
    undo = () => void (states.get(device.id) === after && states.set(device.id, before))
  }
  return { prepared: { kind: 'events', deviceId: device.id, events: normalised.events }, undo }
}

/** `Prepared` as it crosses a thread: a GatewayError would arrive as a plain Error, without its code. */
export type WirePrepared = Exclude<Prepared, { kind: 'reject' }> | { readonly kind: 'reject'; readonly error: { readonly code: ErrorCode; readonly message: string; readonly details: Record<string, unknown> }; readonly deviceId: string | null }

export function toWire(p: Prepared): WirePrepared {
  return p.kind === 'reject' ? { kind: 'reject', error: { code: p.error.code, message: p.error.message, details: { ...p.error.details } }, deviceId: p.deviceId } : p
}

export function fromWire(p: WirePrepared): Prepared {
  return p.kind === 'reject' ? { kind: 'reject', error: new GatewayError(p.error.code, p.error.message, p.error.details), deviceId: p.deviceId } : p
}

const notStored = new WeakSet<object>()
/** The pipeline failed to store a message's events (not: stored them, then failed to record that a silent device is back). */
export function markNotStored(err: unknown): void {
  if (err !== null && typeof err === 'object') notStored.add(err)
}
/** Only a message whose events were not stored has its decoder state put back: a stored event's resend is a duplicate, not a new edge. */
export const eventsNotStored = (err: unknown): boolean => err !== null && typeof err === 'object' && notStored.has(err)
