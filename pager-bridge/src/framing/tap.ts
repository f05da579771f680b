// TAP 1.8 framing (protocols.md §2): entry-device blocks and log-on/off out, terminal responses tokenised in.
import { Buffer } from 'node:buffer'
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream'

/** TAP 1.8 control characters (protocols.md §2). */
export const TapControl = { STX: 0x02, ETX: 0x03, EOT: 0x04, ACK: 0x06, NAK: 0x15, ETB: 0x17, ESC: 0x1b, RS: 0x1e, US: 0x1f, CR: 0x0d } as const
const { STX, ETX, EOT, ACK, NAK, ETB, ESC, RS, US, CR } = TapControl
const LF = 0x0a
const XON = 0x11
const XOFF = 0x13

/** TAP §2 (protocols.md): a block is at most 256 characters = STX + 250 data + ETX/ETB + 3 checksum + CR. */
const MAX_DATA_CHARS = 250

/** Sum of 7-bit values STX..ETX/ETB inclusive, low 12 bits, 3 nibbles + 0x30 (§2). */
export function tapChecksum(bytesStxThroughEtx: Uint8Array): string {
  let sum = 0
  for (const b of bytesStxThroughEtx) sum += b & 0x7f
  sum &= 0xfff
  return String.fromCharCode(0x30 + (sum >> 8), 0x30 + ((sum >> 4) & 0xf), 0x30 + (sum & 0xf))
}

/** TAP is a 7-bit link (7E1, §2) and fields end in CR, so text must be printable ASCII (no control characters). */
function checkText(field: string, text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) throw new TypeError(`${field} contains U+${c.toString(16).toUpperCase().padStart(4, '0')} at index ${i}; TAP carries printable ASCII only`)
  }
}

/** `STX data ETX|ETB checksum CR` (§2 transaction block). */
function tapBlock(data: string, end: number): Buffer {
  const body = Buffer.from(`\x02${data}${String.fromCharCode(end)}`, 'latin1')
  return Buffer.concat([body, Buffer.from(`${tapChecksum(body)}\r`, 'latin1')])
}

/** Transaction blocks for one page: pager id only in the first; a block ending between fields ends in ETB, one ending inside a field in US, the last in ETX; maxBlockChars (default 250) counts data chars including field CRs, so a block is ≤ maxBlockChars + 6 ≤ 256 bytes (§2). */
export function encodeTapPage(pagerId: string, message: string, opts: { maxBlockChars?: number } = {}): Buffer[] {
  const max = opts.maxBlockChars ?? MAX_DATA_CHARS
  if (pagerId.length === 0) throw new TypeError('"pagerId" is empty')
  checkText('"pagerId"', pagerId)
  checkText('"message"', message)
  // TAP §2 (protocols.md): the first block needs the pager id, two CRs and at least one message character.
  if (!Number.isInteger(max) || max > MAX_DATA_CHARS || max < pagerId.length + 3) {
    throw new TypeError(`"maxBlockChars" must be an integer from ${pagerId.length + 3} to ${MAX_DATA_CHARS}, got ${String(max)}`)
  }
  // The fields (pager id, message), each ending in CR, cut into blocks of at most `max` data characters.
  // A block that ends between fields ends in ETB; one that ends inside a field ends in US (the field goes on in
  // the next block, as TAP 1.8 and its public implementation sendpage do); the last ends in ETX.
  const stream = `${pagerId}\r${message}\r`
  const blocks: Buffer[] = []
  for (let at = 0; at < stream.length; at += max) {
    const chunk = stream.slice(at, at + max)
    const last = at + max >= stream.length
    blocks.push(tapBlock(chunk, last ? ETX : chunk.endsWith('\r') ? ETB : US))
  }
  return blocks
}

/** `ESC P G 1 [password] CR` (§2 log-on); PG1 is the alphanumeric paging service. password default none. */
export function tapLogon(password = ''): Buffer {
  checkText('"password"', password)
  return Buffer.from(`\x1bPG1${password}\r`, 'latin1')
}

/** `EOT CR` (log-off). */
export const tapLogoff: Buffer = Buffer.of(EOT, CR)

/** What the terminal says (§2 log-on and block responses). */
export type TapToken =
  | { kind: 'id_prompt' } /* "ID=" */ | { kind: 'go_ahead' } /* ESC [ p */ | { kind: 'ack' } | { kind: 'nak' } | { kind: 'rs' } | { kind: 'disconnect' } /* ESC EOT */
  | { kind: 'message'; code: number; text: string } /* "211 Page sent" style lines */ | { kind: 'noise'; raw: Buffer }

/** One transaction block as sent: its data characters (fields with their CRs) and how it ends. */
export interface TapBlockParts {
  readonly data: string
  /** ETX: the last block; ETB: more blocks, split between fields; US: the field continues in the next block. */
  readonly end: 'ETX' | 'ETB' | 'US'
  readonly checksumOk: boolean
}

