import { z } from 'zod'
import { definePagerDriver, type DriverDeps, type LineHealth, type PagerReport } from '../define.js'
import { type EspaBlock, espaCallBlock, espaResetBlock } from '../framing/espa.js'
import { espaFramingFields, lineSettings, serialLineFields } from '../line-settings.js'
import type { BytePort } from '../ports.js'
import { EspaLink } from '../links/espa-link.js'

/** An ESPA 4.4.4 output line: the gateway is the control station, a paging system is the slave (protocols.md §1). */
export const config = z
  .object({
    // Default 9600 8N1 ("common-modern"); the spec's own framing is 1200 7E2 (§1.2).
    ...serialLineFields({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }),
    ...espaFramingFields,
    /** Our station address (control station, '1' by convention) and the paging system's ('2'). §1.4 */
    own_address: z.string().regex(/^\d$/).default('1'),
    paging_address: z.string().regex(/^\d$/).default('2'),
    poll_ms: z.number().int().min(100).max(30_000).default(1000),
    ack_timeout_ms: z.number().int().min(100).max(30_000).default(3000),
    retries: z.number().int().min(0).max(10).default(3),
    /** Consecutive unanswered exchanges before the line is declared down. */
    down_after: z.number().int().min(1).max(20).default(2),
    /** How often to try to reopen a port that went away. */
    reconnect_ms: z.number().int().min(100).max(60_000).default(1000),
    /** Record 3, beep coding (system-dependent). */
    beep: z.string().regex(/^[1-9]$/).default('1'),
    /** Record 5, number of transmissions. */
    transmissions: z.string().regex(/^[1-9]$/).default('1'),
  })
  .strict()
export type EspaConfig = z.infer<typeof config>

/** IHE priority → ESPA record 6: '1' alarm, '2' high, '3' normal (protocols.md §4.2). */
const espaPriority = { high: '1', medium: '2', low: '3' } as const

/** Record 7 call status → what it means for the page (§1.8, §4.3). Statuses not listed change nothing. */
const statusReport: Record<string, { event: PagerReport; meaning: string }> = {
  '3': { event: 'deliver', meaning: 'paged' },
  '6': { event: 'accept', meaning: 'acknowledged by called party' },
  '4': { event: 'fail', meaning: 'absent' },
  '1': { event: 'fail', meaning: 'busy' },
  '8': { event: 'fail', meaning: 'fault' },
}

export default definePagerDriver<EspaConfig>({
  protocol: 'espa',
  usesLine: true,
  maxText: 128,
  config,
  create(cfg, deps) {
    return new EspaLine(cfg, deps)
  },
})

/** One ESPA output line: its port, its link, its open calls (one per call address, §1.8), its health. */
class EspaLine {
  private port: BytePort | null = null
  private link: EspaLink | null = null
  // Optimistic until proven otherwise: a port that fails to open, disappears or stops answering turns it down,
  // and that transition is what raises the technical alert.
  private state: LineHealth = 'up'
  private unanswered = 0
  private readonly openCalls = new Map<string, string>()
  private current: string | null = null
  private reconnect: NodeJS.Timeout | null = null
  private closed = false
  /** The connection attempt in progress, so a page sent at start waits for it instead of failing. */
  private connecting: Promise<void> | null

  constructor(
    private readonly cfg: EspaConfig,
    private readonly deps: DriverDeps,
  ) {
    this.connecting = this.connect()
  }

  health(): LineHealth {
    return this.state
  }

  private setHealth(next: LineHealth, reason: string): void {
    if (next === this.state) return
    this.state = next
    this.deps.log.warn({ line: this.deps.lineId, state: next, reason }, 'ESPA line health changed')
    this.deps.lineHealth(next, reason)
  }

