import { EventEmitter } from 'node:events'
import net from 'node:net'

/**
 * A deliberately small MQTT 3.1.1 client for the benchmark driver, written from the OASIS spec (§2–§3), sharing
 * no code with the broker. MQTT.js costs tens of kilobytes and several promises per message; 20,000 connections
 * or 40,000 QoS 1 publishes a second from one process on a 2-core machine would measure the driver, not the
 * gateway. Only what the bench needs: CONNECT (with will), QoS 1 PUBLISH with a PUBACK callback, SUBSCRIBE,
 * QoS 0/1 delivery to a handler, PINGREQ, DISCONNECT. Nagle is off from the first byte.
 */
export interface LiteOptions {
  readonly port: number
  readonly host?: string
  /** Source address (any 127.x.y.z on loopback): spreads devices over addresses, as a real fleet is. */
  readonly localAddress?: string
  readonly clientId: string
  readonly username?: string
  readonly password?: string
  /** Keep-alive in seconds (§3.1.2.10). Default 0 (off); the bench sends its own traffic. */
  readonly keepalive?: number
  readonly will?: { topic: string; payload: string; qos: 0 | 1 }
  /** CONNACK wait. Default 10 s. */
  readonly timeoutMs?: number
}

export interface LiteEvents {
  message: [topic: string, payload: Buffer]
  close: []
}

const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8')
  const out = Buffer.allocUnsafe(2 + b.length)
  out.writeUInt16BE(b.length, 0)
  b.copy(out, 2)
  return out
}

/** §2.2.3: remaining length, 7 bits a byte, high bit = more. */
function remainingLength(n: number): Buffer {
  const bytes: number[] = []
  do {
    let d = n % 128
    n = Math.floor(n / 128)
    if (n > 0) d |= 0x80
    bytes.push(d)
  } while (n > 0)
  return Buffer.from(bytes)
}

const packet = (first: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([first]), remainingLength(body.length), body])

export class LiteClient extends EventEmitter<LiteEvents> {
  private buf: Buffer = Buffer.alloc(0)
  private nextId = 1
  /** Packet id → PUBACK callback. QoS 1 ids are 1..65535 (§2.3.1). */
  private readonly acks = new Map<number, (err: Error | null) => void>()
  private connack: ((code: number) => void) | null = null
  private closed = false

  private constructor(readonly socket: net.Socket) {
    super()
    socket.setNoDelay(true)
    socket.on('data', (d: Buffer) => this.onData(d))
    socket.on('close', () => this.onClose())
    socket.on('error', () => undefined) // 'close' follows and fails whatever is outstanding
  }

