import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeEspaBlock, encodeEspaBlock, espaAck, espaBcc, espaCallBlock, EspaControl as C, espaEnq, espaEot, espaNak,
  EspaParser, type EspaBlock, type EspaParserOptions, espaResetBlock, type EspaToken,
} from './espa.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const bytes = (...parts: (string | number | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : typeof p === 'string' ? Buffer.from(p, 'latin1') : p)))
/** Frame a block by hand (no validation), so tests can build blocks the encoder refuses to make. */
const frame = (afterSoh: Buffer): Buffer => bytes(C.SOH, afterSoh, espaBcc(afterSoh))

async function parse(chunks: readonly Buffer[], opts?: EspaParserOptions): Promise<EspaToken[]> {
  const parser = new EspaParser(opts)
  for (const c of chunks) parser.write(c)
  parser.end()
  return (await parser.toArray()) as EspaToken[]
}
/** Cut a buffer at the given positions (any order, duplicates allowed). */
function chunked(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b)
  return [...at, buf.length].map((end, i) => buf.subarray(i === 0 ? 0 : at[i - 1], end))
}

// ESPA 4.4.4 §1.9 (protocols.md): golden vectors A–C and northplane's cross-check vector.
const vectorA = hex('01 31 02 31 1F 31 32 33 34 1E 32 1F 42 45 44 20 45 58 49 54 20 52 31 32 1E 33 1F 32 1E 34 1F 33 1E 35 1F 31 1E 36 1F 31 03 3E')
const vectorB = hex('01 32 02 31 1F 31 32 33 34 1E 37 1F 36 03 19')
const vectorC = hex('01 31 02 31 1F 31 32 33 34 1E 34 1F 31 03 1E')
const blockA = espaCallBlock({ address: '1234', message: 'BED EXIT R12', beep: '2', callType: '3', transmissions: '1', priority: '1' })
const blockB: EspaBlock = { header: '2', records: [{ id: '1', value: '1234' }, { id: '7', value: '6' }] }
const blockC = espaResetBlock('1234')
const golden: [string, EspaBlock, Buffer][] = [
  ['A: call to pager', blockA, vectorA],
  ['B: status information', blockB, vectorB],
  ['C: reset, BCC equals RS', blockC, vectorC],
  ['northplane TestESPA444BCCHandComputed', { header: '1', records: [{ id: '1', value: 'A' }] }, hex('01 31 02 31 1F 41 03 5F')],
]

describe('ESPA 4.4.4 golden vectors (§1.9)', () => {
  it.each(golden)('%s: encodes to the exact bytes and decodes back', async (_name, block, wire) => {
    expect(encodeEspaBlock(block).toString('hex')).toBe(wire.toString('hex'))
    expect(decodeEspaBlock(wire)).toEqual({ kind: 'block', block, raw: wire })
    expect(await parse([wire])).toEqual([{ kind: 'block', block, raw: wire }])
  })

  it('call block A carries records 1..6 in order', () => {
    expect(blockA.records.map((r) => `${r.id}=${r.value}`)).toEqual(['1=1234', '2=BED EXIT R12', '3=2', '4=3', '5=1', '6=1'])
    expect(espaCallBlock({ address: '55', priority: '3' }).records).toEqual([{ id: '1', value: '55' }, { id: '6', value: '3' }])
  })

  it("D (Zenitel's example): BCC 0x23, or 0x03 (= ETX) with their stray space, which still parses", async () => {
    const d = (lead: string) => Buffer.from(`1\x02${lead}1\x1f550\x1e2\x1fCALL ME 101\x1e3\x1f3\x1e4\x1f3\x1e5\x1f3\x1e6\x1f3\x03`, 'latin1')
    expect(espaBcc(d(''))).toBe(0x23)
    expect(espaBcc(d(' '))).toBe(0x03)
    const [t] = await parse([frame(d(' '))])
    expect(t?.kind === 'block' && t.block.records[1]).toEqual({ id: '2', value: 'CALL ME 101' })
  })
})

