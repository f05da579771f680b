import { afterEach } from 'vitest'
/** Shared by the broker's tests: a real broker on 127.0.0.1:0 with a few devices, and real MQTT.js clients. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { connect as tcpConnect } from 'node:net'
import { createTopicAcl } from './acl.js'
import { type BrokerOptions, type RunningBroker, startBroker } from './broker.js'
import type { RefusedWhat } from './options.js'

export const passwords: Record<string, string> = { 'dev-a': 'pw-a', 'dev-b': 'pw-b', 'dev-ok': 'pw-ok', z2m: 'pw-z2m' }
export const INTERNAL_TOKEN = 'internal-token-for-tests'
export const topicOf = (device: string, leaf = 'event') => `care/s1/device/${device}/${leaf}`

export interface TestBroker {
  readonly broker: RunningBroker
  readonly port: number
  /** Every topic `onPublish` saw, in order. */
  readonly published: string[]
  readonly refused: Array<{ what: RefusedWhat; clientId: string; reason: string }>
}

/** A broker with the default ACL (`z2m` is a bridge under `zigbee2mqtt`), on a free loopback port. */
export async function startTestBroker(extra: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const published: string[] = []
  const refused: TestBroker['refused'] = []
  const broker = await startBroker({
    host: '127.0.0.1',
    port: 0,
    internalToken: INTERNAL_TOKEN,
    authenticate: async (u, p) => passwords[u] !== undefined && passwords[u] === p.toString(),
    onPublish: async (_principal, _clientId, topic) => void published.push(topic),
    onRefused: (what, clientId, reason) => void refused.push({ what, clientId, reason }),
    acl: createTopicAcl({ bridges: { z2m: 'zigbee2mqtt' } }),
    ...extra,
  })
  return { broker, port: broker.port ?? 0, published, refused }
}

/** Connect as `username` (client id = username unless given); rejects with the CONNACK error. */
export async function connectAs(port: number, username: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    username,
    password: passwords[username] ?? 'none',
    clientId: username,
    reconnectPeriod: 0,
    ...opts,
  })
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c))
    c.once('error', (err) => (c.end(true), reject(err)))
    c.once('close', () => reject(new Error('closed before CONNACK')))
  })
}

/** The CONNACK return code a CONNECT is refused with. */
export async function refusedCode(port: number, username: string, opts: IClientOptions = {}): Promise<number | undefined> {
  const err = await connectAs(port, username, opts).then(
    (c) => (c.end(true), null),
    (e: Error & { code?: number }) => e,
  )
  if (!err) throw new Error(`'${username}' was let in`)
  return err.code
}

/** Wait until `cond` holds (state that arrives asynchronously; the test's own timeout bounds it). */
export async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10))
}

export const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()))

/**
 * A device that keeps publishing at QoS 1, one after another, for as long as a test runs: proof that a refusal
 * or a limit hit elsewhere leaves everyone else alone. `acks(n)` resolves once n more PUBACKs have arrived.
 */
export async function steadyDevice(port: number, username = 'dev-ok') {
  const client = await connectAs(port, username)
  let acked = 0
  let failure: Error | null = null
  let running = true
  const waiters = new Set<() => void>()
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await client.publishAsync(topicOf(username), JSON.stringify({ n: i }), { qos: 1 })
      } catch (err) {
        failure = err as Error
        break
      }
      acked++
      for (const w of waiters) w()
      // A real device's pace (50/s), well under the publish rate limit.
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  return {
    client,
    get acked() {
      return acked
    },
    async acks(n: number): Promise<void> {
      const target = acked + n
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (failure) reject(failure)
          else if (acked >= target) (waiters.delete(check), resolve())
        }
        waiters.add(check)
        check()
        client.once('close', () => reject(new Error('the steady device was disconnected')))
      })
    },
    async stop(): Promise<void> {
      running = false
      await loop
      if (failure) throw failure
      await client.endAsync()
    },
  }
}

/** Send raw bytes as the first thing on a new connection and return the first reply (or null when it just closes). */
export async function rawExchange(port: number, bytes: Buffer): Promise<Buffer | null> {
  const sock = tcpConnect(port, '127.0.0.1')
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()))
  sock.write(bytes)
  const reply = await new Promise<Buffer | null>((resolve) => {
    sock.once('data', resolve)
    sock.once('close', () => resolve(null))
  })
  sock.destroy()
  return reply
}

/** A CONNECT built by hand (MQTT.js will not send some of the ones we need to refuse). */
export function rawConnect(clientId: string, clean: boolean, username: string, password: string): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)])
  const flags = 0xc0 | (clean ? 0x02 : 0)
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 60]), str(clientId), str(username), str(password)])
  return Buffer.concat([Buffer.from([0x10, body.length]), body])
}

/**
 * The shape every refusal test shares: a test broker plus a steady device publishing throughout. After each
 * test the steady device must still get PUBACKs (the refusal cost nobody else anything), then all is closed.
 */
export function steadyBrokerHarness() {
  let broker: TestBroker | null = null
  let steady: Awaited<ReturnType<typeof steadyDevice>> | null = null
  const clients: MqttClient[] = []
  afterEach(async () => {
    await steady?.acks(2)
    await steady?.stop()
    for (const c of clients.splice(0)) c.end(true)
    await broker?.broker.close()
    broker = null
    steady = null
  })
  return {
    /** Start the broker (with these options) and the steady device. */
    async setUp(extra: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
      broker = await startTestBroker(extra)
      steady = await steadyDevice(broker.port)
      await steady.acks(1)
      return broker
    },
    /** Close this client after the test. */
    track: (c: MqttClient): MqttClient => (clients.push(c), c),
    /** The clients tracked so far in this test. */
    tracked: clients as readonly MqttClient[],
    /** The running test broker. */
    get t(): TestBroker {
      if (!broker) throw new Error('call setUp() first')
      return broker
    },
  }
}
