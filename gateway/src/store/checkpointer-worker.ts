import Database from 'better-sqlite3'
import { parentPort, workerData } from 'node:worker_threads'

/**
 * The checkpointer's thread (store/checkpointer.ts): its own connection, PASSIVE checkpoints on a timer.
 * PASSIVE never waits for the writer or readers, so the main thread's commits are never blocked by it; SQLite syncs
 * the WAL before copying and the database file after, on this thread.
 */
const { dbFile, intervalMs } = workerData as { dbFile: string; intervalMs: number }
const db = new Database(dbFile, { fileMustExist: true })
db.pragma('busy_timeout = 5000')
db.pragma('synchronous = FULL')
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')

let copied = 0
let timer: NodeJS.Timeout
/** Soon again while the writer is adding frames, so the copying keeps pace; at `intervalMs` when idle. */
function run(): void {
  let busy = false
  try {
    const r = checkpoint.get() as { busy: number; log: number; checkpointed: number }
    busy = r.checkpointed > copied || r.log > r.checkpointed
    copied = r.checkpointed
  } catch (err) {
    parentPort!.postMessage({ kind: 'error', message: (err as Error).message })
  }
  timer = setTimeout(run, busy ? Math.min(20, intervalMs) : intervalMs)
}

timer = setTimeout(run, intervalMs)
parentPort!.on('message', (m: { kind: string }) => {
  if (m.kind !== 'stop') return
  clearTimeout(timer)
  db.close()
  parentPort!.close()
})
parentPort!.postMessage({ kind: 'ready' })
