import { monitorEventLoopDelay } from 'node:perf_hooks'
import { renameSync, writeFileSync } from 'node:fs'

/**
 * Preloaded into the gateway process by the bench only (`node --import tsx --import ./simulators/bench/loop-probe.ts`),
 * so the gateway's code is untouched: event-loop delay at 1 ms resolution, resident memory and CPU time. On SIGUSR2 it
 * writes a snapshot of the window since the last one to `$BENCH_PROBE_FILE` and starts a new window.
 */
const file = process.env.BENCH_PROBE_FILE
if (file) {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  let seq = 0
  let cpu = process.cpuUsage()
  let since = performance.now()
  process.on('SIGUSR2', () => {
    const ms = (ns: number) => ns / 1e6
    const used = process.cpuUsage(cpu)
    const wall = performance.now() - since
    const snap = {
      seq: ++seq,
      lag_ms: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) },
      rss_bytes: process.memoryUsage.rss(),
      heap_used_bytes: process.memoryUsage().heapUsed,
      cpu_ms: (used.user + used.system) / 1000,
      window_ms: wall,
    }
    h.reset()
    cpu = process.cpuUsage()
    since = performance.now()
    writeFileSync(`${file}.tmp`, JSON.stringify(snap))
    renameSync(`${file}.tmp`, file)
  })
}
