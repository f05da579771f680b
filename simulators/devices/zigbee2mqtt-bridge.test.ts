import mqtt, { type MqttClient } from 'mqtt'
import { createServer, Socket, type AddressInfo, type Server } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Zigbee2mqttBridgeSimulator } from './zigbee2mqtt-bridge.js'

/**
 * The simulated zigbee2mqtt bridge against a plain aedes broker on loopback, with a subscriber checking the
 * exact topics, payloads, QoS and retain flags of protocols.md §5.2 (expected payloads written out by hand).
 */
interface Seen {
  readonly topic: string
  readonly payload: string
  readonly qos: number
  readonly retain: boolean
}

let server: Server
let broker: { close(cb?: () => void): void }
let url: string
const cleanups: (() => Promise<void>)[] = []

beforeEach(async () => {
  const { Aedes } = await import('aedes')
  const aedes = await Aedes.createBroker()
  broker = aedes
  server = createServer(aedes.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await new Promise<void>((resolve) => broker.close(() => resolve()))
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** A subscriber on `filter` recording every message it receives. */
async function subscriber(filter = 'zigbee2mqtt/#'): Promise<{ seen: Seen[]; client: MqttClient; waitFor(n: number): Promise<Seen[]> }> {
  const client = await mqtt.connectAsync(url, { clientId: `sub-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 })
  cleanups.push(() => client.endAsync())
  const seen: Seen[] = []
  client.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain }))
  await client.subscribeAsync(filter, { qos: 1 })
  const waitFor = async (n: number) => {
    for (let i = 0; i < 200 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 10))
    return seen.slice(0, n)
  }
  return { seen, client, waitFor }
}

async function startBridge(opts: { baseTopic?: string; bridgeForm?: 'json' | 'plain' } = {}) {
  const sim = await Zigbee2mqttBridgeSimulator.start({ url, username: 'z2m', password: 'secret', ...opts })
  cleanups.push(() => (sim.client.connected ? sim.stop() : Promise.resolve()))
  return sim
}

describe('zigbee2mqtt bridge simulator', () => {
  it('publishes whole device states as JSON objects on <base>/<friendly_name>, QoS 1, not retained', async () => {
    const sub = await subscriber()
    const sim = await startBridge()
    await sim.publishState('hall/pir', { occupancy: true, battery: 87, battery_low: false, tamper: false, linkquality: 120 })
    await sim.publishState('front-door', { contact: false, battery: 100, battery_low: false, tamper: false, voltage: 3000, linkquality: 96 })
    expect(await sub.waitFor(3)).toEqual([
      { topic: 'zigbee2mqtt/bridge/state', payload: '{"state":"online"}', qos: 1, retain: false },
      { topic: 'zigbee2mqtt/hall/pir', payload: '{"occupancy":true,"battery":87,"battery_low":false,"tamper":false,"linkquality":120}', qos: 1, retain: false },
      { topic: 'zigbee2mqtt/front-door', payload: '{"contact":false,"battery":100,"battery_low":false,"tamper":false,"voltage":3000,"linkquality":96}', qos: 1, retain: false },
    ])
  })

  it('publishes availability in the JSON and the plain form, retained, so a late subscriber still gets it', async () => {
    const sim = await startBridge()
    await sim.setAvailability('hall/pir', 'offline', 'json')
    await sim.setAvailability('front-door', 'online', 'plain')
    await sim.publishState('hall/pir', { occupancy: false })
    // Subscribed afterwards: only retained messages arrive, flagged retain (MQTT-3.3.1-8).
    const late = await subscriber()
    const got = await late.waitFor(3)
    expect(got.slice().sort((a, b) => a.topic.localeCompare(b.topic))).toEqual([
      { topic: 'zigbee2mqtt/bridge/state', payload: '{"state":"online"}', qos: 1, retain: true },
      { topic: 'zigbee2mqtt/front-door/availability', payload: 'online', qos: 1, retain: true },
      { topic: 'zigbee2mqtt/hall/pir/availability', payload: '{"state":"offline"}', qos: 1, retain: true },
    ])
  })

  it('uses the configured base topic and the legacy plain bridge state', async () => {
    const sub = await subscriber('z2m-site/#')
    const sim = await startBridge({ baseTopic: 'z2m-site', bridgeForm: 'plain' })
    await sim.bridgeState('offline')
    await sim.setAvailability('bath/leak', 'online')
    expect((await sub.waitFor(3)).map((m) => [m.topic, m.payload])).toEqual([
      ['z2m-site/bridge/state', 'online'],
      ['z2m-site/bridge/state', 'offline'],
      ['z2m-site/bath/leak/availability', '{"state":"online"}'],
    ])
  })

  it('announces offline on a clean stop', async () => {
    const sub = await subscriber()
    const sim = await startBridge()
    await sim.stop()
    expect((await sub.waitFor(2)).map((m) => m.payload)).toEqual(['{"state":"online"}', '{"state":"offline"}'])
  })

  it('leaves a retained offline will on bridge/state when it crashes', async () => {
    const sub = await subscriber('zigbee2mqtt/bridge/state')
    const sim = await startBridge()
    await sim.crash()
    expect((await sub.waitFor(2)).map((m) => m.payload)).toEqual(['{"state":"online"}', '{"state":"offline"}'])
    const late = await subscriber('zigbee2mqtt/bridge/state')
    expect(await late.waitFor(1)).toEqual([{ topic: 'zigbee2mqtt/bridge/state', payload: '{"state":"offline"}', qos: 1, retain: true }])
  })

  it('turns Nagle off on its socket when it connects', async () => {
    // Node has no getter for TCP_NODELAY: watch the call on the real socket instead.
    const spy = vi.spyOn(Socket.prototype, 'setNoDelay')
    try {
      const sim = await startBridge()
      expect(spy.mock.contexts).toContain(sim.client.stream)
      expect(spy.mock.calls[spy.mock.contexts.indexOf(sim.client.stream as unknown as Socket)]).toEqual([true])
    } finally {
      spy.mockRestore()
    }
  })

  it.each(['', 'a/+/b', 'a/#', 'a//b', '/a'])('refuses the friendly name %j', async (name) => {
    const sim = await startBridge()
    await expect(sim.publishState(name, { occupancy: true })).rejects.toThrow(TypeError)
  })
})
