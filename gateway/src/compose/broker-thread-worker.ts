import { parentPort, workerData } from 'node:worker_threads'
import { createTopicAcl, startBroker, type RunningBroker } from '../../../broker/src/index.js'
import { type BrokerThreadSettings, type FromBroker, packPublishes, type QueuedPublish, type ToBroker } from './broker-thread-protocol.js'

/**
 * The device broker's thread (compose/broker-thread.ts): aedes, the MQTT parser and every device socket live here, so
 * the main thread spends its time on the pipeline and the database. Authentication and each PUBLISH are asked of the
 * main thread; a PUBLISH is acknowledged only when the main thread says its event is durably committed.
 */
const port = parentPort!
const settings = (workerData as { settings: BrokerThreadSettings }).settings
const post = (m: FromBroker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer)

let sites = new Map(settings.sites)
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
    for (let i = 0; i < m.ids.length; i++) {
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
    // A check that could not be made is not a wrong secret: the broker answers CONNACK 5 and counts `auth-error`.
    if (m.error !== undefined) w?.reject(new Error(m.error))
    else w?.resolve(m.ok)
  } else if (m.t === 'sites') {
    sites = new Map(m.sites)
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
      const id = ++nextId
      waitingPublish.set(id, { resolve, reject })
      if (queued.length === 0) setImmediate(flushPublishes)
      queued.push({ id, principal: principal?.username ?? null, clientId, topic, payload })
    }),
  })
  post({ t: 'ready', port: broker.port, tlsPort: broker.tlsPort })
} catch (err) {
  post({ t: 'failed', message: (err as Error).message })
  port.close()
}
