import type { Logger } from 'pino'
import { startCheckpointer } from '../store/checkpointer.js'
import type { Db } from '../store/index.js'
import { startWalSyncThread } from '../store/wal-sync-thread.js'
import { type WalFileOps, WalSync } from '../store/wal-sync.js'

/** The database's durability machinery (issue 9): the WAL sync on its own thread, and the checkpoint thread. */
export interface DurableStore {
  /** Resolves once everything committed so far is on disk; what every acknowledgement waits for. */
  synced(): Promise<void>
  /** Completed syncs (metrics). */
  readonly syncs: number
  /** Whether a sync has failed: final, nothing more is acknowledged (store/wal-sync.ts). */
  readonly failing: boolean
  /** Called once, with the error, the first time a sync fails. */
  onFailure(report: (err: unknown) => void): void
  /** After the database is closed: close the -wal descriptor, stop both threads. */
  stop(): Promise<void>
}

/**
 * Starts both threads at once (each loads its module: ~0.2 s), so recovery after a crash pays for one, not two.
 * `walFileOps` replaces the sync thread in a test that must make fdatasync fail.
 */
export async function startDurableStore(db: Db, dbFile: string, log: Logger, walFileOps?: WalFileOps): Promise<DurableStore> {
  const [ops, checkpointer] = await Promise.all([
    walFileOps ? { ...walFileOps, stop: async () => undefined } : startWalSyncThread(),
    startCheckpointer(db, dbFile, log),
  ])
  const wal = new WalSync(`${dbFile}-wal`, ops)
  let report: (err: unknown) => void = () => undefined
  let reported = false
  return {
    synced: () => wal.sync().catch((err: unknown) => {
      if (!reported) {
        reported = true
        report(err)
      }
      throw err
    }),
    get syncs() {
      return wal.syncs
    },
    get failing() {
      return wal.failure !== null
    },
    onFailure(r) {
      report = r
    },
    async stop() {
      await wal.close()
      await ops.stop()
      await checkpointer.stop()
    },
  }
}
