// Serial contact-input module (docs/contact-module-protocol.md): relays of bed-exit controllers and seizure
// monitors (protocols.md §5.1) reported as checksummed ASCII lines. Parser, config and the gateway-side listener.
import { Buffer } from 'node:buffer'
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream'
import { z } from 'zod'
import type { DriverLog } from '../../../pager-bridge/src/define.js'
import type { BytePort, OpenPort } from '../../../pager-bridge/src/ports.js'

/** A contact as the module sees it; FAULT = its end-of-line resistor reads a cut or a short (doc §4). */
export type ContactState = 'OPEN' | 'CLOSED' | 'FAULT'
/** One line from the wire, decoded, or the precise reason it was refused. `raw` is the bytes as received. */
export type ContactLine =
  | { readonly kind: 'ch'; readonly channel: number; readonly state: ContactState; readonly seq: number; readonly raw: Buffer }
  | { readonly kind: 'hb'; readonly seq: number; readonly raw: Buffer }
  | { readonly kind: 'id'; readonly moduleId: string; readonly channels: number; readonly firmware: string; readonly raw: Buffer }
  | { readonly kind: 'st'; readonly raw: Buffer }
  | { readonly kind: 'bad'; readonly reason: string; readonly raw: Buffer }

const [DOLLAR, CR, LF] = [0x24, 0x0d, 0x0a]
const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0')
const seq3 = (n: number): string => String(n).padStart(3, '0')

/** XOR of the bytes between '$' and '*' (doc §2, NMEA style). */
export const contactChecksum = (body: string): number => [...Buffer.from(body, 'latin1')].reduce((x, b) => x ^ b, 0)
/** `$<body>*HH` CR LF. Throws TypeError when `body` holds a byte the framing cannot carry. */
export function encodeContactLine(body: string): Buffer {
  if (!/^[\x20-\x23\x25-\x29\x2b-\x7e]+$/.test(body)) throw new TypeError(`"body" must be printable ASCII without '$' or '*', got ${JSON.stringify(body)}`)
  return Buffer.from(`$${body}*${hex2(contactChecksum(body))}\r\n`, 'latin1')
}
/** The gateway's status request `$ST*07` (doc §3.5): the module answers one CH line per channel. */
export const contactStatusRequest: Buffer = encodeContactLine('ST')

const CHANNEL = /^[1-9][0-9]?$/
/** Field grammar (doc §3): pattern, and what the field must be (for the reason text). */
const FIELDS: Readonly<Record<string, readonly [RegExp, string]>> = {
  channel: [CHANNEL, '1–99'], state: [/^(OPEN|CLOSED|FAULT)$/, 'OPEN, CLOSED or FAULT'], seq: [/^[0-9]{3}$/, 'three digits 000–999'], 'channel count': [CHANNEL, '1–99'],
  'module id': [/^[A-Za-z0-9_-]{1,16}$/, '1–16 of A–Z a–z 0–9 _ -'], firmware: [/^[A-Za-z0-9._-]{1,16}$/, '1–16 of A–Z a–z 0–9 . _ -'],
}
const SENTENCES: Readonly<Record<string, readonly string[]>> = { CH: ['channel', 'state', 'seq'], HB: ['seq'], ID: ['module id', 'channel count', 'firmware'], ST: [] }

