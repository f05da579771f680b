import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type BareHop, measureBareHop } from './bare-hop.js'
import { type GatewayFigures, measureGateway } from './gateway-figures.js'
import { killAllGateways, repoRoot } from './gateway-proc.js'
import { measureRecovery, type RecoveryFigures } from './recovery-figures.js'
import { appendMarkdown, checkTarget, environment, type Figure, writeResults } from './report.js'
import { measureScale, type ScaleFigures } from './scale-figures.js'
import { type Scale, scales } from './scale-of-run.js'
import { median } from './stats.js'

/**
 * `npm run bench [-- --quick | --smoke] [--runs N] [--only bare,gateway,scale,recovery] [--cpu-prof] [--out file] [--no-markdown]
 *   [--loaded-rate N]` (the fleet's rate while alert latency under load is timed; default 90 % of the sustained rate,
 *   which differs between runs: a fixed rate compares two versions)
 * Issue 9: starts the real gateway process as `npm start` does, drives it from separate processes over loopback,
 * and reports every figure next to the bare aedes hop measured in the same run (fan-out next to a bare ws server's
 * fan-out to the same screens, its floor). Bounded: each mode has a
 * wall-clock limit after which everything it started is killed and the bench fails.
 */
interface Run { bare?: BareHop; gateway?: GatewayFigures; scale?: ScaleFigures; recovery?: RecoveryFigures }

const limitMinutes: Record<Scale['name'], number> = { full: 20, quick: 6, smoke: 4 }

type Pick = (r: Run) => number | undefined
/** Figures whose bare reference is a floor of the same path: the gateway's figure cannot be below it. */
const floors = new Set(['alert_soft_p50', 'alert_soft_p99', 'fanout_last_p50', 'fanout_last_p99'])

const spec: [id: string, label: string, unit: Figure['unit'], value: Pick, bare: Pick, target: string | null][] = [
  ['alert_soft_p50', 'alert → soft pager, p50', 'ms', (r) => r.gateway?.latency.soft_pager.p50, (r) => r.bare?.latency.p50, '<= 0.5'],
  ['alert_soft_p99', 'alert → soft pager, p99', 'ms', (r) => r.gateway?.latency.soft_pager.p99, (r) => r.bare?.latency.p99, '<= 1.5'],
  ['alert_soft_max', 'alert → soft pager, max', 'ms', (r) => r.gateway?.latency.soft_pager.max, (r) => r.bare?.latency.max, null],
  ['alert_espa_block_p50', 'alert → ESPA call block (SOH, after the select handshake), p50', 'ms', (r) => r.gateway?.latency.espa_call_block.p50, (r) => r.bare?.latency.p50, null],
  ['alert_espa_p50', 'alert → ESPA call frame first byte, p50', 'ms', (r) => r.gateway?.latency.espa_first_byte.p50, (r) => r.bare?.latency.p50, null],
  ['alert_espa_p99', 'alert → ESPA call frame first byte, p99', 'ms', (r) => r.gateway?.latency.espa_first_byte.p99, (r) => r.bare?.latency.p99, null],
  ['alert_espa_max', 'alert → ESPA call frame first byte, max', 'ms', (r) => r.gateway?.latency.espa_first_byte.max, (r) => r.bare?.latency.max, null],
  ['alert_puback_p50', 'alert → durable PUBACK, p50', 'ms', (r) => r.gateway?.latency.puback.p50, (r) => r.bare?.latency.p50, null],
  ['alert_puback_p99', 'alert → durable PUBACK, p99', 'ms', (r) => r.gateway?.latency.puback.p99, (r) => r.bare?.latency.p99, null],
  ['loaded_soft_p50', 'alert → soft pager with the fleet at 90 % of the sustained rate, p50', 'ms', (r) => r.gateway?.loaded.soft_pager.p50, (r) => r.bare?.latency.p50, null],
  ['loaded_soft_p99', 'alert → soft pager with the fleet at 90 % of the sustained rate, p99', 'ms', (r) => r.gateway?.loaded.soft_pager.p99, (r) => r.bare?.latency.p99, null],
  ['loaded_puback_p50', 'alert → durable PUBACK with the fleet at 90 % of the sustained rate, p50', 'ms', (r) => r.gateway?.loaded.puback.p50, (r) => r.bare?.latency.p50, null],
  ['commit_isolated_p50', 'reference: one fsync\'d SQLite commit, isolated, p50', 'ms', (r) => r.bare?.commit.isolated.p50, (r) => r.bare?.latency.p50, null],
  ['commit_isolated_p99', 'reference: one fsync\'d SQLite commit, isolated, p99', 'ms', (r) => r.bare?.commit.isolated.p99, (r) => r.bare?.latency.p99, null],
  ['commit_b2b_p50', 'reference: one fsync\'d SQLite commit, back to back, p50', 'ms', (r) => r.bare?.commit.back_to_back.p50, (r) => r.bare?.latency.p50, null],
  ['credential_hash', 'reference: one production credential hash (scrypt 2^14), issue or first verify', 'ms', (r) => r.bare?.credential.hash_ms, (r) => r.bare?.latency.p50, null],
  ['throughput', 'sustained durable throughput (1 % alerts, zero loss)', 'events/s', (r) => r.gateway?.throughput.sustained, (r) => r.bare?.throughput, '>= 25000'],
  ['throughput_saturated', 'saturated throughput (closed loop)', 'events/s', (r) => r.gateway?.throughput.saturated, (r) => r.bare?.throughput, null],
  // Fan-out is compared with its own floor, a bare ws server writing the same frame to the same screens (bare-screens.ts).
  ['fanout_last_p50', 'fan-out, last of the dashboards, p50 (reference: bare ws floor)', 'ms', (r) => r.gateway?.fanout.last.p50, (r) => r.bare?.fanout.last.p50, null],
  ['fanout_last_p99', 'fan-out, last of the dashboards, p99 (reference: bare ws floor)', 'ms', (r) => r.gateway?.fanout.last.p99, (r) => r.bare?.fanout.last.p99, '<= 20'],
  ['fanout_floor_p50', 'reference: bare ws server, one frame to the same dashboards, last of them, p50', 'ms', (r) => r.bare?.fanout.last.p50, (r) => r.bare?.latency.p50, null],
  ['fanout_floor_p99', 'reference: bare ws server, one frame to the same dashboards, last of them, p99', 'ms', (r) => r.bare?.fanout.last.p99, (r) => r.bare?.latency.p99, null],
  ['scale_rss', 'scale: gateway RSS', 'MiB', (r) => (r.scale ? r.scale.rss_bytes / 2 ** 20 : undefined), () => NaN, '<= 1024'],
  ['scale_lag_p99', 'scale: event-loop lag p99', 'ms', (r) => r.scale?.lag_p99_ms, (r) => r.bare?.latency.p99, '<= 10'],
  ['scale_silence', 'scale: silent device reported, past its window', 'ms', (r) => r.scale?.silence_past_window_ms, (r) => r.bare?.latency.p50, null],
  ['recovery', 'recovery after kill -9 (accepting and alerts restored)', 'ms', (r) => r.recovery?.recovery_ms, (r) => r.bare?.latency.p50, '<= 3000'],
]

