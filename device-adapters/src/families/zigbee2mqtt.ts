import type { DecodeContext, DecodeResult, DecodedEvent } from '../define.js'

/**
 * The zigbee2mqtt family (protocols.md §5.2). A device publishes its WHOLE current state as a JSON object on
 * `<base>/<friendly_name>` on every change, and (if availability is enabled) `{"state":"online"|"offline"}`, or
 * the older plain `online`/`offline`, on `<base>/<friendly_name>/availability`. Neither carries an event id or a
 * device time, so every event here has `eventId: null` and `at: null` (the gateway supplies both).
 *
 * Because each publish is a full state and not a delta, events come from EDGES: a block compares what it reads
 * now with what it remembered from the previous message (`ctx.previous`, which is the `state` this decoder
 * returned last time). Which keys are read and which events they raise is data, declared per device type with
 * the blocks in ../extend/ (§5.2: "drive the mapping from the device's Exposes list rather than hard-coding").
 */

/** Where a block reads from: a key of the JSON state payload, or the device's availability sub-topic. */
export type Z2mTopic = 'state' | 'availability'

/** One reusable mapping from a zigbee2mqtt value to canonical events (cf. ZHC `ModernExtend`). */
export interface Z2mBlock {
  /** Key under which this block keeps what it last saw in the decoder state; unique within a device type. */
  readonly name: string
  /** 'state' reads `key` from the state payload; 'availability' reads the parsed availability ('online'|'offline'). */
  readonly topic: Z2mTopic
  /** The state payload key read (ignored for 'availability'). */
  readonly key: string
  /**
   * Turn a reported value into the fact to remember, given the fact remembered before (for hysteresis).
   * Returns an error message when the value has the wrong type. Never called with undefined or null.
   */
  readonly read: (value: unknown, before: unknown) => { readonly fact: unknown } | { readonly error: string }
  /** Is this remembered fact the block's "active" condition (motion, open, leak, low battery, offline)? */
  readonly isActive: (fact: unknown) => boolean
  /** Event raised when the condition becomes active, including on the first message after start. */
  readonly onActive?: string
  /** Event raised when an active condition ends; never on the first message (nothing was raised to end). */
  readonly onInactive?: string
}

/** A decoder built from blocks; the blocks stay readable so tests can check every event is declared. */
export type Z2mDecoder = ((payload: Buffer, ctx: DecodeContext) => DecodeResult) & { readonly blocks: readonly Z2mBlock[] }

/** Sub-topics other MQTT clients publish under a device (commands to it), which carry no device state. */
const COMMAND_SUFFIXES = ['set', 'get']

/** Numeric payload keys copied into every event's detail (§5.2 payloads), for the audit and device health. */
const DETAIL_KEYS = ['battery', 'linkquality'] as const

type Decoded = { ok: true; value: unknown } | { ok: false; reason: 'not_json' | 'bad_shape'; message: string }

function parseJson(text: string): Decoded {
  if (text.trim() === '') return { ok: false, reason: 'not_json', message: 'empty payload (zigbee2mqtt payloads are always JSON, §5.2)' }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (err) {
    return { ok: false, reason: 'not_json', message: `payload is not JSON: ${(err as Error).message}` }
  }
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
/** An own property only: a payload without `constructor` must not yield Object.prototype.constructor. */
const own = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined)

/** The state topic: a JSON object (§5.2 "Each publish carries the device's whole current state"). */
function parseState(text: string): Decoded {
  const json = parseJson(text)
  if (!json.ok) return json
  if (!isRecord(json.value)) return { ok: false, reason: 'bad_shape', message: `a zigbee2mqtt state payload must be a JSON object, got ${kindOf(json.value)}` }
  return json
}

/** The availability topic: `{"state":"online"|"offline"}` (current) or plain `online`/`offline` (older versions, §5.2). */
function parseAvailability(text: string): Decoded {
  const plain = text.trim()
  if (plain === 'online' || plain === 'offline') return { ok: true, value: plain }
  const json = parseJson(text)
  if (!json.ok) return { ...json, message: `availability must be {"state":"online"|"offline"} or plain online/offline; ${json.message}` }
  const state = isRecord(json.value) ? json.value.state : undefined
  if (state === 'online' || state === 'offline') return { ok: true, value: state }
  const got = isRecord(json.value) ? `state ${JSON.stringify(state) ?? 'missing'}` : kindOf(json.value)
  return { ok: false, reason: 'bad_shape', message: `availability must be {"state":"online"|"offline"} or plain online/offline, got ${got}` }
}