/** Decode one line (`$` through LF; CR LF, bare LF or no terminator). Never throws. */
export function decodeContactLine(raw: Buffer): ContactLine {
  const bad = (reason: string): ContactLine => ({ kind: 'bad', reason, raw })
  const n = raw.length
  if (raw[0] !== DOLLAR) return bad("line does not start with '$'")
  const text = raw.toString('latin1', 1, raw[n - 1] !== LF ? n : raw[n - 2] === CR ? n - 2 : n - 1)
  const odd = /[^\x20-\x7e]|\$/.exec(text)
  if (odd) return bad(odd[0] === '$' ? `'$' at offset ${odd.index + 1} inside the line` : `byte 0x${hex2(odd[0].charCodeAt(0))} at offset ${odd.index + 1} is not printable ASCII`)
  const star = text.indexOf('*')
  if (star < 0) return bad("no checksum ('*HH' missing)")
  const [body, given] = [text.slice(0, star), text.slice(star + 1)]
  if (given.length > 2) return bad(`text after the checksum: ${JSON.stringify(given.slice(2))}`)
  if (!/^[0-9A-F]{2}$/.test(given)) return bad(`checksum ${JSON.stringify(given)} is not two upper-case hex digits`)
  const want = hex2(contactChecksum(body))
  if (want !== given) return bad(`bad checksum: line says ${given}, computed ${want}`)
  const [tag = '', ...f] = body.split(',')
  const names = SENTENCES[tag]
  if (!names) return bad(`unknown sentence ${JSON.stringify(tag)}`)
  if (f.length !== names.length) return bad(`${tag} needs ${names.length} field(s) (${names.join(', ') || 'none'}), got ${f.length}`)
  for (const [i, name] of names.entries()) {
    const [re, what] = FIELDS[name]!
    if (!re.test(f[i]!)) return bad(`${tag}: ${name} ${JSON.stringify(f[i])} is not ${what}`)
  }
  const [a = '', b = '', c = ''] = f
  if (tag === 'CH') return { kind: 'ch', channel: Number(a), state: b as ContactState, seq: Number(c), raw }
  if (tag === 'HB') return { kind: 'hb', seq: Number(a), raw }
  if (tag === 'ID') return { kind: 'id', moduleId: a, channels: Number(b), firmware: c, raw }
  return { kind: 'st', raw }
}

/** Options for {@link ContactLineParser}. */
export interface ContactLineParserOptions extends TransformOptions {
  /** Longest line, '$' through LF, before it is refused and skipped to its end (doc §2). Default 128 */
  maxLineBytes?: number
}

