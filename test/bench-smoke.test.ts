import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './helpers/gateway-process.js'

/**
 * Issue 9: the benchmark harness works. `npm run bench -- --smoke` drives a few hundred events through every
 * section against the real gateway process; this checks only that a well-formed results file comes out with
 * every figure. Benchmarks never assert a time (a shared 2-core VM drifts from run to run).
 */
describe('npm run bench -- --smoke', () => {
  it('writes a results file with every section and every figure next to its bare-hop reference', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-smoke-')), 'results.json')
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'simulators/bench/run.ts', '--smoke', '--out', out], { cwd: repoRoot, timeout: 240_000 })
    const r = JSON.parse(readFileSync(out, 'utf8')) as { environment: Record<string, unknown>; runs: Record<string, unknown>[]; figures: { id: string; value: number; bare: number; ratio: number; target: string | null; pass: boolean | null; floor_misses: boolean | null }[] }
    expect(Object.keys(r.environment)).toEqual(expect.arrayContaining(['date', 'commit', 'cpu', 'cores', 'ram_gib', 'node', 'aedes', 'better_sqlite3']))
    expect(Object.keys(r.runs[0]!)).toEqual(['bare', 'gateway', 'scale', 'recovery'])
    const ids = r.figures.map((f) => f.id)
    expect(ids).toEqual(expect.arrayContaining(['alert_soft_p50', 'alert_soft_p99', 'alert_espa_p50', 'throughput', 'fanout_last_p99', 'fanout_floor_p50', 'fanout_floor_p99', 'scale_rss', 'scale_lag_p99', 'scale_silence', 'recovery']))
    for (const f of r.figures) {
      expect(Number.isFinite(f.value), f.id).toBe(true)
      if (f.target !== null) expect(typeof f.pass, f.id).toBe('boolean')
    }
    // A target's floor (the bare hop under alert latency, the bare ws server under fan-out) is judged against it too.
    const byId = new Map(r.figures.map((f) => [f.id, f]))
    for (const id of ['alert_soft_p50', 'alert_soft_p99', 'fanout_last_p99']) expect(byId.get(id)!.floor_misses, id).toBe(byId.get(id)!.bare > Number(byId.get(id)!.target!.split(' ')[1]))
    expect(byId.get('throughput')!.floor_misses).toBeNull()
  }, 300_000)
})
