import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { type RunningBroker, startBroker } from './broker.js'

/**
 * The broker's promise to the gateway: a QoS 1 PUBACK leaves only after `onPublish` resolved
 * (aedes alone acknowledges before persisting; reliability-security.md §2.2).
 */
describe('embedded broker', () => {
  let broker: RunningBroker | null = null
  afterEach(async () => {
    await broker?.close()
    broker = null
  })

  function deferred() {
    let resolve!: () => void
    let reject!: (e: Error) => void
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
    return { promise, resolve, reject }
  }

  async function start(onPublish: (topic: string) => Promise<void>, extra: Partial<Parameters<typeof startBroker>[0]> = {}) {
    broker = await startBroker({
      host: '127.0.0.1', port: 0,
      authenticate: async (u, p) => u === 'dev-1' && p.toString() === 'secret-1',
      onPublish: (_principal, _clientId, topic) => onPublish(topic),
      ...extra,
    })
    return broker
  }

  async function device() {
    const c = mqtt.connect(`mqtt://127.0.0.1:${broker!.port}`, { username: 'dev-1', password: 'secret-1', clientId: 'dev-1', reconnectPeriod: 0 })
    await new Promise<void>((res, rej) => (c.once('connect', () => res()), c.once('error', rej)))
    return c
  }

  it('withholds the PUBACK until onPublish has resolved', async () => {
    const gate = deferred()
    let hookEntered = false
    await start(async () => {
      hookEntered = true
      await gate.promise
    })
    const c = await device()
    let acked = false
    const published = c.publishAsync('care/s/device/dev-1/event', '{}', { qos: 1 }).then(() => (acked = true))
    await new Promise<void>((res) => {
      const poll = setInterval(() => hookEntered && (clearInterval(poll), res()), 5)
    })
    // The hook is holding the commit: give the broker every chance to acknowledge early.
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setTimeout(r, 50))
    expect(acked).toBe(false)
    gate.resolve()
    await published
    expect(acked).toBe(true)
    await c.endAsync()
  })

  it('never acknowledges when onPublish fails, and drops the connection so the device sends again', async () => {
    await start(async () => {
      throw new Error('disk full')
    })
    const c = await device()
    let acked = false
    void c.publishAsync('care/s/device/dev-1/event', '{}', { qos: 1 }).then(() => (acked = true), () => undefined)
    await new Promise<void>((res) => c.once('close', () => res()))
    expect(acked).toBe(false)
    c.end(true)
  })

  it('refuses anonymous clients, $SYS publishes and subscriptions nobody allowed', async () => {
    const refused: string[] = []
    await start(async () => undefined, { onRefused: (what, _id, reason) => refused.push(`${what}: ${reason}`) })
    const anon = mqtt.connect(`mqtt://127.0.0.1:${broker!.port}`, { reconnectPeriod: 0 })
    const err = await new Promise<Error & { code?: number }>((res) => anon.once('error', res))
    expect(err.code).toBe(4)
    anon.end(true)

    const c = await device()
    // SUBACK 0x80: refused, and the client stays connected.
    await expect(c.subscribeAsync('#', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    expect(c.connected).toBe(true)
    c.publish('$SYS/fake', 'x', { qos: 1 })
    await new Promise<void>((res) => c.once('close', () => res()))
    c.end(true)
    expect(refused).toEqual(['connect: no credentials', 'subscribe: subscribe to #', 'publish: publish to $SYS/fake'])
  })
})
