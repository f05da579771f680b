import { z } from 'zod'
import type { DriverLog } from '../define.js'
import { type EspaBlock, EspaParser, type EspaToken, espaAck, espaEot, espaNak } from '../framing/espa.js'
import { espaFramingFields, lineSettings, serialLineFields } from '../line-settings.js'
import type { BytePort, OpenPort } from '../ports.js'

/** An ESPA 4.4.4 input: a nurse-call panel (control station) pushes calls to us, acting as the paging system (protocols.md §1.4). */
export const espaInputConfig = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
    ...serialLineFields({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }),
    ...espaFramingFields,
    /** Our address as the paging system ('2' by convention). */
    own_address: z.string().regex(/^\d$/).default('2'),
    /** The site whose team is alerted if the panel link goes quiet. */
    site: z.string().min(1),
    /** No traffic (poll, select, block or EOT) for this long raises a technical alert (§1.10: default 60 s). */
    link_timeout_s: z.number().int().min(1).max(3600).default(60),
    /** Identical blocks within this window are one call retransmitted after a lost ACK (§1.10). */
    dedupe_ms: z.number().int().min(0).max(60_000).default(2000),
    reconnect_ms: z.number().int().min(100).max(60_000).default(1000),
    /** Call address on the panel → device id in configuration (a `nurse-call-point`). */
    addresses: z.record(z.string().regex(/^[0-9A-Za-z]{1,16}$/), z.string()),
  })
  .strict()
export type EspaInputConfig = z.infer<typeof espaInputConfig>

/** One call from the panel, decoded. */
export interface PanelCall {
  readonly address: string
  /** Record 4: '1' reset (the call was cancelled at the panel), '2' speech, '3' standard. */
  readonly callType: string
  readonly message: string | null
  readonly priority: string | null
  readonly raw: Buffer
}

export interface EspaPanelDeps {
  readonly openPort: OpenPort
  readonly log: DriverLog
  readonly onCall: (call: PanelCall) => void
  readonly onLink: (state: 'up' | 'down', reason: string) => void
  readonly onFrame: (direction: 'tx' | 'rx', bytes: Buffer, what: string) => void
}

/**
 * Listens as the paging system. ACKs quickly and before acting (§1.10; northplane does the same), accepts
 * panels that skip the poll/select sequence and open with SOH, tolerates a stray RS before ETX and a BCC
 * equal to any control byte (the parser's job), de-duplicates retransmitted blocks, and watches the link.
 */
export class EspaPanelInput {
  private port: BytePort | null = null
  private lastTraffic = Date.now()
  private linkState: 'up' | 'down' = 'up'
  private watchdog: NodeJS.Timeout | null = null
  private reconnect: NodeJS.Timeout | null = null
  private readonly recent = new Map<string, number>()
  private closed = false

  constructor(
    private readonly cfg: EspaInputConfig,
    private readonly deps: EspaPanelDeps,
  ) {}

  async start(): Promise<void> {
    this.watchdog = setInterval(() => this.checkLink(), Math.min(1000, this.cfg.link_timeout_s * 250))
    await this.connect()
  }

  private async connect(): Promise<void> {
    if (this.closed) return
    try {
      const port = await this.deps.openPort(this.cfg.port, lineSettings(this.cfg))
      this.port = port
      const parser = new EspaParser({ sevenBit: this.cfg.seven_bit, encoding: this.cfg.encoding })
      parser.on('data', (t: EspaToken) => void this.onToken(t))
      port.onData((c) => parser.write(c))
      port.onClose((reason) => {
        this.port = null
        this.setLink('down', reason)
        this.scheduleReconnect()
      })
    } catch (err) {
      this.setLink('down', `cannot open ${this.cfg.port}: ${(err as Error).message}`)
      this.scheduleReconnect()
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnect) return
    this.reconnect = setTimeout(() => {
      this.reconnect = null
      void this.connect()
    }, this.cfg.reconnect_ms)
  }

  private setLink(state: 'up' | 'down', reason: string): void {
    if (state === this.linkState) return
    this.linkState = state
    this.deps.onLink(state, reason)
  }

  private checkLink(): void {
    if (Date.now() - this.lastTraffic > this.cfg.link_timeout_s * 1000) this.setLink('down', `no traffic from the panel for ${this.cfg.link_timeout_s} s`)
  }

  private async write(bytes: Buffer, what: string | null): Promise<void> {
    if (what) this.deps.onFrame('tx', bytes, what)
    await this.port?.write(bytes).catch(() => undefined)
  }

  private async onToken(t: EspaToken): Promise<void> {
    if (t.kind === 'noise') return
    this.lastTraffic = Date.now()
    this.setLink('up', 'panel traffic')
    switch (t.kind) {
      // A select of our address: ready to receive. A poll of us (§1.4 rule 1): nothing to send.
      case 'enq':
        if (t.address === this.cfg.own_address) await this.write(espaAck, null)
        return
      case 'block':
        await this.write(espaAck, `ACK block header ${t.block.header}`)
        this.deps.onFrame('rx', t.raw, `block header ${t.block.header}`)
        this.handleBlock(t.block, t.raw)
        return
      case 'bad_block':
        // §1.6: '1' NAK = transmission error (bad BCC or garbled block); the panel resends.
        this.deps.onFrame('rx', t.raw, `bad block: ${t.detail}`)
        await this.write(espaNak('1'), `NAK: ${t.detail}`)
        return
      default:
        return
    }
  }

  private handleBlock(block: EspaBlock, raw: Buffer): void {
    if (block.header !== '1') return
    const key = raw.toString('hex')
    const now = Date.now()
    for (const [k, at] of this.recent) if (now - at > this.cfg.dedupe_ms) this.recent.delete(k)
    if (this.recent.has(key)) {
      this.deps.log.info({ input: this.cfg.id }, 'retransmitted ESPA block ignored')
      return
    }
    this.recent.set(key, now)
    const rec = (id: string) => block.records.find((r) => r.id === id)?.value ?? null
    const address = rec('1')
    if (!address) return
    this.deps.onCall({ address, callType: rec('4') ?? '3', message: rec('2'), priority: rec('6'), raw })
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.watchdog) clearInterval(this.watchdog)
    if (this.reconnect) clearTimeout(this.reconnect)
    await this.write(espaEot, null)
    await this.port?.close()
  }
}