  private async connect(): Promise<void> {
    if (this.closed) return
    try {
      const port = await this.deps.openPort!(this.cfg.port, lineSettings(this.cfg))
      this.port = port
      port.onClose((reason) => this.lost(reason))
      this.link = new EspaLink(port, {
        ownAddress: this.cfg.own_address, pagingAddress: this.cfg.paging_address, sevenBit: this.cfg.seven_bit, encoding: this.cfg.encoding,
        ackTimeoutMs: this.cfg.ack_timeout_ms, retries: this.cfg.retries, pollMs: this.cfg.poll_ms,
        onBlock: (b, raw) => this.onStatus(b, raw),
        onFrame: (dir, bytes, what) => this.deps.frame(dir, bytes, this.current, what),
        onExchange: (answered, detail) => this.onExchange(answered, detail),
      })
      this.link.start()
      this.connecting = null
    } catch (err) {
      this.connecting = null
      this.setHealth('down', `cannot open ${this.cfg.port}: ${(err as Error).message}`)
      this.scheduleReconnect()
    }
  }

  private onExchange(answered: boolean, detail: string): void {
    if (answered) {
      this.unanswered = 0
      this.setHealth('up', detail)
    } else if (++this.unanswered >= this.cfg.down_after) {
      this.setHealth('down', `paging system not answering (${detail})`)
    }
  }

  private lost(reason: string): void {
    this.link?.stop()
    this.link = null
    this.port = null
    this.setHealth('down', reason)
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnect) return
    this.reconnect = setTimeout(() => {
      this.reconnect = null
      this.connecting = this.connect()
    }, this.cfg.reconnect_ms)
  }

  /** Header '2' status information (§1.8): matched to the open call by call address. */
  private onStatus(block: EspaBlock, raw: Buffer): void {
    const rec = (id: string) => block.records.find((r) => r.id === id)?.value
    if (block.header !== '2') return
    if (rec('8') === '1') {
      this.setHealth('down', 'paging system reports transmitter failure')
      for (const [address, nid] of this.openCalls) this.deps.report(nid, 'fail', { espa_status: '8=1', meaning: 'transmitter failure', address })
      this.openCalls.clear()
      return
    }
    const address = rec('1')
    const status = rec('7')
    const nid = address === undefined ? undefined : this.openCalls.get(address)
    if (!address || !status || !nid) return
    this.deps.frame('rx', raw, nid, `status ${status} for ${address}`)
    const mapped = statusReport[status]
    if (!mapped) return
    this.deps.report(nid, mapped.event, { espa_status: status, meaning: mapped.meaning, address })
    if (mapped.event !== 'deliver') this.openCalls.delete(address)
  }

  private async exchange(nid: string, block: EspaBlock, what: string) {
    if (!this.link && this.connecting) await this.connecting
    if (!this.link || this.state === 'down') return { ok: false as const, retryable: false, error: `line ${this.deps.lineId} is down` }
    this.current = nid
    try {
      const r = await this.link.send(block, what)
      return r.ok ? { ok: true as const } : { ok: false as const, retryable: false, error: r.error }
    } finally {
      this.current = null
    }
  }

  async send(page: { notificationId: string; address: string | null; text: string; priority: 'high' | 'medium' | 'low' }) {
    if (!page.address) return { ok: false as const, retryable: false, error: 'ESPA pager has no call address' }
    const block = espaCallBlock({ address: page.address, message: page.text.slice(0, 128), beep: this.cfg.beep, callType: '3', transmissions: this.cfg.transmissions, priority: espaPriority[page.priority] })
    const r = await this.exchange(page.notificationId, block, `call ${page.address}`)
    if (r.ok) this.openCalls.set(page.address, page.notificationId)
    return r
  }

  /** §1.8: cancelling is a new call block with call type '1' (reset) for the same address. */
  async cancel(page: { notificationId: string; address: string | null }) {
    if (!page.address) return { ok: true as const }
    if (this.openCalls.get(page.address) === page.notificationId) this.openCalls.delete(page.address)
    return this.exchange(page.notificationId, espaResetBlock(page.address), `reset ${page.address}`)
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.reconnect) clearTimeout(this.reconnect)
    this.link?.stop()
    await this.port?.close()
  }
}
