import { describe, expect, it } from 'vitest'
import { EspaPagingSystemSimulator, type EspaPagingSystemOptions } from './espa-paging-system.js'
import { ptyHarness } from './pty-harness.js'

/**
 * The paging-system simulator driven over a real pty pair by a hand-written control-station byte script
 * (protocols.md §1.4 traces). Expected bytes are literal hex from §1.9 or worked by hand, never encoded by
 * the code under test.
 */
const h = ptyHarness()

// §1.9 golden vectors.
const A = '01 31 02 31 1F 31 32 33 34 1E 32 1F 42 45 44 20 45 58 49 54 20 52 31 32 1E 33 1F 32 1E 34 1F 33 1E 35 1F 31 1E 36 1F 31 03 3E'
const B = '01 32 02 31 1F 31 32 33 34 1E 37 1F 36 03 19' // status 1234 7='6'
const C = '01 31 02 31 1F 31 32 33 34 1E 34 1F 31 03 1E' // reset 1234, BCC = RS
// Worked by hand: status 1234 7='3' (B with 36→33: BCC 19^36^33 = 1C); system status 8='1'.
const PAGED_1234 = '01 32 02 31 1F 31 32 33 34 1E 37 1F 33 03 1C'
const TX_FAILURE = '01 32 02 38 1F 31 03 25'
const SELECT = '04 31 05 32 05'
const POLL = '04 32 05'

async function setup(opts: EspaPagingSystemOptions = {}) {
  const { a, b } = await h.pair()
  const sim = h.defer(await EspaPagingSystemSimulator.start(a, { pagedAfterMs: 0, ...opts }))
  const wire = await h.wire(b)
  return { sim, ...wire }
}

