import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type BytePort, type OpenPort, openPort } from '../../../pager-bridge/src/ports.js'
import { ContactModuleSimulator } from '../../../simulators/devices/contact-module.js'
import { createPtyPair } from '../../../simulators/lib/serial-link.js'
import { type ContactLine, ContactLineParser, type ContactLineParserOptions, type ContactModuleClock, ContactModuleInput, contactModuleConfig, contactStatusRequest, encodeContactLine } from './contact-module.js'

const b = (s: string) => Buffer.from(s, 'latin1')
async function parse(chunks: readonly Buffer[], opts?: ContactLineParserOptions): Promise<ContactLine[]> {
  const p = new ContactLineParser(opts)
  for (const c of chunks) p.write(c)
  p.end()
  return (await p.toArray()) as ContactLine[]
}
const settled = () => new Promise((r) => setImmediate(r))
const strip = (ls: ContactLine[]) => ls.map(({ raw: _raw, ...rest }) => rest)

// docs/contact-module-protocol.md §7, typed out: the golden lines.
const GOLDEN: [string, object][] = [
  ['$ID,CM4-0007,4,1.0.0*34', { kind: 'id', moduleId: 'CM4-0007', channels: 4, firmware: '1.0.0' }],
  ['$CH,1,CLOSED,000*34', { kind: 'ch', channel: 1, state: 'CLOSED', seq: 0 }],
  ['$CH,2,OPEN,001*30', { kind: 'ch', channel: 2, state: 'OPEN', seq: 1 }],
  ['$HB,008*1E', { kind: 'hb', seq: 8 }],
  ['$CH,1,OPEN,009*3B', { kind: 'ch', channel: 1, state: 'OPEN', seq: 9 }],
  ['$CH,1,FAULT,013*6E', { kind: 'ch', channel: 1, state: 'FAULT', seq: 13 }],
  ['$CH,3,CLOSED,017*30', { kind: 'ch', channel: 3, state: 'CLOSED', seq: 17 }],
  ['$CH,3,OPEN,018*39', { kind: 'ch', channel: 3, state: 'OPEN', seq: 18 }],
  ['$CH,3,FAULT,019*66', { kind: 'ch', channel: 3, state: 'FAULT', seq: 19 }],
  ['$HB,999*1F', { kind: 'hb', seq: 999 }],
  ['$ID,CM8-0042,8,1.4.2*33', { kind: 'id', moduleId: 'CM8-0042', channels: 8, firmware: '1.4.2' }],
  ['$ST*07', { kind: 'st' }],
]
const TRACE = b(GOLDEN.map(([l]) => `${l}\r\n`).join(''))

