import { EventEmitter } from 'node:events'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { hex, linkCliOptions, linkOptionsFromCli, openLink, waitForRecorded, type Link, type LinkOptions } from '../lib/serial-link.js'

/**
 * A multi-channel contact-input module (docs/contact-module-protocol.md, "CIM/1"), the reference sender for the
 * gateway's contact-module input. Written from that document only: it shares no code with device-adapters/.
 */

/** Electrical state of one input as the module measures it (doc §4). */
export type ContactState = 'OPEN' | 'CLOSED' | 'FAULT'

/** XOR of the bytes strictly between '$' and '*' (doc §2). */
export function cimChecksum(body: string): string {
  let x = 0
  for (const b of Buffer.from(body, 'latin1')) x ^= b
  return x.toString(16).toUpperCase().padStart(2, '0')
}

/** `$<body>*HH` CR LF (doc §2). */
export const cimLine = (body: string): string => `$${body}*${cimChecksum(body)}\r\n`

export interface ContactModuleSimulatorOptions extends LinkOptions {
  /** Module id in the ID line (doc §3.1: 1–16 of A–Z a–z 0–9 _ -). Default 'SIM-0001' */
  id?: string
  /** Channel count (all CLOSED), or the initial state of each channel, channel 1 first. Default 4 */
  channels?: number | readonly ContactState[]
  /** Heartbeat interval (doc §3.3); 0 sends none. Default 30000 */
  heartbeatMs?: number
  /** Firmware in the ID line. Default '1.0.0' */
  firmware?: string
}

export interface ContactModuleSimulatorEvents {
  /** A line put on the wire (without CR LF). */
  sent: [line: string]
  /** A line generated but not sent (lose() or silent), its seq used up all the same (doc §3.4). */
  dropped: [line: string]
  /** A valid `$ST*07` from the gateway (doc §3.5), before the answer. */
  request: [line: string]
  /** A line from the gateway the module ignored (doc §3.5: no error reply). */
  ignored: [raw: string, reason: string]
  trace: [dir: 'rx' | 'tx', bytes: Buffer]
}

const STATES: readonly ContactState[] = ['OPEN', 'CLOSED', 'FAULT']

/** Defaults applied; TypeError naming the option otherwise. */
function checkOptions(opts: ContactModuleSimulatorOptions): { id: string; states: ContactState[]; hb: number } {
  const id = opts.id ?? 'SIM-0001'
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(id)) throw new TypeError(`"id" must be 1–16 of A–Z a–z 0–9 _ -, got ${JSON.stringify(id)}`)
  const ch = opts.channels ?? 4
  const states: ContactState[] = typeof ch === 'number' ? Array.from({ length: Number.isInteger(ch) ? Math.max(ch, 0) : 0 }, () => 'CLOSED' as const) : [...ch]
  if (states.length < 1 || states.length > 99 || states.some((s) => !STATES.includes(s))) throw new TypeError('"channels" must be 1–99, or 1–99 states OPEN/CLOSED/FAULT')
  const hb = opts.heartbeatMs ?? 30_000
  if (!Number.isFinite(hb) || hb < 0) throw new TypeError(`"heartbeatMs" must be ≥ 0, got ${String(hb)}`)
  if (opts.firmware !== undefined && !/^[A-Za-z0-9._-]{1,16}$/.test(opts.firmware)) throw new TypeError(`"firmware" must be 1–16 of A–Z a–z 0–9 . _ -, got ${JSON.stringify(opts.firmware)}`)
  return { id, states, hb }
}

export class ContactModuleSimulator extends EventEmitter<ContactModuleSimulatorEvents> {
  /** Every line sent, without CR LF, in order. */
  readonly sent: string[] = []
  /** Every status request received. */
  readonly requests: string[] = []
  readonly ignored: { raw: string; reason: string }[] = []
  readonly id: string
  private readonly states: ContactState[]
  private seq = 0
  private toLose = 0
  private quiet = false
  private rx = ''
  private hbTimer: NodeJS.Timeout | null = null
  private readonly timers = new Set<NodeJS.Timeout>()
  private stopped = false

  /** Options are checked before the link opens, so a bad option leaves nothing open. */
  static async start(link: string | Link, opts: ContactModuleSimulatorOptions = {}): Promise<ContactModuleSimulator> {
    checkOptions(opts)
    return new ContactModuleSimulator(typeof link === 'string' ? await openLink(link, opts) : link, opts)
  }

