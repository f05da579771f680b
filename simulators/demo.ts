import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { BedMonitorSimulator } from './devices/bed-monitor.js'
import { SeizureMonitorSimulator } from './devices/seizure-monitor.js'
import { connectSimulatedDevice } from './lib/mqtt-device.js'
import { npmScript } from './lib/npm-script.js'

/**
 * `npm run demo`: start the gateway exactly as `npm start` does (same flags and environment accepted),
 * then run the demo configuration's devices on a loop a newcomer can watch:
 *   - bed-r12 gets out of bed every 75 s; every other time it is back within 10 s (suppressed, no alert),
 *     otherwise it stays out past the 30 s delay (alert);
 *   - sz-r14 raises a seizure alarm every 3 minutes and clears it 20 s later;
 *   - both send a heartbeat every 30 s.
 * It prints links that sign each demo user in (demo only: a real install hands tokens over privately).
 */
const root = resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
// npm start's own command (its Node flags included), with the entry point made absolute for any working directory.
const [node, ...start] = npmScript('start').map((a) => (a.endsWith('.ts') ? join(root, a) : a))
const gateway = spawn(node!, [...start, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] })
process.once('SIGINT', () => gateway.kill('SIGTERM'))
process.once('SIGTERM', () => gateway.kill('SIGTERM'))
gateway.once('exit', (code) => process.exit(code ?? 0))

let buf = ''
gateway.stdout!.on('data', (d: Buffer) => {
  process.stdout.write(d)
  buf += d.toString()
  const line = buf.split('\n').find((l) => l.includes('"gateway listening"'))
  if (line) {
    buf = ''
    gateway.stdout!.removeAllListeners('data')
    gateway.stdout!.pipe(process.stdout)
    void runDevices(JSON.parse(line) as { mqtt_port: number; http_port: number; data_dir: string; http: string })
  }
})

async function runDevices(info: { mqtt_port: number; data_dir: string; http: string }): Promise<void> {
  const creds = JSON.parse(readFileSync(join(info.data_dir, 'new-credentials.json'), 'utf8')) as { devices: Record<string, string>; users: Record<string, string> }
  const url = `mqtt://127.0.0.1:${info.mqtt_port}`
  const bed = new BedMonitorSimulator(await connectSimulatedDevice({ url, site: 'oak-house', deviceId: 'bed-r12', password: creds.devices['bed-r12']! }))
  const seizure = new SeizureMonitorSimulator(await connectSimulatedDevice({ url, site: 'oak-house', deviceId: 'sz-r14', password: creds.devices['sz-r14']! }))
  process.stderr.write('\nDemo devices running. Open these (demo tokens, from the credentials file):\n')
  for (const [user, token] of Object.entries(creds.users)) {
    // Demo ids say the role: tl- team leader (board), at- AT admin (configuration), others carers (pager).
    const page = user.startsWith('tl-') ? 'board' : user.startsWith('at-') ? 'admin' : 'pager'
    process.stderr.write(`  ${user.padEnd(8)} ${info.http}/${page}#token=${token}\n`)
  }
  process.stderr.write('\n')
  let round = 0
  const bedCycle = async () => {
    round++
    await bed.outOfBed()
    if (round % 2 === 1) setTimeout(() => void bed.inBed(), 10_000)
    else setTimeout(() => void bed.inBed(), 45_000)
  }
  const seizureCycle = async () => {
    await seizure.alarm()
    setTimeout(() => void seizure.cleared(), 20_000)
  }
  void bedCycle()
  setInterval(() => void bedCycle(), 75_000)
  setTimeout(() => void seizureCycle(), 20_000)
  setInterval(() => void seizureCycle(), 180_000)
  setInterval(() => void Promise.all([bed.heartbeat(), seizure.heartbeat()]), 30_000)
}
