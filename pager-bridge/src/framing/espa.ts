// ESPA 4.4.4 framing (protocols.md §1): one codec and tokenizer shared by the input and output roles (§1.1).
import { Buffer } from 'node:buffer'
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream'

/** ESPA 4.4.4 control characters (protocols.md §1.3). */
export const EspaControl = { SOH: 0x01, STX: 0x02, ETX: 0x03, EOT: 0x04, ENQ: 0x05, ACK: 0x06, NAK: 0x15, RS: 0x1e, US: 0x1f } as const
const { SOH, STX, ETX, EOT, ENQ, ACK, NAK, RS, US } = EspaControl

/** One record of a data block: identifier and data (ESPA 4.4.4 §1.8). */
export interface EspaRecord { readonly id: string; readonly value: string }
/** A data block: one-character header (block type, §1.7) and its records (§1.5). */
export interface EspaBlock { readonly header: string; readonly records: readonly EspaRecord[] }
/** Text encoding of record data: 'latin1' on 8-bit links, 'ascii' (IA5) on 7-bit links (§1.2). */
export type EspaEncoding = 'latin1' | 'ascii'

const hex = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39
/** Bytes that can never occur inside a block, so seeing one means the block was cut short (§1.3, §1.5). */
const isLinkControl = (b: number): boolean => b === SOH || b === EOT || b === ENQ || b === ACK || b === NAK

function checkEncoding(encoding: unknown): EspaEncoding {
  if (encoding !== 'latin1' && encoding !== 'ascii') throw new TypeError(`"encoding" must be 'latin1' or 'ascii', got ${String(encoding)}`)
  return encoding
}

/** Record text must hold no byte below 0x20 (§1.5: nothing is escaped) and must fit the link's encoding. */
function checkText(field: string, text: string, encoding: EspaEncoding): void {
  const max = encoding === 'ascii' ? 0x7f : 0xff
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20) throw new TypeError(`${field} contains control character ${hex(c)} at index ${i} (ESPA records cannot carry bytes below 0x20)`)
    if (c > max) throw new TypeError(`${field} contains U+${c.toString(16).toUpperCase().padStart(4, '0')} at index ${i}, not representable in ${encoding}`)
  }
}

/** XOR of every byte after SOH up to and including ETX (§1.5). */
export function espaBcc(bytesAfterSohThroughEtx: Uint8Array): number {
  let bcc = 0
  for (const b of bytesAfterSohThroughEtx) bcc ^= b
  return bcc
}

/** SOH header STX rec (RS rec)* ETX BCC; records `id US value`. Throws TypeError naming the field on bad input. Encoding default 'latin1'. */
export function encodeEspaBlock(block: EspaBlock, opts: { encoding?: EspaEncoding } = {}): Buffer {
  const encoding = checkEncoding(opts.encoding ?? 'latin1')
  const h = block.header.charCodeAt(0)
  // ESPA 4.4.4 §1.5/§1.7 (protocols.md): the header is a single character, the block type.
  if (block.header.length !== 1 || h < 0x21 || h > 0x7e) throw new TypeError(`"header" must be one printable ASCII character, got ${JSON.stringify(block.header)}`)
  const parts = block.records.map((r, i) => {
    if (r.id.length === 0) throw new TypeError(`record ${i} "id" is empty`)
    checkText(`record ${i} "id"`, r.id, encoding)
    checkText(`record "${r.id}" "value"`, r.value, encoding)
    return `${r.id}\x1f${r.value}`
  })
  // All characters are checked to be ≤ 0xFF, so latin1 maps them one-to-one onto bytes.
  const body = Buffer.from(`\x01${block.header}\x02${parts.join('\x1e')}\x03`, 'latin1')
  return Buffer.concat([body, Buffer.of(espaBcc(body.subarray(1)))])
}

/** A call to a pager (header '1'); absent optional records are omitted (§1.8). */
export interface EspaCall {
  /** Record 1, call address: 1 to 16 characters. */
  address: string
  /** Record 2, display message: at most 128 characters; truncation is the caller's job. */
  message?: string
  /** Record 3, beep coding ('1'..'9', system-dependent). */
  beep?: string
  /** Record 4, call type: '1' reset, '2' speech, '3' standard. */
  callType?: '1' | '2' | '3'
  /** Record 5, number of transmissions. */
  transmissions?: string
  /** Record 6, priority: '1' alarm, '2' high, '3' normal. */
  priority?: '1' | '2' | '3'
}

