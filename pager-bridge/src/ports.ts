import { connect, type Socket } from 'node:net'
import { SerialPort } from 'serialport'

/** Serial line settings; ESPA and TAP sites vary (7E2 at 1200, 8N1 at 9600, 7E1 for TAP; protocols.md §1.2, §2). */
export interface LineSettings {
  /** Default 9600. */
  readonly baudRate: number
  /** Default 8. */
  readonly dataBits: 7 | 8
  /** Default 'none'. */
  readonly parity: 'none' | 'even' | 'odd'
  /** Default 1. */
  readonly stopBits: 1 | 2
}

/** A byte stream to a paging system or panel, whatever carries it. */
export interface BytePort {
  readonly description: string
  write(bytes: Buffer): Promise<void>
  onData(fn: (chunk: Buffer) => void): void
  /** Called once when the port goes away (unplugged, remote closed, error). */
  onClose(fn: (reason: string) => void): void
  close(): Promise<void>
}

/** Opens a port; injected into drivers so tests and the gateway decide what a port is. */
export type OpenPort = (spec: string, settings: LineSettings) => Promise<BytePort>

/**
 * Open `spec`: a serial device path (`/dev/ttyUSB0`, a pty in tests) through node-serialport, or
 * `tcp://host:port` for a serial device server (common in care homes; protocols.md §1.1).
 */
export const openPort: OpenPort = async (spec, settings) => (spec.startsWith('tcp://') ? openTcp(spec) : openSerial(spec, settings))

function wrap(description: string, write: (b: Buffer, cb: (err?: Error | null) => void) => void, close: () => Promise<void>, attach: (onData: (c: Buffer) => void, onEnd: (reason: string) => void) => void): BytePort {
  const dataFns: ((c: Buffer) => void)[] = []
  const closeFns: ((r: string) => void)[] = []
  let closed = false
  attach(
    (c) => dataFns.forEach((f) => f(c)),
    (reason) => {
      if (closed) return
      closed = true
      closeFns.forEach((f) => f(reason))
    },
  )
  return {
    description,
    write: (b) => new Promise((resolve, reject) => write(b, (err) => (err ? reject(err) : resolve()))),
    onData: (fn) => void dataFns.push(fn),
    onClose: (fn) => void closeFns.push(fn),
    async close() {
      closed = true
      await close()
    },
  }
}

async function openSerial(path: string, s: LineSettings): Promise<BytePort> {
  const port = new SerialPort({ path, baudRate: s.baudRate, dataBits: s.dataBits, parity: s.parity, stopBits: s.stopBits, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  return wrap(
    `serial ${path} ${s.baudRate} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`,
    (b, cb) => {
      port.write(b, (err) => (err ? cb(err) : port.drain(cb)))
    },
    () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
    (onData, onEnd) => {
      port.on('data', onData)
      port.on('close', (err?: Error & { disconnected?: boolean }) => onEnd(err?.disconnected ? 'port disconnected' : 'port closed'))
      port.on('error', (err: Error) => onEnd(`port error: ${err.message}`))
    },
  )
}

async function openTcp(spec: string): Promise<BytePort> {
  const url = new URL(spec)
  const socket: Socket = connect({ host: url.hostname, port: Number(url.port) })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('error', reject)
  })
  socket.setNoDelay(true)
  socket.setKeepAlive(true, 10_000)
  return wrap(
    `tcp ${url.host}`,
    (b, cb) => socket.write(b, cb),
    () => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.end(() => resolve()))),
    (onData, onEnd) => {
      socket.on('data', onData)
      socket.on('close', () => onEnd('connection closed'))
      socket.on('error', (err) => onEnd(`connection error: ${err.message}`))
    },
  )
}