describe('encoder', () => {
  it('builds control bytes and refuses bad fields with a TypeError naming them', () => {
    expect([...espaEnq('2'), ...espaAck, ...espaNak(), ...espaNak('1'), ...espaEot]).toEqual([0x32, 0x05, 0x06, 0x15, 0x31, 0x15, 0x04])
    expect(() => espaEnq('12')).toThrow(/"address"/)
    expect(() => encodeEspaBlock({ header: '12', records: [] })).toThrow(/"header"/)
    expect(() => encodeEspaBlock({ header: '\x01', records: [] })).toThrow(/"header"/)
    expect(() => encodeEspaBlock({ header: '1', records: [{ id: '2', value: 'A\x03B' }] })).toThrow(/record "2" "value"/)
    expect(() => encodeEspaBlock({ header: '1', records: [{ id: '', value: 'x' }] })).toThrow(/"id"/)
    expect(() => encodeEspaBlock({ header: '1', records: [{ id: '2', value: 'Müller' }] }, { encoding: 'ascii' })).toThrow(/ascii/)
    expect(() => espaCallBlock({ address: '1'.repeat(17) })).toThrow(/"address"/)
    expect(() => espaCallBlock({ address: '1', message: 'x'.repeat(129) })).toThrow(/"message"/)
    expect(espaCallBlock({ address: '1'.repeat(16), message: 'x'.repeat(128) }).records).toHaveLength(2)
  })

  it('round-trips Latin-1 text byte for byte on 8-bit links', async () => {
    const block = espaCallBlock({ address: '7', message: 'Zi. 3 Frau Müller: Sturz, Größe ß, café à' })
    const wire = encodeEspaBlock(block)
    expect(wire.includes(0xfc)).toBe(true) // ü is one byte, not UTF-8
    expect(await parse([wire])).toEqual([{ kind: 'block', block, raw: wire }])
  })
})

describe('EspaParser', () => {
  // §1.4: panel → gateway call, then the reverse status direction, then NAK prefixes (§1.6).
  const trace = bytes(C.EOT, '1', C.ENQ, '2', C.ENQ, C.ACK, vectorA, C.ACK, C.EOT, C.EOT, '2', C.ENQ, '1', C.ENQ, C.ACK, vectorB,
    C.ACK, C.EOT, vectorC, '1', C.NAK, C.NAK, '3', C.NAK, 'junk', '9')
  const traceTokens: EspaToken[] = [
    { kind: 'eot' }, { kind: 'enq', address: '1' }, { kind: 'enq', address: '2' }, { kind: 'ack' },
    { kind: 'block', block: blockA, raw: vectorA }, { kind: 'ack' }, { kind: 'eot' },
    { kind: 'eot' }, { kind: 'enq', address: '2' }, { kind: 'enq', address: '1' }, { kind: 'ack' },
    { kind: 'block', block: blockB, raw: vectorB }, { kind: 'ack' }, { kind: 'eot' },
    { kind: 'block', block: blockC, raw: vectorC }, { kind: 'nak', prefix: '1' }, { kind: 'nak', prefix: null }, { kind: 'nak', prefix: '3' },
    { kind: 'noise', raw: Buffer.from('junk9') },
  ]

  it('tokenises a full poll/select trace (§1.4)', async () => {
    expect(await parse([trace])).toEqual(traceTokens)
  })

  it('gives identical tokens however the bytes are split: every boundary, and byte by byte', async () => {
    for (let i = 1; i < trace.length; i++) expect(await parse([trace.subarray(0, i), trace.subarray(i)])).toEqual(traceTokens)
    expect(await parse([...trace].map((b) => Buffer.of(b)))).toEqual(traceTokens)
  })

  it('accepts a stray RS just before ETX and ignores the empty record (§1.5)', async () => {
    const wire = frame(bytes('1', C.STX, '1', C.US, '1234', C.RS, '2', C.US, 'HELP', C.RS, C.ETX))
    expect(await parse([wire])).toEqual([{ kind: 'block', block: { header: '1', records: [{ id: '1', value: '1234' }, { id: '2', value: 'HELP' }] }, raw: wire }])
  })

  it('takes the last printable header byte, skipping a multi-drop address prefix (§1.5)', async () => {
    const [t] = await parse([frame(bytes('21', C.STX, '1', C.US, '99', C.ETX))])
    expect(t?.kind === 'block' && t.block.header).toBe('1')
  })

  it('reports a bad BCC with expected and received values', async () => {
    const wire = bytes(vectorA.subarray(0, -1), 0x3f)
    expect(await parse([wire])).toEqual([{ kind: 'bad_block', reason: 'bcc', raw: wire, detail: 'expected 0x3E got 0x3F' }])
  })

  it('7-bit mode compares the BCC under & 0x7F (EspaCommunicator masks it, §1.5)', async () => {
    const full = encodeEspaBlock(espaCallBlock({ address: '1234', message: 'Müller' }))
    const bcc = full.at(-1) ?? 0
    expect(bcc & 0x80).toBe(0x80)
    const masked = bytes(full.subarray(0, -1), bcc & 0x7f)
    expect((await parse([masked]))[0]).toMatchObject({ kind: 'bad_block', reason: 'bcc' })
    expect((await parse([masked], { sevenBit: true }))[0]).toMatchObject({ kind: 'block' })
    expect((await parse([full], { sevenBit: true }))[0]).toMatchObject({ kind: 'block' })
  })

  it('resyncs after an overlong block without reading its BCC as SOH', async () => {
    const long = bytes(C.SOH, '1', C.STX, '2', C.US, 'x'.repeat(40), C.ETX, C.SOH)
    const tokens = await parse([long, vectorC], { maxBlockBytes: 16 })
    expect(tokens).toEqual([
      { kind: 'bad_block', reason: 'too_long', raw: long.subarray(0, 15), detail: 'no ETX within 16 bytes' },
      { kind: 'block', block: blockC, raw: vectorC },
    ])
  })

  it('keeps the following frame when a block is cut short, and gives back an ENQ address', async () => {
    const cut = bytes(C.SOH, '1', C.STX, '1', C.US, '12')
    const tokens = await parse([cut, vectorA, cut, bytes('2', C.ENQ)])
    expect(tokens.map((t) => t.kind)).toEqual(['bad_block', 'block', 'bad_block', 'enq'])
    expect(tokens[2]).toMatchObject({ reason: 'format', raw: cut })
    expect(tokens[3]).toEqual({ kind: 'enq', address: '2' })
  })

  it('coalesces noise, and a dangling digit or partial block at the end of the stream is reported', async () => {
    expect(await parse([Buffer.from('\r\nAT'), bytes('7', vectorB)])).toEqual([
      { kind: 'noise', raw: Buffer.from('\r\nAT7') }, { kind: 'block', block: blockB, raw: vectorB },
    ])
    expect(await parse([bytes(C.SOH, '1', C.STX)])).toEqual([{ kind: 'bad_block', reason: 'format', raw: bytes(C.SOH, '1', C.STX), detail: 'stream ended inside a block' }])
  })

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => new EspaParser({ maxBlockBytes: 2 })).toThrow(/"maxBlockBytes"/)
    expect(() => new EspaParser({ encoding: 'utf8' as 'ascii' })).toThrow(/"encoding"/)
  })
})

