import type { AedesOptions, Client, PublishPacket } from 'aedes'
import type { BrokerContext } from './context.js'
import { TokenBucket } from './limits.js'
import { defaults, isValidRate, type Principal, type RateLimit, type RefusedWhat } from './options.js'

type PublishDone = Parameters<NonNullable<AedesOptions['authorizePublish']>>[2]
type PublishRefusal = readonly [what: RefusedWhat, key: string, reason: string]
type Rate = { readonly limit: RateLimit; readonly bucket: TokenBucket }

/** aedes keeps the CONNECT's will on the client and passes that same object to `authorizePublish` when it fires. */
const willOf = (client: Client) => (client as Client & { will?: unknown }).will

/**
 * `authorizePublish` and `authorizeSubscribe`. MQTT 3.1.1 has no negative PUBACK, so a refused PUBLISH (any QoS)
 * gets no acknowledgement and its client is disconnected; the refusal is counted and reported once, and whatever
 * else that client already sent is refused silently. A refused SUBSCRIBE is answered with SUBACK 0x80 and the
 * client stays connected.
 */
export function authorizeHooks(ctx: BrokerContext): Required<Pick<AedesOptions, 'authorizePublish' | 'authorizeSubscribe'>> {
  const { o } = ctx
  const rates = new WeakMap<Client, Rate | null>()

  /** The client's publish-rate bucket, made on its first PUBLISH; null when it has no limit. */
  function rateOf(client: Client, principal: Principal): Rate | null {
    let entry = rates.get(client)
    if (entry === undefined) {
      const rate = o.publishRate
      let limit = ctx.internal.has(client) ? null : typeof rate === 'function' ? rate(principal.username) : rate
      // Thrown here it would take the broker down on a device's first PUBLISH: a bad per-principal limit gets the default.
      if (limit && !isValidRate(limit)) limit = defaults.publishRate
      entry = limit && { limit, bucket: new TokenBucket(limit, Date.now()) }
      rates.set(client, entry)
    }
    return entry
  }

  /** Limits first (cheap, and a flood of refused publishes is still a flood), then the reserved `$` space, then the ACL. */
  function publishRefusal(client: Client, principal: Principal, packet: PublishPacket): PublishRefusal | null {
    const { topic } = packet
    const bytes = Buffer.byteLength(packet.payload)
    if (bytes > o.maxPayloadBytes) return ['limit', 'payload-size', `payload of ${bytes} bytes on ${topic}, over ${o.maxPayloadBytes}`]
    const rate = rateOf(client, principal)
    if (rate && rate.bucket.take(Date.now()) !== 'ok') {
      return ['limit', 'publish-rate', `over ${rate.limit.perSecond} publishes/s (burst ${rate.limit.burst})`]
    }
    // [MQTT-4.7.2-1] `$` topics belong to the broker; aedes's default hook refuses $SYS too (aedes #597/#622).
    if (topic.startsWith('$')) return ['publish', 'sys', `publish to ${topic}`]
    if (o.acl && !ctx.internal.has(client) && !o.acl.mayPublish(principal.username, topic)) {
      return ['publish', 'acl', `publish to ${topic}: outside the ACL of '${principal.username}'`]
    }
    return null
  }

  /** Hand a device's message to the durable hook; the PUBACK waits for it (reliability-security.md §2.2). */
  function deliver(client: Client, principal: Principal, packet: PublishPacket, done: PublishDone): void {
    if (ctx.internal.has(client)) return done(null)
    // Events are never retained: a retained alarm would be replayed to every new subscriber (protocols.md §6.1).
    packet.retain = false
    o.onPublish(principal, client.id, packet.topic, packet.payload as Buffer, packet.qos).then(
      () => done(null),
      (err: Error) => done(err),
    )
  }

  /** A will was checked against the ACL at CONNECT; asked again here in case the policy changed since. */
  function authorizeWill(client: Client, principal: Principal, will: PublishPacket, done: PublishDone): void {
    if (o.acl && !ctx.internal.has(client) && !o.acl.mayPublish(principal.username, will.topic)) {
      const reason = `will on ${will.topic}: outside the ACL of '${principal.username}'`
      ctx.refuse('will', 'acl', client.id, reason)
      return done(new Error(reason))
    }
    deliver(client, principal, will, done)
  }

  return {
    authorizePublish(client, packet, done) {
      if (!client) return done(null) // the broker's own publishes ($SYS heartbeats)
      const principal = ctx.principals.get(client)
      // aedes handles PUBLISH only after a successful CONNECT, and stores a will only then.
      if (!principal) return done(new Error('not authenticated'))
      if (packet === willOf(client)) return authorizeWill(client, principal, packet, done)
      if (ctx.dropped.has(client)) return done(new Error('client is being disconnected'))
      const refused = publishRefusal(client, principal, packet)
      if (refused) {
        ctx.dropped.add(client)
        ctx.refuse(refused[0], refused[1], client.id, refused[2])
        return done(new Error(refused[2]))
      }
      deliver(client, principal, packet, done)
    },

    authorizeSubscribe(client, sub, done) {
      const principal = ctx.principals.get(client) ?? null
      const rules = [
        o.acl && ((p: Principal | null, f: string) => p !== null && o.acl!.maySubscribe(p.username, f)),
        o.authorizeSubscribe,
      ].filter((r) => !!r)
      const allowed = ctx.internal.has(client) || (rules.length > 0 && rules.every((rule) => rule(principal, sub.topic)))
      if (!allowed) {
        ctx.refuse('subscribe', 'acl', client.id, `subscribe to ${sub.topic}`)
        // A null subscription is answered with SUBACK 0x80 (failure) and the client stays connected.
        return done(null, null)
      }
      done(null, sub)
    },
  }
}