describe('ContactLineParser (doc §2, §3, §6)', () => {
  it.each(GOLDEN)('%s decodes, with CR LF or bare LF', async (line, want) => {
    expect(strip(await parse([b(`${line}\r\n`)]))).toEqual([want])
    expect(strip(await parse([b(`${line}\n`)]))).toEqual([want])
    expect(encodeContactLine(line.slice(1, -3)).toString('latin1')).toBe(`${line}\r\n`)
  })
  it('gives the same lines however the bytes are chunked: every split point, and byte by byte', async () => {
    const whole = await parse([TRACE])
    expect(whole).toHaveLength(GOLDEN.length)
    for (let i = 0; i <= TRACE.length; i++) expect(await parse([TRACE.subarray(0, i), TRACE.subarray(i)])).toEqual(whole)
    expect(await parse([...TRACE].map((x) => Buffer.of(x)))).toEqual(whole)
  })
  it.each<[string, string]>([
    ['$CH,3,OPEN,018*38\r\n', 'bad checksum: line says 38, computed 39'],
    ['$CH,3,OPEN,018*39x\r\n', 'text after the checksum: "x"'],
    ['$HB,008*1e\r\n', 'checksum "1e" is not two upper-case hex digits'],
    ['$CH,3,OPEN,018\r\n', "no checksum ('*HH' missing)"],
    ['$CH,3,\x07OPEN*00\r\n', 'byte 0x07 at offset 6 is not printable ASCII'],
    ['$CH,3,OPEN,018\r*39\r\n', 'byte 0x0D at offset 14 is not printable ASCII'],
    ['$XX,1*1D\r\n', 'unknown sentence "XX"'],
    [encodeContactLine('CH,3,017').toString(), 'CH needs 3 field(s) (channel, state, seq), got 2'],
    [encodeContactLine('CH,3,AJAR,017').toString(), 'CH: state "AJAR" is not OPEN, CLOSED or FAULT'],
    [encodeContactLine('CH,0,OPEN,017').toString(), 'CH: channel "0" is not 1–99'],
    [encodeContactLine('CH,3,OPEN,17').toString(), 'CH: seq "17" is not three digits 000–999'],
    [encodeContactLine('ST,1').toString(), 'ST needs 0 field(s) (none), got 1'],
    [encodeContactLine('ID,bad id,4,1.0').toString(), 'ID: module id "bad id" is not 1–16 of A–Z a–z 0–9 _ -'],
    ['garbage\r\n', '9 byte(s) of noise outside a line'],
    ['$CH,3,OP', "line cut short by a new '$' (no line end)"],
    [`$HB,${'0'.repeat(200)}`, 'line longer than 128 bytes'],
  ])('%j is refused: %s, and the next line still decodes', async (bad, reason) => {
    const out = await parse([b(bad), b('$HB,020*14\r\n')])
    expect(out.map((l) => (l.kind === 'bad' ? l.reason : l.kind))).toEqual([reason, 'hb'])
    expect(out[0]?.raw.toString('latin1')).toBe(bad.slice(0, 128))
  })
  it('ignores blank lines, reports a line cut by end of stream, and honours maxLineBytes (TypeError naming it)', async () => {
    expect(strip(await parse([b('\r\n\n$HB,020*14\r\n\r\n$HB,0')]))).toEqual([{ kind: 'hb', seq: 20 }, { kind: 'bad', reason: 'stream ended inside a line' }])
    expect(strip(await parse([b('$CH,3,CLOSED,017*30\r\n$HB,020*14\r\n')], { maxLineBytes: 16 }))).toEqual([{ kind: 'bad', reason: 'line longer than 16 bytes' }, { kind: 'hb', seq: 20 }])
    for (const v of [0, 7, 1.5, 'x', 1e6]) expect(() => new ContactLineParser({ maxLineBytes: v as number })).toThrow(/"maxLineBytes"/)
    expect(() => encodeContactLine('A*B')).toThrow(/"body"/)
    expect(contactStatusRequest.toString('latin1')).toBe('$ST*07\r\n')
  })
  it('never throws on random bytes in random chunks, and chunking never changes the result', async () => {
    const bytes = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x24, 0x2a, 0x0d, 0x0a, 0x2c)), { maxLength: 600 })
    await fc.assert(fc.asyncProperty(bytes, fc.array(fc.nat(), { maxLength: 8 }), async (arr, cuts) => {
      const buf = Buffer.from(arr)
      const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((x, y) => x - y)
      const whole = await parse([buf])
      expect(await parse([...at, buf.length].map((end, i) => buf.subarray(i === 0 ? 0 : at[i - 1], end)))).toEqual(whole)
      for (const l of whole) expect(['ch', 'hb', 'id', 'st', 'bad']).toContain(l.kind)
    }), { numRuns: 300 })
  })
  it('rejects every single-byte corruption of a valid line (XOR catches it, or the framing breaks)', async () => {
    const body = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 99 }), fc.constantFrom('OPEN', 'CLOSED', 'FAULT'), fc.integer({ min: 0, max: 999 })).map(([c, s, q]) => `CH,${c},${s},${String(q).padStart(3, '0')}`),
      fc.integer({ min: 0, max: 999 }).map((q) => `HB,${String(q).padStart(3, '0')}`),
    )
    await fc.assert(fc.asyncProperty(body, fc.nat(), fc.integer({ min: 1, max: 255 }), async (text, pos, flip) => {
      const line = encodeContactLine(text)
      const good = strip(await parse([line]))
      expect(good).toHaveLength(1)
      const bad = Buffer.from(line)
      const i = pos % (line.length - 2) // up to the checksum; CR LF vs LF LF is the same line
      bad[i] = bad[i]! ^ flip
      const out = await parse([bad])
      expect(out.some((l) => l.kind === 'bad')).toBe(true)
      expect(strip(out)).not.toContainEqual(good[0])
    }), { numRuns: 500 })
  })
})

