import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect as tcpConnect, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Listener, type ListenerHooks, listenPlain, listenTls } from './listeners.js'

/** TCP_NODELAY on every accepted socket, plain and TLS (issue 9), and admission before anything is read. */
describe('listeners', () => {
  let dir: string
  let key: Buffer
  let cert: Buffer
  let listener: Listener | null = null
  const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay')

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'broker-listeners-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
    key = readFileSync(join(dir, 'k'))
    cert = readFileSync(join(dir, 'c'))
  })
  afterAll(() => {
    noDelay.mockRestore()
    rmSync(dir, { recursive: true, force: true })
  })
  afterEach(async () => {
    listener?.destroyAll()
    await listener?.close()
    listener = null
  })

  /** Hooks that record what they saw; `handle` answers so the client knows it got through. */
  function recorder(admitted: boolean) {
    const seen = { admitted: [] as Socket[], handled: 0, noDelayBeforeAdmit: [] as boolean[] }
    const hooks: ListenerHooks = {
      admit(socket) {
        seen.noDelayBeforeAdmit.push(noDelay.mock.calls.some(([on], i) => on === true && noDelay.mock.contexts[i] === socket))
        seen.admitted.push(socket)
        return admitted
      },
      handle(stream) {
        seen.handled++
        stream.end('hello')
      },
    }
    return { seen, hooks }
  }

  const replyOf = (sock: Socket) =>
    new Promise<string>((resolve) => {
      let text = ''
      sock.on('data', (d: Buffer) => (text += d.toString()))
      sock.on('error', () => undefined)
      sock.on('close', () => resolve(text))
    })

  it('plain: sets TCP_NODELAY on the accepted socket before admitting it', async () => {
    const { seen, hooks } = recorder(true)
    listener = await listenPlain('127.0.0.1', 0, hooks)
    expect(await replyOf(tcpConnect(listener.port, '127.0.0.1'))).toBe('hello')
    expect(seen).toMatchObject({ handled: 1, noDelayBeforeAdmit: [true] })
  })

  it('plain: a refused socket is destroyed and never handed to aedes', async () => {
    const { seen, hooks } = recorder(false)
    listener = await listenPlain('127.0.0.1', 0, hooks)
    expect(await replyOf(tcpConnect(listener.port, '127.0.0.1'))).toBe('')
    expect(seen.handled).toBe(0)
    expect(seen.admitted[0]?.destroyed).toBe(true)
  })

  it('TLS: sets TCP_NODELAY on the raw socket, and hands over the TLS socket after the handshake', async () => {
    const { seen, hooks } = recorder(true)
    listener = await listenTls({ port: 0, host: '127.0.0.1', key, cert }, 10_000, hooks)
    expect(await replyOf(tlsConnect({ port: listener.port, host: '127.0.0.1', ca: cert, servername: 'localhost' }))).toBe('hello')
    expect(seen).toMatchObject({ handled: 1, noDelayBeforeAdmit: [true] })
  })
})
