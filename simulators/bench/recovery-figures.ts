import Database from 'better-sqlite3'
import { cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { benchConfig, deviceIds, ids, LEADER, SITE, type FleetShape } from './bench-config.js'
import { Fleet } from './fleet.js'
import { startGateway } from './gateway-proc.js'
import { LiteClient } from './mqtt-lite.js'
import type { Scale } from './scale-of-run.js'
import { copyTemplate, gatewayCodeKey, seededTemplate, type Seeded } from './seed.js'
import { nowMs, sleep } from './stats.js'

/** Figure 5: kill -9 with N journal rows and M open alerts, restart. */
export interface RecoveryFigures {
  readonly journal_rows: number
  readonly open_alerts: number
  /** Restart spawn → listening (broker and HTTP up). */
  readonly listening_ms: number
  /** Restart spawn → a device's QoS 1 event is PUBACKed. */
  readonly accepting_ms: number
  /** Restart spawn → the API lists every open alert. */
  readonly alerts_restored_ms: number
  /** The later of the two: the figure compared with the target. */
  readonly recovery_ms: number
}

const shapeOf = (s: Scale): FleetShape => ({ latency: 0, background: s.background, alarm: s.recoveryAlerts, scale: 0, canary: 0, espaPort: null, devicePublishRate: s.devicePublishRate })

function countRows(dataDir: string): { rows: number; open: number } {
  const db = new Database(join(dataDir, 'gateway.db'), { readonly: true })
  try {
    const rows = (db.prepare('SELECT count(*) AS n FROM journal').get() as { n: number }).n
    const open = (db.prepare("SELECT count(*) AS n FROM alerts WHERE state != 'closed'").get() as { n: number }).n
    return { rows, open }
  } finally {
    db.close()
  }
}

/** Crash templates filled by earlier code kept besides the current one (another worktree may be measuring on one). */
const KEEP_OLDER_TEMPLATES = 2

/**
 * The crash template: the gateway itself fills it (alarms first, then heartbeats up to the row count); made once per
 * version of the code that decides its rows. Filled under a temporary name and renamed when complete, so a run
 * never copies a half-filled one.
 */
async function crashTemplate(s: Scale, seeded: Seeded, config: string): Promise<string> {
  const root = dirname(seeded.dir)
  const stem = `${basename(seeded.dir)}-rows-${s.recoveryRows}-`
  const dir = join(root, `${stem}${gatewayCodeKey()}`)
  if (existsSync(join(dir, 'ready'))) return dir
  // Templates filled by earlier code take hundreds of MB each: keep only the newest few.
  const older = readdirSync(root).filter((d) => (d.startsWith(stem) || d === stem.slice(0, -1)) && !d.includes('.filling-') && join(root, d) !== dir)
    .map((d) => ({ d, at: statSync(join(root, d)).mtimeMs })).sort((a, b) => b.at - a.at)
  for (const { d } of older.slice(KEEP_OLDER_TEMPLATES)) rmSync(join(root, d), { recursive: true, force: true })
  const filling = `${dir}.filling-${process.pid}`
  rmSync(filling, { recursive: true, force: true })
  cpSync(seeded.dir, filling, { recursive: true })
  const gw = await startGateway({ config, dataDir: filling })
  const fleet = Fleet.start()
  try {
    const shape = shapeOf(s)
    const fleetIds = deviceIds(shape)
    await fleet.connect({ tag: 'rc', port: gw.mqttPort, site: SITE, devices: fleetIds.map((id) => ({ id, password: seeded.devices[id]! })), addrOffset: 0, concurrency: 50 })
    await fleet.load({ label: 'alarms', rate: 2000, window: 0, maxInflight: 5000, durationMs: Math.ceil((s.recoveryAlerts * 1.2 * 1000) / 2000), drainMs: 10_000, mix: [{ prefix: 'alm-', type: 'seizure_alarm', weight: 1 }] })
    const deadline = nowMs() + 600_000
    for (let left = s.recoveryRows - countRows(filling).rows; left > 0 && nowMs() < deadline; left = s.recoveryRows - countRows(filling).rows) {
      await fleet.load({ label: 'fill', rate: 0, window: Math.min(2000, left), maxInflight: 2000, durationMs: Math.min(10_000, Math.max(200, left / 10)), drainMs: 10_000, mix: [{ prefix: 'pir-', type: 'heartbeat', weight: 1 }] })
    }
  } finally {
    await fleet.close()
    await gw.stop()
  }
  writeFileSync(join(filling, 'ready'), '')
  rmSync(dir, { recursive: true, force: true })
  renameSync(filling, dir)
  return dir
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | null>): Promise<T> {
  const end = nowMs() + timeoutMs
  for (;;) {
    const v = await fn().catch(() => null)
    if (v !== null) return v
    if (nowMs() > end) throw new Error(`recovery: ${what} not within ${timeoutMs} ms`)
    await sleep(5)
  }
}

export async function measureRecovery(s: Scale): Promise<RecoveryFigures> {
  const shape = shapeOf(s)
  const seeded = await seededTemplate('recovery', deviceIds(shape))
  const work = mkdtempSync(join(tmpdir(), 'care-gw-bench-recovery-'))
  const config = join(work, 'config.json')
  writeFileSync(config, JSON.stringify(benchConfig(shape)))
  const template = await crashTemplate(s, seeded, config)
  const dataDir = copyTemplate({ ...seeded, dir: template }, work)
  // Crash under load: background traffic is flowing when the process is killed.
  const first = await startGateway({ config, dataDir })
  const fleet = Fleet.start()
  const bgIds = Array.from({ length: shape.background }, (_, i) => ids.background(i))
  await fleet.connect({ tag: 'rk', port: first.mqttPort, site: SITE, devices: bgIds.map((id) => ({ id, password: seeded.devices[id]! })), addrOffset: 0, concurrency: 50 })
  const load = fleet.load({ label: 'crash', rate: s.backgroundRate, window: 0, maxInflight: 10_000, durationMs: 3000, drainMs: 500, mix: [{ prefix: 'pir-', type: 'heartbeat', weight: 1 }] })
  await sleep(1500)
  await first.stop('SIGKILL')
  await load.catch(() => undefined)
  await fleet.close()
  const { rows, open } = countRows(dataDir)
  const t0 = nowMs()
  const gw = await startGateway({ config, dataDir })
  try {
    const listening = nowMs() - t0
    const id = ids.background(0)
    const accepting = await until('an event accepted', 30_000, async () => {
      const c = await LiteClient.connect({ port: gw.mqttPort, clientId: id, username: id, password: seeded.devices[id]!, localAddress: '127.4.0.1', timeoutMs: 2000 })
      try {
        await c.publishAsync(`care/${SITE}/device/${id}/event`, `{"event_id":"after-crash-${Date.now()}","type":"heartbeat","at":"${new Date().toISOString()}"}`)
        return nowMs() - t0
      } finally {
        c.end()
      }
    })
    const restored = await until('every open alert listed', 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/alerts?state=open&limit=1000`, { headers: { authorization: `Bearer ${seeded.users[LEADER]}` } })
      const body = (await res.json()) as { alerts?: unknown[] }
      return (body.alerts?.length ?? 0) >= Math.min(open, 1000) ? nowMs() - t0 : null
    })
    return { journal_rows: rows, open_alerts: open, listening_ms: listening, accepting_ms: accepting, alerts_restored_ms: restored, recovery_ms: Math.max(accepting, restored) }
  } finally {
    await gw.stop()
    rmSync(work, { recursive: true, force: true })
  }
}