function figures(runs: Run[]): Figure[] {
  return spec.flatMap(([id, label, unit, value, bare, target]) => {
    const vs = runs.map(value).filter((v): v is number => v !== undefined)
    if (vs.length === 0) return []
    const v = median(vs)
    const b = median(runs.map(bare).filter((x): x is number => x !== undefined))
    const ratio = v / b
    const floorMisses = floors.has(id) && target !== null ? checkTarget(b, target) === false : null
    return [{ id, label, unit, value: v, bare: b, ratio, target, pass: checkTarget(v, target), floor_misses: floorMisses, runs: vs }]
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    quick: { type: 'boolean' }, smoke: { type: 'boolean' }, runs: { type: 'string' }, only: { type: 'string' },
    'cpu-prof': { type: 'boolean' }, 'loaded-rate': { type: 'string' }, out: { type: 'string' }, 'no-markdown': { type: 'boolean' }, note: { type: 'string' },
  } })
  const base = scales[values.smoke ? 'smoke' : values.quick ? 'quick' : 'full']
  const s: Scale = { ...base, runs: values.runs ? Math.max(1, Number(values.runs)) : base.runs }
  const only = new Set((values.only ?? 'bare,gateway,scale,recovery').split(','))
  const killer = setTimeout(() => {
    console.error(`bench: over its ${limitMinutes[s.name]}-minute limit; stopping`)
    killAllGateways()
    process.exit(2)
  }, limitMinutes[s.name] * 60_000)
  killer.unref()
  const profDir = values['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'care-gw-prof-')) : undefined
  const started = Date.now()
  const runs: Run[] = []
  for (let i = 0; i < s.runs; i++) {
    const r: Run = {}
    const step = async <K extends keyof Run>(k: K, f: () => Promise<NonNullable<Run[K]>>) => {
      if (!only.has(k)) return
      const t = Date.now()
      r[k] = await f()
      console.error(`bench: run ${i + 1}/${s.runs} ${k} done in ${((Date.now() - t) / 1000).toFixed(1)} s`)
    }
    await step('bare', () => measureBareHop(s))
    await step('gateway', () => measureGateway(s, { ...(profDir ? { cpuProfDir: profDir } : {}), ...(values['loaded-rate'] ? { loadedRate: Number(values['loaded-rate']) } : {}) }))
    await step('scale', () => measureScale(s))
    await step('recovery', () => measureRecovery(s))
    runs.push(r)
  }
  const env = environment()
  const figs = figures(runs)
  const out = values.out ?? join(repoRoot, 'simulators', 'bench', 'results', s.name === 'smoke' ? 'smoke.json' : 'latest.json')
  writeResults(out, { environment: env, mode: s.name, scale: s, wall_s: (Date.now() - started) / 1000, figures: figs, runs, ...(profDir ? { cpu_profiles: profDir } : {}) })
  const markdown = s.name !== 'smoke' && !values['no-markdown']
  const md = markdown ? appendMarkdown(env, s.name, s.runs, figs, values.note ?? null) : null
  console.log(md ?? JSON.stringify(figs.map((f) => [f.id, f.value, f.ratio, f.pass])))
  console.error(`bench: results in ${out}${markdown ? ' and BENCHMARKS.md' : ''}${profDir ? `; CPU profiles in ${profDir}` : ''} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
  process.exit(0)
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`)
  killAllGateways()
  process.exit(1)
})
