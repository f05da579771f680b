import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { aedesLimitHit, guardPacketSize, KeyedBuckets, TokenBucket } from './limits.js'

/** An MQTT packet: fixed header (type byte, variable-length remaining length), then `length` body bytes. */
function packet(type: number, length: number): Buffer {
  const header = [type]
  let n = length
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    header.push(byte)
  } while (n > 0)
  return Buffer.concat([Buffer.from(header), Buffer.alloc(length, 0x61)])
}

/** Feed `bytes` in chunks of `size`, reading like aedes does (a 'readable' listener calling read()). */
function feed(bytes: Buffer, size: number, max: number): { announced: number[]; read: number; destroyed: boolean } {
  const stream = new PassThrough()
  let read = 0
  const drain = () => {
    for (let chunk: Buffer | null; (chunk = stream.read() as Buffer | null) !== null; ) read += chunk.length
  }
  stream.on('readable', drain) // paused mode, as aedes uses it: the guard's 'data' listener must not make it flow
  const announced: number[] = []
  guardPacketSize(stream, max, (n) => announced.push(n))
  for (let i = 0; i < bytes.length && !stream.destroyed; i += size) {
    stream.write(bytes.subarray(i, i + size))
    drain() // 'readable' comes a tick later; read now so each chunk is seen before the next is written
  }
  return { announced, read, destroyed: stream.destroyed }
}

describe('guardPacketSize', () => {
  const ok = Buffer.concat([packet(0x10, 30), packet(0x30, 127), packet(0x30, 128), packet(0xc0, 0), packet(0x32, 16_383), packet(0x30, 16_384)])

  it.each([1, 2, 3, 7, 128, 100_000])('lets packets within the limit through in chunks of %i bytes', (size) => {
    const r = feed(ok, size, 16_384)
    expect(r).toEqual({ announced: [], read: ok.length, destroyed: false })
  })

  it.each([1, 2, 5, 4096])('destroys the stream at the header of an oversized packet, in chunks of %i bytes', (size) => {
    const big = packet(0x30, 2_000_000)
    const r = feed(Buffer.concat([packet(0x30, 10), big]), size, 16_384)
    expect(r.announced).toEqual([2_000_000])
    expect(r.destroyed).toBe(true)
    // Cut as soon as the header was seen: the body was never read.
    expect(r.read).toBeLessThan(12 + 4 + size)
  })
})

describe('TokenBucket', () => {
  it('allows a burst, then the refill rate, and tells a new refusal from a repeated one', () => {
    const b = new TokenBucket({ burst: 3, perSecond: 2 }, 0)
    expect([b.take(0), b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual(['ok', 'ok', 'ok', 'refused', 'refused-again'])
    expect(b.take(499)).toBe('refused-again')
    expect(b.take(500)).toBe('ok')
    expect(b.take(500)).toBe('refused')
    expect(b.full(10_000)).toBe(true)
  })
})

describe('KeyedBuckets', () => {
  it('keeps one bucket per key and stays bounded', () => {
    let now = 0
    const buckets = new KeyedBuckets({ burst: 1, perSecond: 1 }, 2, () => now)
    expect([buckets.take('a'), buckets.take('a'), buckets.take('b')]).toEqual(['ok', 'refused', 'ok'])
    // A third key evicts: refilled buckets first, else the oldest.
    expect(buckets.take('c')).toBe('ok')
    expect(buckets.take('a')).toBe('ok') // 'a' was forgotten, so it starts full again
    now = 5_000
    expect(buckets.take('c')).toBe('ok')
  })
})

describe('aedesLimitHit', () => {
  it.each([
    ['topic has too many levels', 'topic-levels'],
    ['maxInflightInbound exceeded: 2 inbound QoS 2 messages already awaiting PUBREL', 'inflight'],
    ['Client queue limit reached', 'queue'],
    ['drain timeout', 'drain-timeout'],
    ['connect did not arrive in time', 'connect-timeout'],
    ['keep alive timeout', null],
  ])('maps %j to %j', (message, key) => {
    expect(aedesLimitHit(new Error(message))).toBe(key)
  })
})