/** A Transform: bytes in (any chunking), {@link ContactLine} objects out (readableObjectMode). Resyncs on every '$'. */
export class ContactLineParser extends Transform {
  readonly #max: number
  #line: number[] | null = null
  #noise: number[] = []
  #skipping = false // after an overlong line: drop bytes until LF or '$'
  constructor(options: ContactLineParserOptions = {}) {
    const { maxLineBytes = 128, ...rest } = options
    // Doc §2: the shortest line, `$ST*07` CR LF, is 8 bytes.
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 8 || maxLineBytes > 65_536) throw new TypeError(`"maxLineBytes" must be an integer 8–65536, got ${String(maxLineBytes)}`)
    super({ ...rest, objectMode: false, readableObjectMode: true, writableObjectMode: false, decodeStrings: true })
    this.#max = maxLineBytes
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const b of chunk) this.#step(b)
    callback()
  }
  override _flush(callback: TransformCallback): void {
    if (this.#line) this.#bad('stream ended inside a line', this.#line)
    this.#flushNoise()
    callback()
  }
  #bad = (reason: string, bytes: number[]): void => void this.push({ kind: 'bad', reason, raw: Buffer.from(bytes) } satisfies ContactLine)
  #flushNoise(): void {
    if (this.#noise.length > 0) this.#bad(`${this.#noise.length} byte(s) of noise outside a line`, this.#noise)
    this.#noise = []
  }
  #step(b: number): void {
    const line = this.#line
    if (b === DOLLAR) {
      if (line) this.#bad("line cut short by a new '$' (no line end)", line)
      this.#flushNoise()
      this.#skipping = false
      this.#line = [b]
    } else if (line === null) {
      if (this.#skipping) this.#skipping = b !== LF
      else if (this.#noise.length > 0 || (b !== CR && b !== LF)) { // blank lines are not noise
        this.#noise.push(b)
        if (b === LF || this.#noise.length >= this.#max) this.#flushNoise()
      }
    } else {
      line.push(b)
      if (b === LF) this.push(decodeContactLine(Buffer.from(line)))
      else if (line.length >= this.#max) this.#bad(`line longer than ${this.#max} bytes`, line)
      else return
      this.#line = null
      this.#skipping = b !== LF
    }
  }
}

const eventType = z.string().regex(/^[a-z][a-z0-9_]*$/, 'event types are snake_case')
/** One input of the module: which device it belongs to and what its contact means (protocols.md §5.1). */
export const contactChannelConfig = z
  .object({
    /** Device id in configuration. */ device: z.string().min(1),
    /** 'nc': closed = normal, open = alarm (preferred: a cut cable shows). 'no': open = normal, closed = alarm. */ wiring: z.enum(['nc', 'no']),
    /** 'level': the contact holds while the condition lasts. 'pulse': each momentary closure is one event. */ mode: z.enum(['level', 'pulse']),
    /** A change must hold this long before it counts (§5.1: 50–200 ms). Default 100. */ debounce_ms: z.number().int().min(0).max(5000).default(100),
    /** Sent when the contact goes to its alarm position, e.g. 'out_of_bed', 'seizure_alarm'. */ active_event: eventType,
    /** Level mode only: sent on the return to normal, e.g. 'in_bed', 'seizure_cleared'. */ inactive_event: eventType.optional(),
    /** Sent when the module reports FAULT (cut or shorted cable). Default 'fault'. */ fault_event: eventType.default('fault'),
  })
  .strict()
  .refine((c) => c.mode !== 'pulse' || c.inactive_event === undefined, { message: 'pulse mode has no inactive_event: a momentary closure is one event', path: ['inactive_event'] })
export type ContactChannelConfig = z.infer<typeof contactChannelConfig>

/** A serial contact-input module on a serial device or a serial device server (tcp://host:port). */
export const contactModuleConfig = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
    /** Serial device path or tcp://host:port. */ port: z.string().min(1),
    baud_rate: z.number().int().min(300).max(115_200).default(9600),
    data_bits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stop_bits: z.union([z.literal(1), z.literal(2)]).default(1),
    /** The site whose team is alerted if the module goes quiet. */ site: z.string().min(1),
    /** The module's heartbeat interval; no valid line for 3 × this marks the link down. Default 30. */ heartbeat_s: z.number().int().min(1).max(3600).default(30),
    reconnect_ms: z.number().int().min(100).max(60_000).default(1000),
    /** Channel number ('1'–'99') → what is wired to it. */ channels: z.record(z.string().regex(CHANNEL, 'channel numbers are 1–99'), contactChannelConfig).refine((c) => Object.keys(c).length > 0, 'configure at least one channel'),
  })
  .strict()
export type ContactModuleConfig = z.infer<typeof contactModuleConfig>

/** Time for debounce, watchdog and reconnect; injected as `deps.clock` (default: real time) so tests need not sleep. */
export interface ContactModuleClock { now(): number; setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void }
const realClock: ContactModuleClock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }

export interface ContactModuleDeps {
  readonly openPort: OpenPort
  readonly log: DriverLog
  /** A debounced change: `type` is the channel's active_event, inactive_event or fault_event. */
  readonly onEvent: (channel: number, deviceId: string, type: string, detail: Readonly<Record<string, unknown>>) => void
  readonly onLink: (state: 'up' | 'down', reason: string) => void
  /** A refused line, an unconfigured channel or lost lines; `rawHex` is the line as received. */
  readonly onReject: (reason: string, rawHex: string) => void
  readonly clock?: ContactModuleClock
}

