// TAP 1.8 framing (protocols.md §2): entry-device blocks and log-on/off out, terminal responses tokenised in.
import { Buffer } from 'node:buffer'
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream'

/** TAP 1.8 control characters (protocols.md §2). */
export const TapControl = { STX: 0x02, ETX: 0x03, EOT: 0x04, ACK: 0x06, NAK: 0x15, ETB: 0x17, ESC: 0x1b, RS: 0x1e, CR: 0x0d } as const
const { STX, ETX, EOT, ACK, NAK, ETB, ESC, RS, CR } = TapControl
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

/** Transaction blocks for one page: pager id only in the first, long messages split into blocks ending ETB, the last ETX; maxBlockChars (default 250) counts data chars including field CRs, so a block is ≤ maxBlockChars + 6 ≤ 256 bytes (§2). */
export function encodeTapPage(pagerId: string, message: string, opts: { maxBlockChars?: number } = {}): Buffer[] {
  const max = opts.maxBlockChars ?? MAX_DATA_CHARS
  if (pagerId.length === 0) throw new TypeError('"pagerId" is empty')
  checkText('"pagerId"', pagerId)
  checkText('"message"', message)
  // TAP §2 (protocols.md): the first block needs the pager id, two CRs and at least one message character.
  if (!Number.isInteger(max) || max > MAX_DATA_CHARS || max < pagerId.length + 3) {
    throw new TypeError(`"maxBlockChars" must be an integer from ${pagerId.length + 3} to ${MAX_DATA_CHARS}, got ${String(max)}`)
  }
  const chunks: string[] = []
  let room = max - pagerId.length - 2 // first block: id CR text CR
  let rest = message
  do {
    chunks.push(rest.slice(0, room))
    rest = rest.slice(room)
    room = max - 1 // later blocks: text CR
  } while (rest.length > 0)
  return chunks.map((text, i) => tapBlock(i === 0 ? `${pagerId}\r${text}\r` : `${text}\r`, i === chunks.length - 1 ? ETX : ETB))
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

/** Parse an entry device's transaction block (CR after the checksum optional): fields and whether the checksum matched; null if not a block. */
export function decodeTapBlock(raw: Buffer): { pagerId: string | null; text: string; last: boolean; checksumOk: boolean } | null {
  const end = raw.at(-1) === CR ? raw.length - 1 : raw.length // checksum characters are 0x30–0x3F, never CR
  const term = end - 4
  const t = raw[term]
  if (term < 1 || raw[0] !== STX || (t !== ETX && t !== ETB)) return null
  const body = raw.subarray(1, term)
  // TAP §2 (protocols.md): every field ends in CR; any other control byte means this is not a well-formed block.
  if (body.at(-1) !== CR || body.some((b) => b < 0x20 && b !== CR)) return null
  const fields = body.subarray(0, -1).toString('latin1').split('\r')
  if (fields.length > 2) return null
  // TAP §2 (protocols.md): the pager-ID field is sent only in the first block, so a one-field block is a continuation.
  const [first = '', second] = fields
  const checksumOk = tapChecksum(raw.subarray(0, term + 1)) === raw.subarray(term + 1, end).toString('latin1')
  return { pagerId: second === undefined ? null : first, text: second ?? first, last: t === ETX, checksumOk }
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
