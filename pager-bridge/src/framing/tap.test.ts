import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeTapBlock, reassembleTapPage, encodeTapPage, TapControl as C, tapChecksum, tapLogoff, tapLogon, TapResponseParser, type TapToken } from './tap.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const bytes = (...parts: (string | number)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : Buffer.from(p, 'latin1'))))

async function parse(chunks: readonly Buffer[]): Promise<TapToken[]> {
  const parser = new TapResponseParser()
  for (const c of chunks) parser.write(c)
  parser.end()
  return (await parser.toArray()) as TapToken[]
}
function chunked(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b)
  return [...at, buf.length].map((end, i) => buf.subarray(i === 0 ? 0 : at[i - 1], end))
}

describe('TAP transaction blocks (protocols.md §2)', () => {
  it('spec example STX "123" CR "ABC" CR ETX: checksum "17;" and exact bytes', () => {
    expect(tapChecksum(bytes(C.STX, '123', C.CR, 'ABC', C.CR, C.ETX))).toBe('17;')
    expect(encodeTapPage('123', 'ABC').map((b) => b.toString('hex'))).toEqual([hex('02 31 32 33 0D 41 42 43 0D 03 31 37 3B 0D').toString('hex')])
  })

  it('our page: pager 1234 "BED EXIT R12" → checksum "3>3"', () => {
    const wire = hex('02 31 32 33 34 0D 42 45 44 20 45 58 49 54 20 52 31 32 0D 03 33 3E 33 0D')
    expect(encodeTapPage('1234', 'BED EXIT R12')).toEqual([wire])
    expect(decodeTapBlock(wire)).toEqual({ data: '1234\rBED EXIT R12\r', end: 'ETX', checksumOk: true })
    expect(reassembleTapPage([wire])).toEqual(['1234', 'BED EXIT R12'])
  })

  it('splits a 600-character message into blocks of at most 256 bytes: US where a field is cut, ETX last, pager id only in the first', () => {
    const message = Array.from({ length: 600 }, (_, i) => String.fromCharCode(0x20 + (i % 95))).join('')
    const blocks = encodeTapPage('1234', message)
    // The stream "1234 CR <600> CR" is 606 characters: 250 + 250 + 106, cut inside the message twice.
    expect(blocks.map((b) => b.at(-5))).toEqual([C.US, C.US, C.ETX])
    expect(blocks.map((b) => b.length)).toEqual([256, 256, 106 + 6])
    const decoded = blocks.map((b) => decodeTapBlock(b))
    expect(decoded.map((d) => d?.checksumOk)).toEqual([true, true, true])
    expect(decoded[0]!.data.startsWith('1234\r')).toBe(true)
    expect(reassembleTapPage(blocks)).toEqual(['1234', message])
  })

  it('ends a block that stops exactly between fields with ETB', () => {
    // "12 CR" is 3 characters: with 3 per block, the first block holds exactly the pager-id field.
    const blocks = encodeTapPage('12', 'HELLO', { maxBlockChars: 5 })
    expect(blocks.map((b) => decodeTapBlock(b)?.end)).toEqual(['US', 'ETX'])
    const split = encodeTapPage('12', 'AB', { maxBlockChars: 5 })
    expect(split.map((b) => decodeTapBlock(b)?.end)).toEqual(['US', 'ETX'])
    expect(reassembleTapPage(split)).toEqual(['12', 'AB'])
    const exact = encodeTapPage('1', 'ABCDEFG', { maxBlockChars: 4 })
    expect(exact.map((b) => decodeTapBlock(b)?.end)).toEqual(['US', 'US', 'ETX'])
    const boundary = encodeTapPage('12', 'A', { maxBlockChars: 5 })
    expect(boundary.map((b) => decodeTapBlock(b)?.end)).toEqual(['ETX'])
    const atField = encodeTapPage('123', 'ABCDEFGH', { maxBlockChars: 6 })
    expect(atField.map((b) => decodeTapBlock(b)?.end)).toEqual(['US', 'US', 'ETX'])
    expect(reassembleTapPage(atField)).toEqual(['123', 'ABCDEFGH'])
  })

  it('logs on and off', () => {
    expect(tapLogon()).toEqual(hex('1B 50 47 31 0D'))
    expect(tapLogon('000000')).toEqual(bytes(C.ESC, 'PG1000000', C.CR))
    expect(tapLogoff).toEqual(hex('04 0D'))
  })

  it('refuses bad input with a TypeError naming the field', () => {
    expect(() => encodeTapPage('', 'x')).toThrow(/"pagerId"/)
    expect(() => encodeTapPage('1234', 'line 1\rline 2')).toThrow(/"message"/)
    expect(() => encodeTapPage('1234', 'Müller')).toThrow(/"message"/)
    expect(() => encodeTapPage('1234', 'x', { maxBlockChars: 251 })).toThrow(/"maxBlockChars"/)
    expect(() => encodeTapPage('1234', 'x', { maxBlockChars: 6 })).toThrow(/"maxBlockChars"/)
    expect(() => tapLogon('pw\r')).toThrow(/"password"/)
    expect(() => new TapResponseParser({ maxLineBytes: 0 })).toThrow(/"maxLineBytes"/)
  })

  it('decodes a block without its trailing CR, flags a bad checksum, and rejects non-blocks', () => {
    const [wire = Buffer.alloc(0)] = encodeTapPage('99', 'HELLO')
    expect(decodeTapBlock(wire.subarray(0, -1))).toEqual({ data: '99\rHELLO\r', end: 'ETX', checksumOk: true })
    const corrupt = Buffer.from(wire)
    corrupt[4] = 0x46 // 'H' → 'F'
    expect(decodeTapBlock(corrupt)?.checksumOk).toBe(false)
    expect(decodeTapBlock(Buffer.from('ID='))).toBeNull()
    // ETX and ETB blocks end on a field boundary; only US may cut a field.
    expect(decodeTapBlock(bytes(C.STX, '1', C.CR, '2', C.ETB, '000', C.CR))).toBeNull()
  })
})