  constructor(readonly link: Link, private readonly opts: ContactModuleSimulatorOptions = {}) {
    super()
    const { id, states, hb } = checkOptions(opts)
    this.id = id
    this.states = states
    link.on('data', (d) => this.onData(d))
    this.restart()
    if (hb > 0) this.hbTimer = setInterval(() => this.heartbeat(), hb)
  }

  /** Power-up or reset: ID (seq restarts at 000), then one CH line per channel (doc §3.1). */
  restart(): void {
    this.seq = 0
    this.put(`ID,${this.id},${this.states.length},${this.opts.firmware ?? '1.0.0'}`)
    this.snapshot()
  }

  /** The current state of a channel. */
  state(channel: number): ContactState {
    return this.states[this.index(channel)]!
  }

  /** Change a contact; sends its CH line, or nothing if the state is unchanged (a module reports changes). */
  set(channel: number, state: ContactState): boolean {
    const i = this.index(channel)
    if (!STATES.includes(state)) throw new TypeError(`"state" must be OPEN, CLOSED or FAULT, got ${String(state)}`)
    if (this.states[i] === state) return false
    this.states[i] = state
    this.numbered(`CH,${channel},${state}`)
    return true
  }

  /** A momentary contact change: to the other position, and back after `ms` (a relay's pulse output). */
  pulse(channel: number, ms: number): Promise<void> {
    const from = this.state(channel)
    if (from === 'FAULT') throw new Error(`channel ${channel} is in FAULT: nothing can pulse on a cut cable`)
    this.set(channel, from === 'OPEN' ? 'CLOSED' : 'OPEN')
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t)
        if (!this.stopped) this.set(channel, from)
        resolve()
      }, ms)
      this.timers.add(t)
    })
  }

  /** Raw bytes straight onto the line (noise, a half line, a bad checksum). Default: a burst of line noise. */
  garbage(bytes: Uint8Array | string = Buffer.from([0x00, 0xff, 0x13, 0x37, 0x2a, 0x0d, 0x0a])): void {
    this.tx(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes))
  }

  /** While on, nothing reaches the wire, as if the cable were unplugged; lines still use up their seq (doc §3.4). */
  silent(on: boolean): void {
    this.quiet = on
  }

  /** The next `n` generated lines are lost on the wire, their seq used up, so the gateway sees a gap (doc §5). */
  lose(n: number): void {
    this.toLose = n
  }

  /** A heartbeat now (also sent every `heartbeatMs`). */
  heartbeat(): void {
    this.numbered('HB')
  }

  /** One CH line per channel, 1..N (doc §3.5). */
  snapshot(): void {
    this.states.forEach((s, i) => this.numbered(`CH,${i + 1},${s}`))
  }

  waitForRequest(timeoutMs = 5000): Promise<string> {
    return waitForRecorded(this.requests, this, 'request', () => true, timeoutMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.hbTimer) clearInterval(this.hbTimer)
    for (const t of this.timers) clearTimeout(t)
    await this.link.close()
  }

  private index(channel: number): number {
    if (!Number.isInteger(channel) || channel < 1 || channel > this.states.length) throw new RangeError(`"channel" must be 1–${this.states.length}, got ${String(channel)}`)
    return channel - 1
  }

  private numbered(body: string): void {
    const line = `${body},${String(this.seq).padStart(3, '0')}`
    this.seq = (this.seq + 1) % 1000
    this.put(line)
  }

  private put(body: string): void {
    if (this.stopped) return
    if (this.toLose > 0 || this.quiet) {
      if (this.toLose > 0) this.toLose--
      this.emit('dropped', body)
      return
    }
    const line = cimLine(body)
    this.sent.push(line.slice(0, -2))
    this.emit('sent', line.slice(0, -2))
    this.tx(Buffer.from(line, 'latin1'))
  }

  private tx(b: Buffer): void {
    if (this.stopped || this.quiet) return
    this.emit('trace', 'tx', b)
    this.link.write(b)
  }

  /** Gateway → module: only `$ST*07` means anything (doc §3.5); a '$' restarts a line, 128 bytes at most (doc §2). */
  private onData(d: Buffer): void {
    this.emit('trace', 'rx', d)
    for (const c of d.toString('latin1')) {
      if (c === '$') this.rx = '$'
      else if (c === '\n') {
        if (this.rx !== '') this.onLine(this.rx.replace(/\r$/, ''))
        this.rx = ''
      } else if (this.rx !== '') this.rx = this.rx.length < 128 ? this.rx + c : ''
    }
  }

  private onLine(raw: string): void {
    const m = /^\$([^*]*)\*([0-9A-F]{2})$/.exec(raw)
    const reason = !m ? 'not $<body>*HH' : cimChecksum(m[1]!) !== m[2] ? `bad checksum (computed ${cimChecksum(m[1]!)})` : m[1] !== 'ST' ? `unknown request ${JSON.stringify(m[1])}` : null
    if (reason !== null) {
      this.ignored.push({ raw, reason })
      this.emit('ignored', raw, reason)
      return
    }
    if (this.quiet) return // unplugged: the request never arrived
    this.requests.push(raw)
    this.emit('request', raw)
    this.snapshot()
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Run a comma-separated script against a simulator: `open:N`, `closed:N`, `fault:N`, `pulse:N:MS`, `wait:S`
 * (seconds, may be fractional), `garbage[:TEXT]`, `lose:N`, `hb`, `status`, `restart`, `silent:on|off`.
 */
export async function runSteps(sim: ContactModuleSimulator, steps: string, wait: (ms: number) => Promise<unknown> = sleep): Promise<void> {
  for (const step of steps.split(',').filter(Boolean)) {
    const [verb = '', a = '', b = ''] = step.split(':')
    const n = Number(a)
    if (verb === 'open' || verb === 'closed' || verb === 'fault') sim.set(n, verb.toUpperCase() as ContactState)
    else if (verb === 'pulse') await sim.pulse(n, Number(b || 300))
    else if (verb === 'wait') await wait(n * 1000)
    else if (verb === 'garbage') sim.garbage(a || undefined)
    else if (verb === 'lose') sim.lose(n)
    else if (verb === 'hb') sim.heartbeat()
    else if (verb === 'status') sim.snapshot()
    else if (verb === 'restart') sim.restart()
    else if (verb === 'silent' && (a === 'on' || a === 'off')) sim.silent(a === 'on')
    else throw new Error(`unknown step '${step}' (use open:N, closed:N, fault:N, pulse:N:MS, wait:S, garbage[:TEXT], lose:N, hb, status, restart, silent:on|off)`)
  }
}

/** e.g. `node --import tsx simulators/devices/contact-module.ts --port /dev/pts/5 --id CM4-0007 --channels 4 --steps open:1,wait:2,closed:1` */
async function cli(): Promise<void> {
  const { values: v } = parseArgs({
    options: { ...linkCliOptions, id: { type: 'string' }, channels: { type: 'string' }, 'heartbeat-ms': { type: 'string' }, firmware: { type: 'string' }, steps: { type: 'string' }, stay: { type: 'boolean' } },
  })
  if (!v.port) throw new Error('--port <device | tcp://host:port | listen://host:port> is required')
  const sim = await ContactModuleSimulator.start(v.port, {
    ...linkOptionsFromCli(v), id: v.id, channels: v.channels ? Number(v.channels) : undefined, heartbeatMs: v['heartbeat-ms'] ? Number(v['heartbeat-ms']) : undefined, firmware: v.firmware,
  })
  for (const l of sim.sent) console.log(`tx ${l}`) // the power-up lines, sent before these listeners
  sim.on('sent', (l) => console.log(`tx ${l}`))
  sim.on('dropped', (l) => console.log(`lost ${l}`))
  sim.on('request', (l) => console.log(`rx ${l}`))
  sim.on('ignored', (raw, reason) => console.log(`ignored ${JSON.stringify(raw)}: ${reason}`))
  if (v.trace) sim.on('trace', (dir, b) => console.log(`${dir}    ${hex(b)}`))
  if (v.steps) await runSteps(sim, v.steps)
  if (v.steps && !v.stay) return sleep(300).then(() => sim.stop()) // Link has no drain: let the last lines leave before closing
  console.log('running (heartbeats, answers $ST); Ctrl-C to stop')
  const quit = () => void sim.stop().then(() => process.exit(0))
  process.once('SIGINT', quit).once('SIGTERM', quit)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
