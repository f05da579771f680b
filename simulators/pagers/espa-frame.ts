import { hex } from '../lib/serial-link.js'

/**
 * Minimal ESPA 4.4.4 framing for the simulators, written from /work/shared/specs/protocols.md §1 alone
 * (no code shared with the gateway's codec, so the two cannot agree on a mistake by construction).
 */

// §1.3 control characters.
export const SOH = 0x01
export const STX = 0x02
export const ETX = 0x03
export const EOT = 0x04
export const ENQ = 0x05
export const ACK = 0x06
export const NAK = 0x15
export const RS = 0x1e
export const US = 0x1f

/** One record: identifier and data (§1.5 `<rec> = <identifier char(s)> US <data>`). */
export type EspaRecord = readonly [id: string, data: string]

/** §1.8 record 7 call status values. */
export type EspaCallStatus = '1' | '2' | '3' | '4' | '5' | '6' | '7' | '71' | '72' | '8'

/** §1.5: BCC = XOR of every byte after SOH up to and including ETX. */
export function bcc(bytes: Uint8Array): number {
  let x = 0
  for (const b of bytes) x ^= b
  return x
}

/**
 * `SOH <header> STX <rec> [RS <rec>]... ETX <BCC>` (§1.5). Text is Latin-1 (§1.2). `strayRs` adds the RS
 * before ETX that some senders emit (§1.5); `badBcc` flips the BCC to provoke a `'1' NAK` (§1.6).
 */
export function encodeBlock(header: string, records: readonly EspaRecord[], opts: { strayRs?: boolean; badBcc?: boolean } = {}): Buffer {
  const text = records.map(([id, data]) => `${id}\x1f${data}`).join('\x1e') + (opts.strayRs ? '\x1e' : '')
  const body = Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from([STX]), Buffer.from(text, 'latin1'), Buffer.from([ETX])])
  const check = bcc(body) ^ (opts.badBcc ? 0x55 : 0)
  return Buffer.concat([Buffer.from([SOH]), body, Buffer.from([check])])
}

export type EspaEvent =
  | { kind: 'enq'; address: string }
  | { kind: 'ack' }
  | { kind: 'nak'; prefix: string | undefined }
  | { kind: 'eot' }
  | { kind: 'block'; header: string; records: EspaRecord[]; bccOk: boolean; raw: Buffer }

/** The value of record `id`, if present. */
export const recordValue = (records: readonly EspaRecord[], id: string): string | undefined => records.find(([r]) => r === id)?.[1]

/** A header '1' call block as decoded (§1.7; records 1-6 per §1.8). */
export interface EspaCall {
  at: Date
  address: string
  message: string | undefined
  beep: string | undefined
  callType: string | undefined
  transmissions: string | undefined
  priority: string | undefined
  records: EspaRecord[]
  rawHex: string
}

/** A header '2' status block (§1.7): record 1 call address, 7 call status, 8 system status (§1.8). */
export interface EspaStatusReport {
  at: Date
  address: string | undefined
  status: EspaCallStatus | undefined
  systemStatus: string | undefined
  records: EspaRecord[]
  rawHex: string
}

export function toCall(records: EspaRecord[], raw: Uint8Array): EspaCall {
  const r = (id: string) => recordValue(records, id)
  return { at: new Date(), address: r('1') ?? '', message: r('2'), beep: r('3'), callType: r('4'), transmissions: r('5'), priority: r('6'), records, rawHex: hex(raw) }
}

export function toStatusReport(records: EspaRecord[], raw: Uint8Array): EspaStatusReport {
  const status = recordValue(records, '7') as EspaCallStatus | undefined
  return { at: new Date(), address: recordValue(records, '1'), status, systemStatus: recordValue(records, '8'), records, rawHex: hex(raw) }
}
/**
 * Byte-stream tokenizer. Emits ENQ with its one-character address (§1.4), ACK, NAK with its optional
 * prefix (§1.6), EOT, and whole blocks. The byte after ETX is taken as the BCC without interpretation,
 * since it may equal any control byte (§1.5, vector C). In 7-bit mode BCCs compare under `& 0x7F` (§1.5).
 */
export class EspaReader {
  private pending: string | undefined // a printable char that may prefix ENQ or NAK
  private block: number[] | null = null // bytes after SOH, while inside a block
  private awaitingBcc = false

  constructor(private readonly onEvent: (e: EspaEvent) => void, private readonly opts: { sevenBit?: boolean } = {}) {}

  reset(): void {
    this.pending = undefined
    this.block = null
    this.awaitingBcc = false
  }

  push(chunk: Uint8Array): void {
    for (const byte of chunk) this.byte(byte)
  }

  private byte(b: number): void {
    if (this.block) {
      if (this.awaitingBcc) return this.finish(b)
      if (b === SOH) return void (this.block = []) // a fresh block restarts reception
      if (b === EOT) {
        // EOT resets the link (§1.3) even mid-block.
        this.reset()
        return this.onEvent({ kind: 'eot' })
      }
      this.block.push(b)
      if (b === ETX) this.awaitingBcc = true
      return
    }
    const prefix = this.pending
    this.pending = undefined
    switch (b) {
      case SOH: return void (this.block = [])
      case ENQ: if (prefix !== undefined) this.onEvent({ kind: 'enq', address: prefix }); return
      case NAK: return this.onEvent({ kind: 'nak', prefix })
      case ACK: return this.onEvent({ kind: 'ack' })
      case EOT: return this.onEvent({ kind: 'eot' })
      default: if (b >= 0x20 && b < 0x7f) this.pending = String.fromCharCode(b)
    }
  }

  private finish(check: number): void {
    const body = Buffer.from(this.block ?? [])
    this.reset()
    const mask = this.opts.sevenBit ? 0x7f : 0xff
    const bccOk = (bcc(body) & mask) === (check & mask)
    const stx = body.indexOf(STX)
    // §1.5: take the last header byte before STX as the block type (defensive, as northplane does).
    const header = stx > 0 ? String.fromCharCode(body[stx - 1]!) : ''
    const text = body.subarray(stx < 0 ? body.length : stx + 1, body.length - 1).toString('latin1')
    const records = text
      .split('\x1e')
      .filter((r) => r.length > 0) // a stray RS before ETX gives an empty record: ignore it (§1.5)
      .map((r): EspaRecord => {
        const at = r.indexOf('\x1f')
        return at < 0 ? [r, ''] : [r.slice(0, at), r.slice(at + 1)]
      })
    this.onEvent({ kind: 'block', header, records, bccOk, raw: Buffer.concat([Buffer.from([SOH]), body, Buffer.from([check])]) })
  }
}

/** Short text for logs and errors. */
export function describeEvent(e: EspaEvent | null): string {
  if (!e) return 'nothing (timeout)'
  switch (e.kind) {
    case 'enq': return `'${e.address}' ENQ`
    case 'nak': return e.prefix ? `'${e.prefix}' NAK` : 'NAK'
    case 'block': return `block header '${e.header}' ${e.records.map(([i, d]) => `${i}=${d}`).join(' ')}${e.bccOk ? '' : ' (bad BCC)'}`
    default: return e.kind.toUpperCase()
  }
}
