import type { Logger } from 'pino'
import { startTsWorker } from '../core/worker.js'
import type { Db } from './db.js'

const workerModule = new URL('./checkpointer-worker.ts', import.meta.url)

export interface Checkpointer {
  /** WAL frames copied into the database file by the last checkpoint, and the WAL's length then (metrics). */
  readonly last: { log: number; checkpointed: number } | null
  stop(): Promise<void>
}

/**
 * WAL checkpoints on a worker thread (issue 9). By default SQLite checkpoints inside the COMMIT that takes the WAL
 * past 1,000 pages: on the event loop, copying ~4 MB and syncing twice, ~15 % of the pipeline's time at saturation
 * (simulators/bench/pipeline-micro.ts). Here a second connection on its own thread does the copying (PASSIVE, every
 * 20 ms while there are new frames, every `intervalMs` when idle), and the main connection's auto-checkpoint only
 * finishes the job at 2,000 pages so the WAL can start over. If that thread fails, the main connection's default
 * (1,000 pages) comes back, so the WAL never grows without bound.
 */
export async function startCheckpointer(db: Db, dbFile: string, log: Logger, intervalMs = 250): Promise<Checkpointer> {
  const worker = startTsWorker(workerModule, { dbFile, intervalMs })
  let last: Checkpointer['last'] = null
  let stopped = false
  const fallBack = (why: string) => {
    if (stopped) return
    log.error({ reason: why }, 'checkpoint thread failed; checkpointing on the main thread again')
    db.pragma('wal_autocheckpoint = 1000')
  }
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve())
    worker.once('error', reject)
  })
  // Not 0: PASSIVE checkpoints on the other thread rarely copy the last frames while the writer keeps adding more,
  // and SQLite rewinds the WAL only after a checkpoint that copied every frame. The writer's own checkpoint at 2,000
  // pages finds nearly everything copied already (its cost is the two syncs) and lets the WAL start over.
  db.pragma('wal_autocheckpoint = 2000')
  worker.on('message', (m: { kind: string; log?: number; checkpointed?: number; message?: string }) => {
    if (m.kind === 'checkpoint') last = { log: m.log!, checkpointed: m.checkpointed! }
    else if (m.kind === 'error') log.warn({ reason: m.message }, 'checkpoint failed; will retry')
  })
  worker.on('error', (err) => fallBack(err.message))
  worker.on('exit', (code) => code !== 0 && fallBack(`exited with ${code}`))
  return {
    get last() {
      return last
    },
    async stop() {
      if (stopped) return
      stopped = true
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
      worker.postMessage({ kind: 'stop' })
      await exited
    },
  }
}
