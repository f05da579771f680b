import { startTsWorker } from '../core/worker.js'
import { type BrokerThreadSettings, type FromBroker, type ToBroker, unpackPublishes } from './broker-thread-protocol.js'

const workerModule = new URL('./broker-thread-worker.ts', import.meta.url)

export interface BrokerThreadHooks {
  /** Checks a device's (or bridge's) secret. */
  readonly authenticate: (username: string, secret: string) => Promise<boolean>
  /** The broker refused something (counted and reported once per flood by the broker). */
  readonly refused: (what: string, clientId: string, reason: string) => void
  /** Durably handles a PUBLISH; it is acknowledged once this resolves, and its client dropped if it rejects. */
  readonly publish: (principal: string | null, clientId: string, topic: string, payload: Buffer) => Promise<unknown>
  /** The thread died after it started (a bug in the broker): what the process does about it (it cannot take devices). */
  readonly died: (err: Error) => void
}

export interface BrokerThread {
  readonly port: number | null
  readonly tlsPort: number | null
  /** Refusal counts by `<what>.<reason>`, as of the thread's last report (at most a second old). */
  stats(): Record<string, number>
  /** Each principal's site again, after a configuration change. */
  setSites(sites: readonly (readonly [string, string])[]): void
  close(): Promise<void>
}

/**
 * The embedded device broker on a thread of its own (issue 9: at 20,000 events/s, parsing MQTT, aedes and the PUBACK
 * writes took a fifth of the main thread, which was the gateway's bottleneck with most of a second core idle). It
 * also keeps device keep-alives answered while the main thread is busy. Nothing about durability changes: a PUBACK
 * still waits for the main thread's answer, which comes after the event's commit is on disk.
 */
export async function startBrokerThread(settings: BrokerThreadSettings, hooks: BrokerThreadHooks): Promise<BrokerThread> {
  const worker = startTsWorker(workerModule, { settings })
  const send = (m: ToBroker) => worker.postMessage(m)
  let counts: Record<string, number> = {}
  let closing = false
  let started = false
  let closed: () => void = () => undefined
  const whenClosed = new Promise<void>((resolve) => (closed = resolve))

  // Settled publishes go back in one message per turn, like they came.
  let doneIds: number[] = []
  let doneErrors: (string | null)[] = []
  const flushDone = () => {
    const m: ToBroker = { t: 'done', ids: doneIds, errors: doneErrors }
    doneIds = []
    doneErrors = []
    send(m)
  }
  const settle = (id: number, error: string | null) => {
    if (doneIds.length === 0) setImmediate(flushDone)
    doneIds.push(id)
    doneErrors.push(error)
  }

  const ready = new Promise<{ port: number | null; tlsPort: number | null }>((resolve, reject) => {
    worker.on('message', (m: FromBroker) => {
      switch (m.t) {
        case 'publish':
          for (const p of unpackPublishes(m.batch)) {
            hooks.publish(p.principal, p.clientId, p.topic, p.payload).then(() => settle(p.id, null), (err: unknown) => settle(p.id, (err as Error)?.message ?? String(err)))
          }
          break
        case 'auth':
          hooks.authenticate(m.username, m.password).then((ok) => send({ t: 'auth', id: m.id, ok }), (err: unknown) => send({ t: 'auth', id: m.id, ok: false, error: (err as Error)?.message ?? String(err) }))
          break
        case 'refused':
          hooks.refused(m.what, m.clientId, m.reason)
          break
        case 'stats':
          counts = m.counts
          break
        case 'ready':
          resolve(m)
          break
        case 'failed':
          reject(new Error(`the device broker did not start: ${m.message}`))
          break
        case 'closed':
          closed()
          break
      }
    })
    let dead = false
    const die = (err: Error) => {
      reject(err)
      // Before it was ready, start-up fails instead ("did not start").
      if (closing || dead || !started) return
      dead = true
      hooks.died(err)
    }
    worker.on('error', die)
    worker.on('exit', (code) => {
      closed()
      die(new Error(`the device broker thread exited (${code})`))
    })
  })
  let where: { port: number | null; tlsPort: number | null }
  try {
    where = await ready
    started = true
  } catch (err) {
    closing = true
    await worker.terminate()
    throw err
  }
  return {
    port: where.port,
    tlsPort: where.tlsPort,
    stats: () => counts,
    setSites: (sites) => send({ t: 'sites', sites }),
    async close() {
      if (closing) return whenClosed
      closing = true
      send({ t: 'close' })
      await whenClosed
      await worker.terminate()
    },
  }
}
