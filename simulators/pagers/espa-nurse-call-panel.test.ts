import { describe, expect, it } from 'vitest'
import { EspaNurseCallPanelSimulator, type EspaNurseCallPanelOptions, type PanelCall } from './espa-nurse-call-panel.js'
import { ptyHarness } from './pty-harness.js'

/**
 * The nurse-call panel (control station, address 1) driven over a real pty pair; the far end is a
 * hand-written paging-system byte script (protocols.md §1.4). Expected bytes are §1.9 literals or hand-worked.
 */
const h = ptyHarness()

const A = '01 31 02 31 1F 31 32 33 34 1E 32 1F 42 45 44 20 45 58 49 54 20 52 31 32 1E 33 1F 32 1E 34 1F 33 1E 35 1F 31 1E 36 1F 31 03 3E'
const B = '01 32 02 31 1F 31 32 33 34 1E 37 1F 36 03 19'
const C = '01 31 02 31 1F 31 32 33 34 1E 34 1F 31 03 1E'
const CALL_A: PanelCall = { address: '1234', message: 'BED EXIT R12', beep: '2', callType: '3', transmissions: '1', priority: '1' }

async function setup(opts: EspaNurseCallPanelOptions = {}) {
  const { a, b } = await h.pair()
  const panel = h.defer(await EspaNurseCallPanelSimulator.start(a, { ackTimeoutMs: 1000, ...opts }))
  const wire = await h.wire(b)
  return { panel, ...wire }
}

describe('ESPA nurse-call panel simulator (control station, address 1)', () => {
  it('sends a call as EOT 1 ENQ 2 ENQ, vector A, EOT', async () => {
    const { panel, send, rd } = await setup()
    const result = panel.sendCall(CALL_A)
    await rd.expect('04 31 05 32 05')
    send('06')
    await rd.expect(A)
    send('06')
    await rd.expect('04')
    await expect(result).resolves.toMatchObject({ ok: true, attempts: 1, naks: [] })
  })

  it("resends the block after a NAK ('1' prefix) and reports the NAK", async () => {
    const { panel, send, rd } = await setup()
    const result = panel.sendCall(CALL_A)
    await rd.expect('04 31 05 32 05')
    send('06')
    await rd.expect(A)
    send('31 15')
    await rd.expect(A)
    send('06')
    await rd.expect('04')
    await expect(result).resolves.toMatchObject({ ok: true, attempts: 2, naks: ['1'] })
  })

  it('gives up with EOT after 3 resends', async () => {
    const { panel, send, rd } = await setup()
    const result = panel.sendCall(CALL_A)
    await rd.expect('04 31 05 32 05')
    send('06')
    for (let i = 0; i < 4; i++) {
      await rd.expect(A)
      send('15')
    }
    await rd.expect('04')
    await expect(result).resolves.toMatchObject({ ok: false, attempts: 4, naks: ['', '', '', ''] })
  })

  it('fails cleanly, with EOT, when the select goes unanswered', async () => {
    const { panel, rd } = await setup({ ackTimeoutMs: 200 })
    const result = panel.sendCall(CALL_A)
    await rd.expect('04 31 05 32 05')
    await rd.expect('04', 1000)
    await expect(result).resolves.toMatchObject({ ok: false, attempts: 0, reason: expect.stringContaining('timeout') })
  })

  it('sends a reset as vector C', async () => {
    const { panel, send, rd } = await setup()
    const result = panel.sendReset('1234')
    await rd.expect('04 31 05 32 05')
    send('06')
    await rd.expect(C)
    send('06')
    await rd.expect('04')
    expect((await result).ok).toBe(true)
  })

  it('can skip the poll/select, add a stray RS, and retransmit as after a lost ACK', async () => {
    const { panel, send, rd } = await setup({ skipSelect: true })
    let result = panel.sendCall(CALL_A, { strayRs: true })
    await rd.expect(A.slice(0, -5) + '1E 03 20') // BCC worked by hand: 3E ^ 1E = 20
    send('06')
    await rd.expect('04')
    expect((await result).ok).toBe(true)
    result = panel.sendCall(CALL_A, { retransmit: true })
    await rd.expect(A)
    send('06')
    await rd.expect(A)
    send('06')
    await rd.expect('04')
    await expect(result).resolves.toMatchObject({ ok: true, attempts: 2 })
  })

  it('corrupts only the first BCC with badBccOnce', async () => {
    const { panel, send, rd } = await setup({ skipSelect: true })
    const result = panel.sendCall(CALL_A, { badBccOnce: true })
    const first = await rd.take(A.split(' ').length)
    expect(first.subarray(0, -1).toString('hex')).toBe(A.replace(/ /g, '').slice(0, -2).toLowerCase())
    expect(first.at(-1)).not.toBe(0x3e)
    send('31 15')
    await rd.expect(A)
    send('06')
    await rd.expect('04')
    await expect(result).resolves.toMatchObject({ ok: true, naks: ['1'] })
  })

  it('polls with EOT 2 ENQ, ACKs the select and a status block (vector B)', async () => {
    const { panel, send, rd } = await setup()
    const got = panel.poll()
    await rd.expect('04 32 05')
    send('31 05')
    await rd.expect('06')
    send(B)
    await rd.expect('06')
    send('04')
    await expect(got).resolves.toMatchObject([{ address: '1234', status: '6' }])
    expect(panel.statusReports).toHaveLength(1)
  })

  it("answers a status block with a bad BCC with '1' NAK", async () => {
    const { panel, send, rd } = await setup()
    const got = panel.poll()
    await rd.expect('04 32 05')
    send('31 05')
    await rd.expect('06')
    send(B.slice(0, -2) + '18')
    await rd.expect('31 15')
    send(B)
    await rd.expect('06')
    send('04')
    await expect(got).resolves.toHaveLength(1)
  })

  it('polls every pollMs; EOT means nothing to report', async () => {
    const { panel, send, rd } = await setup({ pollMs: 100 })
    await rd.expect('04 32 05')
    send('04')
    await rd.expect('04 32 05')
    send('31 05')
    await rd.expect('06')
    send(B)
    await rd.expect('06')
    send('04')
    await expect(panel.waitForStatus((s) => s.status === '6', 1000)).resolves.toMatchObject({ address: '1234' })
  })
})
