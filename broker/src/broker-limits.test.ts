import { connect as tcpConnect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { startBroker } from './broker.js'
import { closed, connectAs, rawConnect, steadyBrokerHarness, topicOf } from './test-support.js'

/**
 * Explicit limits (reliability-security.md §4.1): a client over a limit is refused or disconnected, counted in
 * `stats()` and reported through `onRefused`, while another device keeps publishing and getting its PUBACKs.
 */
describe('broker limits', () => {
  const h = steadyBrokerHarness()
  const reportsFor = (clientId: string) => h.t.refused.filter((r) => r.clientId === clientId)

  it('disconnects a client whose payload is over maxPayloadBytes before onPublish sees it', async () => {
    await h.setUp({ maxPayloadBytes: 1024 })
    const a = h.track(await connectAs(h.t.port, 'dev-a'))
    await a.publishAsync(topicOf('dev-a'), 'x'.repeat(1024), { qos: 1 })
    a.publish(topicOf('dev-a', 'big'), 'x'.repeat(2000), { qos: 1 })
    await closed(a)
    expect(h.t.broker.stats()['limit.payload-size']).toBe(1)
    expect(reportsFor('dev-a')).toEqual([{ what: 'limit', clientId: 'dev-a', reason: 'payload of 2000 bytes on care/s1/device/dev-a/big, over 1024' }])
    expect(h.t.published).not.toContain(topicOf('dev-a', 'big'))
  })

  it('cuts a packet far over the limit at the transport, as soon as its header announces the size', async () => {
    await h.setUp({ maxPayloadBytes: 1024 })
    const b = h.track(await connectAs(h.t.port, 'dev-b'))
    b.publish(topicOf('dev-b', 'huge'), Buffer.alloc(1_000_000), { qos: 1 })
    await closed(b)
    expect(h.t.broker.stats()['limit.packet-size']).toBe(1)
    expect(reportsFor('dev-b')).toHaveLength(1)
    expect(h.t.published).not.toContain(topicOf('dev-b', 'huge'))
  })

  it('disconnects a client publishing faster than publishRate, and reports it once', async () => {
    await h.setUp({ publishRate: { burst: 50, perSecond: 100 } })
    const a = h.track(await connectAs(h.t.port, 'dev-a'))
    for (let i = 0; i < 500; i++) a.publish(topicOf('dev-a'), `{"n":${i}}`, { qos: 0 })
    await closed(a)
    expect(h.t.broker.stats()['limit.publish-rate']).toBe(1)
    expect(reportsFor('dev-a')).toEqual([{ what: 'limit', clientId: 'dev-a', reason: 'over 100 publishes/s (burst 50)' }])
    expect(h.t.published.filter((topic) => topic === topicOf('dev-a')).length).toBeLessThan(500)
  })

  it('gives each principal its own publishRate: a bridge may burst where a device may not', async () => {
    await h.setUp({ publishRate: (p) => (p === 'z2m' ? { burst: 1000, perSecond: 500 } : { burst: 50, perSecond: 100 }) })
    const z = h.track(await connectAs(h.t.port, 'z2m'))
    const a = h.track(await connectAs(h.t.port, 'dev-a'))
    for (let i = 0; i < 300; i++) {
      z.publish(`zigbee2mqtt/hall/pir-${i}`, '{"occupancy":false}', { qos: 0 })
      a.publish(topicOf('dev-a'), '{}', { qos: 0 })
    }
    await closed(a)
    await z.publishAsync('zigbee2mqtt/bridge/state', 'online', { qos: 1 }) // after all 300 on the same connection
    expect(z.connected).toBe(true)
    expect(h.t.published.filter((topic) => topic.startsWith('zigbee2mqtt/hall/'))).toHaveLength(300)
    expect(h.t.broker.stats()['limit.publish-rate']).toBe(1)
  })

  it('refuses a connection flood from one address at TCP accept, counting each and reporting the episode once', async () => {
    // The steady device took the first token; three more connects fit the burst.
    await h.setUp({ connectRate: { burst: 4, perSecond: 0.001 } })
    for (const u of ['dev-a', 'dev-b', 'z2m']) h.track(await connectAs(h.t.port, u))
    for (let i = 0; i < 5; i++) await expect(connectAs(h.t.port, 'dev-a')).rejects.toThrow()
    expect(h.t.broker.stats()['limit.connect-rate']).toBe(5)
    expect(h.t.refused.filter((r) => r.what === 'limit')).toEqual([{ what: 'limit', clientId: '127.0.0.1', reason: 'over 4 connections from 127.0.0.1 (then 0.001/s)' }])
    expect(h.tracked.every((c) => c.connected)).toBe(true)
  })

  it('counts a topic with more levels than maxTopicLevels (aedes refuses it before any hook)', async () => {
    await h.setUp({ maxTopicLevels: 8 })
    const a = h.track(await connectAs(h.t.port, 'dev-a'))
    a.publish('care/s1/device/dev-a/1/2/3/4/5', '{}', { qos: 1 })
    await closed(a)
    expect(h.t.broker.stats()['limit.topic-levels']).toBe(1)
    expect(reportsFor('dev-a')).toEqual([{ what: 'limit', clientId: 'dev-a', reason: 'topic has too many levels' }])
  })

  it('counts a client holding more QoS 2 messages than maxInflightInbound without PUBREL', async () => {
    await h.setUp({ maxInflightInbound: 2 })
    const sock = tcpConnect(h.t.port, '127.0.0.1')
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()))
    const topic = topicOf('dev-a')
    const publish = (id: number) => {
      const body = Buffer.concat([Buffer.from([0, topic.length]), Buffer.from(topic), Buffer.from([0, id]), Buffer.from('{}')])
      return Buffer.concat([Buffer.from([0x34, body.length]), body]) // PUBLISH, QoS 2
    }
    sock.write(rawConnect('dev-a', true, 'dev-a', 'pw-a'))
    await new Promise<void>((resolve) => sock.once('data', () => resolve())) // CONNACK
    sock.write(Buffer.concat([publish(1), publish(2), publish(3)]))
    await new Promise<void>((resolve) => sock.once('close', () => resolve()))
    expect(h.t.broker.stats()['limit.inflight']).toBe(1)
  })
})

describe('broker options', () => {
  const base = { host: '127.0.0.1', authenticate: async () => false, onPublish: async () => undefined }

  it.each([
    [{ port: 0, maxPayloadBytes: 0 }, /"maxPayloadBytes" must be an integer >= 1/],
    [{ port: 0, maxTopicLevels: 101 }, /"maxTopicLevels" is at most 100/],
    [{ port: 0, drainTimeout: 0 }, /"drainTimeout" must be an integer >= 1/],
    [{ port: 0, publishRate: { burst: 0, perSecond: 1 } }, /"publishRate" needs burst >= 1/],
    [{ port: null }, /"port" is null and there is no "tls" listener/],
  ])('refuses %o with a TypeError naming the option', async (opts, message) => {
    await expect(startBroker({ ...base, ...opts })).rejects.toThrow(message)
  })
})
