import fc from 'fast-check'
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closed, connectAs, passwords, refusedCode } from '../../../broker/src/test-support.js'
import { packPublishes, unpackPublishes } from './broker-thread-protocol.js'
import { type BrokerThread, type BrokerThreadHooks, startBrokerThread } from './broker-thread.js'

const topic = (site: string, device: string) => `care/${site}/device/${device}/event`

/** A broker thread on a free loopback port whose publishes wait until the test settles them. */
async function start(extra: Partial<BrokerThreadHooks> = {}) {
  const seen: { principal: string | null; clientId: string; topic: string; payload: string; settle: (err?: Error) => void }[] = []
  const refused: string[] = []
  const died: Error[] = []
  const broker = await startBrokerThread(
    { host: '127.0.0.1', port: 0, internalToken: 'internal-token', bridges: { z2m: 'zigbee2mqtt' }, sites: [['dev-a', 's1'], ['dev-b', 's1']], devicePublishRate: 100, maxPayloadBytes: 65_536 },
    {
      authenticate: async (u, p) => passwords[u] !== undefined && passwords[u] === p,
      refused: (what, clientId, reason) => void refused.push(`${what} ${clientId}: ${reason}`),
      publish: (principal, clientId, t, payload) => new Promise<void>((resolve, reject) => {
        seen.push({ principal, clientId, topic: t, payload: payload.toString('utf8'), settle: (err) => (err ? reject(err) : resolve()) })
      }),
      died: (err) => void died.push(err),
      ...extra,
    },
  )
  return { broker, seen, refused, died }
}

