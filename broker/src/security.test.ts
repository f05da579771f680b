import { describe, expect, it } from 'vitest'
import { closed, connectAs, INTERNAL_TOKEN, rawConnect, rawExchange, refusedCode, steadyBrokerHarness, topicOf, until } from './test-support.js'

/**
 * Authentication and topic ACLs (reliability-security.md §4.1, issue 6). Each refusal happens while another
 * device keeps publishing at QoS 1, and its PUBACKs keep arriving.
 */
describe('broker security', () => {
  const h = steadyBrokerHarness()

  it("refuses device A publishing on B's topic: no PUBACK, A disconnected and counted, B unaffected", async () => {
    await h.setUp()
    const will = { topic: topicOf('dev-a', 'status'), payload: Buffer.from('offline'), qos: 1 as const, retain: false }
    const a = h.track(await connectAs(h.t.port, 'dev-a', { will }))
    const b = h.track(await connectAs(h.t.port, 'dev-b'))
    let acked = false
    void a.publishAsync(topicOf('dev-b'), '{}', { qos: 1 }).then(() => (acked = true), () => undefined)
    await closed(a)
    expect(acked).toBe(false)
    expect(h.t.broker.stats()['publish.acl']).toBe(1)
    expect(h.t.refused).toContainEqual({ what: 'publish', clientId: 'dev-a', reason: "publish to care/s1/device/dev-b/event: outside the ACL of 'dev-a'" })
    expect(h.t.published).not.toContain(topicOf('dev-b'))
    // A dropped connection is not a clean DISCONNECT: A's own will (approved at CONNECT) still fires.
    await until(() => h.t.published.includes(will.topic))
    await b.publishAsync(topicOf('dev-b'), '{}', { qos: 1 })
    expect(b.connected).toBe(true)
    expect(h.t.published).toContain(topicOf('dev-b'))
  })

  it("answers SUBACK 0x80 to '#', '+' and another device's topics, grants the device's own subtree, and keeps the client", async () => {
    await h.setUp()
    const a = h.track(await connectAs(h.t.port, 'dev-a'))
    for (const filter of ['#', 'care/+/device/+/event', topicOf('dev-b'), '$SYS/#']) {
      const suback = await a.subscribeAsync(filter, { qos: 1 }).then(() => null, (err: Error & { packet?: { granted?: number[] } }) => err.packet?.granted)
      expect(suback, filter).toEqual([0x80])
    }
    const own = await a.subscribeAsync('care/s1/device/dev-a/#', { qos: 1 })
    expect(own[0]?.qos).toBe(1)
    expect(a.connected).toBe(true)
    expect(h.t.broker.stats()['subscribe.acl']).toBe(4)
  })

  it('refuses a will outside the ACL at CONNECT with CONNACK 5, and accepts one inside it', async () => {
    await h.setUp()
    const will = (topic: string) => ({ will: { topic, payload: Buffer.from('offline'), qos: 1 as const, retain: true } })
    expect(await refusedCode(h.t.port, 'dev-a', will(topicOf('dev-b', 'status')))).toBe(5)
    expect(await refusedCode(h.t.port, 'dev-a', will('care/s1/alert/fake'))).toBe(5)
    expect(await refusedCode(h.t.port, 'dev-a', will('$SYS/fake'))).toBe(5)
    expect(h.t.broker.stats()).toMatchObject({ 'will.acl': 2, 'will.sys': 1 })
    expect(h.t.refused.filter((r) => r.what === 'will').map((r) => r.clientId)).toEqual(['dev-a', 'dev-a', 'dev-a'])

    // A will inside the ACL is let in, and fires through onPublish when the device vanishes without DISCONNECT.
    const a = h.track(await connectAs(h.t.port, 'dev-a', will(topicOf('dev-a', 'status'))))
    a.stream.destroy()
    await until(() => h.t.published.includes(topicOf('dev-a', 'status')))
  })

  it('disconnects a client that publishes to $SYS', async () => {
    await h.setUp()
    const a = h.track(await connectAs(h.t.port, 'dev-a'))
    a.publish('$SYS/fake', 'x', { qos: 1 })
    await closed(a)
    expect(h.t.broker.stats()['publish.sys']).toBe(1)
  })

  it('refuses a wrong password with CONNACK 4, and no credentials at all with 4 too', async () => {
    await h.setUp()
    expect(await refusedCode(h.t.port, 'dev-a', { password: 'wrong' })).toBe(4)
    expect(await refusedCode(h.t.port, 'dev-a', { username: undefined, password: undefined })).toBe(4)
    expect(h.t.broker.stats()).toMatchObject({ 'connect.bad-credentials': 1, 'connect.no-credentials': 1 })
  })

  it('refuses a client id that is not the username (CONNACK 2); the gateway is exempt but needs its token', async () => {
    await h.setUp()
    expect(await refusedCode(h.t.port, 'dev-a', { clientId: 'someone-else' })).toBe(2)
    expect(h.t.refused).toContainEqual({ what: 'connect', clientId: 'someone-else', reason: "client id 'someone-else' is not the username 'dev-a'" })
    h.track(await connectAs(h.t.port, 'gateway', { password: INTERNAL_TOKEN, clientId: 'gateway-4242' }))
    expect(await refusedCode(h.t.port, 'gateway', { password: 'guess', clientId: 'gateway-1' })).toBe(4)
    expect(h.t.broker.stats()).toMatchObject({ 'connect.client-id-mismatch': 1, 'connect.bad-credentials': 1 })
  })

  it('never lets a stored credential open the reserved gateway name', async () => {
    await h.setUp({ authenticate: async () => true })
    expect(await refusedCode(h.t.port, 'gateway', { password: 'anything' })).toBe(4)
  })

  it('refuses an empty client id with a persistent session with CONNACK 0x02 ([MQTT-3.1.3-8])', async () => {
    await h.setUp()
    const reply = await rawExchange(h.t.port, rawConnect('', false, 'dev-a', 'pw-a'))
    expect(reply?.subarray(0, 4).toString('hex')).toBe('20020002')
    expect(h.t.broker.stats()['connect.empty-client-id']).toBe(1)
  })

  it('refuses a takeover of a client id by another identity, and keeps the holder connected', async () => {
    await h.setUp({ clientIdMustMatch: (u) => u !== 'z2m' && u !== 'gateway' })
    const a = h.track(await connectAs(h.t.port, 'dev-a'))
    expect(await refusedCode(h.t.port, 'z2m', { clientId: 'dev-a' })).toBe(2)
    expect(h.t.broker.stats()['connect.takeover']).toBe(1)
    await a.publishAsync(topicOf('dev-a'), '{}', { qos: 1 })
    expect(a.connected).toBe(true)
  })

  it('holds a bridge to its base topic', async () => {
    await h.setUp()
    const z = h.track(await connectAs(h.t.port, 'z2m'))
    await z.publishAsync('zigbee2mqtt/bridge/state', 'online', { qos: 1 })
    expect(h.t.published).toContain('zigbee2mqtt/bridge/state')
    z.publish(topicOf('dev-a'), '{}', { qos: 1 })
    await closed(z)
    expect(h.t.broker.stats()['publish.acl']).toBe(1)
  })
})