const BED = { device: 'bed-r12', wiring: 'nc', mode: 'level', active_event: 'out_of_bed', inactive_event: 'in_bed' }
const SEIZURE = { device: 'sz-r12', wiring: 'no', mode: 'pulse', active_event: 'seizure_alarm' }

describe('contactModuleConfig', () => {
  it('applies the defaults', () => {
    const c = contactModuleConfig.parse({ id: 'cim-a', port: '/dev/ttyUSB1', site: 'oak-house', channels: { 1: BED } })
    expect(c).toMatchObject({ baud_rate: 9600, data_bits: 8, parity: 'none', stop_bits: 1, heartbeat_s: 30, reconnect_ms: 1000 })
    expect(c.channels['1']).toMatchObject({ debounce_ms: 100, fault_event: 'fault' })
  })
  it.each<[string, object, string]>([
    ['pulse with inactive_event', { 2: { ...SEIZURE, inactive_event: 'seizure_cleared' } }, 'pulse mode has no inactive_event'],
    ['debounce over 5000 ms', { 1: { ...BED, debounce_ms: 5001 } }, 'debounce_ms'],
    ['channel 0', { 0: BED }, 'channel numbers are 1–99'],
    ['no channels', {}, 'configure at least one channel'],
    ['an unknown key', { 1: { ...BED, colour: 'red' } }, 'colour'],
  ])('refuses %s', (_why, channels, msg) => {
    const r = contactModuleConfig.safeParse({ id: 'cim-a', port: 'tcp://10.0.0.5:4001', site: 's', channels })
    expect(r.success).toBe(false)
    expect(JSON.stringify(r.error?.issues)).toContain(msg)
  })
})

/** Timers that run only when told to: no test sleeps. */
class FakeClock implements ContactModuleClock {
  t = 0
  private timers: { at: number; fn: () => void; id: number }[] = []
  private ids = 0
  now = () => this.t
  setTimeout = (fn: () => void, ms: number) => (this.timers.push({ at: this.t + ms, fn, id: ++this.ids }), this.ids)
  clearTimeout = (h: unknown) => void (this.timers = this.timers.filter((x) => x.id !== h))
  get pending() { return this.timers.length }
  advanceTo(t: number): void {
    for (let due; (due = this.timers.filter((x) => x.at <= t).sort((x, y) => x.at - y.at || x.id - y.id)[0]); ) {
      this.timers = this.timers.filter((x) => x !== due)
      this.t = due.at
      due.fn()
    }
    this.t = t
  }
}