function checkAddress(address: string): void {
  // ESPA 4.4.4 §1.5/§1.8 (protocols.md): call address is at most 16 characters.
  if (address.length === 0 || address.length > 16) throw new TypeError(`"address" must be 1 to 16 characters, got ${address.length}`)
  checkText('"address"', address, 'latin1')
}

/** Header '1' call block with records 1..6 in order, omitting absent ones (vector A). address ≤16 chars, message ≤128 (TypeError otherwise: truncation is the caller's job). */
export function espaCallBlock(call: EspaCall): EspaBlock {
  checkAddress(call.address)
  // ESPA 4.4.4 §1.5 (protocols.md): 128 characters is the standard's limit; refuse rather than truncate silently.
  if (call.message !== undefined && call.message.length > 128) throw new TypeError(`"message" must be at most 128 characters, got ${call.message.length}`)
  const fields = [call.address, call.message, call.beep, call.callType, call.transmissions, call.priority]
  const records = fields.flatMap((value, i) => (value === undefined ? [] : [{ id: String(i + 1), value }]))
  return { header: '1', records }
}

/** Header '1', record 1 = address, record 4 = '1' (reset/cancel; vector C). */
export function espaResetBlock(address: string): EspaBlock {
  checkAddress(address)
  return { header: '1', records: [{ id: '1', value: address }, { id: '4', value: '1' }] }
}

/** Bytes for `<addr> ENQ`, a poll or select (§1.4); address is one digit '0'..'9'. */
export function espaEnq(address: string): Buffer {
  if (!/^[0-9]$/.test(address)) throw new TypeError(`"address" must be one digit '0'..'9', got ${JSON.stringify(address)}`)
  return Buffer.of(address.charCodeAt(0), ENQ)
}
/** A bare ACK (§1.4). */
export const espaAck: Buffer = Buffer.of(ACK)
/** `[prefix] NAK`: '1' transmission error, '2' busy, '3' invalid message; none for a bare NAK (§1.6). */
export function espaNak(prefix?: '1' | '2' | '3'): Buffer {
  if (prefix === undefined) return Buffer.of(NAK)
  if (prefix !== '1' && prefix !== '2' && prefix !== '3') throw new TypeError(`"prefix" must be '1', '2' or '3', got ${JSON.stringify(prefix)}`)
  return Buffer.of(prefix.charCodeAt(0), NAK)
}
/** EOT: ends the transaction and resets the link (§1.3). */
export const espaEot: Buffer = Buffer.of(EOT)

/** What the parser recognises on the wire. */
export type EspaToken =
  | { kind: 'eot' } | { kind: 'enq'; address: string } | { kind: 'ack' } | { kind: 'nak'; prefix: '1' | '2' | '3' | null }
  | { kind: 'block'; block: EspaBlock; raw: Buffer }
  | { kind: 'bad_block'; reason: 'bcc' | 'format' | 'too_long'; raw: Buffer; detail: string }
  | { kind: 'noise'; raw: Buffer }

/** Records are split on RS, id/value on the first US (§1.5). Returns an error detail string on a format error. */
function parseRecords(body: Buffer, encoding: EspaEncoding): EspaRecord[] | string {
  for (const b of body) if (b < 0x20 && b !== RS && b !== US) return `control byte ${hex(b)} inside records`
  const segments: Buffer[] = []
  let start = 0
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === RS) { segments.push(body.subarray(start, i)); start = i + 1 }
  }
  // ESPA 4.4.4 §1.5 (protocols.md): some senders put a stray RS just before ETX; that empty last record is ignored.
  if (segments.at(-1)?.length === 0) segments.pop()
  const records: EspaRecord[] = []
  for (const [i, seg] of segments.entries()) {
    const us = seg.indexOf(US)
    if (us < 1) return `record ${i} has no identifier followed by US`
    records.push({ id: seg.subarray(0, us).toString(encoding), value: seg.subarray(us + 1).toString(encoding) })
  }
  return records
}

