/**
 * A device event after validation at the edge, in the gateway's canonical vocabulary.
 * Event types are snake_case words declared by device adapters (e.g. `out_of_bed`, `seizure_alarm`).
 */
export interface DeviceEvent {
  /** Journal sequence number: the order in which the gateway durably accepted events. */
  readonly seq: number
  readonly siteId: string
  readonly deviceId: string
  /** The device's own idempotency key; `(deviceId, eventId)` is unique. */
  readonly eventId: string
  readonly type: string
  /** Time the device says the event happened (epoch ms). Shown, never trusted for timing. */
  readonly deviceAt: number
  /** Time the gateway received it (epoch ms). Rule timing uses this clock. */
  readonly receivedAt: number
  /** Facts the device reported with it (battery %, fault code); recorded in the audit, not used by rules. */
  readonly detail?: Readonly<Record<string, unknown>>
}

/** A message as it arrived on a transport, before anything is known about it. */
export interface RawMessage {
  readonly transport: 'mqtt'
  readonly topic: string
  readonly payload: Buffer
  /** The authenticated identity that sent it (MQTT username), or null if the transport has none. */
  readonly principal: string | null
  readonly clientId: string | null
  readonly receivedAt: number
}
