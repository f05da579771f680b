import { EventEmitter } from 'node:events'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { hex, linkCliOptions, linkOptionsFromCli, openLink, waitForRecorded, type Link, type LinkOptions } from '../lib/serial-link.js'
import { ACK, ENQ, EOT, EspaReader, encodeBlock, recordValue, toCall, toStatusReport, type EspaCall, type EspaCallStatus, type EspaEvent, type EspaRecord, type EspaStatusReport } from './espa-frame.js'

export type { EspaCall, EspaStatusReport } from './espa-frame.js'
/**
 * An ESPA 4.4.4 paging system (protocols.md §1): the slave at address '2' that a control station ('1', our
 * gateway's ESPA output) selects to deliver calls, and polls to collect call-status reports (§1.4).
 */
/** One scripted report: record 7 = `status` (§1.8), `afterMs` after the call (or after `respond()`). */
export interface StatusStep { afterMs: number; status: EspaCallStatus }

export interface EspaPagingSystemOptions extends LinkOptions {
  /** Own address (§1.4), default '2'. */
  address?: string
  /** The control station's address, default '1'. */
  controlAddress?: string
  /** Default script: report '3' (paged) this long after each call; null for none. Default 20 ms. */
  pagedAfterMs?: number | null
  /** Default script: report '6' (acknowledged) this long after each call, if set. */
  ackAfterMs?: number
  /** Per call address, the reports to queue after each call (replaces the default script; [] for none). */
  script?: Record<string, StatusStep[]>
  /** Add record 2 (the call's message) to status blocks, as some systems echo it (§1.8). */
  echoMessage?: boolean
  /** Ignore blocks unless selected first with `'1' ENQ '2' ENQ` (strict, like the Python server in §1.4). */
  requireSelect?: boolean
  /** Status blocks sent per poll (§1.4 rule 3 allows several). Default 1. */
  blocksPerPoll?: number
  /** Wait for the control station's ACK (§1.10). Default 3000 ms. */
  ackTimeoutMs?: number
  /** Resends of a NAKed or unanswered status block before giving up with EOT (§1.10). Default 3. */
  retries?: number
}

export interface EspaPagingSystemEvents {
  call: [call: EspaCall]
  reset: [call: EspaCall]
  'status-request': [records: EspaRecord[]]
  'status-sent': [status: EspaStatusReport]
  trace: [dir: 'rx' | 'tx', bytes: Buffer]
}

interface Queued { dueAt: number; address: string | undefined; records: EspaRecord[] }

type State = 'idle' | 'self-polled' | 'selected' | 'other' | 'wait-select-ack' | 'wait-block-ack'

export class EspaPagingSystemSimulator extends EventEmitter<EspaPagingSystemEvents> {
  /** Every header '1' block ACKed, resets included (callType '1'), in order; retransmissions appear twice. */
  readonly calls: EspaCall[] = []
  /** Every header '2' block the control station ACKed. */
  readonly statusSent: EspaStatusReport[] = []
  /** Every block received, with what the simulator answered. */
  readonly blocks: { header: string; rawHex: string; verdict: 'ack' | 'nak' | 'ignored' }[] = []
  private readonly reader: EspaReader
  private readonly own: string
  private readonly ctrl: string
  private readonly scripts = new Map<string, StatusStep[]>()
  private readonly messages = new Map<string, string>()
  private readonly lastStatus = new Map<string, EspaCallStatus>()
  private queue: Queued[] = []
  private inFlight: { item: Queued; records: EspaRecord[]; block: Buffer; tries: number } | null = null
  private sentThisPoll = 0
  private state: State = 'idle'
  private naks: { left: number; prefix: string | undefined } = { left: 0, prefix: undefined }
  private isSilent = false
  private timer: NodeJS.Timeout | null = null
  private readonly recorded = new EventEmitter() // 'call' for every entry of calls[], resets included

  static async start(link: string | Link, opts: EspaPagingSystemOptions = {}): Promise<EspaPagingSystemSimulator> {
    return new EspaPagingSystemSimulator(typeof link === 'string' ? await openLink(link, opts) : link, opts)
  }

  constructor(readonly link: Link, private readonly opts: EspaPagingSystemOptions = {}) {
    super()
    this.own = opts.address ?? '2'
    this.ctrl = opts.controlAddress ?? '1'
    for (const [address, steps] of Object.entries(opts.script ?? {})) this.scripts.set(address, steps)
    this.reader = new EspaReader((e) => this.onEvent(e), { sevenBit: opts.dataBits === 7 })
    link.on('data', (d) => {
      this.emit('trace', 'rx', d)
      if (!this.isSilent) this.reader.push(d)
    })
  }

  /** NAK the next `n` blocks, with an optional §1.6 prefix ('1' error, '2' busy, '3' invalid); bare NAK by default. */
  nakNext(n: number, prefix?: '1' | '2' | '3'): void {
    this.naks = { left: n, prefix }
  }

  /** A dead line: receive and answer nothing while on. */
  silent(on = true): void {
    this.isSilent = on
    this.reader.reset()
    this.endTransaction(false)
  }

