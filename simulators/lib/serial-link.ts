import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { SerialPort } from 'serialport'

/**
 * Byte links for the pager simulators (ESPA 4.4.4 and TAP, docs: /work/shared/specs/protocols.md §1.2, §2).
 * A link is a serial device (real port or pty), a TCP client (`tcp://host:port`) or a one-connection TCP
 * server (`listen://host:port`), the last two standing in for a serial device server (§1.1: ESPA "is also
 * often tunnelled over TCP through serial device servers"). Written for the simulators only; shares no code
 * with the gateway.
 */
export interface LinkOptions {
  baudRate?: number
  dataBits?: 7 | 8
  parity?: 'none' | 'even' | 'odd'
  stopBits?: 1 | 2
}

export interface LinkEvents {
  data: [chunk: Buffer]
  /** listen:// only: a client connected / went away. */
  connect: []
  disconnect: []
  close: []
  error: [err: Error]
}

export interface Link extends EventEmitter<LinkEvents> {
  readonly spec: string
  /** listen:// only: the bound TCP port (useful with port 0). */
  readonly port: number | undefined
  /** Queue bytes for sending. On listen:// with no client attached the bytes are dropped, as on an unplugged line. */
  write(data: Uint8Array | string): void
  close(): Promise<void>
}

class LinkImpl extends EventEmitter<LinkEvents> implements Link {
  port: number | undefined
  constructor(readonly spec: string, private readonly send: (b: Buffer) => void, private readonly shut: () => Promise<void>) {
    super()
  }
  write(data: Uint8Array | string): void {
    this.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data))
  }
  close(): Promise<void> {
    return this.shut()
  }
  /** Errors go to listeners if any; a simulator without one should not crash its test process. */
  fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err)
    else console.error(`[${this.spec}] ${err.message}`)
  }
}

function hostPort(spec: string): { host: string; port: number } {
  const url = new URL(spec)
  const port = Number(url.port || NaN)
  if (!Number.isInteger(port)) throw new Error(`link '${spec}' needs an explicit port, e.g. tcp://127.0.0.1:4001`)
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port }
}

