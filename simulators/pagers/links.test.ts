import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { ByteReader, createPtyPair, openLink } from '../lib/serial-link.js'
import { EspaNurseCallPanelSimulator } from './espa-nurse-call-panel.js'
import { EspaPagingSystemSimulator } from './espa-paging-system.js'
import { ptyHarness } from './pty-harness.js'

/** simulators/lib/serial-link.ts: pty pairs, TCP client and one-connection TCP server links (protocols.md §1.1). */
const h = ptyHarness()

describe('serial links for the pager simulators', () => {
  it('creates a pty pair whose ends carry bytes both ways, 8-bit clean', async () => {
    const { a, b } = await h.pair()
    const one = await h.wire(a)
    const two = await h.wire(b)
    one.send('01 7F 80 FF')
    await two.rd.expect('01 7F 80 FF')
    two.send('04')
    await one.rd.expect('04')
  })

  it('bounds every wait with an error that shows what did arrive', async () => {
    const { a, b } = await h.pair()
    const one = await h.wire(a)
    const two = await h.wire(b)
    one.send('31')
    await expect(two.rd.expect('31 05', 200)).rejects.toThrow(/timed out after 200 ms waiting for \[31 05\]; buffered: \[31\]/)
  })

  it('reports a clear error for a missing device, a refused TCP port, and a bad pty directory', async () => {
    await expect(openLink('/dev/does-not-exist-espa')).rejects.toThrow(/cannot open \/dev\/does-not-exist-espa/)
    const server = net.createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as net.AddressInfo).port
    await new Promise<void>((r) => server.close(() => r()))
    await expect(openLink(`tcp://127.0.0.1:${port}`)).rejects.toThrow(/cannot connect to tcp:\/\/127\.0\.0\.1:\d+/)
    await expect(openLink('tcp://127.0.0.1')).rejects.toThrow(/needs an explicit port/)
    await expect(createPtyPair('/proc/version/not-a-dir')).rejects.toThrow()
  })

  it('serves the paging system on listen:// (one connection at a time, like a serial device server)', async () => {
    const sim = h.defer(await EspaPagingSystemSimulator.start('listen://127.0.0.1:0', { pagedAfterMs: 0 }))
    expect(sim.link.port).toBeGreaterThan(0)
    const { send, rd } = await h.wire(`tcp://127.0.0.1:${sim.link.port}`)
    send('04 31 05 32 05')
    await rd.expect('06')
    const second = net.connect(sim.link.port!, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('second client was not turned away within 2 s')), 2000)
      second.once('close', () => { clearTimeout(t); resolve() })
    })
    send('01 31 02 31 1F 31 32 33 34 1E 34 1F 31 03 1E') // §1.9 vector C still works on the first connection
    await rd.expect('06')
    await expect(sim.waitForCall((c) => c.callType === '1', 1000)).resolves.toMatchObject({ address: '1234' })
  })

  it('drives a nurse-call panel over tcp:// against a hand-written server', async () => {
    const server = net.createServer()
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    h.defer({ stop: () => new Promise<void>((r) => server.close(() => r())) })
    const port = (server.address() as net.AddressInfo).port
    const panel = h.defer(await EspaNurseCallPanelSimulator.start(`tcp://127.0.0.1:${port}`, { ackTimeoutMs: 1000 }))
    const socket = await accepted
    h.defer({ stop: async () => void socket.destroy() })
    const rd = new ByteReader(socket)
    const result = panel.sendReset('1234')
    await rd.expect('04 31 05 32 05')
    socket.write(Buffer.from([0x06]))
    await rd.expect('01 31 02 31 1F 31 32 33 34 1E 34 1F 31 03 1E')
    socket.write(Buffer.from([0x06]))
    await rd.expect('04')
    await expect(result).resolves.toMatchObject({ ok: true })
  })
})
