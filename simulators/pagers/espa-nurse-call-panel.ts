import { EventEmitter } from 'node:events'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { hex, linkCliOptions, linkOptionsFromCli, openLink, waitForRecorded, type Link, type LinkOptions } from '../lib/serial-link.js'
import { ACK, ENQ, EOT, EspaReader, NAK, describeEvent, encodeBlock, toStatusReport, type EspaEvent, type EspaRecord, type EspaStatusReport } from './espa-frame.js'

export type { EspaStatusReport } from './espa-frame.js'

/**
 * An ESPA 4.4.4 control station (protocols.md §1.4): a nurse-call panel at address '1' that pushes calls to
 * the paging system at '2' (our gateway's ESPA input) and polls it for status blocks.
 */

/** A call to pager (§1.7 header '1'); records per §1.8. Values are sent as given ('1' ≠ '01', §1.8). */
export interface PanelCall {
  address: string
  message?: string
  /** Record 3, omitted unless given. */
  beep?: string
  /** Record 4: '1' reset, '2' speech, '3' standard (default). */
  callType?: string
  /** Record 5, omitted unless given. */
  transmissions?: string
  /** Record 6: '1' alarm, '2' high, '3' normal (default). */
  priority?: string
}

export interface SendOptions {
  /** Open with SOH directly, without `EOT '1' ENQ '2' ENQ` (panels that skip the dance, §1.4). */
  skipSelect?: boolean
  /** Put the stray RS before ETX that some senders emit (§1.5). */
  strayRs?: boolean
  /** Send the block a second time after its ACK, as a panel does when the ACK was lost (§1.10 idempotency). */
  retransmit?: boolean
  /** Corrupt the BCC of the first transmission only, to draw a `'1' NAK` (§1.6) and a resend. */
  badBccOnce?: boolean
}

export interface SendResult {
  ok: boolean
  /** Block transmissions, resends included. */
  attempts: number
  /** Prefix of each NAK received ('' for a bare NAK). */
  naks: string[]
  reason?: string
  blockHex: string
}

export interface EspaNurseCallPanelOptions extends LinkOptions, SendOptions {
  /** Own address, default '1'; the paging system's, default '2' (§1.4). */
  address?: string
  pagingAddress?: string
  /** Poll the paging system this often (§1.4, §1.10); off unless set. */
  pollMs?: number
  /** Wait for ACK after a select or a block (§1.10). Default 3000 ms. */
  ackTimeoutMs?: number
  /** Resends after a NAK or a missing ACK (§1.10). Default 3. */
  retries?: number
  /** Silence after which the control station regains the line with EOT (§1.10). Default 10000 ms. */
  lineTimeoutMs?: number
}

export interface EspaNurseCallPanelEvents {
  status: [report: EspaStatusReport]
  sent: [result: SendResult]
  trace: [dir: 'rx' | 'tx', bytes: Buffer]
}

export class EspaNurseCallPanelSimulator extends EventEmitter<EspaNurseCallPanelEvents> {
  /** Every header '2' block received and ACKed during polls. */
  readonly statusReports: EspaStatusReport[] = []
  readonly results: SendResult[] = []
  private readonly reader: EspaReader
  private readonly own: number
  private readonly paging: number
  private inbox: EspaEvent[] = []
  private wake: (() => void) | null = null
  private chain: Promise<unknown> = Promise.resolve()
  private pollTimer: NodeJS.Timeout | null = null
  private naks: { left: number; prefix: string | undefined } = { left: 0, prefix: undefined }
  private stopped = false

  static async start(link: string | Link, opts: EspaNurseCallPanelOptions = {}): Promise<EspaNurseCallPanelSimulator> {
    return new EspaNurseCallPanelSimulator(typeof link === 'string' ? await openLink(link, opts) : link, opts)
  }

  constructor(readonly link: Link, private readonly opts: EspaNurseCallPanelOptions = {}) {
    super()
    this.own = (opts.address ?? '1').charCodeAt(0)
    this.paging = (opts.pagingAddress ?? '2').charCodeAt(0)
    this.reader = new EspaReader((e) => {
      this.inbox.push(e)
      this.wake?.()
    }, { sevenBit: opts.dataBits === 7 })
    link.on('data', (d) => {
      this.emit('trace', 'rx', d)
      this.reader.push(d)
    })
    if (opts.pollMs) this.schedulePoll(opts.pollMs)
  }