  /** Queue status reports for `address`, each `afterMs` from now; sent when the control station polls (§1.4). */
  respond(address: string, steps: StatusStep[]): void {
    for (const s of steps) this.enqueue(address, [['7', s.status]], s.afterMs)
  }

  /** The reports to queue after each call to `address` (undefined restores the default script). */
  setScript(address: string, steps: StatusStep[] | undefined): void {
    if (steps) this.scripts.set(address, steps)
    else this.scripts.delete(address)
  }

  /** Queue a system-status block, record 8 = '1' (transmitter failure, §1.8). */
  transmitterFailure(afterMs = 0): void {
    this.enqueue(undefined, [['8', '1']], afterMs)
  }

  /** Reports queued or in flight. */
  get pendingReports(): number {
    return this.queue.length + (this.inFlight ? 1 : 0)
  }

  /** The first call (already received or future) that passes `match`. */
  waitForCall(match: (c: EspaCall) => boolean = () => true, timeoutMs = 5000): Promise<EspaCall> {
    return waitForRecorded(this.calls, this.recorded, 'call', match, timeoutMs)
  }

  waitForStatusSent(match: (s: EspaStatusReport) => boolean = () => true, timeoutMs = 5000): Promise<EspaStatusReport> {
    return waitForRecorded(this.statusSent, this, 'status-sent', match, timeoutMs)
  }

  async stop(): Promise<void> {
    this.clearTimer()
    await this.link.close()
  }

  private enqueue(address: string | undefined, records: EspaRecord[], afterMs: number): void {
    const item: Queued = { dueAt: Date.now() + afterMs, address, records }
    const at = this.queue.findIndex((q) => q.dueAt > item.dueAt)
    this.queue.splice(at < 0 ? this.queue.length : at, 0, item)
  }

  private tx(bytes: Uint8Array | number[]): void {
    const buf = Buffer.from(bytes)
    this.emit('trace', 'tx', buf)
    this.link.write(buf)
  }

  private arm(fn: () => void): void {
    this.clearTimer()
    this.timer = setTimeout(fn, this.opts.ackTimeoutMs ?? 3000)
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
  }

  /** Leave the temporary-master role (§1.4 rule 4), putting an unconfirmed report back at the front. */
  private endTransaction(sendEot: boolean): void {
    this.clearTimer()
    if (this.inFlight) this.queue.unshift(this.inFlight.item)
    this.inFlight = null
    this.state = 'idle'
    if (sendEot) this.tx([EOT])
  }

  private onEvent(e: EspaEvent): void {
    if (e.kind === 'eot') return this.endTransaction(false) // EOT resets the link; control is back with '1' (§1.3)
    if (e.kind === 'enq') return this.onEnq(e.address)
    if (e.kind === 'block') return this.onBlock(e)
    if (this.state === 'wait-select-ack') {
      // The control station accepts our select with ACK, or refuses it (§1.4 rule 2).
      return e.kind === 'ack' ? this.sendNext() : this.endTransaction(true)
    }
    if (this.state !== 'wait-block-ack' || !this.inFlight) return
    if (e.kind === 'nak') return this.resend()
    this.clearTimer()
    const sent = toStatusReport(this.inFlight.records, this.inFlight.block)
    this.inFlight = null
    if (sent.address && sent.status) this.lastStatus.set(sent.address, sent.status)
    this.statusSent.push(sent)
    this.emit('status-sent', sent)
    this.sentThisPoll++
    if (this.sentThisPoll < (this.opts.blocksPerPoll ?? 1) && this.nextDue() >= 0) return this.sendNext()
    this.endTransaction(true)
  }

  private onEnq(address: string): void {
    if (this.state === 'wait-select-ack' || this.state === 'wait-block-ack') this.endTransaction(false)
    if (address === this.ctrl) return void (this.state = 'self-polled') // the control station polls itself (§1.4 rule 5)
    if (address !== this.own) return void (this.state = 'other') // another station on a multi-drop line
    if (this.state === 'self-polled') {
      // `'1' ENQ '2' ENQ`: a select; we can receive (§1.4 rule 2).
      this.state = 'selected'
      return this.tx([ACK])
    }
    // Otherwise a poll (§1.4 rule 1): select the control station if a report is due, else EOT.
    if (this.nextDue() < 0) return this.tx([EOT])
    this.state = 'wait-select-ack'
    this.sentThisPoll = 0
    this.tx(Buffer.from([this.ctrl.charCodeAt(0), ENQ]))
    this.arm(() => this.endTransaction(true))
  }

  private nextDue(): number {
    const now = Date.now()
    return this.queue.findIndex((q) => q.dueAt <= now)
  }

  /** Send the next due header '2' block (§1.7): record 1 call address, [2 message,] 7 status or 8 system status (§1.8). */
  private sendNext(): void {
    const i = this.nextDue()
    if (i < 0) return this.endTransaction(true)
    const [item] = this.queue.splice(i, 1) as [Queued]
    const message = item.address !== undefined ? this.messages.get(item.address) : undefined
    const records: EspaRecord[] = [
      ...(item.address !== undefined ? [['1', item.address] as const] : []),
      ...(this.opts.echoMessage && message !== undefined ? [['2', message] as const] : []),
      ...item.records,
    ]
    const block = encodeBlock('2', records)
    this.inFlight = { item, records, block, tries: 0 }
    this.state = 'wait-block-ack'
    this.tx(block)
    this.arm(() => this.resend())
  }

