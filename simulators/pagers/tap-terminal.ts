import { EventEmitter } from 'node:events'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { hex, linkCliOptions, linkOptionsFromCli, openLink, waitForRecorded, type Link, type LinkOptions } from '../lib/serial-link.js'

/**
 * A TAP 1.8 paging terminal (protocols.md §2): answers the log-on, checks and ACKs transaction blocks,
 * reassembles multi-block messages, and says goodbye. Written from the spec alone; shares nothing with the gateway.
 */

// Control characters that frame TAP blocks (§2); answers are written below as string escapes
// (\x06 ACK, \x15 NAK, \x1b ESC, \x04 EOT, \r CR).
const STX = 0x02
const ETX = 0x03
const CR = 0x0d
const ETB = 0x17
const US = 0x1f

/** §2 checksum: sum of the 7-bit values from STX through ETX/ETB, low 12 bits as 3 nibbles + 0x30, MSB first. */
export function tapChecksum(bytes: Uint8Array): string {
  let sum = 0
  for (const b of bytes) sum += b & 0x7f
  return [(sum >> 8) & 0xf, (sum >> 4) & 0xf, sum & 0xf].map((n) => String.fromCharCode(0x30 + n)).join('')
}

/** One complete message (all its blocks). Fields are CR-terminated (§2); field 1 is the pager id, field 2 the text. */
export interface TapPage {
  at: Date
  pagerId: string
  text: string
  fields: string[]
  blocks: number
}

export interface TapTerminalOptions extends LinkOptions {
  /** If set, a log-on with any other password is refused. */
  password?: string
  /** Refuse every log-on with `ESC EOT CR` (§2 log-on step 3). */
  refuseLogon?: boolean
  /** Answer nothing (a dead line or modem). */
  silent?: boolean
}

export interface TapTerminalEvents {
  logon: [password: string, accepted: boolean]
  page: [page: TapPage]
  logoff: []
  trace: [dir: 'rx' | 'tx', bytes: Buffer]
}

export class TapTerminalSimulator extends EventEmitter<TapTerminalEvents> {
  readonly pages: TapPage[] = []
  /** Every block received, with the answer given. */
  readonly blocks: { rawHex: string; verdict: 'ack' | 'nak' }[] = []
  private loggedOn = false
  private line: number[] = [] // text outside blocks, up to CR
  private block: number[] | null = null // STX … terminator, checksum, while inside a block
  private terminated = -1 // index in `block` of the terminator (ETX, ETB or US), once seen
  private partial: { text: string; blocks: number } = { text: '', blocks: 0 }
  private nakLeft = 0
  private refuse: boolean
  private isSilent: boolean

  static async start(link: string | Link, opts: TapTerminalOptions = {}): Promise<TapTerminalSimulator> {
    return new TapTerminalSimulator(typeof link === 'string' ? await openLink(link, opts) : link, opts)
  }

  constructor(readonly link: Link, private readonly opts: TapTerminalOptions = {}) {
    super()
    this.refuse = opts.refuseLogon ?? false
    this.isSilent = opts.silent ?? false
    link.on('data', (d) => {
      this.emit('trace', 'rx', d)
      if (!this.isSilent) for (const b of d) this.byte(b)
    })
  }

  /** Answer the next `n` blocks with `NAK CR` whatever their checksum. */
  nakNext(n: number): void {
    this.nakLeft = n
  }

  refuseLogon(on = true): void {
    this.refuse = on
  }

  silent(on = true): void {
    this.isSilent = on
    this.line = []
    this.block = null
  }

  get isLoggedOn(): boolean {
    return this.loggedOn
  }

  waitForPage(match: (p: TapPage) => boolean = () => true, timeoutMs = 5000): Promise<TapPage> {
    return waitForRecorded(this.pages, this, 'page', match, timeoutMs)
  }

  async stop(): Promise<void> {
    await this.link.close()
  }

  private tx(text: string): void {
    const buf = Buffer.from(text, 'latin1')
    this.emit('trace', 'tx', buf)
    this.link.write(buf)
  }

  private byte(b: number): void {
    if (this.block) return this.blockByte(b)
    if (b === STX && this.loggedOn) {
      this.line = []
      this.block = [b]
      this.terminated = -1
      return
    }
    if (b !== CR) return void this.line.push(b)
    const line = Buffer.from(this.line).toString('latin1')
    this.line = []
    this.onLine(line)
  }

