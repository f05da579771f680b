import type { AedesOptions, AuthenticateError, Client, ConnectPacket } from 'aedes'
import { createHash, timingSafeEqual } from 'node:crypto'
import { TLSSocket } from 'node:tls'
import type { BrokerContext } from './context.js'
import { GATEWAY_PRINCIPAL } from './options.js'

type Will = NonNullable<ConnectPacket['will']>

/** What `authenticate` needs from the CONNECT packet; aedes hands it only to `preConnect`. */
interface ConnectFacts {
  readonly clientId: string
  readonly clean: boolean
  readonly will: Will | null
}

/** A refused CONNECT: its stats key, the CONNACK return code, and the reason reported. */
interface Refusal {
  readonly what: 'connect' | 'will'
  readonly key: string
  readonly code: 2 | 4 | 5
  readonly reason: string
}

type AuthDone = Parameters<NonNullable<AedesOptions['authenticate']>>[3]

function authError(message: string, returnCode: 2 | 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest()

/**
 * `preConnect` and `authenticate`: credentials, client id binding, takeovers, and the will. aedes publishes a
 * will through `authorizePublish` only when it fires, too late to refuse anything, so the will is checked
 * here, against the same ACL, and refused with CONNACK 5 (reliability-security.md §4.1; nodejs security-wg vuln 457).
 */
export function connectHooks(ctx: BrokerContext): Required<Pick<AedesOptions, 'preConnect' | 'authenticate'>> {
  const { o } = ctx
  const facts = new WeakMap<Client, ConnectFacts>()
  const token = o.internalToken ? sha256(o.internalToken) : null

  function refuse(client: Client, r: Refusal, done: AuthDone): void {
    ctx.refuse(r.what, r.key, client.id, r.reason)
    done(authError(r.reason, r.code), false)
  }

  function willRefusal(username: string, internal: boolean, will: Will): Refusal | null {
    const topic = will.topic
    const refused = (key: string, why: string): Refusal => ({ what: 'will', key, code: 5, reason: `will on ${topic}: ${why}` })
    if (topic.startsWith('$')) return refused('sys', '$ topics are reserved for the broker')
    if (topic === '' || /[+#]/.test(topic) || topic.split('/').length > o.maxTopicLevels) return refused('bad-topic', 'not a valid topic name')
    const bytes = Buffer.byteLength(will.payload)
    if (bytes > o.maxPayloadBytes) return refused('too-large', `payload is ${bytes} bytes, over ${o.maxPayloadBytes}`)
    if (!internal && o.acl && !o.acl.mayPublish(username, topic)) return refused('acl', `'${username}' may not publish there`)
    return null
  }

  /** The certificate's CN on an mTLS connection, or null when no client certificate was asked for. */
  function certificateName(client: Client): string | null {
    if (!(client.conn instanceof TLSSocket) || !o.tls?.requestCert) return null
    const cn = client.conn.getPeerCertificate().subject?.CN
    return (Array.isArray(cn) ? cn[0] : cn) ?? ''
  }

  /** Everything checked once the credentials are good (reliability-security.md §4.1: client id = username = CN). */
  function admissionRefusal(client: Client, username: string, internal: boolean): Refusal | null {
    const f = facts.get(client)!
    if (o.clientIdMustMatch(username) && f.clientId !== username) {
      return { what: 'connect', key: 'client-id-mismatch', code: 2, reason: `client id '${f.clientId}' is not the username '${username}'` }
    }
    const cn = certificateName(client)
    if (cn !== null && cn !== username) return { what: 'connect', key: 'certificate-mismatch', code: 5, reason: `certificate CN '${cn}' is not the username '${username}'` }
    // [MQTT-3.1.4-2] would let any identity take over a session; only its owner (client id === username) may.
    const holder = ctx.holders.get(client.id)
    if (holder && holder !== client && ctx.principals.get(holder)?.username !== username && f.clientId !== username) {
      return { what: 'connect', key: 'takeover', code: 2, reason: `client id '${client.id}' is in use by another identity` }
    }
    return f.will ? willRefusal(username, internal, f.will) : null
  }

  function admit(client: Client, username: string, internal: boolean, done: AuthDone): void {
    const refused = admissionRefusal(client, username, internal)
    if (refused) return refuse(client, refused, done)
    ctx.principals.set(client, { username })
    if (internal) ctx.internal.add(client)
    done(null, true)
  }

  return {
    preConnect(client, packet, done) {
      facts.set(client, { clientId: packet.clientId, clean: packet.clean !== false, will: packet.will ?? null })
      done(null, true)
    },

    authenticate(client, username, password, done) {
      const f = facts.get(client)
      if (!f) return done(authError('CONNECT was not seen by preConnect', 5), false) // aedes always calls preConnect first
      // [MQTT-3.1.3-8] a zero-length client id with CleanSession=0 must be refused with 0x02; aedes would accept it.
      if (f.clientId === '' && !f.clean) {
        return refuse(client, { what: 'connect', key: 'empty-client-id', code: 2, reason: 'empty client id with a persistent session' }, done)
      }
      if (!username || !password) return refuse(client, { what: 'connect', key: 'no-credentials', code: 4, reason: 'no credentials' }, done)
      const bad: Refusal = { what: 'connect', key: 'bad-credentials', code: 4, reason: `bad credentials for '${username}'` }
      if (username === GATEWAY_PRINCIPAL) {
        // The gateway's name is reserved: only the per-process token opens it, never a stored credential.
        const ok = token !== null && timingSafeEqual(sha256(password), token)
        return ok ? admit(client, username, true, done) : refuse(client, bad, done)
      }
      o.authenticate(username, password, client.id).then(
        (ok) => (ok ? admit(client, username, false, done) : refuse(client, bad, done)),
        (err: Error) => refuse(client, { what: 'connect', key: 'auth-error', code: 5, reason: `credential check failed: ${err.message}` }, done),
      )
    },
  }
}