/** Open a serial device path, `tcp://host:port` or `listen://host:port`. Framing options apply to serial devices only. */
export async function openLink(spec: string, opts: LinkOptions = {}): Promise<Link> {
  if (spec.startsWith('tcp://')) {
    const { host, port } = hostPort(spec)
    const socket = net.connect({ host, port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('error', (err) => reject(new Error(`cannot connect to ${spec}: ${err.message}`)))
    })
    socket.setNoDelay(true)
    const link = new LinkImpl(spec, (b) => void socket.write(b), () => new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve()
      socket.once('close', () => resolve())
      socket.destroy()
    }))
    socket.on('data', (d: Buffer) => link.emit('data', d))
    socket.on('error', (err) => link.fail(err))
    socket.on('close', () => link.emit('close'))
    return link
  }
  if (spec.startsWith('listen://')) {
    const { host, port } = hostPort(spec)
    const server = net.createServer()
    let client: net.Socket | null = null
    const link = new LinkImpl(spec, (b) => void client?.write(b), async () => {
      client?.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      link.emit('close')
    })
    server.on('connection', (socket) => {
      // One connection at a time, like a serial device server port: a second client is turned away.
      if (client) return void socket.destroy()
      client = socket
      socket.setNoDelay(true)
      socket.on('data', (d: Buffer) => link.emit('data', d))
      socket.on('error', (err) => link.fail(err))
      socket.on('close', () => {
        if (client === socket) client = null
        link.emit('disconnect')
      })
      link.emit('connect')
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen on ${spec}: ${err.message}`)))
      server.listen(port, host, () => resolve())
    })
    const addr = server.address()
    link.port = typeof addr === 'object' && addr ? addr.port : port
    return link
  }
  const port = new SerialPort({
    path: spec,
    baudRate: opts.baudRate ?? 9600,
    dataBits: opts.dataBits ?? 8,
    parity: opts.parity ?? 'none',
    stopBits: opts.stopBits ?? 1,
    autoOpen: false,
  })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new Error(`cannot open ${spec}: ${err.message}`)) : resolve())))
  const link = new LinkImpl(spec, (b) => void port.write(b), () => new Promise<void>((resolve) => {
    if (!port.isOpen) return resolve()
    port.close(() => resolve())
  }))
  port.on('data', (d: Buffer) => link.emit('data', d))
  port.on('error', (err: Error) => link.fail(err))
  port.on('close', () => link.emit('close'))
  return link
}

export interface PtyPair {
  /** Paths of the two linked pty ends: bytes written to one are read from the other. */
  readonly a: string
  readonly b: string
  close(): Promise<void>
}

/** A pty pair made by socat (`pty,raw,echo=0,link=…` twice); resolves once both symlinks exist. */
export async function createPtyPair(dir: string, opts: { timeoutMs?: number } = {}): Promise<PtyPair> {
  const timeoutMs = opts.timeoutMs ?? 5000
  await mkdir(dir, { recursive: true })
  const a = join(dir, 'a')
  const b = join(dir, 'b')
  await Promise.all([rm(a, { force: true }), rm(b, { force: true })]) // stale links would fool the wait below
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)))
  let exited: string | null = null
  const exitedP = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => { exited = `code ${code ?? signal}`; resolve() })
    child.once('error', (err) => { exited = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'socat not found (apt-get install socat)' : err.message; resolve() })
  })
  const close = async (): Promise<void> => {
    if (exited === null) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000)
      await exitedP
      clearTimeout(killer)
    }
    await Promise.all([rm(a, { force: true }), rm(b, { force: true })])
  }
  const deadline = Date.now() + timeoutMs
  while (!(existsSync(a) && existsSync(b))) {
    if (exited !== null) throw new Error(`socat exited (${exited}) before creating ${a} and ${b}: ${stderr.trim()}`)
    if (Date.now() > deadline) {
      await close()
      throw new Error(`socat did not create ${a} and ${b} within ${timeoutMs} ms: ${stderr.trim() || '(no output)'}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return { a, b, close }
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ').toUpperCase()
/** '04 31 05' or '043105' → bytes. */
export const fromHex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

export interface ByteSource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  off(event: 'data', listener: (chunk: Buffer) => void): unknown
}

/**
 * The hand-written end of a byte script: collects what a link receives and lets a test take it in order,
 * every wait bounded, with the bytes seen so far in the error.
 */
export class ByteReader {
  private buf = Buffer.alloc(0)
  private wake: (() => void) | null = null
  private readonly onData = (d: Buffer) => {
    this.buf = Buffer.concat([this.buf, d])
    this.wake?.()
  }
  /** `source`: a Link, or anything else that emits 'data' Buffers (a net.Socket). */
  constructor(private readonly source: ByteSource, private readonly defaultTimeoutMs = 3000) {
    source.on('data', this.onData)
  }
  /** Wait until `complete(buffered)` returns a length > 0, then remove and return that many bytes. */
  async until(complete: (b: Buffer) => number, what: string, timeoutMs = this.defaultTimeoutMs): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const n = complete(this.buf)
      if (n > 0) {
        const out = this.buf.subarray(0, n)
        this.buf = this.buf.subarray(n)
        return Buffer.from(out)
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; buffered: [${hex(this.buf)}]`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.wake = () => { clearTimeout(t); resolve() }
      })
      this.wake = null
    }
  }
  take(n: number, timeoutMs?: number): Promise<Buffer> {
    return this.until((b) => (b.length >= n ? n : 0), `${n} byte(s)`, timeoutMs)
  }
  /** Take exactly the expected bytes (hex string or bytes); throws, showing both, on a mismatch. */
  async expect(expected: string | Uint8Array, timeoutMs?: number): Promise<void> {
    const want = typeof expected === 'string' ? fromHex(expected) : Buffer.from(expected)
    const got = await this.until((b) => (b.length >= want.length ? want.length : 0), `[${hex(want)}]`, timeoutMs)
    if (!got.equals(want)) throw new Error(`expected [${hex(want)}] but received [${hex(got)}]`)
  }
  /** Take bytes up to and including the first occurrence of `marker` plus `extra` bytes after it. */
  upTo(marker: number, extra = 0, timeoutMs?: number): Promise<Buffer> {
    return this.until((b) => { const i = b.indexOf(marker); return i >= 0 && b.length >= i + 1 + extra ? i + 1 + extra : 0 }, `byte ${marker.toString(16)}`, timeoutMs)
  }
  /** Assert that nothing arrives for `ms`. */
  async expectSilence(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms))
    if (this.buf.length > 0) throw new Error(`expected silence but received [${hex(this.buf)}]`)
  }
  get buffered(): Buffer {
    return this.buf
  }
  dispose(): void {
    this.source.off('data', this.onData)
  }
}

/**
 * Resolve with the first item that passes `match`: already in `existing` (a simulator's record, e.g. `calls`)
 * or emitted later as `event`. Rejects with a clear error after `timeoutMs`.
 */
export function waitForRecorded<T>(existing: readonly T[], emitter: EventEmitter<any>, event: string, match: (v: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  const found = existing.find(match)
  if (found !== undefined) return Promise.resolve(found)
  return new Promise<T>((resolve, reject) => {
    const on = (v: T) => {
      if (!match(v)) return
      cleanup()
      resolve(v)
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for a matching '${event}' (${existing.length} recorded, none matched)`))
    }, timeoutMs)
    const cleanup = () => {
      clearTimeout(timer)
      emitter.off(event, on)
    }
    emitter.on(event, on)
  })
}

/** Command-line options shared by the pager simulators (node:util parseArgs). */
export const linkCliOptions = {
  port: { type: 'string' },
  baud: { type: 'string' },
  'data-bits': { type: 'string' },
  parity: { type: 'string' },
  'stop-bits': { type: 'string' },
  trace: { type: 'boolean' },
} as const

export function linkOptionsFromCli(v: { baud?: string; 'data-bits'?: string; parity?: string; 'stop-bits'?: string }): LinkOptions {
  const pick = <T>(value: string | undefined, allowed: readonly T[], name: string): T | undefined => {
    if (value === undefined) return undefined
    const hit = allowed.find((a) => String(a) === value)
    if (hit === undefined) throw new Error(`--${name} must be one of ${allowed.join(', ')}`)
    return hit
  }
  return {
    baudRate: v.baud ? Number(v.baud) : undefined,
    dataBits: pick(v['data-bits'], [7, 8] as const, 'data-bits'),
    parity: pick(v.parity, ['none', 'even', 'odd'] as const, 'parity'),
    stopBits: pick(v['stop-bits'], [1, 2] as const, 'stop-bits'),
  }
}
