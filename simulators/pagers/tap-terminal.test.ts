import { describe, expect, it } from 'vitest'
import { TapTerminalSimulator, tapChecksum, type TapTerminalOptions } from './tap-terminal.js'
import { ptyHarness } from './pty-harness.js'

/**
 * The TAP terminal driven over a real pty pair by a hand-written entry-device byte script (protocols.md §2).
 * Block bytes and checksums are the §2 examples or worked by hand, never produced by the code under test.
 */
const h = ptyHarness()

const text = (s: string) => Buffer.from(s, 'latin1')
// §2 examples.
const OURS = '02 31 32 33 34 0D 42 45 44 20 45 58 49 54 20 52 31 32 0D 03 33 3E 33 0D' // 1234 "BED EXIT R12", checksum "3>3"
const SPEC = '02 31 32 33 0D 41 42 43 0D 03 31 37 3B 0D' // 123 "ABC", checksum "17;"
const LOGON = '1B 50 47 31 0D' // ESC P G 1 CR, no password
const ACCEPTED = text('110 1.8\r\x06\r\x1b[p\r')
const PAGE_SENT = text('211 Page sent\r\x06\r')

async function setup(opts: TapTerminalOptions = {}) {
  const { a, b } = await h.pair()
  const tap = h.defer(await TapTerminalSimulator.start(a, { dataBits: 7, parity: 'even', stopBits: 1, ...opts }))
  const wire = await h.wire(b, { dataBits: 7, parity: 'even', stopBits: 1 })
  return { tap, ...wire }
}

async function logOn(send: (hex: string) => void, rd: { expect(b: string | Uint8Array): Promise<void> }) {
  send('0D')
  await rd.expect(text('ID='))
  send(LOGON)
  await rd.expect(ACCEPTED)
}

describe('TAP terminal simulator', () => {
  it('computes the §2 example checksums', () => {
    expect(tapChecksum(text('\x02123\rABC\r\x03'))).toBe('17;')
    expect(tapChecksum(text('\x021234\rBED EXIT R12\r\x03'))).toBe('3>3')
  })

  it('logs on, accepts the §2 example block and says goodbye', async () => {
    const { tap, send, rd } = await setup()
    await logOn(send, rd)
    expect(tap.isLoggedOn).toBe(true)
    send(OURS)
    await rd.expect(PAGE_SENT)
    expect(tap.pages).toMatchObject([{ pagerId: '1234', text: 'BED EXIT R12', blocks: 1 }])
    send(SPEC)
    await rd.expect(PAGE_SENT)
    await expect(tap.waitForPage((p) => p.pagerId === '123', 100)).resolves.toMatchObject({ text: 'ABC' })
    send('04 0D')
    await rd.expect(text('115 Goodbye\r\x1b\x04\r'))
    expect(tap.isLoggedOn).toBe(false)
  })

  it('NAKs a bad checksum and takes the resend', async () => {
    const { tap, send, rd } = await setup()
    await logOn(send, rd)
    send(OURS.replace('33 3E 33 0D', '33 3E 34 0D'))
    await rd.expect('15 0D')
    expect(tap.pages).toHaveLength(0)
    send(OURS)
    await rd.expect(PAGE_SENT)
    expect(tap.pages).toHaveLength(1)
  })

  it('NAKs the next n blocks on request', async () => {
    const { tap, send, rd } = await setup()
    tap.nakNext(2)
    await logOn(send, rd)
    send(OURS)
    await rd.expect('15 0D')
    send(OURS)
    await rd.expect('15 0D')
    send(OURS)
    await rd.expect(PAGE_SENT)
    expect(tap.blocks.map((b) => b.verdict)).toEqual(['nak', 'nak', 'ack'])
  })

  it('reassembles an ETB-continued message (pager id in the first block only)', async () => {
    const { tap, send, rd } = await setup()
    await logOn(send, rd)
    send('02 31 32 33 34 0D 42 45 44 20 45 58 49 54 20 17 33 33 35 0D') // "1234" CR "BED EXIT " ETB, checksum "335"
    await rd.expect('06 0D')
    expect(tap.pages).toHaveLength(0)
    send('02 52 31 32 0D 03 30 3C 37 0D') // "R12" CR ETX, checksum "0<7"
    await rd.expect(PAGE_SENT)
    expect(tap.pages).toMatchObject([{ pagerId: '1234', text: 'BED EXIT R12', blocks: 2 }])
  })

  it('reassembles a field split with US (as sendpage sends it)', async () => {
    const { tap, send, rd } = await setup()
    await logOn(send, rd)
    send('02 31 32 33 34 0D 42 45 44 20 1F 31 3E 33 0D') // "1234" CR "BED " US, checksum "1>3"
    await rd.expect('06 0D')
    send('02 45 58 49 54 20 52 31 32 0D 03 32 32 31 0D') // "EXIT R12" CR ETX, checksum "221"
    await rd.expect(PAGE_SENT)
    expect(tap.pages[0]).toMatchObject({ pagerId: '1234', text: 'BED EXIT R12' })
  })

  it('refuses a log-on with ESC EOT CR when told to, and accepts once allowed', async () => {
    const { tap, send, rd } = await setup({ refuseLogon: true })
    send('0D')
    await rd.expect(text('ID='))
    send(LOGON)
    await rd.expect('1B 04 0D')
    tap.refuseLogon(false)
    send('1B 50 47 31 30 30 30 30 30 30 0D') // password 000000: accepted (no password configured)
    await rd.expect(ACCEPTED)
  })

  it('checks the password when one is configured', async () => {
    const { send, rd } = await setup({ password: 'SECRET' })
    send('1B 50 47 31 57 52 4F 4E 47 0D') // WRONG
    await rd.expect('1B 04 0D')
    send('1B 50 47 31 53 45 43 52 45 54 0D') // SECRET
    await rd.expect(ACCEPTED)
  })

  it('answers nothing while silent', async () => {
    const { tap, send, rd } = await setup({ silent: true })
    send('0D')
    await rd.expectSilence(300)
    tap.silent(false)
    send('0D')
    await rd.expect(text('ID='))
  })
})