describe('ESPA paging system simulator (slave, address 2)', () => {
  it('takes vector A after a select, records it, then reports 7=3 for 1234 when polled', async () => {
    const { sim, send, rd } = await setup()
    send(SELECT)
    await rd.expect('06')
    send(A)
    await rd.expect('06')
    send('04')
    expect(sim.calls).toHaveLength(1)
    expect(sim.calls[0]).toMatchObject({ address: '1234', message: 'BED EXIT R12', beep: '2', callType: '3', transmissions: '1', priority: '1', rawHex: A })
    send(POLL)
    await rd.expect('31 05') // the paging system selects the control station
    send('06')
    await rd.expect(PAGED_1234)
    send('06')
    await rd.expect('04')
    expect(sim.statusSent.map((s) => [s.address, s.status])).toEqual([['1234', '3']])
    send(POLL)
    await rd.expect('04') // nothing more to send
  })

  it('reports 6 (acknowledged, vector B) once ackAfterMs has passed', async () => {
    const { send, rd } = await setup({ pagedAfterMs: null, ackAfterMs: 1000 })
    send(SELECT)
    await rd.expect('06')
    send(A)
    await rd.expect('06')
    send(POLL)
    await rd.expect('04') // not yet due
    await new Promise((r) => setTimeout(r, 1050))
    send(POLL)
    await rd.expect('31 05')
    send('06')
    await rd.expect(B)
    send('06')
    await rd.expect('04')
  })

  it("answers a bad BCC with '1' NAK and records nothing until the resend", async () => {
    const { sim, send, rd } = await setup()
    send(SELECT)
    await rd.expect('06')
    send(A.slice(0, -2) + '3F')
    await rd.expect('31 15')
    expect(sim.calls).toHaveLength(0)
    send(A)
    await rd.expect('06')
    expect(sim.calls).toHaveLength(1)
  })

  it('NAKs the next n blocks on request, with or without a prefix', async () => {
    const { sim, send, rd } = await setup()
    sim.nakNext(2, '2')
    send(SELECT)
    await rd.expect('06')
    send(A)
    await rd.expect('32 15')
    send(A)
    await rd.expect('32 15')
    sim.nakNext(1)
    send(A)
    await rd.expect('15')
    send(A)
    await rd.expect('06')
    expect(sim.blocks.map((b) => b.verdict)).toEqual(['nak', 'nak', 'nak', 'ack'])
  })

  it('takes a reset (vector C, whose BCC equals RS), emits reset and drops unsent reports', async () => {
    const { sim, send, rd } = await setup({ pagedAfterMs: 60_000 })
    send(SELECT)
    await rd.expect('06')
    send(A)
    await rd.expect('06')
    expect(sim.pendingReports).toBe(1)
    const reset = new Promise((resolve) => sim.once('reset', resolve))
    send(C)
    await rd.expect('06')
    await expect(reset).resolves.toMatchObject({ address: '1234', callType: '1' })
    expect(sim.pendingReports).toBe(0)
    send('04')
    send(POLL)
    await rd.expect('04')
  })

  it('tells a poll from a select by link state: 2 ENQ after EOT is a poll, after 1 ENQ a select', async () => {
    const { send, rd } = await setup()
    send(POLL)
    await rd.expect('04')
    send('31 05 32 05')
    await rd.expect('06')
  })

  it('accepts a block without poll/select, and a stray RS before ETX', async () => {
    const { sim, send, rd } = await setup()
    send(A.slice(0, -5) + '1E 03 20') // stray RS; BCC worked by hand 3E^1E = 20
    await rd.expect('06')
    expect(sim.calls[0]).toMatchObject({ address: '1234', priority: '1' })
  })

  it('with requireSelect, ignores a block that was not selected', async () => {
    const { sim, send, rd } = await setup({ requireSelect: true })
    send(A)
    await rd.expectSilence(300)
    expect(sim.blocks[0]?.verdict).toBe('ignored')
  })

  it('plays a dead line while silent', async () => {
    const { sim, send, rd } = await setup()
    sim.silent()
    send(SELECT)
    await rd.expectSilence(300)
    sim.silent(false)
    send(SELECT)
    await rd.expect('06')
  })

  it('queues scripted reports and a transmitter failure (8=1)', async () => {
    const { sim, send, rd } = await setup()
    sim.transmitterFailure()
    sim.respond('55', [{ afterMs: 0, status: '4' }])
    send(POLL)
    await rd.expect('31 05')
    send('06')
    await rd.expect(TX_FAILURE)
    send('06')
    await rd.expect('04')
    send(POLL)
    await rd.expect('31 05')
    send('06')
    await rd.expect('01 32 02 31 1F 35 35 1E 37 1F 34 03 1F') // 55 absent; BCC worked by hand
    send('06')
    await rd.expect('04')
    expect(sim.statusSent.map((s) => s.systemStatus ?? s.status)).toEqual(['1', '4'])
  })

  it('resends a NAKed status block, and sends EOT when the select is not answered', async () => {
    const { sim, send, rd } = await setup({ ackTimeoutMs: 200 })
    sim.respond('1234', [{ afterMs: 0, status: '3' }])
    send(POLL)
    await rd.expect('31 05')
    await rd.expect('04', 1000) // no ACK to the select: gives the line back
    send(POLL)
    await rd.expect('31 05')
    send('06')
    await rd.expect(PAGED_1234)
    send('31 15')
    await rd.expect(PAGED_1234)
    send('06')
    await rd.expect('04')
    await expect(sim.waitForStatusSent((s) => s.address === '1234', 100)).resolves.toMatchObject({ status: '3' })
  })

  it('sends several blocks in one poll when blocksPerPoll allows', async () => {
    const { sim, send, rd } = await setup({ blocksPerPoll: 2 })
    sim.respond('1234', [{ afterMs: 0, status: '3' }, { afterMs: 0, status: '6' }])
    send(POLL)
    await rd.expect('31 05')
    send('06')
    await rd.expect(PAGED_1234)
    send('06')
    await rd.expect(B)
    send('06')
    await rd.expect('04')
  })
})