async function rig(channels: Record<string, object>, o: { failOpen?: number; throwOnEvent?: boolean } = {}) {
  const clock = new FakeClock()
  const [events, links, rejects, written, warns] = [[] as string[], [] as string[], [] as string[], [] as string[], [] as string[]]
  const detail: Record<string, unknown>[] = []
  let [onData, onClose, opens] = [(_c: Buffer) => {}, (_r: string) => {}, 0]
  const port: BytePort = { description: 'fake', write: async (x) => void written.push(x.toString('latin1')), onData: (f) => void (onData = f), onClose: (f) => void (onClose = f), close: async () => {} }
  const open: OpenPort = async () => (++opens <= (o.failOpen ?? 0) ? Promise.reject(new Error('EACCES')) : port)
  const cfg = contactModuleConfig.parse({ id: 'cim-a', port: '/dev/fake', site: 's', heartbeat_s: 10, channels })
  const input = new ContactModuleInput(cfg, {
    openPort: open, clock, log: { info() {}, debug() {}, warn: (_o, m) => void warns.push(m) },
    onEvent: (ch, dev, type, d) => { if (o.throwOnEvent) throw new Error('boom'); events.push(`${type}@${clock.t}`); detail.push({ ch, dev, ...d }) },
    onLink: (s, r) => void links.push(`${s}: ${r}`), onReject: (r) => void rejects.push(r),
  })
  await input.start()
  let seq = 0
  const feed = (body: string) => onData(encodeContactLine(body))
  const ch = (n: number, s: string) => feed(`CH,${n},${s},${String(seq++ % 1000).padStart(3, '0')}`)
  return { clock, input, events, detail, links, rejects, written, warns, feed, ch, raw: (s: string) => onData(b(s)), drop: (r: string) => onClose(r), opens: () => opens }
}

