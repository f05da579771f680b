import { parentPort, workerData } from 'node:worker_threads'
import { createTopicAcl, startBroker, type RunningBroker } from '../../../broker/src/index.js'
import { deviceAdapters } from '../../../device-adapters/src/index.js'
import { checkContextOf, prepareMessage, toWire } from '../pipeline-prepare.js'
import type { BrokerThreadConfig, BrokerThreadSettings, FromBroker, QueuedPublish, ToBroker } from './broker-thread-protocol.js'
import { packPublishes } from './broker-thread-protocol.js'

/**
 * The device broker's thread (compose/broker-thread.ts): aedes, the MQTT parser and every device socket live here, and
 * each PUBLISH is checked and decoded here too (pipeline-prepare.ts), so the main thread spends its time on the pipeline
 * and the database. Authentication and each PUBLISH are asked of the main thread; a PUBLISH is acknowledged only when
 * the main thread says its events are durably committed.
 */
const port = parentPort!
const settings = (workerData as { settings: BrokerThreadSettings }).settings
const post = (m: FromBroker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer)

let sites: Map<string, string>
let checkCtx: ReturnType<typeof checkContextOf>
function configure(c: BrokerThreadConfig): void {
  sites = new Map(c.sites)
  checkCtx = checkContextOf(c.ingest)
}
configure(settings.config)
const decoders = new Map(deviceAdapters.map((a) => [a.id, a]))
/** Each device's decoder state (zigbee2mqtt edge detection): messages are read here, in the order they arrive. */
const decoderStates = new Map<string, unknown>()
/** How to put a device's decoder state back, per publish that moved it, until the main thread has answered. */
const undos = new Map<number, () => void>()

let nextId = 0
const waitingAuth = new Map<number, { resolve: (ok: boolean) => void; reject: (e: Error) => void }>()
const waitingPublish = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
let queued: QueuedPublish[] = []

/** Every PUBLISH read in this turn of the event loop goes to the main thread in one message. */
function flushPublishes(): void {
  const items = queued
  queued = []
  const batch = packPublishes(items)
  post({ t: 'publish', batch }, [batch.bytes])
}

let lastStats = '{}'
let broker: RunningBroker | null = null
/** Refusal counts for the gateway's metrics, sent when they change (floods are counted without a report). */
function sendStats(): void {
  if (!broker) return
  const counts = broker.stats()
  const text = JSON.stringify(counts)
  if (text === lastStats) return
  lastStats = text
  post({ t: 'stats', counts })
}
const statsTimer = setInterval(sendStats, 1000)
statsTimer.unref()

port.on('message', (m: ToBroker) => {
  if (m.t === 'done') {
    // Before the acknowledgements: a resend must be read against the state its first reading was.
    for (const id of m.undo) undos.get(id)?.()
    for (let i = 0; i < m.ids.length; i++) {
      undos.delete(m.ids[i]!)
      const w = waitingPublish.get(m.ids[i]!)
      if (!w) continue
      waitingPublish.delete(m.ids[i]!)
      const error = m.errors[i]
      if (error === null || error === undefined) w.resolve()
      else w.reject(new Error(error))
    }
  } else if (m.t === 'auth') {
    const w = waitingAuth.get(m.id)
    waitingAuth.delete(m.id)
    if (m.error !== undefined) w?.reject(new Error(m.error))
    else w?.resolve(m.ok)
  } else if (m.t === 'config') {
    configure(m.config)
  } else if (m.t === 'close') {
    clearInterval(statsTimer)
    void (broker?.close() ?? Promise.resolve()).finally(() => {
      sendStats()
      post({ t: 'closed' })
      port.close()
    })
  }
})

const bridges = settings.bridges
const devRate = settings.devicePublishRate
try {
  broker = await startBroker({
    host: settings.host,
    port: settings.port,
    internalToken: settings.internalToken,
    // Read per call: a device added while running (issue 7) is held to its site from its first message.
    acl: createTopicAcl({ bridges, siteOf: (principal) => sites.get(principal) }),
    publishRate: (principal) => (Object.hasOwn(bridges, principal) ? { burst: 1000, perSecond: 500 } : { burst: Math.max(1, Math.ceil(devRate * 2)), perSecond: devRate }),
    maxPayloadBytes: settings.maxPayloadBytes,
    ...(settings.tls ? { tls: settings.tls } : {}),
    authenticate: (username, password) => new Promise<boolean>((resolve, reject) => {
      const id = ++nextId
      waitingAuth.set(id, { resolve, reject })
      post({ t: 'auth', id, username, password: password.toString('utf8') })
    }),
    onRefused: (what, clientId, reason) => {
      post({ t: 'refused', what, clientId, reason })
      setImmediate(sendStats)
    },
    onPublish: (principal, clientId, topic, payload) => new Promise<void>((resolve, reject) => {
      // The gateway's receipt time: when this thread read it, before any queueing on the main thread.
      const raw = { transport: 'mqtt' as const, topic, payload, principal: principal?.username ?? null, clientId, receivedAt: Date.now() }
      const { prepared, undo } = prepareMessage(raw, checkCtx, decoders, decoderStates)
      const id = ++nextId
      waitingPublish.set(id, { resolve, reject })
      if (undo) undos.set(id, undo)
      if (queued.length === 0) setImmediate(flushPublishes)
      queued.push({ id, principal: raw.principal, clientId, topic, receivedAt: raw.receivedAt, prepared: toWire(prepared), payload })
    }),
  })
  post({ t: 'ready', port: broker.port, tlsPort: broker.tlsPort })
} catch (err) {
  post({ t: 'failed', message: (err as Error).message })
  port.close()
}
