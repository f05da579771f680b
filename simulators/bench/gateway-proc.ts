import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { npmScript, repoRoot } from '../lib/npm-script.js'
import { nowMs, sleep } from './stats.js'

export { repoRoot }
const probe = join(import.meta.dirname, 'loop-probe.ts')

export interface ProbeSnapshot {
  seq: number
  lag_ms: { p50: number; p99: number; max: number; mean: number }
  rss_bytes: number
  heap_used_bytes: number
  cpu_ms: number
  window_ms: number
}

export interface BenchGateway {
  readonly child: ChildProcess
  readonly pid: number
  readonly mqttPort: number
  readonly httpPort: number
  /** Spawn → "gateway listening", ms. */
  readonly startMs: number
  /** Event-loop lag, RSS and CPU since the previous call (the probe's window). */
  probe(): Promise<ProbeSnapshot>
  stop(signal?: NodeJS.Signals): Promise<void>
}

export interface StartOptions {
  readonly config: string
  readonly dataDir: string
  /** Write a V8 CPU profile here on exit (`node --cpu-prof`). */
  readonly cpuProfDir?: string
  readonly timeoutMs?: number
}

/** Every gateway this process started and has not seen exit: killed if the bench itself has to stop. */
const live = new Set<ChildProcess>()
export function killAllGateways(): void {
  for (const c of live) c.kill('SIGKILL')
}

/** Start the real gateway process (npm start's command) on ephemeral loopback ports with the probe preloaded. */
export async function startGateway(o: StartOptions): Promise<BenchGateway> {
  const [node, ...args] = npmScript('start')
  // After npm start's own `--import tsx`, so the probe (TypeScript) can load.
  const main = args.findIndex((a, i) => !a.startsWith('-') && args[i - 1] !== '--import')
  args.splice(main, 0, '--import', probe)
  const probeFile = join(o.dataDir, 'probe.json')
  const prof = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : []
  const t0 = nowMs()
  const child = spawn(node!, [...prof, ...args, '--config', o.config, '--data-dir', o.dataDir, '--mqtt-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--log-level', 'warn'], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_PROBE_FILE: probeFile, GATEWAY_LOG_LEVEL: 'warn' },
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const ports = await new Promise<{ mqtt_port: number; http_port: number }>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`gateway did not start within ${o.timeoutMs ?? 120_000} ms\n${stderr}`)), o.timeoutMs ?? 120_000)
    // The "gateway listening" line is at info; with --log-level warn it is absent, so read the summary on stderr instead.
    const check = () => {
      const m = /MQTT broker\s+mqtt:\/\/[^:]+:(\d+)[\s\S]*?Team board\s+http:\/\/[^:]+:(\d+)/.exec(stderr)
      if (m) {
        clearTimeout(timer)
        res({ mqtt_port: Number(m[1]), http_port: Number(m[2]) })
      }
    }
    child.stderr!.on('data', check)
    // The gateway's own log (warn and above) stays with its data directory for diagnosis.
    child.stdout!.pipe(createWriteStream(join(o.dataDir, 'gateway.log'), { flags: 'a' }))
    void exited.then(() => {
      clearTimeout(timer)
      rej(new Error(`gateway exited before listening\n${stderr}`))
    })
  })
  const startMs = nowMs() - t0
  let lastSeq = 0
  return {
    child, pid: child.pid!, mqttPort: ports.mqtt_port, httpPort: ports.http_port, startMs,
    async probe() {
      child.kill('SIGUSR2')
      for (let i = 0; i < 500; i++) {
        await sleep(10)
        if (!existsSync(probeFile)) continue
        const snap = JSON.parse(readFileSync(probeFile, 'utf8')) as ProbeSnapshot
        if (snap.seq > lastSeq) {
          lastSeq = snap.seq
          return snap
        }
      }
      throw new Error('the gateway probe did not answer')
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    },
  }
}