describe('EspaParser properties', () => {
  const text = (min: number, max: number, lo = 0x20) =>
    fc.string({ unit: fc.integer({ min: lo, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max })
  const blockArb: fc.Arbitrary<EspaBlock> = fc.record({
    header: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    records: fc.array(fc.record({ id: text(1, 3), value: text(0, 40) }), { maxLength: 6 }),
  })
  const cuts = fc.array(fc.nat(), { maxLength: 12 })

  it('encode → parse round-trips random blocks under random chunking', async () => {
    await fc.assert(fc.asyncProperty(blockArb, cuts, async (block, at) => {
      const wire = encodeEspaBlock(block)
      expect(await parse(chunked(wire, at))).toEqual([{ kind: 'block', block, raw: wire }])
    }))
  })

  /** Every frame's raw bytes appear, in order, among the parsed blocks. */
  const findsAll = (tokens: EspaToken[], frames: Buffer[]): boolean => {
    const found = tokens.flatMap((t) => (t.kind === 'block' ? [t.raw.toString('hex')] : []))
    let i = 0
    for (const f of frames) {
      while (i < found.length && found[i] !== f.toString('hex')) i++
      if (i++ >= found.length) return false
    }
    return true
  }

  it('random noise never throws; after an EOT (link reset, §1.3) every following frame is found', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.uint8Array({ maxLength: 80 }), blockArb), { maxLength: 5 }), cuts, async (parts, at) => {
      const frames = parts.map(([, b]) => encodeEspaBlock(b))
      const wire = Buffer.concat(parts.flatMap(([noise], i) => [Buffer.from(noise), espaEot, frames[i] ?? Buffer.alloc(0)]))
      const tokens = await parse(chunked(wire, at))
      expect(findsAll(tokens, frames)).toBe(true)
      expect(tokens).toEqual(await parse([wire]))
    }))
  })

  it('noise without ETX (so no BCC can swallow a frame) directly before frames loses none of them', async () => {
    const noise = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a.filter((b) => b !== C.ETX)))
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(noise, blockArb), { maxLength: 4 }), cuts, async (parts, at) => {
      const frames = parts.map(([, b]) => encodeEspaBlock(b))
      const wire = Buffer.concat(parts.flatMap(([n], i) => [n, frames[i] ?? Buffer.alloc(0)]))
      expect(findsAll(await parse(chunked(wire, at)), frames)).toBe(true)
    }), { numRuns: 200 })
  })
})