  sendCall(call: PanelCall, o: SendOptions = {}): Promise<SendResult> {
    const records: EspaRecord[] = [['1', call.address]]
    if (call.message !== undefined) records.push(['2', call.message])
    if (call.beep !== undefined) records.push(['3', call.beep])
    records.push(['4', call.callType ?? '3'])
    if (call.transmissions !== undefined) records.push(['5', call.transmissions])
    records.push(['6', call.priority ?? '3'])
    return this.sendBlock('1', records, o)
  }

  /** Cancel the call on `address`: header '1' with record 4 = '1' (§1.8; vector C in §1.9). */
  sendReset(address: string, o: SendOptions = {}): Promise<SendResult> {
    return this.sendBlock('1', [['1', address], ['4', '1']], o)
  }

  /** Any block, e.g. header '3' (status request, §1.7), through the same select/ACK/EOT transaction. */
  sendBlock(header: string, records: EspaRecord[], o: SendOptions = {}): Promise<SendResult> {
    return this.exclusive(() => this.transact(header, records, { ...this.opts, ...o }))
  }

  /** One poll (§1.4 reverse direction); resolves with the status blocks received in it. */
  poll(): Promise<EspaStatusReport[]> {
    return this.exclusive(() => this.doPoll())
  }

  /** NAK the next `n` status blocks received in polls (bare NAK unless a §1.6 prefix is given). */
  nakNext(n: number, prefix?: '1' | '2' | '3'): void {
    this.naks = { left: n, prefix }
  }

  /** Bytes straight onto the line, outside any transaction. */
  sendRaw(bytes: Uint8Array | string): void {
    this.tx(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes)
  }

  waitForStatus(match: (s: EspaStatusReport) => boolean = () => true, timeoutMs = 5000): Promise<EspaStatusReport> {
    return waitForRecorded(this.statusReports, this, 'status', match, timeoutMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.pollTimer) clearTimeout(this.pollTimer)
    this.wake?.()
    await this.chain
    await this.link.close()
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn)
    this.chain = run.catch(() => undefined)
    return run
  }

  private schedulePoll(ms: number): void {
    this.pollTimer = setTimeout(() => {
      void this.poll().catch(() => undefined).finally(() => { if (!this.stopped) this.schedulePoll(ms) })
    }, ms)
  }

  private tx(bytes: Uint8Array | number[]): void {
    if (this.stopped) return
    const buf = Buffer.from(bytes)
    this.emit('trace', 'tx', buf)
    this.link.write(buf)
  }

  /** The next event from the paging system, or null after `timeoutMs` (or once stopped). */
  private async next(timeoutMs: number): Promise<EspaEvent | null> {
    const deadline = Date.now() + timeoutMs
    while (this.inbox.length === 0) {
      const left = deadline - Date.now()
      if (left <= 0 || this.stopped) return null
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.wake = () => { clearTimeout(t); resolve() }
      })
      this.wake = null
    }
    return this.inbox.shift() ?? null
  }

  /** §1.4 "panel sends a call": EOT '1' ENQ '2' ENQ, ACK, block, ACK (resend on NAK/timeout, §1.10), EOT. */
  private async transact(header: string, records: EspaRecord[], o: EspaNurseCallPanelOptions): Promise<SendResult> {
    const ackMs = o.ackTimeoutMs ?? 3000
    const block = encodeBlock(header, records, { strayRs: o.strayRs })
    const result: SendResult = { ok: false, attempts: 0, naks: [], blockHex: hex(block) }
    const finish = (reason?: string): SendResult => {
      this.tx([EOT]) // §1.4 rule 4: end of transaction, control back to the control station
      result.ok = reason === undefined
      if (reason !== undefined) result.reason = reason
      this.results.push(result)
      this.emit('sent', result)
      return result
    }
    this.inbox = []
    if (!o.skipSelect) {
      this.tx([EOT, this.own, ENQ, this.paging, ENQ]) // poll self, then select (§1.4 rule 5)
      const e = await this.next(ackMs)
      if (e?.kind !== 'ack') return finish(`select answered with ${describeEvent(e)}`)
    }
    for (let copy = 0; copy < (o.retransmit ? 2 : 1); copy++) {
      for (let resends = 0; ; resends++) {
        const corrupt = o.badBccOnce && result.attempts === 0
        this.tx(corrupt ? encodeBlock(header, records, { strayRs: o.strayRs, badBcc: true }) : block)
        result.attempts++
        const e = await this.next(ackMs)
        if (e?.kind === 'ack') break
        if (e?.kind === 'nak') result.naks.push(e.prefix ?? '')
        if (e?.kind === 'eot') return finish('paging system answered the block with EOT')
        if (resends >= (o.retries ?? 3)) return finish(`block not acknowledged after ${result.attempts} attempt(s); last answer ${describeEvent(e)}`)
      }
    }
    return finish()
  }

  /** §1.4 reverse direction: EOT '2' ENQ; EOT (nothing) or '1' ENQ, ACK, header '2' block(s) each ACKed, EOT. */
  private async doPoll(): Promise<EspaStatusReport[]> {
    const got: EspaStatusReport[] = []
    this.inbox = []
    this.tx([EOT, this.paging, ENQ])
    const first = await this.next(this.opts.ackTimeoutMs ?? 3000)
    if (first?.kind === 'eot') return got
    if (first?.kind !== 'enq' || first.address.charCodeAt(0) !== this.own) {
      this.tx([EOT]) // silence or nonsense: take the line back (§1.10)
      return got
    }
    this.tx([ACK])
    for (;;) {
      const e = await this.next(this.opts.lineTimeoutMs ?? 10_000)
      if (e === null) {
        this.tx([EOT]) // no valid traffic: regain the line (§1.10)
        break
      }
      if (e.kind === 'eot') break
      if (e.kind !== 'block') continue
      if (this.naks.left > 0) {
        this.naks.left--
        this.tx(Buffer.from(`${this.naks.prefix ?? ''}\x15`, 'latin1'))
        continue
      }
      if (!e.bccOk) {
        this.tx([0x31, NAK]) // §1.6 '1': bad BCC
        continue
      }
      this.tx([ACK])
      if (e.header !== '2') continue
      const report = toStatusReport(e.records, e.raw)
      got.push(report)
      this.statusReports.push(report)
      this.emit('status', report)
    }
    return got
  }
}