/** §1.5: the header is the last printable byte between SOH and STX (northplane: multi-drop address prefixes). */
function pickHeader(bytes: Buffer): string | null {
  let header: string | null = null
  for (const b of bytes) {
    if (b < 0x20) return null
    if (b >= 0x21 && b <= 0x7e) header = String.fromCharCode(b)
  }
  return header
}

/** Parse a whole block's bytes (SOH..BCC); never throws. sevenBit default false, encoding default 'latin1'. */
export function decodeEspaBlock(raw: Buffer, opts: { sevenBit?: boolean; encoding?: EspaEncoding } = {}): EspaToken {
  const bad = (reason: 'bcc' | 'format', detail: string): EspaToken => ({ kind: 'bad_block', reason, raw, detail })
  const etx = raw.length - 2
  if (raw.length < 5 || raw[0] !== SOH || raw[etx] !== ETX) return bad('format', 'not framed as SOH … ETX BCC')
  const stx = raw.indexOf(STX)
  if (stx < 2 || stx > etx) return bad('format', 'no header followed by STX')
  // ESPA 4.4.4 §1.5 (protocols.md): EspaCommunicator masks the BCC to 7 bits; on 7-bit links compare under & 0x7F.
  const mask = opts.sevenBit === true ? 0x7f : 0xff
  const want = espaBcc(raw.subarray(1, etx + 1)) & mask
  const got = (raw[etx + 1] ?? 0) & mask
  if (want !== got) return bad('bcc', `expected ${hex(want)} got ${hex(got)}`)
  const header = pickHeader(raw.subarray(1, stx))
  if (header === null) return bad('format', 'header is not printable')
  const records = parseRecords(raw.subarray(stx + 1, etx), opts.encoding ?? 'latin1')
  if (typeof records === 'string') return bad('format', records)
  return { kind: 'block', block: { header, records }, raw }
}

/** Options for {@link EspaParser}. */
export interface EspaParserOptions extends TransformOptions {
  /** Compare BCC under & 0x7f (7-bit links). Default false */
  sevenBit?: boolean
  /** Text encoding of record data (not the stream's encoding). Default 'latin1' */
  encoding?: EspaEncoding
  /** Longest block (SOH..BCC) accepted before resync; also the largest noise token. Default 512 */
  maxBlockBytes?: number
}

type Mode = 'idle' | 'block' | 'bcc' | 'skip' | 'skip_bcc'

/** A Transform: bytes in (any chunking), EspaToken objects out (readableObjectMode). */
export class EspaParser extends Transform {
  readonly #decode: { sevenBit: boolean; encoding: EspaEncoding }
  readonly #max: number
  readonly #block: Buffer
  #len = 0
  #mode: Mode = 'idle'
  /** A digit seen outside a block: an address or NAK prefix if ENQ/NAK follows, else noise (§1.4, §1.6). */
  #digit = -1
  #noise: number[] = []

  constructor(options: EspaParserOptions = {}) {
    const { sevenBit = false, encoding = 'latin1', maxBlockBytes = 512, ...rest } = options
    if (typeof sevenBit !== 'boolean') throw new TypeError(`"sevenBit" must be a boolean, got ${String(sevenBit)}`)
    // ESPA 4.4.4 §1.5 (protocols.md): the smallest block is SOH header STX ETX BCC.
    if (!Number.isInteger(maxBlockBytes) || maxBlockBytes < 5) throw new TypeError(`"maxBlockBytes" must be an integer ≥ 5, got ${String(maxBlockBytes)}`)
    super({ ...rest, objectMode: false, readableObjectMode: true, writableObjectMode: false, decodeStrings: true })
    this.#decode = { sevenBit, encoding: checkEncoding(encoding) }
    this.#max = maxBlockBytes
    this.#block = Buffer.alloc(maxBlockBytes)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const b of chunk) this.#step(b)
    callback()
  }

