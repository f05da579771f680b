import type { TopicAcl } from './acl.js'

/** A device's MQTT identity, as established by `authenticate`. */
export interface Principal {
  readonly username: string
}

/** The gateway's own client: authenticated by `internalToken` only, exempt from the ACL, rate limits and client id binding. */
export const GATEWAY_PRINCIPAL = 'gateway'

/** What the broker refused: a CONNECT, a SUBSCRIBE, a PUBLISH, a CONNECT's will, or a client that hit a limit. */
export type RefusedWhat = 'connect' | 'subscribe' | 'publish' | 'will' | 'limit'

/** A token bucket: up to `burst` at once, refilled at `perSecond`. */
export interface RateLimit {
  /** Bucket size: how many may arrive back to back. */
  readonly burst: number
  /** Refill rate per second: the sustained rate. */
  readonly perSecond: number
}

/** An mqtts listener (reliability-security.md §4.2). TLS 1.2 is the minimum. */
export interface TlsListenerOptions {
  /** TCP port; 0 picks a free one (tests). 8883 is the registered mqtts port. */
  readonly port: number
  /** Address to listen on. */
  readonly host: string
  /** PEM private key. */
  readonly key: Buffer
  /** PEM certificate (chain). */
  readonly cert: Buffer
  /** PEM CA bundle for client certificates (mTLS). */
  readonly ca?: Buffer
  /** Ask for a client certificate and refuse the handshake without a valid one (mTLS). Its CN must equal the username. Default false. */
  readonly requestCert?: boolean
}

export interface BrokerOptions {
  /** Address of the plaintext listener: 127.0.0.1 keeps plaintext on loopback (use `tls` for the network). */
  readonly host: string
  /** Plaintext TCP port; 0 picks a free one (tests); null: no plaintext listener. */
  readonly port: number | null
  /** Check a username and password. Resolves true to let the client in. Every client must authenticate. */
  readonly authenticate: (username: string, password: Buffer, clientId: string) => Promise<boolean>
  /**
   * Called for every PUBLISH from a client BEFORE the broker acknowledges it. aedes writes the QoS 1
   * PUBACK before it persists anything (reliability-security.md §2.2), so the durable commit must happen
   * here: resolve only once the message is safely stored (or its rejection recorded); reject to withhold
   * the PUBACK and drop the connection, so the device sends again. Also called for a device's will when it fires.
   */
  readonly onPublish: (principal: Principal | null, clientId: string, topic: string, payload: Buffer, qos: number) => Promise<void>
  /** May this principal subscribe to this filter? ANDed with `acl.maySubscribe`. Default: only what `acl` allows; nobody without an `acl`. */
  readonly authorizeSubscribe?: (principal: Principal | null, filter: string) => boolean
  /** Called when the broker refuses something or a client hits a limit (for counting and audit). Floods are reported once per episode. */
  readonly onRefused?: (what: RefusedWhat, clientId: string, reason: string) => void
  /** The `gateway` username authenticates with this token and nothing else: the gateway's own client. */
  readonly internalToken?: string
  /** Must this user connect with client id === username? Default: everyone but `gateway` (reliability-security.md §4.1). */
  readonly clientIdMustMatch?: (username: string) => boolean
  /** Topic ACL for publishes, wills and subscriptions (see `createTopicAcl`). Default: none; only `$` topics are refused. */
  readonly acl?: TopicAcl
  /** Optional mqtts listener. Default: none. */
  readonly tls?: TlsListenerOptions
  /** Largest PUBLISH or will payload in bytes; larger ones disconnect the client before `onPublish`. Default 262144 (a zigbee2mqtt `bridge/devices` message can be large). */
  readonly maxPayloadBytes?: number
  /** Most levels in a topic or filter (aedes `maxTopicLevels`, clamped to 100). Default 16. */
  readonly maxTopicLevels?: number
  /** Most inbound QoS 2 messages awaiting PUBREL per client (aedes `maxInflightInbound`). Default 100. */
  readonly maxInflightInbound?: number
  /** Most packets queued from a client before its CONNACK (aedes `queueLimit`). Default 42. */
  readonly queueLimit?: number
  /** Milliseconds a client may leave its socket undrained before it is dropped, so one frozen subscriber cannot stall delivery to all (aedes `drainTimeout`). Default 10000. */
  readonly drainTimeout?: number
  /** Milliseconds between TCP accept and CONNECT (aedes `connectTimeout`). Default 10000. */
  readonly connectTimeout?: number
  /** Largest keep-alive in seconds a client may ask for; 0 = no limit. aedes refuses keep-alive 0 too when set. Default 0. */
  readonly keepaliveLimit?: number
  /** New connections per remote address, taken at TCP accept (before any TLS handshake); null = unlimited. Default 20 per 10 s. */
  readonly connectRate?: RateLimit | null
  /**
   * PUBLISH packets per client (not the gateway's); above it the client is disconnected; null = unlimited. A function
   * gives each principal its own (a sensor needs far less than a bridge speaking for hundreds). Default 500/s, burst
   * 1000: one zigbee2mqtt bridge reporting 500 devices a second fits. An invalid limit from the function gets the default.
   */
  readonly publishRate?: RateLimit | null | ((principal: string) => RateLimit | null)
}