/** e.g. `node --import tsx simulators/pagers/espa-nurse-call-panel.ts --port /dev/pts/6 --call 1234 --message "BED EXIT R12" --priority 1 --poll-ms 1000` */
async function cli(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      ...linkCliOptions, call: { type: 'string' }, message: { type: 'string' }, priority: { type: 'string' }, 'call-type': { type: 'string' }, beep: { type: 'string' },
      transmissions: { type: 'string' }, reset: { type: 'string' }, 'poll-ms': { type: 'string' }, 'skip-select': { type: 'boolean' }, 'stray-rs': { type: 'boolean' }, retransmit: { type: 'boolean' },
    },
  })
  if (!v.port) throw new Error('--port <device | tcp://host:port | listen://host:port> is required')
  const panel = await EspaNurseCallPanelSimulator.start(v.port, {
    ...linkOptionsFromCli(v), pollMs: v['poll-ms'] ? Number(v['poll-ms']) : undefined, skipSelect: v['skip-select'], strayRs: v['stray-rs'], retransmit: v.retransmit,
  })
  panel.on('status', (s) => console.log(`status ${s.address ?? '(system)'} ${s.status ? `7=${s.status}` : `8=${s.systemStatus}`}  [${s.rawHex}]`))
  panel.on('sent', (r) => console.log(`${r.ok ? 'sent' : 'FAILED'} [${r.blockHex}] attempts=${r.attempts}${r.naks.length ? ` naks=${r.naks.map((p) => `'${p}'`).join(',')}` : ''}${r.reason ? ` (${r.reason})` : ''}`))
  if (v.trace) panel.on('trace', (dir, b) => console.log(`${dir}     ${hex(b)}`))
  const results = [
    ...(v.call ? [await panel.sendCall({ address: v.call, message: v.message, priority: v.priority, callType: v['call-type'], beep: v.beep, transmissions: v.transmissions })] : []),
    ...(v.reset ? [await panel.sendReset(v.reset)] : []),
  ]
  if (results.some((r) => !r.ok)) process.exitCode = 1
  if (!v['poll-ms']) return panel.stop()
  console.log(`polling every ${v['poll-ms']} ms; Ctrl-C to stop`)
  const quit = () => void panel.stop().then(() => process.exit(0))
  process.once('SIGINT', quit).once('SIGTERM', quit)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