/** `stable`: the debounced state, null until first reported; `pending`: a change waiting out its debounce. */
interface Channel { readonly cfg: ContactChannelConfig; stable: ContactState | null; pending: { readonly state: ContactState; readonly timer: unknown } | null }
/** NC: open = alarm; NO: closed = alarm (protocols.md §5.1). */
const meaning = (cfg: ContactChannelConfig, s: ContactState): 'active' | 'normal' | 'fault' => (s === 'FAULT' ? 'fault' : (s === 'OPEN') === (cfg.wiring === 'nc') ? 'active' : 'normal')

/** Listens to one module: debounces each channel, turns changes into device events, watches the link and the line sequence. */
export class ContactModuleInput {
  /** Since start: valid lines, refused lines (bad, unconfigured channel, sequence gap), lines lost to gaps, `$ST` sent. */
  readonly stats = { lines: 0, rejected: 0, lostLines: 0, statusRequests: 0 }
  private readonly clock: ContactModuleClock
  private readonly channels = new Map<number, Channel>()
  private port: BytePort | null = null
  private linkState: 'up' | 'down' | null = null
  private lastSeq: number | null = null
  private lastStatusAt = -Infinity
  private watchdog: unknown = null
  private reconnect: unknown = null
  private statusTimer: unknown = null
  private closed = false
  constructor(private readonly cfg: ContactModuleConfig, private readonly deps: ContactModuleDeps) {
    this.clock = deps.clock ?? realClock
    for (const [n, c] of Object.entries(cfg.channels)) this.channels.set(Number(n), { cfg: c, stable: null, pending: null })
  }
  async start(): Promise<void> {
    this.armWatchdog()
    await this.connect()
  }
  private async connect(): Promise<void> {
    if (this.closed) return
    try {
      const port = await this.deps.openPort(this.cfg.port, { baudRate: this.cfg.baud_rate, dataBits: this.cfg.data_bits, parity: this.cfg.parity, stopBits: this.cfg.stop_bits })
      if (this.closed) return void (await port.close())
      this.port = port
      const parser = new ContactLineParser().on('data', (l: ContactLine) => this.guard(() => this.onLine(l)))
      port.onData((c) => parser.write(c))
      port.onClose((reason) => { this.port = null; this.scheduleReconnect(); this.guard(() => this.setLink('down', reason)) })
      this.lastStatusAt = -Infinity
      this.requestStatus() // learn the current contacts: the module may have been running for hours
    } catch (err) {
      this.scheduleReconnect()
      this.guard(() => this.setLink('down', `cannot open ${this.cfg.port}: ${(err as Error).message}`))
    }
  }
  private scheduleReconnect(): void {
    if (this.closed || this.reconnect !== null) return
    this.reconnect = this.clock.setTimeout(() => { this.reconnect = null; void this.connect() }, this.cfg.reconnect_ms)
  }
  private setLink(state: 'up' | 'down', reason: string): void {
    if (state === this.linkState) return
    this.linkState = state
    this.deps.onLink(state, reason)
  }
  private armWatchdog(): void {
    if (this.watchdog !== null) this.clock.clearTimeout(this.watchdog)
    const s = this.cfg.heartbeat_s * 3
    this.watchdog = this.clock.setTimeout(() => this.guard(() => this.setLink('down', `no valid line from the module for ${s} s (3 × heartbeat)`)), s * 1000)
  }
  private reject(reason: string, raw: Buffer): void {
    this.stats.rejected++
    this.deps.log.warn({ input: this.cfg.id, reason, hex: raw.toString('hex') }, 'contact module line rejected')
    this.deps.onReject(reason, raw.toString('hex'))
  }
  /** At most one `$ST` a second, so a noisy line cannot become a flood; one asked for sooner is deferred, never dropped. */
  private requestStatus(): void {
    const wait = this.lastStatusAt + 1000 - this.clock.now()
    if (!this.port || this.statusTimer !== null) return
    if (wait > 0) return void (this.statusTimer = this.clock.setTimeout(() => { this.statusTimer = null; this.requestStatus() }, wait))
    this.lastStatusAt = this.clock.now()
    this.stats.statusRequests++
    void this.port.write(contactStatusRequest).catch(() => undefined)
  }
  /** A throwing callback must not stop later lines, nor crash the process from a timer. */
  private guard(fn: () => void): void { try { fn() } catch (err) { this.deps.log.warn({ input: this.cfg.id, err }, 'a contact module callback failed') } }
  private onLine(l: ContactLine): void {
    if (l.kind === 'bad') return this.reject(l.reason, l.raw)
    if (l.kind === 'st') return // our own request echoed back by a loop-back or a misconfigured device server
    this.stats.lines++
    this.armWatchdog()
    this.setLink('up', 'module traffic')
    if (l.kind === 'id') return this.onId(l.moduleId, l.channels, l.firmware, l.raw)
    this.checkSeq(l.seq, l.raw)
    if (l.kind === 'ch') this.onContact(l.channel, l.state, l.raw)
  }
  private onId(moduleId: string, count: number, firmware: string, raw: Buffer): void {
    this.lastSeq = null // a restart: the counter begins again at 000 (doc §3.1)
    this.deps.log.info({ input: this.cfg.id, moduleId, channels: count, firmware }, 'contact module identified')
    const beyond = [...this.channels.keys()].filter((n) => n > count)
    if (beyond.length > 0) this.reject(`module ${moduleId} has ${count} channel(s) but channel(s) ${beyond.join(', ')} are configured`, raw)
  }
  private checkSeq(seq: number, raw: Buffer): void {
    const last = this.lastSeq
    this.lastSeq = seq
    if (last === null || seq === (last + 1) % 1000) return
    const lost = (seq - last + 999) % 1000
    this.stats.lostLines += lost === 999 ? 0 : lost
    this.reject(lost === 999 ? `sequence repeated: ${seq3(seq)} again` : `sequence gap: expected ${seq3((last + 1) % 1000)}, got ${seq3(seq)} (${lost} line(s) lost)`, raw)
    this.requestStatus() // CH lines carry absolute states, so the answer repairs whatever was lost (doc §5)
  }
  private onContact(n: number, state: ContactState, raw: Buffer): void {
    const ch = this.channels.get(n)
    if (!ch) return this.reject(`channel ${n} is not configured`, raw)
    if (ch.pending?.state === state) return // already waiting for this change to hold
    if (ch.pending) this.clock.clearTimeout(ch.pending.timer)
    ch.pending = null
    if (state === ch.stable) return // a change back within the debounce window cancels it
    if (ch.cfg.debounce_ms === 0) return this.settle(n, ch, state)
    ch.pending = { state, timer: this.clock.setTimeout(() => this.guard(() => this.settle(n, ch, state)), ch.cfg.debounce_ms) }
  }
  private settle(n: number, ch: Channel, state: ContactState): void {
    const [c, was, now] = [ch.cfg, ch.stable === null ? null : meaning(ch.cfg, ch.stable), meaning(ch.cfg, state)]
    ch.pending = null
    ch.stable = state
    if (now === was) return
    const emit = (type: string, detail: Record<string, unknown>) => this.deps.onEvent(n, c.device, type, detail)
    if (now === 'fault') return emit(c.fault_event, { channel: n, reason: 'line fault' })
    if (now === 'active') return emit(c.active_event, { channel: n, contact: state, wiring: c.wiring })
    // Back to normal: level mode reports it; the first report after start is the baseline, not a change.
    if (c.mode === 'level' && c.inactive_event && was !== null) emit(c.inactive_event, { channel: n, contact: state, wiring: c.wiring })
  }
  async close(): Promise<void> {
    this.closed = true
    for (const t of [this.watchdog, this.reconnect, this.statusTimer, ...[...this.channels.values()].map((c) => c.pending?.timer ?? null)]) if (t !== null) this.clock.clearTimeout(t)
    await this.port?.close()
  }
}
