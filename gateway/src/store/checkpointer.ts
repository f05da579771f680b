import type { Logger } from 'pino'
import { firstMessage, startTsWorker } from '../core/worker.js'
import type { Db } from './db.js'

const workerModule = new URL('./checkpointer-worker.ts', import.meta.url)

export interface Checkpointer {
  /** Whether the checkpoint thread is running (false: SQLite's own checkpoints, on the main thread). */
  readonly running: boolean
  stop(): Promise<void>
}

/** SQLite's default: what the main connection goes back to if the checkpoint thread is not there. */
const MAIN_THREAD_PAGES = 1000

/**
 * WAL checkpoints on a worker thread (issue 9). By default SQLite checkpoints inside the COMMIT that takes the WAL
 * past 1,000 pages: on the event loop, copying ~4 MB and syncing twice, ~15 % of the pipeline's time at saturation
 * (gateway/src/cli/pipeline-micro.ts). Here a second connection on its own thread does the copying (PASSIVE, every
 * 20 ms while there are new frames, every `intervalMs` when idle), and the main connection's auto-checkpoint only
 * finishes the job at 2,000 pages (two syncs on the event loop, rarely) so the WAL can start over. A performance
 * aid never stops the gateway: if the thread cannot start, or dies, the main connection checkpoints as SQLite
 * does by default, so the WAL never grows without bound.
 */
export async function startCheckpointer(db: Db, dbFile: string, log: Logger, intervalMs = 250, module: URL = workerModule): Promise<Checkpointer> {
  const fallBack = (why: string) => {
    log.error({ reason: why }, 'checkpoint thread not running; checkpointing on the main thread')
    db.pragma(`wal_autocheckpoint = ${MAIN_THREAD_PAGES}`)
  }
  const worker = startTsWorker(module, { dbFile, intervalMs })
  try {
    await firstMessage(worker, 'the checkpoint thread')
  } catch (err) {
    fallBack((err as Error).message)
    await worker.terminate()
    return { running: false, stop: async () => undefined }
  }
  // Not 0: PASSIVE checkpoints on the other thread rarely copy the last frames while the writer keeps adding more,
  // and SQLite rewinds the WAL only after a checkpoint that copied every frame. The writer's own checkpoint at 2,000
  // pages finds nearly everything copied already (its cost is the two syncs) and lets the WAL start over.
  db.pragma('wal_autocheckpoint = 2000')
  let exited = false
  let stopping = false
  worker.unref()
  worker.on('message', (m: { kind: string; message?: string }) => {
    if (m.kind === 'error') log.warn({ reason: m.message }, 'checkpoint failed; will retry')
  })
  worker.on('error', (err) => log.error({ err }, 'checkpoint thread failed'))
  worker.on('exit', (code) => {
    exited = true
    if (!stopping) fallBack(`exited with ${code}`)
  })
  return {
    get running() {
      return !exited
    },
    async stop() {
      if (exited || stopping) return
      stopping = true
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
      worker.postMessage({ kind: 'stop' })
      await gone
    },
  }
}

/**
 * Copies the whole WAL into the database file and truncates it (after an erasure, so erased text does not linger
 * in the WAL). The checkpoint thread may hold the checkpoint lock, and SQLite then answers busy at once, without
 * the busy handler: so retry for up to a second.
 */
export async function truncateWal(db: Db): Promise<void> {
  const busyTimeout = Number(db.pragma('busy_timeout', { simple: true }))
  for (let attempt = 0; attempt < 50; attempt++) {
    // Without SQLite's busy wait: while another process holds the write lock it would stop the event loop for the
    // whole busy timeout on every attempt (the group committer avoids it the same way).
    db.pragma('busy_timeout = 0')
    let r: { busy: number; log: number; checkpointed: number } | undefined
    try {
      r = (db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[])[0]
    } finally {
      db.pragma(`busy_timeout = ${busyTimeout}`)
    }
    if (r && r.busy === 0) return
    await new Promise((res) => setTimeout(res, 20))
  }
  throw new Error('the write-ahead log stayed busy for 1 s')
}