describe('ContactModuleInput channel logic (injected clock)', () => {
  const S = { C: 'CLOSED', O: 'OPEN', F: 'FAULT' } as const
  it.each<[string, object, [number, keyof typeof S][], string[]]>([
    ['NC level: open = out of bed, closed = back; the first report is a baseline', BED, [[0, 'C'], [1000, 'O'], [2000, 'C']], ['out_of_bed@1100', 'in_bed@2100']],
    ['NC level: a 40 ms blip under a 100 ms debounce gives nothing', BED, [[0, 'C'], [1000, 'O'], [1040, 'C']], []],
    ['NC level: held exactly the debounce counts', BED, [[0, 'C'], [1000, 'O'], [1100, 'C']], ['out_of_bed@1100', 'in_bed@1200']],
    ['a repeated report (status answer) does not restart the debounce', BED, [[0, 'C'], [1000, 'O'], [1060, 'O']], ['out_of_bed@1100']],
    ['flapping: only a state that holds counts, timed from its last change', BED, [[0, 'C'], [1000, 'O'], [1040, 'C'], [1070, 'O']], ['out_of_bed@1170']],
    ['NC: already active at start raises the alarm', BED, [[0, 'O']], ['out_of_bed@100']],
    ['NC cut cable: a fault, not silence and not an alarm', BED, [[0, 'C'], [1000, 'F']], ['fault@1100']],
    ['NC level: fault repaired reports the return to normal', BED, [[0, 'C'], [1000, 'F'], [5000, 'C']], ['fault@1100', 'in_bed@5100']],
    ['a 40 ms fault glitch gives nothing', BED, [[0, 'C'], [1000, 'F'], [1040, 'C']], []],
    ['NC level without inactive_event', { ...BED, inactive_event: undefined }, [[0, 'C'], [1000, 'O'], [2000, 'C']], ['out_of_bed@1100']],
    ['NC pulse: each opening is one event, the return is ignored', { ...BED, mode: 'pulse', inactive_event: undefined }, [[0, 'C'], [1000, 'O'], [1500, 'C'], [3000, 'O']], ['out_of_bed@1100', 'out_of_bed@3100']],
    ['NO level: closed = alarm, open = cleared', { ...SEIZURE, mode: 'level', inactive_event: 'seizure_cleared' }, [[0, 'O'], [1000, 'C'], [3000, 'O']], ['seizure_alarm@1100', 'seizure_cleared@3100']],
    ['NO pulse: each closure is one event', SEIZURE, [[0, 'O'], [1000, 'C'], [1300, 'O'], [2000, 'C'], [2150, 'O']], ['seizure_alarm@1100', 'seizure_alarm@2100']],
    ['NO pulse: a 40 ms blip gives nothing', SEIZURE, [[0, 'O'], [1000, 'C'], [1040, 'O']], []],
    ['NO pulse: cut cable then repaired: fault only', { ...SEIZURE, fault_event: 'monitor_fault' }, [[0, 'O'], [1000, 'F'], [5000, 'O']], ['monitor_fault@1100']],
    ['debounce 0 acts at once', { ...BED, debounce_ms: 0 }, [[0, 'C'], [1000, 'O'], [1001, 'C']], ['out_of_bed@1000', 'in_bed@1001']],
  ])('%s', async (_name, channel, script, want) => {
    const r = await rig({ 4: channel })
    for (const [t, s] of script) {
      r.clock.advanceTo(t)
      r.ch(4, S[s])
    }
    r.clock.advanceTo(9000)
    expect(r.events).toEqual(want)
    expect(r.rejects).toEqual([])
  })
  it('carries the channel and device; a fault says line fault', async () => {
    const r = await rig({ 1: BED })
    r.ch(1, 'CLOSED'); r.ch(1, 'OPEN'); r.clock.advanceTo(200); r.ch(1, 'FAULT'); r.clock.advanceTo(400)
    expect(r.detail).toEqual([{ ch: 1, dev: 'bed-r12', channel: 1, contact: 'OPEN', wiring: 'nc' }, { ch: 1, dev: 'bed-r12', channel: 1, reason: 'line fault' }])
  })
  it('rejects unconfigured channels and bad lines precisely, counts them, and carries on', async () => {
    const r = await rig({ 1: BED })
    r.ch(7, 'OPEN'); r.raw('$CH,1,OPEN,001*00\r\n~~\r\n'); r.feed('ID,CM4-0007,4,1.0.0'); r.feed('ID,CM8-0042,8,1.4.2')
    expect(r.rejects).toEqual(['channel 7 is not configured', 'bad checksum: line says 00, computed 33', '4 byte(s) of noise outside a line'])
    expect(r.input.stats).toMatchObject({ lines: 3, rejected: 3 })
    const t = await rig({ 1: BED, 9: BED })
    t.feed('ID,CM8-0042,8,1.4.2')
    expect(t.rejects).toEqual(['module CM8-0042 has 8 channel(s) but channel(s) 9 are configured'])
  })
  it('detects lost and repeated lines by seq, asks for status at most once a second (deferred, not dropped); ID and 999→000 are not gaps', async () => {
    const r = await rig({ 1: BED })
    expect(r.written).toEqual(['$ST*07\r\n']) // on connect
    r.clock.advanceTo(5000)
    for (const s of ['998', '999', '000', '004', '004']) r.feed(`HB,${s}`)
    expect(r.rejects).toEqual(['sequence gap: expected 001, got 004 (3 line(s) lost)', 'sequence repeated: 004 again'])
    expect(r.written).toHaveLength(2) // the repeat's request waits for the end of the second
    r.clock.advanceTo(5999); expect(r.written).toHaveLength(2)
    r.clock.advanceTo(6000); expect(r.written).toHaveLength(3)
    r.feed('HB,009'); r.feed('ID,CM4-0007,4,1.0.0'); r.feed('HB,000'); r.clock.advanceTo(9000)
    expect(r.input.stats).toMatchObject({ lostLines: 7, statusRequests: 4, rejected: 3 })
  })
  it('watches the link: up on the first valid line, down after 3 × heartbeat without one (noise does not count)', async () => {
    const r = await rig({ 1: BED })
    expect(r.links).toEqual([])
    r.feed('HB,000')
    r.clock.advanceTo(29_999); r.raw('noise\r\n'); r.clock.advanceTo(30_000)
    r.feed('HB,001')
    expect(r.links).toEqual(['up: module traffic', 'down: no valid line from the module for 30 s (3 × heartbeat)', 'up: module traffic'])
  })
  it('reconnects after the port closes or fails to open, and asks for status again', async () => {
    const r = await rig({ 1: BED }, { failOpen: 1 })
    expect(r.links).toEqual(['down: cannot open /dev/fake: EACCES'])
    r.clock.advanceTo(1000)
    await settled() // the reconnect opens the port asynchronously
    r.feed('HB,000')
    r.drop('port disconnected')
    r.clock.advanceTo(2000)
    await settled()
    expect([r.opens(), r.links.slice(1), r.written]).toEqual([3, ['up: module traffic', 'down: port disconnected'], ['$ST*07\r\n', '$ST*07\r\n']])
    await r.input.close()
  })
  it('survives a throwing callback, and close() leaves no timer behind', async () => {
    const r = await rig({ 1: BED }, { throwOnEvent: true })
    r.ch(1, 'OPEN'); r.clock.advanceTo(100) // the debounce timer calls onEvent, which throws
    r.ch(1, 'CLOSED'); r.ch(7, 'OPEN')
    expect([r.warns, r.rejects]).toEqual([['a contact module callback failed', 'contact module line rejected'], ['channel 7 is not configured']])
    await r.input.close()
    expect(r.clock.pending).toBe(0) // the pending CLOSED debounce and the watchdog are gone
  })
})

