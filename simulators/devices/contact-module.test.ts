import { describe, expect, it } from 'vitest'
import { ptyHarness } from '../pagers/pty-harness.js'
import { cimChecksum, cimLine, ContactModuleSimulator, runSteps, type ContactModuleSimulatorOptions } from './contact-module.js'

/**
 * The contact-input module simulator over a real pty pair; the far end is a hand-written byte script.
 * Expected lines are the golden lines of docs/contact-module-protocol.md §7, typed out, not computed.
 */
const h = ptyHarness()
const crlf = (...lines: string[]) => Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1')
const BOOT = ['$ID,CM4-0007,4,1.0.0*34', '$CH,1,CLOSED,000*34', '$CH,2,OPEN,001*30', '$CH,3,CLOSED,002*34', '$CH,4,CLOSED,003*32']

async function setup(opts: ContactModuleSimulatorOptions = {}) {
  const { a, b } = await h.pair()
  const wire = await h.wire(b) // listen first: the module talks as soon as it powers up
  const sim = h.defer(await ContactModuleSimulator.start(a, { id: 'CM4-0007', channels: ['CLOSED', 'OPEN', 'CLOSED', 'CLOSED'], heartbeatMs: 0, ...opts }))
  return { sim, ...wire, line: (l: string) => wire.rd.expect(crlf(l)) }
}

describe('framing (doc §2)', () => {
  it('XORs the body and writes two upper-case hex digits', () => {
    expect(cimChecksum('HB,020')).toBe('14')
    expect(cimChecksum('ST')).toBe('07')
    expect(cimLine('CH,1,FAULT,013')).toBe('$CH,1,FAULT,013*6E\r\n')
    expect(cimLine('ID,CM8-0042,8,1.4.2')).toBe('$ID,CM8-0042,8,1.4.2*33\r\n')
  })
})