/** Parse an entry device's transaction block (CR after the checksum optional); null if not a block. */
export function decodeTapBlock(raw: Buffer): TapBlockParts | null {
  const end = raw.at(-1) === CR ? raw.length - 1 : raw.length // checksum characters are 0x30–0x3F, never CR
  const term = end - 4
  const t = raw[term]
  if (term < 1 || raw[0] !== STX || (t !== ETX && t !== ETB && t !== US)) return null
  const body = raw.subarray(1, term)
  if (body.some((b) => b < 0x20 && b !== CR)) return null
  // A block ending in ETX or ETB ends on a field boundary (CR); only US may cut a field.
  if (t !== US && body.at(-1) !== CR) return null
  const checksumOk = tapChecksum(raw.subarray(0, term + 1)) === raw.subarray(term + 1, end).toString('latin1')
  return { data: body.toString('latin1'), end: t === ETX ? 'ETX' : t === ETB ? 'ETB' : 'US', checksumOk }
}

/** Join a page's blocks back into its fields: [pager id, message, ...]. Null if a block is malformed or the last is missing. */
export function reassembleTapPage(blocks: readonly Buffer[]): string[] | null {
  let data = ''
  for (const [i, raw] of blocks.entries()) {
    const b = decodeTapBlock(raw)
    if (!b || !b.checksumOk || (b.end === 'ETX') !== (i === blocks.length - 1)) return null
    data += b.data
  }
  return data.endsWith('\r') ? data.slice(0, -1).split('\r') : null
}

/** Options for {@link TapResponseParser}. */
export interface TapResponseParserOptions extends TransformOptions {
  /** Longest line kept before it is given up as noise. Default 256 */
  maxLineBytes?: number
}

/** A response line "NNN text" (§2 message sequences); otherwise null. */
function messageOf(line: Buffer): TapToken | null {
  const m = /^(\d{3})(?:\D(.*))?$/s.exec(line.toString('latin1'))
  return m ? { kind: 'message', code: Number(m[1]), text: (m[2] ?? '').trim() } : null
}

/** Transform: terminal bytes in (any chunking), TapToken out. "ID=" arrives without CR. */
export class TapResponseParser extends Transform {
  readonly #max: number
  #line: number[] = []
  /** An escape sequence in progress: ESC, or ESC '[' (§2: ESC [ p go-ahead, ESC EOT disconnect). */
  #esc: number[] = []

  constructor(options: TapResponseParserOptions = {}) {
    const { maxLineBytes = 256, ...rest } = options
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 4) throw new TypeError(`"maxLineBytes" must be an integer ≥ 4, got ${String(maxLineBytes)}`)
    super({ ...rest, objectMode: false, readableObjectMode: true, writableObjectMode: false, decodeStrings: true })
    this.#max = maxLineBytes
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const b of chunk) this.#step(b)
    callback()
  }

  override _flush(callback: TransformCallback): void {
    this.#line.push(...this.#esc)
    this.#esc = []
    this.#endLine()
    callback()
  }

  #step(b: number): void {
    if (this.#esc.length > 0) return this.#escape(b)
    if (b === XON || b === XOFF) return // TAP §2 (protocols.md): XON/XOFF flow control on the link, not text
    if (b === CR || b === LF) return this.#endLine() // LF: terminals that end lines CR LF
    if (b === ACK) return this.#emit({ kind: 'ack' })
    if (b === NAK) return this.#emit({ kind: 'nak' })
    if (b === RS) return this.#emit({ kind: 'rs' })
    if (b === ESC) {
      this.#endLine()
      this.#esc = [b]
      return
    }
    this.#line.push(b)
    if (this.#isIdPrompt()) {
      this.#line.length -= 3
      return this.#emit({ kind: 'id_prompt' })
    }
    if (this.#line.length >= this.#max) this.#endLine()
  }

  /** §2 log-on: the terminal sends "ID=" with no CR. A message line ("510 … ID=…") is not a prompt. */
  #isIdPrompt(): boolean {
    const n = this.#line.length
    if (n < 3 || this.#line[n - 3] !== 0x49 || this.#line[n - 2] !== 0x44 || this.#line[n - 1] !== 0x3d) return false
    return !/^\d{3}/.test(Buffer.from(this.#line.slice(0, 3)).toString('latin1'))
  }

  #escape(b: number): void {
    const seq = this.#esc
    if (seq.length === 1 && b === EOT) return this.#escDone({ kind: 'disconnect' })
    if (seq.length === 1 && b === 0x5b) { seq.push(b); return } // '['
    if (seq.length === 2 && b === 0x70) return this.#escDone({ kind: 'go_ahead' }) // 'p'
    // Not a TAP sequence: the bytes so far are noise; handle this byte afresh.
    this.#line.push(...seq)
    this.#esc = []
    this.#step(b)
  }

  #escDone(token: TapToken): void {
    this.#esc = []
    this.push(token)
  }

  /** Text before a control token is a line of its own (message or noise). */
  #emit(token: TapToken): void {
    this.#endLine()
    this.push(token)
  }

  #endLine(): void {
    if (this.#line.length === 0) return
    const raw = Buffer.from(this.#line)
    this.#line = []
    this.push(messageOf(raw) ?? ({ kind: 'noise', raw } satisfies TapToken))
  }
}