  static connect(o: LiteOptions): Promise<LiteClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port: o.port, host: o.host ?? '127.0.0.1', ...(o.localAddress ? { localAddress: o.localAddress } : {}) })
      const client = new LiteClient(socket)
      const timer = setTimeout(() => fail(new Error(`no CONNACK for ${o.clientId} within ${o.timeoutMs ?? 10_000} ms`)), o.timeoutMs ?? 10_000)
      const fail = (err: Error) => {
        clearTimeout(timer)
        socket.destroy()
        reject(err)
      }
      socket.once('error', fail)
      client.once('close', () => fail(new Error(`connection closed before CONNACK (${o.clientId})`)))
      client.connack = (code) => {
        clearTimeout(timer)
        socket.off('error', fail)
        client.removeAllListeners('close')
        if (code === 0) resolve(client)
        else fail(new Error(`CONNACK ${code} for ${o.clientId}`))
      }
      socket.once('connect', () => socket.write(connectPacket(o)))
    })
  }

  /** QoS 1 PUBLISH; `done` runs on PUBACK (or with an error if the connection closes first). */
  publish(topic: string, payload: Buffer | string, done: (err: Error | null) => void): void {
    if (this.closed) return done(new Error('connection closed'))
    const id = this.nextId
    this.nextId = id === 65_535 ? 1 : id + 1
    this.acks.set(id, done)
    const idb = Buffer.from([id >> 8, id & 0xff])
    this.write(packet(0x32, Buffer.concat([str(topic), idb, typeof payload === 'string' ? Buffer.from(payload) : payload])))
  }

  publishAsync(topic: string, payload: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => this.publish(topic, payload, (err) => (err ? reject(err) : resolve())))
  }

  /** SUBSCRIBE one filter at QoS 1; resolves on SUBACK (§3.8). */
  subscribe(filter: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      this.acks.set(id, (err) => (err ? reject(err) : resolve()))
      this.socket.write(packet(0x82, Buffer.concat([Buffer.from([id >> 8, id & 0xff]), str(filter), Buffer.from([1])])))
    })
  }

  get inflight(): number {
    return this.acks.size
  }

  ping(): void {
    if (!this.closed) this.socket.write(Buffer.from([0xc0, 0]))
  }

  /** DISCONNECT (§3.14): a clean goodbye, so the broker does not publish the will. */
  end(): void {
    if (this.closed) return
    this.socket.end(Buffer.from([0xe0, 0]))
  }

  /** Drop the connection without DISCONNECT: the broker publishes the will. */
  destroy(): void {
    this.socket.destroy()
  }

  private onClose(): void {
    this.closed = true
    const err = new Error('connection closed')
    for (const done of this.acks.values()) done(err)
    this.acks.clear()
    this.emit('close')
  }

  private corked = false

  /** Writes made in one tick leave in one segment: cork now, uncork on the next tick (no Nagle-style waiting). */
  private write(b: Buffer): void {
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(() => {
        this.corked = false
        this.socket.uncork()
      })
    }
    this.socket.write(b)
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d
    for (;;) {
      if (this.buf.length < 2) return
      let len = 0
      let mul = 1
      let i = 1
      for (;; i++) {
        if (i >= this.buf.length) return
        const b = this.buf[i]!
        len += (b & 0x7f) * mul
        mul *= 128
        if ((b & 0x80) === 0) break
      }
      const end = i + 1 + len
      if (this.buf.length < end) return
      this.onPacket(this.buf[0]!, this.buf.subarray(i + 1, end))
      this.buf = this.buf.subarray(end)
    }
  }

  private onPacket(first: number, body: Buffer): void {
    switch (first >> 4) {
      case 2: // CONNACK
        this.connack?.(body[1]!)
        this.connack = null
        return
      case 4: // PUBACK
      case 9: { // SUBACK
        const id = body.readUInt16BE(0)
        const done = this.acks.get(id)
        this.acks.delete(id)
        done?.(first >> 4 === 9 && body[2] === 0x80 ? new Error('subscription refused') : null)
        return
      }
      case 3: { // PUBLISH to us
        const qos = (first >> 1) & 3
        const tlen = body.readUInt16BE(0)
        const topic = body.toString('utf8', 2, 2 + tlen)
        let off = 2 + tlen
        if (qos > 0) {
          this.write(Buffer.from([0x40, 2, body[off]!, body[off + 1]!]))
          off += 2
        }
        this.emit('message', topic, body.subarray(off))
        return
      }
      default: // PINGRESP and anything else: nothing to do
    }
  }
}

function connectPacket(o: LiteOptions): Buffer {
  let flags = 0x02 // clean session
  if (o.will) flags |= 0x04 | (o.will.qos << 3)
  if (o.username !== undefined) flags |= 0x80
  if (o.password !== undefined) flags |= 0x40
  const keep = o.keepalive ?? 0
  const parts = [str('MQTT'), Buffer.from([4, flags, keep >> 8, keep & 0xff]), str(o.clientId)]
  if (o.will) parts.push(str(o.will.topic), str(o.will.payload))
  if (o.username !== undefined) parts.push(str(o.username))
  if (o.password !== undefined) parts.push(str(o.password))
  return packet(0x10, Buffer.concat(parts))
}

/**
 * The n-th loopback source address, 127.1.b.a (Linux routes all of 127/8 to `lo`), so a fleet of thousands stays
 * under the broker's per-address connection rate (burst 20), as devices on a site network would.
 */
export function loopbackAddress(n: number): string {
  return `127.1.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`
}