describe('the device broker on its own thread', () => {
  let broker: BrokerThread | null = null
  const clients: MqttClient[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true)
    await broker?.close()
    broker = null
  })
  const connect = async (port: number, user: string) => {
    const c = await connectAs(port, user)
    clients.push(c)
    return c
  }

  it('hands each PUBLISH to the main thread and sends its PUBACK only once the main thread settles that one', async () => {
    const t = await start()
    broker = t.broker
    const a = await connect(t.broker.port!, 'dev-a')
    const acked: string[] = []
    const sends = ['one', 'two', 'three'].map((p) => a.publishAsync(topic('s1', 'dev-a'), p, { qos: 1 }).then(() => void acked.push(p)))
    await vi.waitFor(() => expect(t.seen).toHaveLength(3))
    expect(t.seen.map((s) => [s.principal, s.clientId, s.topic, s.payload])).toEqual(['one', 'two', 'three'].map((p) => ['dev-a', 'dev-a', topic('s1', 'dev-a'), p]))
    // Still unacknowledged: the broker waits for the main thread's answer, however long the commit takes.
    await new Promise((r) => setTimeout(r, 50))
    expect(acked).toEqual([])
    // Settled one at a time, out of order: only the settled one is acknowledged.
    t.seen[1]!.settle()
    await vi.waitFor(() => expect(acked).toEqual(['two']))
    await new Promise((r) => setTimeout(r, 50))
    expect(acked).toEqual(['two'])
    t.seen[0]!.settle()
    t.seen[2]!.settle()
    await Promise.all(sends)
    expect(acked.sort()).toEqual(['one', 'three', 'two'])
    expect(t.died).toEqual([])
  })

  it('answers a failure and a success in the same turn: only the success is acknowledged', async () => {
    const t = await start()
    broker = t.broker
    const a = await connect(t.broker.port!, 'dev-a')
    const b = await connect(t.broker.port!, 'dev-b')
    let aAcked = false
    void a.publishAsync(topic('s1', 'dev-a'), 'x', { qos: 1 }).then(() => (aAcked = true), () => undefined)
    const bSent = b.publishAsync(topic('s1', 'dev-b'), 'y', { qos: 1 })
    await vi.waitFor(() => expect(t.seen).toHaveLength(2))
    t.seen.find((s) => s.principal === 'dev-a')!.settle(new Error('GW_ERR_STORE_WRITE_FAILED'))
    t.seen.find((s) => s.principal === 'dev-b')!.settle()
    await bSent
    await closed(a)
    expect(aAcked).toBe(false)
  })

  it('drops the client without a PUBACK when the main thread could not take the event, and keeps serving others', async () => {
    const t = await start()
    broker = t.broker
    const a = await connect(t.broker.port!, 'dev-a')
    const b = await connect(t.broker.port!, 'dev-b')
    let acked = false
    void a.publishAsync(topic('s1', 'dev-a'), 'x', { qos: 1 }).then(() => (acked = true), () => undefined)
    await vi.waitFor(() => expect(t.seen).toHaveLength(1))
    t.seen[0]!.settle(new Error('GW_ERR_STORE_WRITE_FAILED'))
    await closed(a)
    expect(acked).toBe(false)
    const ok = b.publishAsync(topic('s1', 'dev-b'), 'y', { qos: 1 })
    await vi.waitFor(() => expect(t.seen).toHaveLength(2))
    t.seen[1]!.settle()
    await ok
  })

  it('asks the main thread to check credentials, and reports refusals and their counts', async () => {
    const t = await start()
    broker = t.broker
    expect(await refusedCode(t.broker.port!, 'dev-x')).toBe(4)
    expect(t.refused).toContain("connect dev-x: bad credentials for 'dev-x'")
    await vi.waitFor(() => expect(t.broker.stats()).toEqual({ 'connect.bad-credentials': 1 }))
    // And a good secret, checked on the main thread, lets the device in.
    expect((await connect(t.broker.port!, 'dev-b')).connected).toBe(true)
  })

  it('refuses with CONNACK 5 (not "bad credentials") when the main thread could not check a secret', async () => {
    const t = await start({ authenticate: async () => { throw new Error('database is locked') } })
    broker = t.broker
    expect(await refusedCode(t.broker.port!, 'dev-a')).toBe(5)
    expect(t.refused).toContain('connect dev-a: credential check failed: database is locked')
    await vi.waitFor(() => expect(t.broker.stats()).toEqual({ 'connect.auth-error': 1 }))
  })

  it('holds a device to its own site, and to its new site after the main thread sends the sites again', async () => {
    const t = await start()
    broker = t.broker
    const a = await connect(t.broker.port!, 'dev-a')
    void a.publishAsync(topic('s2', 'dev-a'), 'elsewhere', { qos: 1 }).catch(() => undefined)
    await closed(a)
    expect(t.seen).toEqual([])
    expect(t.refused.some((r) => r.startsWith('publish dev-a') && r.includes('outside the ACL'))).toBe(true)
    t.broker.setSites([['dev-a', 's2'], ['dev-b', 's1']])
    const again = await connect(t.broker.port!, 'dev-a')
    const sent = again.publishAsync(topic('s2', 'dev-a'), 'moved', { qos: 1 })
    await vi.waitFor(() => expect(t.seen.map((s) => s.payload)).toEqual(['moved']))
    t.seen[0]!.settle()
    await sent
  })

  it('stops listening when closed, without reporting a death', async () => {
    const t = await start()
    const port = t.broker.port!
    await t.broker.close()
    await expect(connectAs(port, 'dev-a')).rejects.toThrow()
    expect(t.died).toEqual([])
  })

  it('refuses to start on a port already taken, with the reason', async () => {
    const t = await start()
    broker = t.broker
    const died: Error[] = []
    await expect(startBrokerThread({ host: '127.0.0.1', port: t.broker.port!, internalToken: 'x', bridges: {}, sites: [], devicePublishRate: 1, maxPayloadBytes: 1024 }, { authenticate: async () => false, refused: () => undefined, publish: async () => undefined, died: (e) => void died.push(e) }))
      .rejects.toThrow(/did not start: .*EADDRINUSE/)
    // A start-up failure is the caller's to report, not a death of a running broker.
    expect(died).toEqual([])
  })
})

describe('packing a turn of publishes for the thread hop', () => {
  it('carries each payload exactly, and only its own bytes (not the parser pool it is a view of)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.nat(32), fc.string(), fc.option(fc.string(), { nil: null })), { maxLength: 20 }), (items) => {
      const queued = items.map(([bytes, pad, t, principal], id) => {
        // A view in the middle of a larger buffer, as the MQTT parser hands them out.
        const pool = new Uint8Array(pad + bytes.length + pad)
        pool.set(bytes, pad)
        return { id, principal, clientId: `c${id}`, topic: t, payload: pool.subarray(pad, pad + bytes.length) }
      })
      const batch = packPublishes(queued)
      expect(batch.bytes.byteLength).toBe(items.reduce((n, [b]) => n + b.length, 0))
      const back = unpackPublishes(structuredClone(batch))
      expect(back.map((p) => [p.id, p.principal, p.clientId, p.topic, [...p.payload]])).toEqual(queued.map((p) => [p.id, p.principal, p.clientId, p.topic, [...p.payload]]))
    }))
  })
})