// §2: a whole session as the terminal sends it: modem banner, ID=, log-on reply, go-ahead, block replies, log-off.
const session = bytes('CONNECT 1200\r\n', 'ID=', '110 1.8\r', C.ACK, C.CR, C.ESC, '[p', C.CR,
  '211 Page sent\r', C.ACK, C.CR, '514 Checksum error\r', C.NAK, C.CR, C.RS, C.CR, '115 Goodbye\r', C.ESC, C.EOT, C.CR)
const tokens: TapToken[] = [
  { kind: 'noise', raw: Buffer.from('CONNECT 1200') }, { kind: 'id_prompt' }, { kind: 'message', code: 110, text: '1.8' }, { kind: 'ack' },
  { kind: 'go_ahead' }, { kind: 'message', code: 211, text: 'Page sent' }, { kind: 'ack' },
  { kind: 'message', code: 514, text: 'Checksum error' }, { kind: 'nak' }, { kind: 'rs' },
  { kind: 'message', code: 115, text: 'Goodbye' }, { kind: 'disconnect' },
]

describe('TapResponseParser', () => {
  it('tokenises a whole session', async () => {
    expect(await parse([session])).toEqual(tokens)
  })

  it('gives identical tokens split at every boundary and byte by byte', async () => {
    for (let i = 1; i < session.length; i++) expect(await parse([session.subarray(0, i), session.subarray(i)])).toEqual(tokens)
    expect(await parse([...session].map((b) => Buffer.of(b)))).toEqual(tokens)
  })

  it('ignores CR LF line ends, a leading CR (strict TAP) and XON/XOFF', async () => {
    const strict = bytes('ID=', C.CR, C.CR, C.ACK, C.CR, '\n', 0x11, C.CR, C.ESC, '[p', C.CR, 0x13, '\n')
    expect(await parse([strict])).toEqual([{ kind: 'id_prompt' }, { kind: 'ack' }, { kind: 'go_ahead' }])
  })

  it('does not mistake "ID=" inside a message line for the prompt, and reports stray escapes as noise', async () => {
    expect(await parse([Buffer.from('510 Illegal pager ID=12a\r')])).toEqual([{ kind: 'message', code: 510, text: 'Illegal pager ID=12a' }])
    expect(await parse([bytes(C.ESC, 'x', C.CR, C.ESC, C.ESC, '[p')])).toEqual([
      { kind: 'noise', raw: bytes(C.ESC, 'x') }, { kind: 'noise', raw: bytes(C.ESC) }, { kind: 'go_ahead' },
    ])
  })
})

describe('TAP properties', () => {
  const printable = (min: number, max: number) =>
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max })
  const pagerId = fc.stringMatching(/^[0-9]{1,10}$/)

  it('random pages round-trip through encodeTapPage → decodeTapBlock', () => {
    fc.assert(fc.property(pagerId, printable(0, 1200), fc.integer({ min: 13, max: 250 }), (id, message, maxBlockChars) => {
      const blocks = encodeTapPage(id, message, { maxBlockChars })
      const decoded = blocks.map((b) => decodeTapBlock(b))
      expect(blocks.every((b) => b.length <= maxBlockChars + 6 && b.length <= 256)).toBe(true)
      expect(decoded.map((d) => d?.checksumOk)).toEqual(blocks.map(() => true))
      expect(decoded.map((d) => d?.end === 'ETX')).toEqual(blocks.map((_, i) => i === blocks.length - 1))
      // ETB only where a block ends exactly on a field boundary; otherwise US.
      for (const d of decoded.slice(0, -1)) expect(d!.end).toBe(d!.data.endsWith('\r') ? 'ETB' : 'US')
      expect(reassembleTapPage(blocks)).toEqual([id, message])
    }))
  })

  it('random noise never throws, and chunking never changes the tokens', async () => {
    const noise = fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a))
    await fc.assert(fc.asyncProperty(noise, fc.array(fc.nat(), { maxLength: 12 }), async (wire, at) => {
      expect(await parse(chunked(wire, at))).toEqual(await parse([wire]))
      expect(() => decodeTapBlock(wire)).not.toThrow()
    }))
  })

  it('a session after random noise still yields its tokens after the noise', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 12 }), async (n, at) => {
      const got = await parse(chunked(Buffer.concat([Buffer.from(n), Buffer.of(C.CR), session]), at))
      expect(got.slice(-tokens.length)).toEqual(tokens)
    }))
  })
})