  /** §1.4 rule 3 / §1.10: a NAKed or unanswered block is resent, up to `retries` times, then EOT. */
  private resend(): void {
    if (!this.inFlight || this.inFlight.tries >= (this.opts.retries ?? 3)) return this.endTransaction(true)
    this.inFlight.tries++
    this.tx(this.inFlight.block)
    this.arm(() => this.resend())
  }

  private onBlock(e: Extract<EspaEvent, { kind: 'block' }>): void {
    const answer = (verdict: 'ack' | 'nak' | 'ignored', bytes?: string) => {
      this.blocks.push({ header: e.header, rawHex: hex(e.raw), verdict })
      if (bytes !== undefined) this.tx(Buffer.from(bytes, 'latin1'))
    }
    const master = this.state === 'wait-select-ack' || this.state === 'wait-block-ack'
    if (master || this.state === 'other' || (this.opts.requireSelect && this.state !== 'selected')) return answer('ignored')
    if (this.naks.left > 0) {
      this.naks.left--
      return answer('nak', `${this.naks.prefix ?? ''}\x15`)
    }
    if (!e.bccOk) return answer('nak', '1\x15') // §1.6 '1': transmission error / bad BCC
    if (!['1', '3', '5'].includes(e.header)) return answer('nak', '3\x15') // §1.6 '3': not a block a paging system takes (§1.7)
    answer('ack', '\x06') // ACK first, then process (§1.10)
    const address = recordValue(e.records, '1') ?? ''
    if (e.header === '3') {
      // §1.7 status request: report the last known status for the address, if any.
      const last = this.lastStatus.get(address)
      if (last) this.enqueue(address, [['7', last]], 0)
      return void this.emit('status-request', e.records)
    }
    if (e.header !== '1') return
    const call = toCall(e.records, e.raw)
    this.calls.push(call)
    this.recorded.emit('call', call)
    if (call.callType === '1') {
      // §1.8: a reset cancels the call; reports not yet sent for it are dropped.
      this.queue = this.queue.filter((q) => q.address !== address)
      return void this.emit('reset', call)
    }
    if (call.message !== undefined) this.messages.set(address, call.message)
    const paged = this.opts.pagedAfterMs === undefined ? 20 : this.opts.pagedAfterMs
    const steps = this.scripts.get(address) ?? [
      ...(paged !== null ? [{ afterMs: paged, status: '3' as const }] : []),
      ...(this.opts.ackAfterMs !== undefined ? [{ afterMs: this.opts.ackAfterMs, status: '6' as const }] : []),
    ]
    this.respond(address, steps)
    this.emit('call', call)
  }
}

/** e.g. `node --import tsx simulators/pagers/espa-paging-system.ts --port /dev/pts/5 --ack-after 3000` */
async function cli(): Promise<void> {
  const { values: v } = parseArgs({
    options: { ...linkCliOptions, address: { type: 'string' }, 'paged-after': { type: 'string' }, 'ack-after': { type: 'string' }, 'echo-message': { type: 'boolean' }, 'require-select': { type: 'boolean' } },
  })
  if (!v.port) throw new Error('--port <device | tcp://host:port | listen://host:port> is required')
  const sim = await EspaPagingSystemSimulator.start(v.port, {
    ...linkOptionsFromCli(v),
    address: v.address,
    pagedAfterMs: v['paged-after'] === 'none' ? null : v['paged-after'] ? Number(v['paged-after']) : undefined,
    ackAfterMs: v['ack-after'] ? Number(v['ack-after']) : undefined,
    echoMessage: v['echo-message'],
    requireSelect: v['require-select'],
  })
  const show = (c: EspaCall) => `${c.address} "${c.message ?? ''}" priority=${c.priority ?? '-'} type=${c.callType ?? '-'} beep=${c.beep ?? '-'} tx=${c.transmissions ?? '-'}  [${c.rawHex}]`
  for (const kind of ['call', 'reset'] as const) sim.on(kind, (c) => console.log(`${kind.padEnd(6)} ${show(c)}`))
  sim.on('status-sent', (s) => console.log(`status ${s.address ?? '(system)'} ${s.status ? `7=${s.status}` : `8=${s.systemStatus}`}`))
  if (v.trace) sim.on('trace', (dir, b) => console.log(`${dir}     ${hex(b)}`))
  sim.on('status-request', (r) => console.log(`status request ${r.map(([id, d]) => `${id}=${d}`).join(' ')}`))
  console.log(`ESPA paging system '${sim.link.spec}' address ${v.address ?? '2'}; Ctrl-C to stop`)
  const quit = () => void sim.stop().then(() => process.exit(0))
  process.once('SIGINT', quit).once('SIGTERM', quit)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