  private onLine(line: string): void {
    if (line === '\x04' || line.endsWith('\x04')) {
      // Log-off: `EOT CR` → message sequence, then `ESC EOT CR` (§2).
      this.loggedOn = false
      this.partial = { text: '', blocks: 0 }
      this.tx('115 Goodbye\r\x1b\x04\r')
      return void this.emit('logoff')
    }
    const esc = line.indexOf('\x1bP')
    if (esc >= 0) {
      // Log-on `ESC P G 1 [password] CR` (§2 step 2); PG1 is the only service offered.
      const service = line.slice(esc + 2, esc + 4)
      const password = line.slice(esc + 4)
      const accepted = service === 'G1' && !this.refuse && (this.opts.password === undefined || password === this.opts.password)
      this.emit('logon', password, accepted)
      if (!accepted) return this.tx('\x1b\x04\r') // refused; hang up (§2 step 3)
      this.loggedOn = true
      this.tx('110 1.8\r\x06\r') // `[msg-seq CR] ACK CR`, then go-ahead `ESC [ p CR` (§2 steps 3-4)
      return this.tx('\x1b[p\r')
    }
    if (line === '' && !this.loggedOn) this.tx('ID=') // §2 step 1: CR → `ID=`
  }

  /** Block `STX … ETX|ETB <3 checksum chars> CR` (§2). sendpage also ends a block with US when a field is split. */
  private blockByte(b: number): void {
    const block = this.block!
    if (this.terminated < 0) {
      if (b === STX) return void (this.block = [b]) // restart on a fresh STX
      block.push(b)
      if (b === ETX || b === ETB || b === US) this.terminated = block.length - 1
      return
    }
    if (b === ETB && this.terminated === block.length - 1 && block[this.terminated] === US) {
      // `US ETB`: the field continues and so does the message.
      block.push(b)
      this.terminated = block.length - 1
      return
    }
    if (block.length - 1 - this.terminated < 3) return void block.push(b)
    this.block = null
    if (b !== CR) return this.answerBlock(Buffer.from(block), false)
    const body = Buffer.from(block.slice(0, this.terminated + 1))
    const check = Buffer.from(block.slice(this.terminated + 1)).toString('latin1')
    this.answerBlock(Buffer.from([...block, b]), tapChecksum(body) === check, body)
  }

  private answerBlock(raw: Buffer, ok: boolean, body?: Buffer): void {
    const rawHex = hex(raw)
    if (this.nakLeft > 0 || !ok || !body) {
      if (this.nakLeft > 0) this.nakLeft--
      this.blocks.push({ rawHex, verdict: 'nak' })
      return this.tx('\x15\r') // checksum or transmission error: resend (§2 responses)
    }
    this.blocks.push({ rawHex, verdict: 'ack' })
    const last = body[body.length - 1]
    // Content between STX and the terminator, without a US continuation mark.
    const content = body.subarray(1, body.length - 1).toString('latin1').replace(/\x1f$/, '')
    this.partial = { text: this.partial.text + content, blocks: this.partial.blocks + 1 }
    if (last !== ETX) return this.tx('\x06\r') // ETB/US: more blocks follow
    const fields = this.partial.text.split('\r')
    if (fields[fields.length - 1] === '') fields.pop()
    const page: TapPage = { at: new Date(), pagerId: fields[0] ?? '', text: fields[1] ?? '', fields, blocks: this.partial.blocks }
    this.partial = { text: '', blocks: 0 }
    this.pages.push(page)
    this.emit('page', page)
    this.tx('211 Page sent\r\x06\r') // `<code> <text> CR` then ACK CR (§2 responses and codes)
  }
}

/** e.g. `node --import tsx simulators/pagers/tap-terminal.ts --port /dev/pts/7 --password 000000` */
async function cli(): Promise<void> {
  const { values: v } = parseArgs({ options: { ...linkCliOptions, password: { type: 'string' }, 'refuse-logon': { type: 'boolean' } } })
  if (!v.port) throw new Error('--port <device | tcp://host:port | listen://host:port> is required')
  const o = linkOptionsFromCli(v) // §2 framing is 7E1 unless told otherwise
  const tap = await TapTerminalSimulator.start(v.port, { ...o, dataBits: o.dataBits ?? 7, parity: o.parity ?? 'even', stopBits: o.stopBits ?? 1, password: v.password, refuseLogon: v['refuse-logon'] })
  tap.on('logon', (pwd, ok) => console.log(`logon  password="${pwd}" ${ok ? 'accepted' : 'refused'}`))
  tap.on('page', (p) => console.log(`page   ${p.pagerId} "${p.text}" (${p.blocks} block(s))`))
  tap.on('logoff', () => console.log('logoff'))
  if (v.trace) tap.on('trace', (dir, b) => console.log(`${dir}     ${hex(b)}`))
  console.log(`TAP terminal on '${tap.link.spec}'; Ctrl-C to stop`)
  const quit = () => void tap.stop().then(() => process.exit(0))
  process.once('SIGINT', quit).once('SIGTERM', quit)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
