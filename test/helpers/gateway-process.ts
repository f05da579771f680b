import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { npmScript, repoRoot } from '../../simulators/lib/npm-script.js'

export { repoRoot }

/** The command `npm start` runs; node itself is spawned so a SIGKILL reaches the gateway process, as a crash would. */
const startCommand = () => npmScript('start')

export interface Credentials {
  devices: Record<string, string>
  users: Record<string, string>
}

export interface GatewayProcess {
  readonly child: ChildProcess
  readonly mqttPort: number
  readonly httpPort: number
  readonly dataDir: string
  /** stdout lines (pino JSON) seen so far. */
  readonly logs: string[]
  readonly credentials: Credentials
  /** The console banner's one-time setup link path (`/setup#token=…`), or null when none was printed. */
  setupLink(): Promise<string | null>
  kill(signal?: NodeJS.Signals): Promise<number | null>
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'gw-test-'))
}

/** Start the real gateway process on ephemeral ports and wait for its "gateway listening" line. */
export async function startGatewayProcess(opts: { dataDir?: string; config?: string; args?: string[] } = {}): Promise<GatewayProcess> {
  const dataDir = opts.dataDir ?? tempDataDir()
  const config = opts.config ?? join(repoRoot, 'test', 'fixtures', 'e2e-config.json')
  const [cmd, ...args] = startCommand()
  const child = spawn(cmd!, [...args, '--data-dir', dataDir, '--config', config, '--mqtt-port', '0', '--http-port', '0', '--host', '127.0.0.1', ...(opts.args ?? [])], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GATEWAY_LOG_LEVEL: 'info' },
  })
  const logs: string[] = []
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const listening = await new Promise<{ mqtt_port: number; http_port: number }>((resolvePorts, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 30 s\nstderr:\n${stderr}`)), 30_000)
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        logs.push(line)
        if (line.includes('"gateway listening"')) {
          clearTimeout(timer)
          resolvePorts(JSON.parse(line) as { mqtt_port: number; http_port: number })
        }
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited with ${code} before listening\nstderr:\n${stderr}`))
    })
  })
  const credentials = JSON.parse(readFileSync(join(dataDir, 'new-credentials.json'), 'utf8')) as Credentials
  // The banner is written to stderr just after the "gateway listening" log line.
  const banner = new Promise<string>((resolveBanner) => {
    const check = () => {
      if (/Care alert gateway running[\s\S]*\n\n/.test(stderr)) {
        child.stderr!.off('data', check)
        resolveBanner(stderr)
      }
    }
    child.stderr!.on('data', check)
    check()
  })
  return {
    child, dataDir, logs, credentials,
    async setupLink() {
      const text = await banner
      return /https?:\/\/[^\s]+(\/setup#token=[A-Za-z0-9_-]+)/.exec(text)?.[1] ?? null
    },
    mqttPort: listening.mqtt_port,
    httpPort: listening.http_port,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** Run the gateway expecting it to refuse to start; resolves with its exit code and stderr. */
export async function runGatewayExpectingFailure(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const [cmd, ...rest] = startCommand()
  const child = spawn(cmd!, [...rest, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdout!.resume()
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
  return { code, stderr }
}
