import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { createPtyPair } from '../lib/serial-link.js'
import { EspaPagingSystemSimulator } from '../pagers/espa-paging-system.js'
import { benchConfig, CARER, deviceIds, ids, LEADER, SITE, type FleetShape } from './bench-config.js'
import { type FanoutFigure, timeFanout } from './fanout.js'
import { Fleet } from './fleet.js'
import type { LoadResult, MixEntry } from './fleet-protocol.js'
import { type BenchGateway, startGateway } from './gateway-proc.js'
import { LiteClient, loopbackAddress } from './mqtt-lite.js'
import type { Scale } from './scale-of-run.js'
import { copyTemplate, seededTemplate, type Seeded } from './seed.js'
import { nowMs, sleep, summarise, type Summary } from './stats.js'
import { nextRate } from './sustained-search.js'

/** Figures 1–3 on one gateway process: fan-out (first, while no alert is open), latency under load, throughput. */
export interface GatewayFigures {
  readonly start_ms: number
  readonly latency: { readonly soft_pager: Summary; readonly espa_first_byte: Summary; readonly espa_call_block: Summary; readonly puback: Summary; readonly background: LoadResult; readonly gateway_lag_p99_ms: number }
  readonly throughput: { readonly saturated: number; readonly sustained: number; readonly confirm: LoadResult; readonly attempts: readonly { rate: number; kept: boolean; offered: number; acked: number; acked_steady: number; ack_p99_ms: number; gateway_lag_p99_ms: number; gateway_lag_max_ms: number }[]; readonly journaled: number; readonly lossless: boolean; readonly gateway_cpu_us_per_event: number }
  readonly fanout: FanoutFigure
  /** Figure 1 again with the fleet at 90 % of the sustained rate instead of 1,000 events/s (reported, no target). */
  readonly loaded: { readonly rate: number; readonly soft_pager: Summary; readonly puback: Summary; readonly background: LoadResult }
}

/**
 * Untimed alarms sent before each timed series, from devices of their own: the first alert a process raises pays for
 * compiling its code path (tens of ms), which belongs to start-up, not to the steady state the targets describe.
 */
const WARMUP = 2
export const mainShape = (s: Scale, espaPort: string | null): FleetShape => ({ latency: s.latencySamples + s.fanoutSamples + 2 * WARMUP + s.loadedSamples, background: s.background, alarm: s.alarm, scale: 0, canary: 0, espaPort, devicePublishRate: s.devicePublishRate })
export const backgroundMix: MixEntry[] = [{ prefix: 'pir-', type: 'heartbeat', weight: 1 }, { prefix: 'pir-', type: 'motion', weight: 1 }]
export const throughputMix: MixEntry[] = [{ prefix: 'pir-', type: 'heartbeat', weight: 50 }, { prefix: 'pir-', type: 'motion', weight: 49 }, { prefix: 'alm-', type: 'seizure_alarm', weight: 1 }]

/** Connect the runner's own timed devices (one connection each), spread over loopback addresses. */
async function connectTimed(port: number, seeded: Seeded, idsToConnect: string[]): Promise<Map<string, LiteClient>> {
  const out = new Map<string, LiteClient>()
  for (const [i, id] of idsToConnect.entries()) out.set(id, await LiteClient.connect({ port, clientId: id, username: id, password: seeded.devices[id]!, localAddress: loopbackAddress(5000 + Math.floor(i / 10)) }))
  return out
}

/** Latency device index of warm-up alarm `k` (0 ≤ k < 2 × WARMUP), after the timed ones. */
const warmupIndex = (s: Scale, k: number) => s.latencySamples + s.fanoutSamples + k
/** Latency device index of the alarm timed under heavy load, `i` (0 ≤ i < loadedSamples), after the warm-ups. */
const loadedIndex = (s: Scale, i: number) => s.latencySamples + s.fanoutSamples + 2 * WARMUP + i

async function warmUp(s: Scale, timed: Map<string, LiteClient>, first: number): Promise<void> {
  for (let k = first; k < first + WARMUP; k++) {
    const id = ids.latency(warmupIndex(s, k))
    await publishAlarm(timed.get(id)!, id, 0)
    await sleep(300)
  }
}

