import { z } from 'zod'
import { definePagerDriver, type DriverDeps, type LineHealth } from '../define.js'
import { encodeTapPage, tapLogoff, tapLogon, TapResponseParser, type TapToken } from '../framing/tap.js'
import { lineSettings, serialLineFields } from '../line-settings.js'
import type { BytePort } from '../ports.js'

/** A TAP (Telocator Alphanumeric Protocol 1.8) paging terminal line (protocols.md §2). */
export const config = z
  .object({
    // TAP is 7E1 (§2); old terminals run at 300/1200 baud.
    ...serialLineFields({ baudRate: 1200, dataBits: 7, parity: 'even', stopBits: 1 }),
    /** Log-on password (PG1), if the terminal wants one. */
    password: z.string().max(8).default(''),
    /** T1: wait for "ID=" after each CR (sent at most 3 times). */
    t1_ms: z.number().int().min(100).max(30_000).default(2000),
    /** T3: wait for a response to a block or the log-on. */
    t3_ms: z.number().int().min(100).max(60_000).default(10_000),
    /** N2: block retransmissions after NAK. */
    retries: z.number().int().min(0).max(10).default(3),
    /** Data characters per block (a whole block stays within 256 bytes). */
    block_chars: z.number().int().min(16).max(250).default(250),
    reconnect_ms: z.number().int().min(100).max(60_000).default(2000),
  })
  .strict()
export type TapConfig = z.infer<typeof config>

type Result = { ok: true } | { ok: false; retryable: boolean; error: string }

export default definePagerDriver<TapConfig>({
  protocol: 'tap',
  usesLine: true,
  maxText: 1000,
  config,
  create: (cfg, deps) => new TapLine(cfg, deps),
})

/**
 * One TAP line: a session per page (wake with CR until "ID=", log on, send the page's blocks, log off).
 * TAP confirms acceptance by the terminal only, never delivery: a successful page is "sent" and no more.
 */
class TapLine {
  private port: BytePort | null = null
  private readonly tokens: TapToken[] = []
  private waiter: ((t: TapToken | null) => void) | null = null
  // Optimistic until proven otherwise: a port that fails to open, disappears or stops answering turns it down,
  // and that transition is what raises the technical alert.
  private state: LineHealth = 'up'
  private chain: Promise<unknown> = Promise.resolve()
  private closed = false
  private current: string | null = null

  constructor(
    private readonly cfg: TapConfig,
    private readonly deps: DriverDeps,
  ) {}

  health(): LineHealth {
    return this.state
  }

  private setHealth(next: LineHealth, reason: string): void {
    if (next === this.state) return
    this.state = next
    this.deps.lineHealth(next, reason)
  }

  private async ensurePort(): Promise<BytePort> {
    if (this.port) return this.port
    const port = await this.deps.openPort!(this.cfg.port, lineSettings(this.cfg))
    const parser = new TapResponseParser()
    parser.on('data', (t: TapToken) => {
      if (this.current) this.deps.frame('rx', Buffer.from(JSON.stringify(t)), this.current, `terminal: ${t.kind}`)
      if (this.waiter) {
        const w = this.waiter
        this.waiter = null
        w(t)
      } else this.tokens.push(t)
    })
    port.onData((c) => parser.write(c))
    port.onClose((reason) => {
      this.port = null
      this.setHealth('down', reason)
    })
    this.port = port
    return port
  }

  private next(ms: number): Promise<TapToken | null> {
    const t = this.tokens.shift()
    if (t) return Promise.resolve(t)
    return new Promise((resolve) => {
      const timer = setTimeout(() => ((this.waiter = null), resolve(null)), ms)
      this.waiter = (tok) => (clearTimeout(timer), resolve(tok))
    })
  }

  /** Wait for one of `kinds`, skipping message lines and noise; null on timeout. */
  private async expect(kinds: TapToken['kind'][], ms: number): Promise<TapToken | null> {
    for (;;) {
      const t = await this.next(ms)
      if (t === null || kinds.includes(t.kind) || t.kind === 'disconnect') return t
    }
  }

  private async write(port: BytePort, bytes: Buffer, what: string): Promise<void> {
    if (this.current) this.deps.frame('tx', bytes, this.current, what)
    await port.write(bytes)
  }

  send(page: { notificationId: string; address: string | null; text: string }): Promise<Result> {
    const run = this.chain.then(() => this.session(page)).catch((err: unknown): Result => {
      // The port failed mid-session (the far end went away): the line is down; the dispatcher fails over.
      this.port = null
      this.setHealth('down', `line error: ${(err as Error).message}`)
      return { ok: false, retryable: false, error: `line ${this.deps.lineId} failed: ${(err as Error).message}` }
    })
    this.chain = run.catch(() => undefined)
    return run
  }

  private async session(page: { notificationId: string; address: string | null; text: string }): Promise<Result> {
    if (!page.address) return { ok: false, retryable: false, error: 'TAP pager has no pager id' }
    if (this.closed) return { ok: false, retryable: false, error: 'line closed' }
    let port: BytePort
    try {
      port = await this.ensurePort()
    } catch (err) {
      this.setHealth('down', `cannot open ${this.cfg.port}: ${(err as Error).message}`)
      return { ok: false, retryable: false, error: `line ${this.deps.lineId} is down` }
    }
    this.current = page.notificationId
    this.tokens.length = 0
    try {
      // §2 log-on: CR every T1, at most 3 times, until "ID=".
      let prompted = false
      for (let i = 0; i < 3 && !prompted; i++) {
        await this.write(port, Buffer.from([0x0d]), 'wake (CR)')
        prompted = (await this.expect(['id_prompt'], this.cfg.t1_ms))?.kind === 'id_prompt'
      }
      if (!prompted) {
        this.setHealth('down', 'terminal did not answer ID=')
        return { ok: false, retryable: false, error: 'TAP terminal did not answer ID=' }
      }
      await this.write(port, tapLogon(this.cfg.password), 'log-on')
      const logon = await this.expect(['ack', 'nak', 'disconnect'], this.cfg.t3_ms)
      if (logon?.kind !== 'ack') return { ok: false, retryable: true, error: `log-on refused (${logon?.kind ?? 'no answer'})` }
      if ((await this.expect(['go_ahead'], this.cfg.t3_ms))?.kind !== 'go_ahead') return { ok: false, retryable: true, error: 'no go-ahead after log-on' }
      this.setHealth('up', 'terminal accepted log-on')
      for (const block of encodeTapPage(page.address, page.text, { maxBlockChars: this.cfg.block_chars })) {
        let accepted = false
        for (let attempt = 0; attempt <= this.cfg.retries && !accepted; attempt++) {
          await this.write(port, block, `block (${block.length} bytes)`)
          const r = await this.expect(['ack', 'nak', 'rs'], this.cfg.t3_ms)
          if (r?.kind === 'ack') accepted = true
          else if (r?.kind === 'rs' || r?.kind === 'disconnect') return { ok: false, retryable: false, error: `terminal abandoned the page (${r.kind})` }
          else if (r === null) return { ok: false, retryable: true, error: 'no response to a block' }
        }
        if (!accepted) return { ok: false, retryable: true, error: `block refused ${this.cfg.retries + 1} times` }
      }
      await this.write(port, tapLogoff, 'log-off')
      await this.expect(['disconnect'], this.cfg.t3_ms)
      return { ok: true }
    } finally {
      this.current = null
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.waiter?.(null)
    await this.port?.close()
  }
}
