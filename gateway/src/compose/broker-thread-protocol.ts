/**
 * Messages between the gateway's main thread and the device broker's thread (compose/broker-thread.ts). Plain data
 * only: they cross `postMessage`. PUBLISHes travel in batches, one per turn of the broker's event loop, their payloads
 * packed into one transferred buffer: a Buffer from the MQTT parser is a view of a larger pooled buffer, and
 * `postMessage` copies a view's whole backing store, not the view.
 */

/** The broker's settings, as data (the ACL's functions are built again in the thread). */
export interface BrokerThreadSettings {
  readonly host: string
  /** Plaintext port, 0 for any free one, null for none. */
  readonly port: number | null
  readonly internalToken: string
  /** zigbee2mqtt bridge principals and their base topics. */
  readonly bridges: Readonly<Record<string, string>>
  /** Each principal's site (devices, disabled devices, bridges): the ACL holds a device to its own site. */
  readonly sites: readonly (readonly [string, string])[]
  /** Publishes per second a device may send (bridges get 500/s, burst 1000). */
  readonly devicePublishRate: number
  readonly maxPayloadBytes: number
  readonly tls?: { readonly port: number; readonly host: string; readonly key: Buffer; readonly cert: Buffer; readonly ca?: Buffer; readonly requestCert: boolean }
}

/** One turn's PUBLISHes: parallel arrays, payload `i` at `ends[i - 1] ?? 0` up to `ends[i]` in `bytes`. */
export interface PublishBatch {
  readonly ids: number[]
  readonly principals: (string | null)[]
  readonly clientIds: string[]
  readonly topics: string[]
  readonly ends: number[]
  readonly bytes: ArrayBuffer
}

/** From the broker's thread. */
export type FromBroker =
  | { readonly t: 'ready'; readonly port: number | null; readonly tlsPort: number | null }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'auth'; readonly id: number; readonly username: string; readonly password: string }
  | { readonly t: 'refused'; readonly what: string; readonly clientId: string; readonly reason: string }
  | { readonly t: 'stats'; readonly counts: Record<string, number> }
  | { readonly t: 'publish'; readonly batch: PublishBatch }
  | { readonly t: 'closed' }

/**
 * To the broker's thread. `auth`: the credential check's answer, or why it could not be made. `done`: one entry per
 * settled publish; `errors[i]` null means acknowledge it.
 */
export type ToBroker =
  | { readonly t: 'auth'; readonly id: number; readonly ok: boolean; readonly error?: string }
  | { readonly t: 'done'; readonly ids: number[]; readonly errors: (string | null)[] }
  | { readonly t: 'sites'; readonly sites: readonly (readonly [string, string])[] }
  | { readonly t: 'close' }

/** A publish waiting to be packed into the turn's batch. */
export interface QueuedPublish {
  readonly id: number
  readonly principal: string | null
  readonly clientId: string
  readonly topic: string
  readonly payload: Uint8Array
}

/** Pack a turn's publishes: their payloads copied back to back into one buffer that can be transferred. */
export function packPublishes(items: readonly QueuedPublish[]): PublishBatch {
  let total = 0
  for (const p of items) total += p.payload.byteLength
  const bytes = new ArrayBuffer(total)
  const view = new Uint8Array(bytes)
  const batch: PublishBatch = { ids: [], principals: [], clientIds: [], topics: [], ends: [], bytes }
  let at = 0
  for (const p of items) {
    view.set(p.payload, at)
    at += p.payload.byteLength
    batch.ids.push(p.id)
    batch.principals.push(p.principal)
    batch.clientIds.push(p.clientId)
    batch.topics.push(p.topic)
    batch.ends.push(at)
  }
  return batch
}

/** The publishes of a batch again, each payload a Buffer over the transferred bytes (no copy). */
export function unpackPublishes(batch: PublishBatch): QueuedPublish[] & { payload: Buffer }[] {
  return batch.ids.map((id, i) => {
    const start = i === 0 ? 0 : batch.ends[i - 1]!
    return { id, principal: batch.principals[i]!, clientId: batch.clientIds[i]!, topic: batch.topics[i]!, payload: Buffer.from(batch.bytes, start, batch.ends[i]! - start) }
  })
}
