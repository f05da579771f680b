import mqtt, { type MqttClient } from 'mqtt'
import type { Socket } from 'node:net'
import WebSocket from 'ws'

/** Connect as a device, the way field devices do: own credentials, QoS 1, Nagle off. */
export async function connectDevice(port: number, username: string, password: string, clientId = username): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, password, clientId, clean: true, reconnectPeriod: 0, connectTimeout: 10_000 })
  client.on('connect', () => (client.stream as Socket).setNoDelay?.(true))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

let counter = 0
/** A fresh event id. */
export function eventId(prefix = 'ev'): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`
}

/** Publish a native JSON event at QoS 1; resolves on PUBACK. */
export async function publishEvent(client: MqttClient, deviceId: string, body: { event_id?: string; type: string; at?: string }, site = 'oak-house'): Promise<string> {
  const id = body.event_id ?? eventId()
  const payload = JSON.stringify({ event_id: id, type: body.type, at: body.at ?? new Date().toISOString() })
  await client.publishAsync(`care/${site}/device/${deviceId}/event`, payload, { qos: 1 })
  return id
}

export interface Screen {
  readonly ws: WebSocket
  readonly messages: Array<Record<string, unknown>>
  waitFor(pred: (m: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>
  send(msg: unknown): void
  close(): void
}

/** Connect to the live WebSocket exactly as the soft pager page does (subprotocol carries the token). */
export async function connectScreen(httpPort: number, token: string): Promise<Screen> {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, ['care-gateway.v1', `bearer.${token}`])
  const messages: Array<Record<string, unknown>> = []
  const waiters = new Set<() => void>()
  ws.on('message', (d) => {
    messages.push(JSON.parse(d.toString()) as Record<string, unknown>)
    for (const w of waiters) w()
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ws,
    messages,
    waitFor(pred, what, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(pred)
          if (found) {
            waiters.delete(check)
            clearTimeout(timer)
            resolve(found)
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages.map((m) => m.type))}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    send: (msg) => ws.send(JSON.stringify(msg)),
    close: () => ws.close(),
  }
}

/** Call the HTTP API as a user. */
export async function api(httpPort: number, token: string | null, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body }
}

/** Poll `fn` until it returns a truthy value (bounded), for state that arrives asynchronously. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
