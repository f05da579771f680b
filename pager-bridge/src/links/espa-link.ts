import { type EspaBlock, EspaParser, type EspaToken, encodeEspaBlock, espaAck, espaEnq, espaEot } from '../framing/espa.js'
import type { BytePort } from '../ports.js'

/** Timers and counters of the control-station link (protocols.md §1.10), all configurable. */
export interface EspaLinkTimers {
  /** Wait for ACK after a select or a data block. */
  readonly ackTimeoutMs: number
  /** Block retransmissions after NAK or timeout before the send is reported failed. */
  readonly retries: number
  /** Interval between polls of the paging system for status. */
  readonly pollMs: number
}

export interface EspaLinkOptions extends EspaLinkTimers {
  readonly ownAddress: string
  readonly pagingAddress: string
  readonly sevenBit: boolean
  readonly encoding: 'latin1' | 'ascii'
  /** Each block received from the paging system (status information). */
  readonly onBlock: (block: EspaBlock, raw: Buffer) => void
  /** Bytes written or read that belong to a transaction (not idle polling). */
  readonly onFrame: (direction: 'tx' | 'rx', bytes: Buffer, what: string) => void
  /** Whether the paging system answered (true) or not (false) the last exchange. */
  readonly onExchange: (answered: boolean, detail: string) => void
}

type Outcome = { ok: true } | { ok: false; error: string }

/**
 * The ESPA 4.4.4 control-station side of one line (§1.4): sends our data blocks with
 * EOT, poll-self, select, block, EOT; polls the paging system for status blocks; recovers with EOT.
 * One exchange at a time; everything is queued behind the current one.
 */
export class EspaLink {
  private readonly tokens: EspaToken[] = []
  private waiter: ((t: EspaToken | null) => void) | null = null
  private readonly queue: { block: EspaBlock; what: string; resolve: (o: Outcome) => void }[] = []
  private busy = false
  private pollTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(
    private readonly port: BytePort,
    private readonly o: EspaLinkOptions,
  ) {
    const parser = new EspaParser({ sevenBit: o.sevenBit, encoding: o.encoding })
    parser.on('data', (t: EspaToken) => {
      if (this.waiter) {
        const w = this.waiter
        this.waiter = null
        w(t)
      } else this.tokens.push(t)
    })
    port.onData((c) => parser.write(c))
  }

  /** Start polling the paging system. */
  start(): void {
    this.schedulePoll(0)
  }

  /** Send one block; resolves when the paging system ACKed it, or with why not. */
  send(block: EspaBlock, what: string): Promise<Outcome> {
    return new Promise((resolve) => {
      this.queue.push({ block, what, resolve })
      void this.pump()
    })
  }

  stop(): void {
    this.stopped = true
    if (this.pollTimer) clearTimeout(this.pollTimer)
    for (const q of this.queue.splice(0)) q.resolve({ ok: false, error: 'line closed' })
    this.waiter?.(null)
  }

  private schedulePoll(ms: number): void {
    if (this.stopped) return
    if (this.pollTimer) clearTimeout(this.pollTimer)
    this.pollTimer = setTimeout(() => void this.pump(true), ms)
  }

  private async pump(pollDue = false): Promise<void> {
    if (this.busy || this.stopped) return
    this.busy = true
    try {
      while (this.queue.length && !this.stopped) {
        const item = this.queue.shift()!
        item.resolve(await this.transmit(item.block, item.what).catch((err: unknown) => ({ ok: false as const, error: `line error: ${(err as Error).message}` })))
      }
      if (pollDue && !this.stopped) await this.poll().catch((err: unknown) => this.o.onExchange(false, `line error: ${(err as Error).message}`))
    } finally {
      this.busy = false
      if (this.queue.length && !this.stopped) void this.pump()
      else this.schedulePoll(this.o.pollMs)
    }
  }

  private next(timeoutMs: number): Promise<EspaToken | null> {
    const t = this.tokens.shift()
    if (t) return Promise.resolve(t)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null
        resolve(null)
      }, timeoutMs)
      this.waiter = (tok) => {
        clearTimeout(timer)
        resolve(tok)
      }
    })
  }

  /** Wait for the next meaningful reply, skipping line noise. */
  private async reply(): Promise<EspaToken | null> {
    for (;;) {
      const t = await this.next(this.o.ackTimeoutMs)
      if (t === null || t.kind !== 'noise') return t
    }
  }

  private async write(bytes: Buffer, what: string | null): Promise<void> {
    if (what) this.o.onFrame('tx', bytes, what)
    await this.port.write(bytes)
  }

  /** §1.4 rule 5: the control station with data polls itself, then selects the paging system. */
  private async transmit(block: EspaBlock, what: string): Promise<Outcome> {
    const bytes = encodeEspaBlock(block, { encoding: this.o.encoding })
    this.tokens.length = 0
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      await this.write(Buffer.concat([espaEot, espaEnq(this.o.ownAddress), espaEnq(this.o.pagingAddress)]), `${what}: poll-self and select`)
      const sel = await this.reply()
      if (sel?.kind !== 'ack') {
        this.o.onExchange(sel !== null, `select answered ${sel?.kind ?? 'nothing'}`)
        continue
      }
      for (let blockTry = 0; blockTry <= this.o.retries; blockTry++) {
        await this.write(bytes, what)
        const r = await this.reply()
        if (r?.kind === 'ack') {
          this.o.onFrame('rx', espaAck, `${what}: ACK`)
          await this.write(espaEot, null)
          this.o.onExchange(true, 'block acknowledged')
          return { ok: true }
        }
        this.o.onExchange(r !== null, `block answered ${r?.kind === 'nak' ? `NAK${r.prefix ? ` prefix ${r.prefix}` : ''}` : (r?.kind ?? 'nothing')}`)
        if (r?.kind === 'nak') this.o.onFrame('rx', Buffer.from(`${r.prefix ?? ''}\x15`, 'latin1'), `${what}: NAK`)
        if (r === null) break
      }
      // §1.10: after the retries, regain the line with EOT before trying the whole exchange again.
      await this.write(espaEot, null)
    }
    return { ok: false, error: `no acknowledgement after ${this.o.retries + 1} attempts` }
  }

  /** Poll the paging system: it answers EOT (nothing to send) or selects us and sends status blocks. */
  private async poll(): Promise<void> {
    this.tokens.length = 0
    await this.write(Buffer.concat([espaEot, espaEnq(this.o.pagingAddress)]), null)
    const first = await this.reply()
    if (first === null) return this.o.onExchange(false, 'poll not answered')
    this.o.onExchange(true, 'poll answered')
    if (first.kind !== 'enq') return
    await this.write(espaAck, null)
    for (;;) {
      const t = await this.reply()
      if (t === null || t.kind === 'eot') return
      if (t.kind === 'block') {
        // Recorded by the driver, which knows which page the status belongs to.
        await this.write(espaAck, null)
        this.o.onBlock(t.block, t.raw)
      } else if (t.kind === 'bad_block') {
        // §1.6: '1' NAK = transmission error; the paging system resends.
        await this.write(Buffer.from([0x31, 0x15]), null)
      }
    }
  }
}
