import type { Readable } from 'node:stream'
import type { RateLimit } from './options.js'

/** The outcome of taking a token: refusals are told apart so a flood is reported once per episode, not once per packet. */
export type Take = 'ok' | 'refused' | 'refused-again'

/** One token bucket, refilled lazily whenever it is asked. */
export class TokenBucket {
  private tokens: number
  private at: number
  private refusing = false

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst
    this.at = now
  }

  take(now: number): Take {
    this.refill(now)
    if (this.tokens < 1) {
      const first = !this.refusing
      this.refusing = true
      return first ? 'refused' : 'refused-again'
    }
    this.tokens -= 1
    this.refusing = false
    return 'ok'
  }

  /** True when the bucket has refilled completely: forgetting it loses nothing. */
  full(now: number): boolean {
    this.refill(now)
    return this.tokens >= this.limit.burst
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.limit.burst, this.tokens + (Math.max(0, now - this.at) / 1000) * this.limit.perSecond)
    this.at = now
  }
}

/** Token buckets by key (remote address), bounded: full buckets are forgotten first, then the oldest. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor(
    private readonly limit: RateLimit,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): Take {
    const now = this.now()
    let bucket = this.buckets.get(key)
    if (!bucket) {
      this.makeRoom(now)
      bucket = new TokenBucket(this.limit, now)
      this.buckets.set(key, bucket)
    }
    return bucket.take(now)
  }

  private makeRoom(now: number): void {
    if (this.buckets.size < this.maxKeys) return
    for (const [key, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(key)
    const oldest = this.buckets.keys().next()
    if (this.buckets.size >= this.maxKeys && !oldest.done) this.buckets.delete(oldest.value)
  }
}

/**
 * Cap packet size at the transport (reliability-security.md §4.1). aedes builds its mqtt-packet parser without
 * options, and the parser buffers a whole packet (up to 256 MB) before aedes sees any of it. This watches the
 * fixed headers of the bytes aedes reads and, as soon as one announces a remaining length above `max`, calls
 * `tooLarge` and destroys the stream. A 'data' listener beside aedes's 'readable' one leaves the stream paused:
 * Node emits 'data' from inside each `read()`, so the guard sees every chunk just before the parser does.
 */
export function guardPacketSize(stream: Readable, max: number, tooLarge: (announced: number) => void): void {
  let body = 0 // bytes of the current packet still to come
  let header = 0 // bytes of its fixed header read so far: the type byte, then 1–4 length bytes
  let length = 0
  let multiplier = 1
  stream.on('data', (chunk: Buffer) => {
    let i = 0
    while (i < chunk.length) {
      if (body > 0) {
        const n = Math.min(body, chunk.length - i)
        body -= n
        i += n
        continue
      }
      const byte = chunk[i++]!
      if (header++ === 0) {
        length = 0
        multiplier = 1
        continue
      }
      length += (byte & 0x7f) * multiplier
      multiplier *= 128
      if (byte & 0x80 && header < 5) continue // [MQTT-2.2.3] variable length: at most 4 bytes; mqtt-packet rejects a 5th
      header = 0
      if (length > max) {
        tooLarge(length)
        stream.destroy()
        return
      }
      body = length
    }
  })
}

/** aedes's own limits surface as client errors with these messages; map them to stats keys. */
const aedesLimits: ReadonlyArray<readonly [RegExp, string]> = [
  [/^topic has too many levels/, 'topic-levels'],
  [/^maxInflightInbound exceeded/, 'inflight'],
  [/^Client queue limit reached/, 'queue'],
  [/^drain timeout/, 'drain-timeout'],
  [/^connect did not arrive in time/, 'connect-timeout'],
]

/** The stats key of an aedes limit this error reports, or null when it is not one. */
export function aedesLimitHit(err: Error): string | null {
  return aedesLimits.find(([pattern]) => pattern.test(err.message))?.[1] ?? null
}

/** Refusal counts by `<what>.<reason>` key. */
export class Counters {
  private readonly counts = new Map<string, number>()

  count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts)
  }
}
