/**
 * `node --import tsx gateway/src/cli/pipeline-micro.ts <bench config> [events]`: the pipeline and its SQLite writes
 * alone, in one process, no MQTT: µs per event for the throughput mix (heartbeats, suppressed motion, 1 % alarms).
 * Write the configuration first: `node --import tsx simulators/bench/write-config.ts /tmp/bench.json`.
 * A developer's tool for attributing the gateway's per-event cost (issue 9); `npm run bench` is the measurement.
 * Env: B=batch sizes (default 20,100), DROP=index names to drop first, PRAGMAS=pragmas to set first (a;b), NOCKPT=1
 * for SQLite's own checkpoints, ALARMS=n to time n alarms one at a time (the raise path, ingest to COMMIT), GAP=ms
 * idle between those alarms (default 2; 0 = none: on this VM the same raise costs 0.42 ms back to back, 0.61 ms
 * after 2 ms idle, 2.1 ms after 20 ms), FRESH=1 to raise a new alert each time (the bench's latency alarms) instead
 * of re-triggering the open one, STMT=1 to print each SQL statement's time per alarm cycle (the raise, the clear
 * and, with FRESH, the close), STMTRUN=1 to print it per event of the mix.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { deviceAdapters } from '../../../device-adapters/src/index.js'
import { loadAuditKey } from '../audit/key-file.js'
import { indexConfig } from '../config/config-index.js'
import { loadConfig } from '../config/load.js'
import { createPipeline } from '../pipeline.js'
import { registryContext } from '../registry-context.js'
import { GroupCommitter } from '../store/group-commit.js'
import { journalSettler } from '../store/journal-settle.js'
import { writeRoutineDigest } from '../audit/routine-events.js'
import { createRepositories, openDatabase } from '../store/index.js'
import { startCheckpointer } from '../store/checkpointer.js'
import { startWalSyncThread } from '../store/wal-sync-thread.js'
import { WalSync } from '../store/wal-sync.js'
import { DeviceSupervisor } from '../supervision/supervisor.js'

const [cfgFile, events = '50000'] = process.argv.slice(2)
if (!cfgFile) throw new Error('usage: pipeline-micro.ts <bench config> [events]')
const total = Number(events)
const dir = mkdtempSync(join(tmpdir(), 'gw-micro-'))
const config = loadConfig(cfgFile, registryContext)
// The bench configuration's device naming (simulators/bench/bench-config.ts): PIRs and seizure monitors.
const pirs = config.devices.filter((d) => d.id.startsWith('pir-')).map((d) => d.id)
const alarms = config.devices.filter((d) => d.id.startsWith('alm-')).map((d) => d.id)
// The latency people's monitors: each alarm pages a soft pager and an ESPA pager.
const timed = config.devices.filter((d) => d.id.startsWith('sz-')).map((d) => d.id)
const SITE = config.sites[0]!.id
const index = indexConfig(config)
const db = openDatabase(join(dir, 'gateway.db'))
for (const p of (process.env.PRAGMAS ?? '').split(';').filter(Boolean)) console.log(p, db.pragma(p))
for (const ix of (process.env.DROP ?? '').split(',').filter(Boolean)) db.exec(`DROP INDEX ${ix}`)
if (process.env.NOCKPT) db.pragma('wal_autocheckpoint = 0')
// STMT: every prepared statement's run/get/all timed while `timing` is on.
const stmtTimes = new Map<string, { n: number; us: number }>()
let timing = false
if (process.env.STMT || process.env.STMTRUN) {
  const orig = db.prepare.bind(db)
  ;(db as any).prepare = (sql: string) => {
    const st = orig(sql) as any
    for (const m of ['run', 'get', 'all']) {
      const f = st[m].bind(st)
      st[m] = (...a: unknown[]) => {
        if (!timing) return f(...a)
        const t0 = performance.now()
        try { return f(...a) } finally { const e = stmtTimes.get(sql) ?? { n: 0, us: 0 }; e.n++; e.us += (performance.now() - t0) * 1000; stmtTimes.set(sql, e) }
      }
    }
    return st
  }
}
const repos = createRepositories(db, { auditKey: loadAuditKey(join(dir, 'audit.key'), true) })
const walOps = await startWalSyncThread()
const wal = new WalSync(join(dir, 'gateway.db-wal'), walOps)
const checkpointer = process.env.NOCKPT ? null : await startCheckpointer(db, join(dir, 'gateway.db'), pino({ level: 'warn' }))
let committedAt = 0
const settler = journalSettler(repos.journal.settle, (run, recover, lane) => committer.submit(run, recover, lane))
const committer = new GroupCommitter(db, () => { committedAt = performance.now(); settler.afterCommit() }, () => wal.sync(), { beforeCommit: writeRoutineDigest(repos.audit) })
const adapters = new Map(deviceAdapters.map((a) => [a.id, a]))
const supervisor = new DeviceSupervisor(new Map(), Date.now())
const pipeline = createPipeline({ index, decoders: adapters, supervisor, types: adapters, repos, transact: (run, recover, lane) => committer.submit(run, recover, lane), newId: (p) => `${p}-${randomUUID()}`, log: pino({ level: 'warn' }), rejections: new Map(), lineUp: () => true })

let n = 0
function raw(i: number) {
  const r = i % 100
  const id = r === 0 ? alarms[i % alarms.length]! : pirs[i % pirs.length]!
  const type = r === 0 ? 'seizure_alarm' : r % 2 ? 'heartbeat' : 'motion'
  const payload = Buffer.from(`{"event_id":"m-${i}","type":"${type}","at":"${new Date().toISOString()}"}`)
  return { transport: 'mqtt' as const, topic: `care/${SITE}/device/${id}/event`, payload, principal: id, clientId: id, receivedAt: Date.now() }
}
async function run(count: number, batch: number): Promise<number> {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  for (let done = 0; done < count; done += batch) {
    const work: Promise<unknown>[] = []
    for (let k = 0; k < batch; k++) work.push(pipeline.ingest(raw(n++)))
    await Promise.all(work)
  }
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  console.log(`${count} events, batch ${batch}: ${(count / (wall / 1000)).toFixed(0)}/s, wall ${(wall * 1000 / count).toFixed(1)} µs/event, cpu ${((cpu.user + cpu.system) / count).toFixed(1)} µs/event`)
  return wall
}
await run(5000, 50)
timing = !!process.env.STMTRUN
const batches = (process.env.B ?? '20,100').split(',').map(Number)
for (const b of batches) await run(total, b)
if (process.env.STMTRUN) { for (const [sql, e] of [...stmtTimes].sort((a, b) => b[1].us - a[1].us).slice(0, 25)) console.log((e.us / (total * batches.length)).toFixed(2).padStart(7), 'µs/event', String(e.n).padStart(6), (e.us / e.n).toFixed(1).padStart(6), 'µs each', sql.replace(/\s+/g, ' ').slice(0, 110)); stmtTimes.clear() }
/**
 * The raise path alone: one alarm at a time (a latency person's, paging twice), from ingest to its COMMIT (when
 * screens and pagers are told), each cleared again so the next one raises.
 */
