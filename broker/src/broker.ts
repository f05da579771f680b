import { Aedes, type Client } from 'aedes'
import type { Socket } from 'node:net'
import { authorizeHooks } from './authorize.js'
import { connectHooks } from './connect.js'
import { type BrokerContext, createContext } from './context.js'
import { aedesLimitHit, guardPacketSize, KeyedBuckets } from './limits.js'
import { type Listener, type ListenerHooks, listenPlain, listenTls } from './listeners.js'
import { type BrokerOptions, type ResolvedOptions, resolveOptions } from './options.js'

export type { BrokerOptions, Principal, RateLimit, RefusedWhat, TlsListenerOptions } from './options.js'

export interface RunningBroker<P extends number | null = number | null> {
  /** The bound plaintext port, or null without a plaintext listener. */
  readonly port: P
  /** The bound mqtts port, or null without a TLS listener. */
  readonly tlsPort: number | null
  readonly aedes: Aedes
  /** Refusals and limit hits so far by `<what>.<reason>`, e.g. `publish.acl`, `limit.publish-rate`, `connect.bad-credentials`. */
  stats(): Record<string, number>
  close(): Promise<void>
}

/** How far a packet may exceed `maxPayloadBytes` (topic, packet id, CONNECT credentials) before the transport cuts it. */
const PACKET_OVERHEAD = 4096

/** Count aedes's own limit hits (too many topic levels, in-flight, queue, drain, connect timeouts) and track client ids. */
function watchClients(aedes: Aedes, ctx: BrokerContext): void {
  aedes.on('client', (client) => ctx.holders.set(client.id, client))
  aedes.on('clientDisconnect', (client) => {
    if (ctx.holders.get(client.id) === client) ctx.holders.delete(client.id)
  })
  const onError = (client: Client, err: Error) => {
    const key = aedesLimitHit(err)
    if (key === null || ctx.dropped.has(client)) return
    ctx.dropped.add(client)
    ctx.refuse('limit', key, client.id || ((client.conn as Socket).remoteAddress ?? 'unknown'), err.message)
  }
  aedes.on('clientError', onError)
  aedes.on('connectionError', onError)
}

/** Admission at TCP accept (connection rate per address) and the transport packet-size cap. */
function listenerHooks(aedes: Aedes, ctx: BrokerContext): ListenerHooks {
  const { o } = ctx
  const connects = o.connectRate ? new KeyedBuckets(o.connectRate) : null
  const maxPacket = o.maxPayloadBytes + PACKET_OVERHEAD
  return {
    admit(socket) {
      const address = socket.remoteAddress ?? 'unknown'
      const take = connects?.take(address) ?? 'ok'
      if (take === 'ok') return true
      const { burst, perSecond } = o.connectRate!
      ctx.refuse('limit', 'connect-rate', address, `over ${burst} connections from ${address} (then ${perSecond}/s)`, take === 'refused')
      return false
    },
    handle(stream) {
      const client = aedes.handle(stream)
      guardPacketSize(stream, maxPacket, (announced) => {
        ctx.dropped.add(client)
        ctx.refuse('limit', 'packet-size', client.id || (stream.remoteAddress ?? 'unknown'), `packet of ${announced} bytes, over ${maxPacket}`)
      })
    },
    tlsError(err, address) {
      ctx.refuse('connect', 'tls-handshake', address, `TLS handshake failed: ${err.code ?? err.message}`)
    },
  }
}

async function listen(o: ResolvedOptions, hooks: ListenerHooks): Promise<{ plain: Listener | null; tls: Listener | null }> {
  const plain = o.port === null ? null : await listenPlain(o.host, o.port, hooks)
  try {
    const tls = o.tls ? await listenTls(o.tls, o.connectTimeout, hooks) : null
    return { plain, tls }
  } catch (err) {
    await plain?.close()
    throw err
  }
}

/**
 * Start the embedded aedes broker. It knows nothing of the gateway: authentication, the durable accept hook,
 * the topic ACL and every limit are injected (the aedes hook model), so broker/ never imports gateway/.
 */
export async function startBroker(opts: BrokerOptions & { readonly port: number }): Promise<RunningBroker<number>>
export async function startBroker(opts: BrokerOptions): Promise<RunningBroker>
export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const o = resolveOptions(opts)
  const ctx = createContext(o)
  const aedes = await Aedes.createBroker({
    // Explicit limits: each aedes default exists because of a real DoS report (reliability-security.md §2.2, §4.1).
    maxTopicLevels: o.maxTopicLevels,
    maxClientsIdLength: 64,
    concurrency: 100,
    drainTimeout: o.drainTimeout,
    queueLimit: o.queueLimit,
    maxInflightInbound: o.maxInflightInbound,
    connectTimeout: o.connectTimeout,
    keepaliveLimit: o.keepaliveLimit,
    heartbeatInterval: 60_000,
    ...connectHooks(ctx),
    ...authorizeHooks(ctx),
  })
  watchClients(aedes, ctx)
  let listeners: { plain: Listener | null; tls: Listener | null }
  try {
    listeners = await listen(o, listenerHooks(aedes, ctx))
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    throw err
  }
  const all = [listeners.plain, listeners.tls].filter((l) => l !== null)

  return {
    port: listeners.plain?.port ?? null,
    tlsPort: listeners.tls?.port ?? null,
    aedes,
    stats: () => ctx.counters.snapshot(),
    async close() {
      // Stop accepting, then aedes disconnects its clients, which lets the listeners' close() complete.
      const closed = Promise.all(all.map((l) => l.close()))
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      for (const l of all) l.destroyAll()
      await closed
    },
  }
}
