import { Aedes, type AuthenticateError, type Client } from 'aedes'
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/** A device's MQTT identity, as established by `authenticate`. */
export interface Principal {
  readonly username: string
}

export interface BrokerOptions {
  /** Address to listen on. Default 127.0.0.1: the broker is loopback-only unless told otherwise. */
  readonly host: string
  /** TCP port; 0 picks a free one (tests). */
  readonly port: number
  /** Check a username and password. Resolves true to let the client in. Every client must authenticate. */
  readonly authenticate: (username: string, password: Buffer, clientId: string) => Promise<boolean>
  /**
   * Called for every PUBLISH from a client BEFORE the broker acknowledges it. aedes writes the QoS 1
   * PUBACK before it persists anything (reliability-security.md §2.2), so the durable commit must happen
   * here: resolve only once the message is safely stored (or its rejection recorded); reject to withhold
   * the PUBACK and drop the connection, so the device sends again.
   */
  readonly onPublish: (principal: Principal | null, clientId: string, topic: string, payload: Buffer, qos: number) => Promise<void>
  /** May this principal subscribe to this filter? Default: nobody may. */
  readonly authorizeSubscribe?: (principal: Principal | null, filter: string) => boolean
  /** Called when the broker refuses something (for counting and audit). */
  readonly onRefused?: (what: 'connect' | 'subscribe' | 'publish', clientId: string, reason: string) => void
  /** Clients may be authenticated by this token without a stored credential: the gateway's own client. */
  readonly internalToken?: string
}

export interface RunningBroker {
  readonly port: number
  readonly aedes: Aedes
  close(): Promise<void>
}

const principals = new WeakMap<Client, Principal>()
const emptyIdPersistent = new WeakSet<Client>()

function authError(message: string, returnCode: 2 | 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError
}

/**
 * Start the embedded aedes broker. It knows nothing of the gateway: authentication, the durable
 * accept hook and subscription rules are injected (the aedes hook model), so broker/ never imports gateway/.
 */
export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker({
    // Explicit limits (aedes defaults exist because of real DoS reports; reliability-security.md §2.2).
    maxTopicLevels: 16,
    maxClientsIdLength: 64,
    concurrency: 100,
    drainTimeout: 10_000,
    queueLimit: 42,
    maxInflightInbound: 100,
    connectTimeout: 10_000,
    heartbeatInterval: 60_000,

    preConnect(client, packet, done) {
      // With Nagle on, a QoS 1 hop stalls ~40 ms on delayed ACKs (issue 9).
      const conn = client.conn as Socket
      if (typeof conn.setNoDelay === 'function') conn.setNoDelay(true)
      // [MQTT-3.1.3-8] a zero-length client id with CleanSession=0 must be refused with 0x02; aedes would accept it.
      if (packet.clientId.length === 0 && !packet.clean) emptyIdPersistent.add(client)
      done(null, true)
    },

    authenticate(client, username, password, done) {
      if (emptyIdPersistent.has(client)) {
        opts.onRefused?.('connect', client.id, 'empty client id with a persistent session')
        return done(authError('empty client id requires a clean session', 2), false)
      }
      if (!username || !password) {
        opts.onRefused?.('connect', client.id, 'no credentials')
        return done(authError('credentials required', 4), false)
      }
      if (opts.internalToken && username === 'gateway' && password.toString() === opts.internalToken) {
        principals.set(client, { username })
        return done(null, true)
      }
      opts.authenticate(username, password, client.id).then(
        (ok) => {
          if (!ok) {
            opts.onRefused?.('connect', client.id, `bad credentials for '${username}'`)
            return done(authError('bad username or password', 4), false)
          }
          principals.set(client, { username })
          done(null, true)
        },
        (err: Error) => done(authError(err.message, 5), false),
      )
    },

    authorizePublish(client, packet, done) {
      if (!client) return done(null) // the broker's own publishes ($SYS heartbeats, wills)
      const principal = principals.get(client) ?? null
      if (packet.topic.startsWith('$SYS')) {
        opts.onRefused?.('publish', client.id, `publish to ${packet.topic}`)
        return done(new Error('$SYS is reserved for the broker'))
      }
      if (principal?.username === 'gateway') return done(null)
      // Events are never retained: a retained alarm would be replayed to every new subscriber (protocols.md §6.1).
      packet.retain = false
      opts.onPublish(principal, client.id, packet.topic, packet.payload as Buffer, packet.qos).then(
        () => done(null),
        (err: Error) => done(err),
      )
    },

    authorizeSubscribe(client, sub, done) {
      const principal = principals.get(client) ?? null
      const allowed = principal?.username === 'gateway' || (opts.authorizeSubscribe?.(principal, sub.topic) ?? false)
      if (!allowed) {
        opts.onRefused?.('subscribe', client.id, `subscribe to ${sub.topic}`)
        // A null subscription is answered with SUBACK 0x80 (failure) and the client stays connected.
        return done(null, null)
      }
      done(null, sub)
    },
  })

  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.setNoDelay(true)
    aedes.handle(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port

  return {
    port,
    aedes,
    async close() {
      // aedes first: it disconnects its clients, which lets the listener's close() complete.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await closed
    },
  }
}
