import fc from 'fast-check'
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closed, connectAs, passwords, refusedCode } from '../../../broker/src/test-support.js'
import type { DeviceConfig } from '../config/schema.js'
import { gatewayError } from '../core/errors.js'
import { markNotStored, type Prepared } from '../pipeline-prepare.js'
import { type BrokerThreadConfig, packPublishes, unpackPublishes } from './broker-thread-protocol.js'
import { type BrokerThread, type BrokerThreadHooks, startBrokerThread } from './broker-thread.js'

const topic = (site: string, device: string) => `care/${site}/device/${device}/event`
const device = (id: string, site: string): DeviceConfig => ({ id, type: 'seizure-monitor', site, person: 'p1' }) as DeviceConfig
const configFor = (devices: DeviceConfig[]): BrokerThreadConfig => ({ sites: devices.map((d) => [d.id, d.site]), ingest: { devices, disabled: [], bridges: [], maxPayloadBytes: 4096 } })
const alarm = (id: string) => JSON.stringify({ event_id: id, type: 'seizure_alarm', at: '2026-11-28T10:00:00.000Z' })

/** A broker thread on a free loopback port whose publishes wait until the test settles them. */
async function start(extra: Partial<BrokerThreadHooks> = {}) {
  const seen: { principal: string | null; clientId: string; topic: string; payload: string; receivedAt: number; prepared: Prepared; settle: (err?: unknown) => void }[] = []
  const refused: string[] = []
  const died: Error[] = []
  const broker = await startBrokerThread(
    { host: '127.0.0.1', port: 0, internalToken: 'internal-token', bridges: { z2m: 'zigbee2mqtt' }, config: configFor([device('dev-a', 's1'), device('dev-b', 's1')]), devicePublishRate: 100, maxPayloadBytes: 65_536 },
    {
      authenticate: async (u, p) => passwords[u] !== undefined && passwords[u] === p,
      refused: (what, clientId, reason) => void refused.push(`${what} ${clientId}: ${reason}`),
      publish: (raw, prepared) => new Promise<void>((resolve, reject) => {
        seen.push({ principal: raw.principal, clientId: raw.clientId!, topic: raw.topic, payload: raw.payload.toString('utf8'), receivedAt: raw.receivedAt, prepared, settle: (err) => (err ? reject(err) : resolve()) })
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

  it('hands each PUBLISH to the main thread checked and decoded, and sends its PUBACK only once the main thread settles that one', async () => {
    const t = await start()
    broker = t.broker
    const a = await connect(t.broker.port!, 'dev-a')
    const acked: string[] = []
    const before = Date.now()
    const sends = ['e1', 'e2', 'e3'].map((id) => a.publishAsync(topic('s1', 'dev-a'), alarm(id), { qos: 1 }).then(() => void acked.push(id)))
    await vi.waitFor(() => expect(t.seen).toHaveLength(3))
    expect(t.seen.map((s) => [s.principal, s.clientId, s.topic, s.payload])).toEqual(['e1', 'e2', 'e3'].map((id) => ['dev-a', 'dev-a', topic('s1', 'dev-a'), alarm(id)]))
    for (const [i, s] of t.seen.entries()) {
      expect(s.receivedAt).toBeGreaterThanOrEqual(before)
      expect(s.prepared).toEqual({ kind: 'events', deviceId: 'dev-a', events: [{ siteId: 's1', deviceId: 'dev-a', eventId: `e${i + 1}`, type: 'seizure_alarm', deviceAt: Date.parse('2026-11-28T10:00:00.000Z'), receivedAt: s.receivedAt }] })
    }
    // Still unacknowledged: the broker waits for the main thread's answer, however long the commit takes.
    await new Promise((r) => setTimeout(r, 50))
    expect(acked).toEqual([])
    // Settled out of order, one at a time: only the settled one is acknowledged.
    t.seen[1]!.settle()
    await vi.waitFor(() => expect(acked).toEqual(['e2']))
    await new Promise((r) => setTimeout(r, 50))
    expect(acked).toEqual(['e2'])
    t.seen[0]!.settle()
    t.seen[2]!.settle()
    await Promise.all(sends)
    expect(acked.sort()).toEqual(['e1', 'e2', 'e3'])
    expect(t.died).toEqual([])
  })

  it('rejects bad input on the thread with the precise error, and still hands it over to be audited', async () => {
    const t = await start()
    broker = t.broker
    const a = await connect(t.broker.port!, 'dev-a')
    const sent = a.publishAsync(topic('s1', 'dev-a'), '{"type":"seizure_alarm"', { qos: 1 })
    await vi.waitFor(() => expect(t.seen).toHaveLength(1))
    const p = t.seen[0]!.prepared
    expect(p.kind).toBe('reject')
    expect(p.kind === 'reject' && [p.error.code, p.error.name, p.deviceId]).toEqual(['GW_ERR_INPUT_NOT_JSON', 'GatewayError', 'dev-a'])
    t.seen[0]!.settle()
    await sent
  })

  it('answers a publish whose events were not stored, and one that was, in the same turn: only the stored one is acknowledged', async () => {
    const t = await start()
    broker = t.broker
    const a = await connect(t.broker.port!, 'dev-a')
    const b = await connect(t.broker.port!, 'dev-b')
    let aAcked = false
    void a.publishAsync(topic('s1', 'dev-a'), alarm('x'), { qos: 1 }).then(() => (aAcked = true), () => undefined)
    const bSent = b.publishAsync(topic('s1', 'dev-b'), alarm('y'), { qos: 1 })
    await vi.waitFor(() => expect(t.seen).toHaveLength(2))
    const failure = gatewayError('GW_ERR_STORE_WRITE_FAILED', ['disk full'])
    markNotStored(failure)
    t.seen.find((s) => s.principal === 'dev-a')!.settle(failure)
    t.seen.find((s) => s.principal === 'dev-b')!.settle()
    await bSent
    await closed(a)
    expect(aAcked).toBe(false)
  })

  it.each([
    ['not stored: its decoder state is put back, so the resend is read as the same edge', true, ['motion']],
    ['stored (failed after): the resend is read against the state it moved, so no second edge', false, []],
  ])('a zigbee2mqtt message the main thread did not acknowledge, events %s', async (_name, notStored, resendTypes) => {
    const pir = { ...device('pir-1', 's1'), type: 'z2m-pir', z2m: { bridge: 'z2m', friendly_name: 'hall/pir' } } as DeviceConfig
    const config: BrokerThreadConfig = { sites: [['pir-1', 's1'], ['z2m', 's1']], ingest: { devices: [pir], disabled: [], bridges: [{ id: 'z2m', base_topic: 'zigbee2mqtt' }], maxPayloadBytes: 4096 } }
    const t = await start()
    broker = t.broker
    t.broker.setConfig(config)
    const occupied = JSON.stringify({ occupancy: true, battery: 87, battery_low: false, tamper: false })
    const z = await connect(t.broker.port!, 'z2m')
    void z.publishAsync('zigbee2mqtt/hall/pir', occupied, { qos: 1 }).catch(() => undefined)
    await vi.waitFor(() => expect(t.seen).toHaveLength(1))
    const first = t.seen[0]!.prepared
    expect(first.kind === 'events' && first.events.map((e) => e.type)).toEqual(['motion'])
    const failure = gatewayError('GW_ERR_STORE_WRITE_FAILED', ['disk full'])
    if (notStored) markNotStored(failure)
    t.seen[0]!.settle(failure)
    await closed(z)
    const again = await connect(t.broker.port!, 'z2m')
    const resent = again.publishAsync('zigbee2mqtt/hall/pir', occupied, { qos: 1 })
    await vi.waitFor(() => expect(t.seen).toHaveLength(2))
    const second = t.seen[1]!.prepared
    expect(second.kind === 'events' && second.events.map((e) => e.type)).toEqual(resendTypes)
    t.seen[1]!.settle()
    await resent
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
    t.broker.setConfig(configFor([device('dev-a', 's2'), device('dev-b', 's1')]))
    const again = await connect(t.broker.port!, 'dev-a')
    const sent = again.publishAsync(topic('s2', 'dev-a'), alarm('moved'), { qos: 1 })
    await vi.waitFor(() => expect(t.seen.map((s) => s.prepared.kind === 'events' && s.prepared.events[0]!.siteId)).toEqual(['s2']))
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
    await expect(startBrokerThread({ host: '127.0.0.1', port: t.broker.port!, internalToken: 'x', bridges: {}, config: configFor([]), devicePublishRate: 1, maxPayloadBytes: 1024 }, { authenticate: async () => false, refused: () => undefined, publish: async () => undefined, died: (e) => void died.push(e) }))
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
        return { id, principal, clientId: `c${id}`, topic: t, receivedAt: id * 7, prepared: { kind: 'ignore' } as const, payload: pool.subarray(pad, pad + bytes.length) }
      })
      const batch = packPublishes(queued)
      expect(batch.bytes.byteLength).toBe(items.reduce((n, [b]) => n + b.length, 0))
      const back = unpackPublishes(structuredClone(batch))
      expect(back.map((p) => [p.id, p.principal, p.clientId, p.topic, p.receivedAt, p.prepared, [...p.payload]])).toEqual(queued.map((p) => [p.id, p.principal, p.clientId, p.topic, p.receivedAt, p.prepared, [...p.payload]]))
    }))
  })
})