const publishAlarm = (c: LiteClient, id: string, n: number) => c.publishAsync(`care/${SITE}/device/${id}/event`, `{"event_id":"bench-${id}-${n}-${Date.now()}","type":"seizure_alarm","at":"${new Date().toISOString()}"}`)

function fanout(s: Scale, gw: BenchGateway, seeded: Seeded, timed: Map<string, LiteClient>): Promise<FanoutFigure> {
  return timeFanout({
    url: `ws://127.0.0.1:${gw.httpPort}/ws`, token: seeded.users[LEADER]!, screens: s.screens, samples: s.fanoutSamples,
    rooms: (i) => ids.latencyRoom(s.latencySamples + i),
    warmUp: () => warmUp(s, timed, 0),
    trigger: async (i) => {
      const idx = s.latencySamples + i
      const t0 = nowMs()
      await publishAlarm(timed.get(ids.latency(idx))!, ids.latency(idx), 0)
      return t0
    },
  })
}

/** The soft pager's screen (the carer's phone): first `notification` per room code, on the monotonic clock. */
async function softPager(httpPort: number, token: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, ['care-gateway.v1', `bearer.${token}`], { perMessageDeflate: false })
  const at = new Map<string, number>()
  ws.on('message', (data: Buffer) => {
    const t = nowMs()
    if (!data.subarray(0, 24).toString().startsWith('{"type":"notification"')) return
    const n = (JSON.parse(data.toString()) as { notification: { protocol: string; text: string } }).notification
    const room = n.text.split(' ')[0]!
    if (n.protocol === 'soft' && !at.has(room)) at.set(room, t)
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  return { at, close: () => ws.terminate() }
}

/**
 * The paging system's side of the pty, by room code: when the call's exchange began (the first byte of the
 * control station's poll-self and select, `EOT '1' ENQ`, §1.4) and when the call block's SOH arrived.
 */
function espaTap(paging: EspaPagingSystemSimulator): { select: Map<string, number>; block: Map<string, number> } {
  const select = new Map<string, number>()
  const block = new Map<string, number>()
  let selectAt: number | null = null
  let sohAt: number | null = null
  let tail = Buffer.alloc(0)
  paging.on('trace', (dir, bytes) => {
    if (dir !== 'rx') return
    const t = nowMs()
    // A select may straddle chunks: look at the last two bytes of the previous chunk too.
    const seen = Buffer.concat([tail, bytes])
    tail = seen.subarray(-2)
    if (selectAt === null && seen.includes(Buffer.from([0x04, 0x31, 0x05]))) selectAt = t
    if (selectAt !== null && sohAt === null && bytes.includes(0x01)) sohAt = t
  })
  paging.on('call', (call) => {
    const room = (call.message ?? '').split(' ')[0]!
    if (call.callType === '3' && !block.has(room)) {
      block.set(room, sohAt ?? nowMs())
      select.set(room, selectAt ?? sohAt ?? nowMs())
    }
    selectAt = null
    sohAt = null
  })
  return { select, block }
}

/** Per room sent at `sent`, how long until `seen` had it; throws naming `what` if a room never arrived. */
function sinceSent(sent: ReadonlyMap<string, number>, seen: ReadonlyMap<string, number>, what: string): number[] {
  return [...sent].map(([room, t0]) => {
    const t = seen.get(room)
    if (t === undefined) throw new Error(`${what} never received ${room}`)
    return t - t0
  })
}

async function latency(s: Scale, gw: BenchGateway, seeded: Seeded, fleet: Fleet, timed: Map<string, LiteClient>, paging: EspaPagingSystemSimulator): Promise<GatewayFigures['latency']> {
  const soft = await softPager(gw.httpPort, seeded.users[CARER]!)
  const espa = espaTap(paging)
  const sent = new Map<string, number>()
  const puback: number[] = []
  const duration = s.latencySamples * s.latencySpacingMs + 1500
  const bg = fleet.load({ label: 'bg', rate: s.backgroundRate, window: 0, maxInflight: 10_000, durationMs: duration, drainMs: 3000, mix: backgroundMix })
  await sleep(1000)
  await warmUp(s, timed, WARMUP)
  await gw.probe()
  for (let i = 0; i < s.latencySamples; i++) {
    const id = ids.latency(i)
    const t0 = nowMs()
    sent.set(ids.latencyRoom(i), t0)
    await publishAlarm(timed.get(id)!, id, 0)
    puback.push(nowMs() - t0)
    await sleep(Math.max(0, s.latencySpacingMs - (nowMs() - t0)))
  }
  const lag = (await gw.probe()).lag_ms.p99
  const background = await bg
  await sleep(1500)
  soft.close()
  const delta = (seen: Map<string, number>, what: string) => sinceSent(sent, seen, `latency: ${what}`)
  return { soft_pager: summarise(delta(soft.at, 'the soft pager')), espa_first_byte: summarise(delta(espa.select, 'the ESPA paging system')), espa_call_block: summarise(delta(espa.block, 'the ESPA paging system')), puback: summarise(puback), background, gateway_lag_p99_ms: lag }
}

/**
 * Alert latency under heavy load: the fleet sends the throughput mix at `rate` (90 % of the sustained rate) while
 * alarms from devices not used before are timed to the soft pager and to their PUBACK, 100 ms apart. Figure 1 asks
 * for 1,000 events/s; this shows what a seizure alarm waits behind when the gateway is near its limit (a bridge or a
 * whole site reconnecting and flushing what it queued).
 */
async function latencyUnderLoad(s: Scale, gw: BenchGateway, seeded: Seeded, fleet: Fleet, timed: Map<string, LiteClient>, rate: number): Promise<GatewayFigures['loaded']> {
  const soft = await softPager(gw.httpPort, seeded.users[CARER]!)
  const spacing = 100
  const sent = new Map<string, number>()
  const puback: number[] = []
  const bg = fleet.load({ label: 'loaded', rate, window: 0, maxInflight: 20_000, durationMs: s.loadedSamples * spacing + 2000, drainMs: 10_000, mix: throughputMix })
  await sleep(1000)
  await Promise.all(Array.from({ length: s.loadedSamples }, async (_, i) => {
    await sleep(i * spacing)
    const id = ids.latency(loadedIndex(s, i))
    const t0 = nowMs()
    sent.set(ids.latencyRoom(loadedIndex(s, i)), t0)
    await publishAlarm(timed.get(id)!, id, 0)
    puback.push(nowMs() - t0)
  }))
  const background = await bg
  await sleep(1000)
  soft.close()
  return { rate, soft_pager: summarise(sinceSent(sent, soft.at, 'latency under load: the soft pager')), puback: summarise(puback), background }
}

function journaled(dataDir: string, prefix: string): number {
  const db = new Database(join(dataDir, 'gateway.db'), { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM journal WHERE event_id >= ? AND event_id < ?').get(prefix, `${prefix}\uffff`) as { n: number }).n
  } finally {
    db.close()
  }
}

/** A rate counts as sustained only if PUBACKs keep up: p99 under half a second (no queue building up). */
const MAX_ACK_P99_MS = 500
/**
 * What a carried try sustained: PUBACKs per second while sending, never more than was offered (a stall before the
 * steady window opens lets the acknowledgements of its backlog land inside it, above the offered rate).
 */
const carried = (r: LoadResult) => Math.min(r.steadyAckedPerSecond, r.offeredPerSecond)

/** Open-loop tries per run: enough to step down twice and bisect twice. */
const MAX_ATTEMPTS = 6

async function throughput(s: Scale, gw: BenchGateway, fleet: Fleet, dataDir: string): Promise<GatewayFigures['throughput']> {
  await gw.probe()
  const sat = await fleet.load({ label: 'sat', rate: 0, window: s.window, maxInflight: s.window, durationMs: s.throughputMs, drainMs: 10_000, mix: throughputMix })
  const satProbe = await gw.probe()
  await sleep(500)
  await gw.probe() // the next window starts here
  // Confirm in open loop (simulators/bench/sustained-search.ts): 90 % of the found rate, 15 % less while nothing is
  // carried without loss and without backlog, then halfway between the best carried rate and the failure above it.
  const attempts: GatewayFigures['throughput']['attempts'][number][] = []
  const results: LoadResult[] = []
  let best: LoadResult | null = null
  let bestRate = 0
  for (let rate = nextRate(sat.ackedPerSecond, [], MAX_ATTEMPTS); rate !== null; rate = nextRate(sat.ackedPerSecond, attempts, MAX_ATTEMPTS)) {
    if (attempts.length > 0) await sleep(500)
    const confirm = await fleet.load({ label: `tp${attempts.length}`, rate, window: 0, maxInflight: 20_000, durationMs: s.confirmMs, drainMs: 10_000, mix: throughputMix })
    // Carried: nothing lost or left unacknowledged, PUBACKs at the offered rate while sending (the steady rate: over the
    // whole run the last in-flight events' drain counts as time, 2-3 % below a rate that was fully carried), and no
    // queue building up (PUBACK p99 bound).
    const kept = confirm.failed === 0 && confirm.unacked === 0 && confirm.steadyAckedPerSecond >= 0.97 * rate && confirm.ackMs.p99 < MAX_ACK_P99_MS
    // The gateway's event-loop lag over the attempt: at ~80 % of capacity one stall queues enough work to push
    // PUBACK p99 past the limit (BENCHMARKS.md), so it is kept next to each verdict.
    const lag = (await gw.probe()).lag_ms
    attempts.push({ rate, kept, offered: confirm.offeredPerSecond, acked: confirm.ackedPerSecond, acked_steady: confirm.steadyAckedPerSecond, ack_p99_ms: confirm.ackMs.p99, gateway_lag_p99_ms: lag.p99, gateway_lag_max_ms: lag.max })
    results.push(confirm)
    if (kept && (!best || rate > bestRate)) {
      best = confirm
      bestRate = rate
    }
  }
  const confirm = best ?? results.at(-1)!
  const n = journaled(dataDir, confirm.eventPrefix)
  // Zero loss: every acknowledged event of every try is in the journal, and the figure's try had everything acknowledged.
  const lossless = n === confirm.acked && confirm.failed === 0 && confirm.unacked === 0 && results.every((r) => journaled(dataDir, r.eventPrefix) >= r.acked)
  return { saturated: sat.ackedPerSecond, sustained: best && lossless ? carried(confirm) : 0, confirm, attempts, journaled: n, lossless, gateway_cpu_us_per_event: (satProbe.cpu_ms * 1000) / Math.max(1, sat.acked) }
}

/** One run of figures 1–3: its own gateway on a fresh copy of the seeded data directory, its own pty pair. */
export async function measureGateway(s: Scale, opts: { cpuProfDir?: string; loadedRate?: number } = {}): Promise<GatewayFigures> {
  const work = mkdtempSync(join(tmpdir(), 'care-gw-bench-run-'))
  const pty = await createPtyPair(join(work, 'espa'))
  const shape = mainShape(s, pty.a)
  const seeded = await seededTemplate('main', deviceIds(shape))
  const dataDir = copyTemplate(seeded, work)
  const config = join(work, 'config.json')
  writeFileSync(config, JSON.stringify(benchConfig(shape)))
  // pagedAfterMs null: the paging system only ACKs; no status traffic, so every call measures the same path.
  const paging = await EspaPagingSystemSimulator.start(pty.b, { pagedAfterMs: null })
  const gw = await startGateway({ config, dataDir, ...(opts.cpuProfDir ? { cpuProfDir: opts.cpuProfDir } : {}) })
  const fleet = Fleet.start()
  let timed: Map<string, LiteClient> | null = null
  try {
    const fleetIds = [...Array.from({ length: shape.background }, (_, i) => ids.background(i)), ...Array.from({ length: shape.alarm }, (_, i) => ids.alarm(i))]
    await fleet.connect({ tag: 'gw', port: gw.mqttPort, site: SITE, devices: fleetIds.map((id) => ({ id, password: seeded.devices[id]! })), addrOffset: 0, concurrency: 50 })
    timed = await connectTimed(gw.mqttPort, seeded, Array.from({ length: shape.latency }, (_, i) => ids.latency(i)))
    const fan = await fanout(s, gw, seeded, timed)
    const lat = await latency(s, gw, seeded, fleet, timed, paging)
    const tp = await throughput(s, gw, fleet, dataDir)
    await sleep(500)
    const loaded = await latencyUnderLoad(s, gw, seeded, fleet, timed, opts.loadedRate ?? Math.round(0.9 * (tp.sustained || tp.saturated)))
    return { start_ms: gw.startMs, latency: lat, throughput: tp, fanout: fan, loaded }
  } finally {
    for (const c of timed?.values() ?? []) c.end()
    await fleet.close()
    await gw.stop()
    await paging.stop()
    await pty.close()
    rmSync(work, { recursive: true, force: true })
  }
}