function detailOf(payload: Record<string, unknown>): Record<string, unknown> | undefined {
  const detail: Record<string, unknown> = {}
  for (const k of DETAIL_KEYS) {
    const v = own(payload, k)
    if (typeof v === 'number' && Number.isFinite(v)) detail[k] = v
  }
  return Object.keys(detail).length > 0 ? detail : undefined
}

/**
 * Run the blocks for one topic over the values read, against the remembered facts.
 * Returns the events (each type once per message) and the updated facts, or the first type error.
 */
function step(blocks: readonly Z2mBlock[], valueOf: (b: Z2mBlock) => unknown, before: Record<string, unknown>, detail: Record<string, unknown> | undefined): { events: DecodedEvent[]; after: Record<string, unknown> } | { error: string } {
  const after: Record<string, unknown> = { ...before }
  const types: string[] = []
  for (const block of blocks) {
    const value = valueOf(block)
    // Missing key: this device does not report it (or not yet). null: zigbee2mqtt does not know the value yet.
    // Either way nothing changed, so the remembered fact stands.
    if (value === undefined || value === null) continue
    const remembered = own(before, block.name)
    const read = block.read(value, remembered)
    if ('error' in read) return { error: read.error }
    const was = remembered === undefined ? undefined : block.isActive(remembered)
    const now = block.isActive(read.fact)
    after[block.name] = read.fact
    const type = now && was !== true ? block.onActive : !now && was === true ? block.onInactive : undefined
    if (type !== undefined && !types.includes(type)) types.push(type)
  }
  return { events: types.map((type) => ({ eventId: null, type, at: null, ...(detail ? { detail } : {}) })), after }
}

/** Check a device type's block list once, at start-up (house-style §2.8: a bad definition is a start-up error). */
function checkBlocks(blocks: readonly Z2mBlock[]): void {
  const names = blocks.map((b) => b.name)
  const dup = names.find((n, i) => names.indexOf(n) !== i)
  if (dup !== undefined) throw new TypeError(`zigbee2mqtt blocks: two blocks remember their fact under '${dup}'; give one a different name`)
  if (blocks.length === 0) throw new TypeError('zigbee2mqtt blocks: declare at least one block')
}

/**
 * Build the decoder for a zigbee2mqtt device type from its blocks. Never throws on input: a payload that is
 * not JSON, or not an object, or has a wrong-typed key a block reads, gives `{ ok: false }` with the reason.
 * The returned `state` is the remembered facts keyed by block name (e.g. `{ occupancy: true, availability: 'online' }`).
 */
export function zigbee2mqttDecoder(blocks: readonly Z2mBlock[]): Z2mDecoder {
  checkBlocks(blocks)
  const frozen = Object.freeze([...blocks])
  const decode = (payload: Buffer, ctx: DecodeContext): DecodeResult => {
    const before = isRecord(ctx.previous) ? ctx.previous : {}
    const suffix = ctx.topicSuffix ?? null
    if (suffix !== null && suffix !== 'availability') {
      // `<name>/set` and `<name>/get` are commands from other clients, seen by a `<base>/#` subscription: not state.
      if (COMMAND_SUFFIXES.some((c) => suffix === c || suffix.startsWith(`${c}/`))) return { ok: true, events: [], state: ctx.previous }
      return { ok: false, reason: 'bad_shape', message: `unexpected zigbee2mqtt sub-topic '${suffix}' (expected the device topic itself or 'availability')` }
    }
    const topic: Z2mTopic = suffix === 'availability' ? 'availability' : 'state'
    const text = payload.toString('utf8')
    const parsed = topic === 'state' ? parseState(text) : parseAvailability(text)
    if (!parsed.ok) return parsed
    const mine = frozen.filter((b) => b.topic === topic)
    const value = parsed.value
    const result = topic === 'state' && isRecord(value)
      ? step(mine, (b) => own(value, b.key), before, detailOf(value))
      : step(mine, () => value, before, undefined)
    if ('error' in result) return { ok: false, reason: 'bad_shape', message: result.error }
    return { ok: true, events: result.events, state: result.after }
  }
  return Object.assign(decode, { blocks: frozen })
}
