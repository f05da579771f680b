import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import type { FleetCommand, FleetReply, LoadResult } from './fleet-protocol.js'

/** The runner's handle on one fleet worker process (fleet-worker.ts): send a command, await its reply. */
export class Fleet {
  private constructor(private readonly child: ChildProcess) {}

  static start(): Fleet {
    const child = fork(join(import.meta.dirname, 'fleet-worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return new Fleet(child)
  }

  private ask<K extends FleetReply['kind']>(cmd: FleetCommand, kind: K, timeoutMs = 600_000): Promise<Extract<FleetReply, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`fleet worker: no '${kind}' within ${timeoutMs} ms`)), timeoutMs)
      const onMessage = (m: FleetReply) => {
        if (m.kind === 'error') done(new Error(`fleet worker: ${m.message}`))
        else if (m.kind === kind) done(null, m as Extract<FleetReply, { kind: K }>)
      }
      const onExit = (code: number | null) => done(new Error(`fleet worker exited (${code})`))
      const done = (err: Error | null, v?: Extract<FleetReply, { kind: K }>) => {
        clearTimeout(timer)
        this.child.off('message', onMessage)
        this.child.off('exit', onExit)
        if (err) reject(err)
        else resolve(v!)
      }
      this.child.on('message', onMessage)
      this.child.once('exit', onExit)
      this.child.send(cmd)
    })
  }

  async connect(c: Omit<Extract<FleetCommand, { cmd: 'connect' }>, 'cmd'>): Promise<{ connected: number; failed: number; ms: number; errors: Record<string, number> }> {
    const r = await this.ask({ cmd: 'connect', ...c }, 'connected')
    if (r.failed > 0) throw new Error(`${r.failed} of ${c.devices.length} devices could not connect in three attempts: ${JSON.stringify(r.errors)}`)
    if (Object.keys(r.errors).length) console.error(`bench: connect retries: ${JSON.stringify(r.errors)}`)
    return r
  }

  async load(c: Omit<Extract<FleetCommand, { cmd: 'load' }>, 'cmd'>): Promise<LoadResult> {
    return (await this.ask({ cmd: 'load', ...c }, 'loaded', c.durationMs + c.drainMs + 60_000)).result
  }

  /** Start heartbeats; the promise resolves when they stop (after `durationMs`). */
  heartbeat(intervalMs: number, durationMs: number): Promise<{ sent: number; failed: number }> {
    return this.ask({ cmd: 'heartbeat', intervalMs, durationMs }, 'heartbeat-done', durationMs + 60_000)
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.send({ cmd: 'close' } satisfies FleetCommand)
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}