async function alarmsAlone(count: number): Promise<void> {
  const took: number[] = []
  const event = (id: string, type: string, k: number) => ({ ...raw(0), topic: `care/${SITE}/device/${id}/event`, principal: id, clientId: id, payload: Buffer.from(`{"event_id":"${type}-${k}","type":"${type}","at":"${new Date().toISOString()}"}`) })
  for (let k = 0; k < count; k++) {
    const id = timed[k % timed.length]!
    const t0 = performance.now()
    await pipeline.ingest(event(id, 'seizure_alarm', k))
    took.push((committedAt - t0) * 1000)
    await pipeline.ingest(event(id, 'seizure_cleared', k))
    // FRESH=1: close it (straight in the table), so every alarm raises a new alert with its pages, as in the bench.
    if (process.env.FRESH) db.prepare("UPDATE alerts SET state = 'closed', next_step_at = NULL WHERE state <> 'closed'").run()
    await new Promise((r) => (process.env.GAP === '0' ? setImmediate(r) : setTimeout(r, Number(process.env.GAP ?? 2))))
  }
  took.sort((a, b) => a - b)
  console.log(`${count} alarms alone, ingest → COMMIT: p50 ${took[Math.floor(count / 2)]!.toFixed(0)} µs, p90 ${took[Math.floor(count * 0.9)]!.toFixed(0)} µs`)
}
timing = !!process.env.STMT
if (process.env.ALARMS) await alarmsAlone(Number(process.env.ALARMS))
timing = false
if (process.env.STMT && process.env.ALARMS) for (const [sql, e] of [...stmtTimes].sort((a, b) => b[1].us - a[1].us).slice(0, 25)) console.log((e.us / Number(process.env.ALARMS)).toFixed(1).padStart(7), 'µs/alarm', String(e.n).padStart(6), (e.us / e.n).toFixed(1).padStart(6), 'µs each', sql.replace(/\s+/g, ' ').slice(0, 110))
const { statSync } = await import('node:fs')
console.log('wal MB', (statSync(join(dir, 'gateway.db-wal')).size / 2 ** 20).toFixed(1), 'db MB', (statSync(join(dir, 'gateway.db')).size / 2 ** 20).toFixed(1))
await wal.close()
await walOps.stop()
db.close()
await checkpointer?.stop()
rmSync(dir, { recursive: true, force: true })
