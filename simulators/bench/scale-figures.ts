import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { benchConfig, deviceIds, ids, LEADER, SITE, type FleetShape } from './bench-config.js'
import { Fleet } from './fleet.js'
import { startGateway } from './gateway-proc.js'
import { LiteClient } from './mqtt-lite.js'
import type { Scale } from './scale-of-run.js'
import { copyTemplate, seededTemplate } from './seed.js'
import { nowMs, sleep } from './stats.js'

/** Figure 4: N devices connected, each with a 60 s heartbeat. */
export interface ScaleFigures {
  /** Configured and supervised. */
  readonly devices: number
  /** Connected: all of them, unless the open-file limit the gateway inherits is lower (see fdHeadroom). */
  readonly connected: number
  readonly fd_limit: number
  readonly connect_ms: number
  readonly rss_bytes: number
  readonly heap_used_bytes: number
  readonly lag_p99_ms: number
  readonly lag_max_ms: number
  readonly heartbeats: number
  /** Canary's last PUBACK → "NOT REPORTING" on the team board, and how much of that is past its 6 s window. */
  readonly silence_detect_ms: number
  readonly silence_past_window_ms: number
}

/**
 * One socket per device: a gateway for 20,000 devices needs an open-file limit above 20,000 (systemd
 * `LimitNOFILE=65536`). This VM's hard limit is exactly 20,000 and cannot be raised, so the bench connects what
 * fits, keeping this many descriptors for the database, listeners, pipes and screens, and reports both counts.
 */
const fdHeadroom = 100

function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1])
}

const CANARY_WINDOW_MS = 6000 // interval_s 4 + grace_s 2 in bench-config.ts

/** Resolves with the time the team board first shows a technical alert for `deviceId`. */
async function boardWatch(httpPort: number, token: string, deviceId: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, ['care-gateway.v1', `bearer.${token}`], { perMessageDeflate: false })
  let seen: (t: number) => void = () => undefined
  const at = new Promise<number>((r) => (seen = r))
  ws.on('message', (data: Buffer) => {
    const t = nowMs()
    if (!data.subarray(0, 16).toString().startsWith('{"type":"alert"')) return
    const a = (JSON.parse(data.toString()) as { alert: { device_id: string | null; kind: string } }).alert
    if (a.device_id === deviceId && a.kind === 'technical') seen(t)
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  return { at, close: () => ws.terminate() }
}

export async function measureScale(s: Scale): Promise<ScaleFigures> {
  const shape: FleetShape = { latency: 0, background: 0, alarm: 0, scale: s.scaleDevices, canary: 1, espaPort: null, devicePublishRate: 20 }
  const seeded = await seededTemplate('scale', deviceIds(shape))
  const work = mkdtempSync(join(tmpdir(), 'care-gw-bench-scale-'))
  const dataDir = copyTemplate(seeded, work)
  const config = join(work, 'config.json')
  writeFileSync(config, JSON.stringify(benchConfig(shape)))
  const gw = await startGateway({ config, dataDir })
  const fleets = [Fleet.start(), Fleet.start()]
  const id = ids.canary(0)
  // The canary speaks first and every second while the fleet connects, so its short window never lapses early.
  const canary = await LiteClient.connect({ port: gw.mqttPort, clientId: id, username: id, password: seeded.devices[id]!, localAddress: '127.3.0.1' })
  let lastAck = 0
  let beating = true
  const beat = async () => {
    for (let i = 0; beating; i++) {
      await canary.publishAsync(`care/${SITE}/device/${id}/event`, `{"event_id":"cn-${i}-${Date.now()}","type":"heartbeat","at":"${new Date().toISOString()}"}`)
      lastAck = nowMs()
      await sleep(1000)
    }
  }
  const beater = beat()
  try {
    const fdLimit = openFileLimit()
    const all = Array.from({ length: Math.min(s.scaleDevices, fdLimit - fdHeadroom) }, (_, i) => ids.scale(i))
    const half = Math.ceil(all.length / 2)
    const t0 = nowMs()
    await Promise.all(fleets.map((f, k) => {
      const part = all.slice(k * half, (k + 1) * half)
      return f.connect({ tag: `sc${k}`, port: gw.mqttPort, site: SITE, devices: part.map((id) => ({ id, password: seeded.devices[id]! })), addrOffset: k * 3000, concurrency: 100 })
    }))
    const connectMs = nowMs() - t0
    const board = await boardWatch(gw.httpPort, seeded.users[LEADER]!, id)
    await gw.probe()
    const beats = fleets.map((f) => f.heartbeat(60_000, s.scaleMs))
    await sleep(2000)
    beating = false
    await beater
    const detected = await Promise.race([board.at, sleep(CANARY_WINDOW_MS + 20_000).then(() => NaN)])
    const sent = await Promise.all(beats)
    const probe = await gw.probe()
    board.close()
    const detect = detected - lastAck
    return {
      devices: s.scaleDevices, connected: all.length, fd_limit: fdLimit, connect_ms: connectMs, rss_bytes: probe.rss_bytes, heap_used_bytes: probe.heap_used_bytes, lag_p99_ms: probe.lag_ms.p99, lag_max_ms: probe.lag_ms.max,
      heartbeats: sent.reduce((a, b) => a + b.sent, 0), silence_detect_ms: detect, silence_past_window_ms: detect - CANARY_WINDOW_MS,
    }
  } finally {
    beating = false
    canary.end()
    await Promise.all(fleets.map((f) => f.close()))
    await gw.stop()
    rmSync(work, { recursive: true, force: true })
  }
}