describe('contact-module simulator (CIM/1)', () => {
  it('powers up with ID and a snapshot, seq from 000 (§3.1, §7)', async () => {
    const { sim, rd } = await setup()
    await rd.expect(crlf(...BOOT))
    expect(sim.sent).toEqual(BOOT)
  })

  it('answers $ST*07 with one CH line per channel, continuing the sequence (§3.5, §7)', async () => {
    const { sim, rd, link } = await setup()
    await rd.expect(crlf(...BOOT))
    link.write('$ST*07\r\n')
    await rd.expect(crlf('$CH,1,CLOSED,004*30', '$CH,2,OPEN,005*34', '$CH,3,CLOSED,006*30', '$CH,4,CLOSED,007*36'))
    expect(sim.requests).toEqual(['$ST*07'])
  })

  it('ignores bad requests silently, resyncs on $, and still answers the next good one', async () => {
    const { sim, rd, link } = await setup({ channels: 1 })
    await rd.expect(crlf('$ID,CM4-0007,1,1.0.0*31', '$CH,1,CLOSED,000*34'))
    link.write('$ST*08\r\n$st*07\r\n\x00\xff$ST*07\r\n$ST*07x\r\n$XX*') // noise then '$': the line after it counts
    link.write('$ST*07\r\n') // cuts the unfinished '$XX*' short
    await rd.expect(crlf('$CH,1,CLOSED,001*35', '$CH,1,CLOSED,002*36'))
    await rd.expectSilence(150)
    expect(sim.ignored.map((i) => i.reason)).toEqual(['bad checksum (computed 07)', 'unknown request "st"', 'not $<body>*HH'])
    expect(sim.requests).toHaveLength(2)
  })

  it('reports changes only, as the doc example: out of bed, back, a pulse, a cut cable (§7)', async () => {
    const { sim, rd, line } = await setup()
    await rd.expect(crlf(...BOOT))
    for (let i = 0; i < 4; i++) sim.heartbeat() // seq 004–007, the $ST answer in the doc's trace
    await rd.take(4 * 12)
    sim.heartbeat()
    await line('$HB,008*1E')
    expect(sim.set(1, 'OPEN')).toBe(true)
    await line('$CH,1,OPEN,009*3B')
    expect(sim.set(1, 'OPEN')).toBe(false) // unchanged: nothing sent
    sim.set(1, 'CLOSED')
    await line('$CH,1,CLOSED,010*35')
    const pulse = sim.pulse(2, 80)
    await line('$CH,2,CLOSED,011*37')
    await pulse
    await line('$CH,2,OPEN,012*32')
    sim.set(1, 'FAULT')
    await line('$CH,1,FAULT,013*6E')
    expect(() => sim.pulse(1, 10)).toThrow(/FAULT/)
  })

  it('loses lines on request, their seq used up, so the receiver sees the gap (§3.4, §7)', async () => {
    const { sim, rd, line } = await setup()
    await rd.expect(crlf(...BOOT))
    const dropped: string[] = []
    sim.on('dropped', (l) => dropped.push(l))
    for (let i = 4; i < 14; i++) sim.heartbeat()
    await rd.take(10 * 12)
    sim.lose(3)
    for (let i = 0; i < 4; i++) sim.heartbeat()
    await line('$HB,017*10')
    expect(dropped).toEqual(['HB,014', 'HB,015', 'HB,016'])
  })

  it('wraps the sequence 999 → 000 (§3.4)', async () => {
    const { sim, rd, line } = await setup({ channels: 1 })
    await rd.expect(crlf('$ID,CM4-0007,1,1.0.0*31', '$CH,1,CLOSED,000*34'))
    sim.silent(true)
    for (let i = 1; i < 999; i++) sim.heartbeat()
    sim.silent(false)
    sim.heartbeat()
    sim.heartbeat()
    await line('$HB,999*1F')
    await line('$HB,000*16')
  })

  it('sends heartbeats every heartbeatMs and nothing while silent (unplugged), answering no $ST then', async () => {
    const { sim, rd, link, line } = await setup({ channels: 1, heartbeatMs: 100 })
    await rd.expect(crlf('$ID,CM4-0007,1,1.0.0*31', '$CH,1,CLOSED,000*34'))
    await line(`$HB,001*${cimChecksum('HB,001')}`)
    sim.silent(true)
    link.write('$ST*07\r\n')
    sim.set(1, 'OPEN')
    sim.garbage('noise')
    await rd.expectSilence(350)
    expect(sim.requests).toEqual([])
    sim.silent(false)
    const next = await rd.upTo(0x0a)
    expect(next.toString('latin1')).toMatch(/^\$HB,0(0[3-9]|1\d)\*[0-9A-F]{2}\r\n$/)
    expect(sim.state(1)).toBe('OPEN')
  })

  it('puts garbage on the wire verbatim, then carries on', async () => {
    const { sim, rd, line } = await setup({ channels: 1 })
    await rd.expect(crlf('$ID,CM4-0007,1,1.0.0*31', '$CH,1,CLOSED,000*34'))
    sim.garbage('$CH,1,OP')
    sim.garbage()
    await rd.expect('24 43 48 2C 31 2C 4F 50 00 FF 13 37 2A 0D 0A')
    sim.set(1, 'OPEN')
    await line('$CH,1,OPEN,001*33')
  })

  it('restarts: ID again and the sequence from 000', async () => {
    const { sim, rd } = await setup({ channels: 1, id: 'X' })
    await rd.expect(crlf('$ID,X,1,1.0.0*79', '$CH,1,CLOSED,000*34'))
    sim.set(1, 'OPEN')
    await rd.expect(crlf('$CH,1,OPEN,001*33'))
    sim.restart()
    await rd.expect(crlf('$ID,X,1,1.0.0*79', '$CH,1,OPEN,000*32'))
  })

  it('runs a command-line step script', async () => {
    const { sim, rd } = await setup({ channels: 2 })
    await rd.take(crlf('$ID,CM4-0007,2,1.0.0*32', '$CH,1,CLOSED,000*34', '$CH,2,CLOSED,001*36').length)
    const waits: number[] = []
    await runSteps(sim, 'open:1,wait:0.5,closed:1,pulse:2:20,fault:2,lose:1,hb,hb,garbage:zz', async (ms) => void waits.push(ms))
    expect(sim.sent.slice(3)).toEqual(['$CH,1,OPEN,002*30', '$CH,1,CLOSED,003*37', '$CH,2,OPEN,004*35', '$CH,2,CLOSED,005*32', '$CH,2,FAULT,006*69', '$HB,008*1E'])
    expect(waits).toEqual([500])
    await rd.until((b) => (b.toString('latin1').endsWith('zz') ? b.length : 0), 'the script')
    await expect(runSteps(sim, 'dance')).rejects.toThrow(/unknown step 'dance'/)
  })

  it('refuses bad options and bad channels with errors naming them', async () => {
    const { sim } = await setup({ channels: 2 })
    expect(() => sim.set(3, 'OPEN')).toThrow(/"channel" must be 1–2/)
    expect(() => sim.set(1, 'AJAR' as never)).toThrow(/"state"/)
    const { a } = await h.pair()
    await expect(ContactModuleSimulator.start(a, { id: 'bad id!' })).rejects.toThrow(/"id"/)
    await expect(ContactModuleSimulator.start(a, { channels: 0 })).rejects.toThrow(/"channels"/)
  })
})