/** The options with every default applied, validated and frozen. */
export type ResolvedOptions = Readonly<
  Required<Omit<BrokerOptions, 'authorizeSubscribe' | 'onRefused' | 'internalToken' | 'acl' | 'tls'>> &
    Pick<BrokerOptions, 'authorizeSubscribe' | 'onRefused' | 'internalToken' | 'acl' | 'tls'>
>

export const defaults = {
  maxPayloadBytes: 262_144,
  maxTopicLevels: 16,
  maxInflightInbound: 100,
  queueLimit: 42,
  drainTimeout: 10_000,
  connectTimeout: 10_000,
  keepaliveLimit: 0,
  connectRate: { burst: 20, perSecond: 2 },
  publishRate: { burst: 1000, perSecond: 500 },
} as const satisfies Partial<BrokerOptions>

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new TypeError(`"${name}" must be an integer >= ${min}, got ${value}`)
}

export const isValidRate = (rate: RateLimit) => rate.burst >= 1 && rate.perSecond > 0

function checkRate(name: string, rate: RateLimit | null): void {
  if (rate !== null && !isValidRate(rate)) throw new TypeError(`"${name}" needs burst >= 1 and perSecond > 0`)
}

/** Apply defaults and refuse nonsense with a TypeError naming the option (validate at the edge, once). */
export function resolveOptions(opts: BrokerOptions): ResolvedOptions {
  const o = {
    ...defaults,
    clientIdMustMatch: (username: string) => username !== GATEWAY_PRINCIPAL,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  } as Required<BrokerOptions>
  if (o.port !== null) checkInteger('port', o.port, 0)
  if (o.port === null && !o.tls) throw new TypeError('"port" is null and there is no "tls" listener: the broker would accept nothing')
  if (o.tls) checkInteger('tls.port', o.tls.port, 0)
  checkInteger('maxPayloadBytes', o.maxPayloadBytes, 1)
  checkInteger('maxTopicLevels', o.maxTopicLevels, 1)
  if (o.maxTopicLevels > 100) throw new TypeError(`"maxTopicLevels" is at most 100 (aedes clamps it), got ${o.maxTopicLevels}`)
  checkInteger('maxInflightInbound', o.maxInflightInbound, 1)
  checkInteger('queueLimit', o.queueLimit, 1)
  checkInteger('drainTimeout', o.drainTimeout, 1)
  checkInteger('connectTimeout', o.connectTimeout, 1)
  checkInteger('keepaliveLimit', o.keepaliveLimit, 0)
  checkRate('connectRate', o.connectRate)
  if (typeof o.publishRate !== 'function') checkRate('publishRate', o.publishRate)
  return Object.freeze(o)
}
