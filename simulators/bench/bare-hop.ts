import { fork, spawn } from 'node:child_process'
import { join } from 'node:path'
import { type FanoutFigure, timeFanout } from './fanout.js'
import { Fleet } from './fleet.js'
import type { LoadResult, MixEntry } from './fleet-protocol.js'
import { repoRoot } from './gateway-proc.js'
import { LiteClient } from './mqtt-lite.js'
import { nowMs, sleep, summarise, type Summary } from './stats.js'
import type { Scale } from './scale-of-run.js'
import { measureCommitFloor } from './commit-floor.js'
import { provisioningCost } from './seed.js'

/** Figure 6: the bare aedes hop, publish → subscribe through the same broker configuration, no gateway logic. */
export interface BareHop {
  /** Device QoS 1 publish → the subscriber has it, ms, with the background load running. */
  readonly latency: Summary
  /** Closed-loop QoS 1 publishes/s acknowledged, every one delivered to the subscriber. */
  readonly throughput: number
  readonly throughput_lossless: boolean
  /** One fsync'd SQLite commit on this disk (reference, not part of the hop). */
  readonly commit: Awaited<ReturnType<typeof measureCommitFloor>>
  /** One production-strength credential hash (scrypt N=2^14): what issuing, or first verifying, a device costs. */
  readonly credential: Awaited<ReturnType<typeof provisioningCost>>
  /**
   * Figure 3's floor: a bare `ws` server (bare-screens.ts) writing one alert frame, as large as the gateway's, to the
   * same number of screens in the same screens process; from its first write to the last screen having it.
   */
  readonly fanout: FanoutFigure
}

/** Payload size of the floor's frames: the gateway's alert frames measure ~613 bytes in the bench (`fanout.frame_bytes`). */
const FLOOR_FRAME_BYTES = 620

/** Figure 3's floor on a bare `ws` server in its own process. */
async function measureFanoutFloor(s: Scale): Promise<FanoutFigure> {
  const server = fork(join(import.meta.dirname, 'bare-screens.ts'), [], { execArgv: ['--import', 'tsx'] })
  const next = <T>(kind: string) => new Promise<T>((resolve, reject) => {
    const on = (m: { kind: string }) => {
      if (m.kind !== kind) return
      server.off('message', on)
      server.off('exit', exit)
      resolve(m as T)
    }
    const exit = (code: number | null) => reject(new Error(`bare screens server exited (${code})`))
    server.on('message', on)
    server.once('exit', exit)
  })
  try {
    const { port } = await next<{ port: number }>('listening')
    const send = async (room: string) => {
      const sent = next<{ at: number }>('sent')
      server.send({ cmd: 'send', room, bytes: FLOOR_FRAME_BYTES })
      return (await sent).at
    }
    return await timeFanout({
      url: `ws://127.0.0.1:${port}/`, token: null, screens: s.screens, samples: s.fanoutSamples,
      rooms: (i) => `F${i}`,
      // As the gateway's figure: two untimed frames first.
      warmUp: async () => {
        for (const room of ['W0', 'W1']) {
          await send(room)
          await sleep(300)
        }
      },
      trigger: (_i, room) => send(room),
    })
  } finally {
    server.kill('SIGTERM')
  }
}

const SITE = 'bench'

async function startBareBroker(deviceRate: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'broker', 'src', 'bare-main.ts'), '--device-rate', String(deviceRate)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] })
  const info = await new Promise<{ port: number; internal_token: string }>((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as { port: number; internal_token: string })
    })
    child.once('exit', (code) => reject(new Error(`bare broker exited (${code})`)))
  })
  return { ...info, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM') }) }
}

export async function measureBareHop(s: Scale): Promise<BareHop> {
  const broker = await startBareBroker(s.devicePublishRate)
  const fleet = Fleet.start()
  const sub = await LiteClient.connect({ port: broker.port, clientId: 'gateway-bench', username: 'gateway', password: broker.internal_token })
  const pub = await LiteClient.connect({ port: broker.port, clientId: 'probe-0', username: 'probe-0', password: 'bench', localAddress: '127.2.0.1' })
  try {
    await sub.subscribe(`care/${SITE}/device/+/event`)
    const sentAt = new Map<string, number>()
    const lat: number[] = []
    sub.on('message', (topic, payload) => {
      if (!topic.includes('/probe-0/')) return
      const t = nowMs()
      const id = JSON.parse(payload.toString()).event_id as string
      const t0 = sentAt.get(id)
      if (t0 !== undefined) lat.push(t - t0)
    })
    const devices = Array.from({ length: s.background }, (_, i) => ({ id: `bare-${i}`, password: 'bench' }))
    await fleet.connect({ tag: 'bare', port: broker.port, site: SITE, devices, addrOffset: 0, concurrency: 50 })
    const mix: MixEntry[] = [{ prefix: 'bare-', type: 'heartbeat', weight: 1 }]
    // Latency under the same background as the gateway's figure 1.
    const bg = fleet.load({ label: 'bg', rate: s.backgroundRate, window: 0, maxInflight: 10_000, durationMs: s.latencySamples * s.latencySpacingMs + 1000, drainMs: 2000, mix })
    await sleep(500)
    for (let i = 0; i < s.latencySamples; i++) {
      const id = `p-${i}`
      sentAt.set(id, nowMs())
      await pub.publishAsync(`care/${SITE}/device/probe-0/event`, `{"event_id":"${id}","type":"seizure_alarm","at":"${new Date().toISOString()}"}`)
      await sleep(s.latencySpacingMs)
    }
    await bg
    // Throughput is publish → PUBACK with nobody subscribed, as on the gateway (whose consumer is the hook, not a
    // subscriber). With one subscriber falling behind, aedes's mqemitter (concurrency 100) drains its backlog
    // recursively and overflows the stack: seen at 2,000 in flight, aedes 1.2.0.
    sub.end()
    await sleep(200)
    const sat: LoadResult = await fleet.load({ label: 'sat', rate: 0, window: s.window, maxInflight: s.window, durationMs: s.throughputMs, drainMs: 5000, mix })
    const commit = await measureCommitFloor(s.latencySamples, s.latencySpacingMs)
    const credential = await provisioningCost(s.name === 'smoke' ? 2 : 20)
    const fanout = await measureFanoutFloor(s)
    return { latency: summarise(lat), throughput: sat.ackedPerSecond, throughput_lossless: sat.failed === 0 && sat.unacked === 0, commit, credential, fanout }
  } finally {
    sub.end()
    pub.end()
    await fleet.close()
    await broker.stop()
  }
}