  override _flush(callback: TransformCallback): void {
    if (this.#mode === 'block' || this.#mode === 'bcc') this.#bad('format', this.#len, 'stream ended inside a block')
    this.#mode = 'idle'
    if (this.#digit >= 0) this.#noise.push(this.#digit)
    this.#digit = -1
    this.#flushNoise()
    callback()
  }

  #step(b: number): void {
    switch (this.#mode) {
      case 'idle': return this.#idle(b)
      case 'block': return this.#inBlock(b)
      case 'bcc': return this.#endBlock(b)
      case 'skip': return this.#skip(b)
      case 'skip_bcc': this.#mode = 'idle'; return // §1.5: the BCC of the overlong block, never interpreted
    }
  }

  #idle(b: number): void {
    const d = this.#digit
    this.#digit = -1
    // ESPA 4.4.4 §1.4/§1.6 (protocols.md): `<addr> ENQ` polls or selects; `<prefix> NAK` carries a reason.
    if (b === ENQ && d >= 0) return this.#emit({ kind: 'enq', address: String.fromCharCode(d) })
    if (b === NAK && d >= 0x31 && d <= 0x33) return this.#emit({ kind: 'nak', prefix: String.fromCharCode(d) as '1' | '2' | '3' })
    if (d >= 0) this.#addNoise(d)
    if (isDigit(b)) { this.#digit = b; return } // ambiguous until the next byte, which may be in the next chunk
    if (b === NAK) return this.#emit({ kind: 'nak', prefix: null }) // §1.6: receivers must accept a bare NAK
    if (b === ACK) return this.#emit({ kind: 'ack' })
    if (b === EOT) return this.#emit({ kind: 'eot' })
    if (b !== SOH) return this.#addNoise(b)
    this.#flushNoise()
    this.#mode = 'block'
    this.#len = 0
    this.#block[this.#len++] = b
  }

  #inBlock(b: number): void {
    if (isLinkControl(b)) return this.#abort(b)
    this.#block[this.#len++] = b
    if (b === ETX) { this.#mode = 'bcc'; return }
    // Room must remain for ETX and BCC within maxBlockBytes; otherwise give up and resync (ESPA 4.4.4 §1.5 size limits).
    if (this.#len + 2 > this.#max) {
      this.#bad('too_long', this.#len, `no ETX within ${this.#max} bytes`)
      this.#mode = 'skip'
    }
  }

  /** §1.5: the single byte after ETX is the BCC and is never interpreted (vector C's BCC is 0x1E = RS). */
  #endBlock(b: number): void {
    this.#block[this.#len++] = b
    this.#mode = 'idle'
    this.push(decodeEspaBlock(Buffer.from(this.#block.subarray(0, this.#len)), this.#decode))
  }

  /** A link control byte inside a block: report the partial block, then handle the byte outside it. */
  #abort(b: number): void {
    let len = this.#len
    const last = this.#block[len - 1] ?? 0
    // A digit just before ENQ/NAK is its address or prefix (§1.4, §1.6), not part of the broken block.
    const carry = (b === ENQ || b === NAK) && isDigit(last) ? last : -1
    if (carry >= 0) len--
    this.#bad('format', len, `interrupted by ${hex(b)} before ETX`)
    this.#mode = 'idle'
    this.#digit = carry
    this.#idle(b)
  }

  /** Discard the rest of an overlong block; resync at SOH or any link control, or after its ETX and BCC. */
  #skip(b: number): void {
    if (b === ETX) { this.#mode = 'skip_bcc'; return }
    if (isLinkControl(b)) { this.#mode = 'idle'; this.#idle(b) }
  }

  #bad(reason: 'format' | 'too_long', len: number, detail: string): void {
    this.#flushNoise()
    this.push({ kind: 'bad_block', reason, raw: Buffer.from(this.#block.subarray(0, len)), detail } satisfies EspaToken)
  }

  #emit(token: EspaToken): void { this.#flushNoise(); this.push(token) }

  /** Noise is coalesced until the next token; capped at maxBlockBytes so a babbling line cannot grow memory. */
  #addNoise(b: number): void {
    this.#noise.push(b)
    if (this.#noise.length >= this.#max) this.#flushNoise()
  }

  #flushNoise(): void {
    if (this.#noise.length === 0) return
    this.push({ kind: 'noise', raw: Buffer.from(this.#noise) } satisfies EspaToken)
    this.#noise = []
  }
}