describe('over a real pty pair, with the real openPort, against the simulator', () => {
  it('alarms, pulses, a cut cable, garbage, a gap answered by $ST, and a silent module going down and up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cim-'))
    const pair = await createPtyPair(dir)
    const [events, links, rejects] = [[] as string[], [] as string[], [] as string[]]
    const cfg = contactModuleConfig.parse({ id: 'cim-a', port: pair.b, site: 's', heartbeat_s: 1, channels: { 1: { ...BED, debounce_ms: 50 }, 2: { ...SEIZURE, debounce_ms: 50 } } })
    const input = new ContactModuleInput(cfg, {
      openPort, log: { info() {}, warn() {}, debug() {} }, onEvent: (ch, dev, type, d) => void events.push(`${ch} ${dev} ${type}${d.reason ? ` (${String(d.reason)})` : ''}`),
      onLink: (s) => void links.push(s), onReject: (r) => void rejects.push(r),
    })
    let sim: ContactModuleSimulator | null = null
    const until = async (ok: () => boolean, what: string, ms = 5000) => {
      for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ events, links, rejects })}`)
    }
    try {
      await input.start()
      sim = await ContactModuleSimulator.start(pair.a, { id: 'CM3-0001', channels: ['CLOSED', 'OPEN', 'CLOSED'], heartbeatMs: 300 })
      await until(() => links.includes('up') && rejects.includes('channel 3 is not configured'), 'the power-up snapshot')
      sim.set(1, 'OPEN')
      await until(() => events.length === 1, 'out_of_bed')
      sim.set(1, 'CLOSED')
      await until(() => events.length === 2, 'in_bed')
      await sim.pulse(2, 150)
      await until(() => events.length === 3, 'seizure_alarm')
      sim.garbage(); sim.garbage('$CH,1,OPEN,999*00\r\n')
      sim.set(1, 'FAULT')
      await until(() => events.length === 4, 'the cut cable')
      await new Promise((r) => setTimeout(r, 200))
      expect(events).toEqual(['1 bed-r12 out_of_bed', '1 bed-r12 in_bed', '2 sz-r12 seizure_alarm', '1 bed-r12 fault (line fault)'])
      expect(rejects).toEqual(expect.arrayContaining(['7 byte(s) of noise outside a line', 'bad checksum: line says 00, computed 3B']))
      const asked = sim.requests.length
      sim.lose(2); sim.heartbeat(); sim.heartbeat(); sim.heartbeat()
      await until(() => rejects.some((r) => /^sequence gap: .* \(2 line\(s\) lost\)$/.test(r)) && sim!.requests.length > asked, 'the gap and $ST')
      sim.silent(true)
      await until(() => links.at(-1) === 'down', 'link down after 3 × heartbeat', 6000)
      sim.silent(false)
      await until(() => links.at(-1) === 'up', 'link up again')
      expect(links).toEqual(['up', 'down', 'up'])
      expect(events).toHaveLength(4)
    } finally {
      await input.close()
      await sim?.stop()
      await pair.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
