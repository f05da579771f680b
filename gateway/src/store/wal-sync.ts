import { close, fdatasync, fstat, open } from 'node:fs'
import { promisify } from 'node:util'

const openAsync = promisify(open)
const fdatasyncAsync = promisify(fdatasync)
const fstatAsync = promisify(fstat)
const closeAsync = promisify(close)

/** The three file operations the syncer needs; tests inject slow or failing ones. */
export interface WalFileOps {
  open(path: string): Promise<number>
  fdatasync(fd: number): Promise<void>
  /** Hard links left to the file behind `fd`: 0 once SQLite has deleted the `-wal` file we hold open. */
  links(fd: number): Promise<number>
  close(fd: number): Promise<void>
  /**
   * fdatasync, then the hard links left, as one call: on a sync thread that is one round trip instead of two, and
   * the acknowledgements of every group wait for it (each wake-up of another thread costs 0.05–0.3 ms on this VM).
   */
  syncThenLinks?(fd: number): Promise<number>
}

export const nodeWalFileOps: WalFileOps = {
  // 'r+': never create the file (SQLite owns it); Linux syncs an inode through any descriptor of it.
  open: (path) => openAsync(path, 'r+'),
  fdatasync: (fd) => fdatasyncAsync(fd),
  links: async (fd) => (await fstatAsync(fd)).nlink,
  close: (fd) => closeAsync(fd),
}

/**
 * Makes committed WAL frames durable without blocking the event loop (issue 9).
 *
 * Under `synchronous=FULL` SQLite calls fdatasync() on the `-wal` file inside COMMIT, on the one thread that also
 * runs MQTT, the rules and the screens: ~0.25–1.5 ms on this VM's disk for every group commit, during which an
 * alarm already decided waits to be shown. The group committer therefore commits under `synchronous=NORMAL`
 * (frames written, not synced; a process crash still loses nothing, the kernel holds them) and then calls
 * `sync()`, which runs the same fdatasync on another thread (in the gateway, a thread of its own:
 * store/wal-sync-thread.ts). Nothing that promises storage is acknowledged (a PUBACK, an HTTP or screen answer, an
 * audit anchor) until that promise resolves, so "durable before acknowledged" holds exactly as under
 * FULL: WAL frames reach the disk before the acknowledgement. Checkpoints keep NORMAL's own syncs (WAL before
 * copying, database after), so the database file is never ahead of a synced WAL.
 *
 * One fdatasync is in flight at a time. A caller is answered by the first sync that *starts* after its call, so
 * everything it committed before calling is covered; callers arriving during a sync share the next one.
 *
 * A failed fdatasync is final: after EIO Linux may drop the dirty pages and report the next fdatasync as a success
 * ("fsyncgate"), so no later sync can prove anything. Every later call is refused with the first error; nothing
 * more is acknowledged (devices keep their unacknowledged events and resend them). The kernel's page cache outlives
 * a gateway restart, so the operator checks the disk and reboots the host (main.ts raises STORAGE FAILING).
 */
export class WalSync {
  private fd: number | null = null
  private running: Promise<void> | null = null
  private failed: unknown = null
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = []
  /** Completed syncs (metrics). */
  syncs = 0

  constructor(
    private readonly walFile: string,
    private readonly ops: WalFileOps = nodeWalFileOps,
  ) {}

  /** Resolves once everything committed before this call is on disk; rejects if the disk refused it. */
  sync(): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed)
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      // On a microtask, so the callers of this same turn share the round.
      this.running ??= Promise.resolve().then(() => this.run())
    })
  }

  /** The first sync failure, once there has been one (for health and metrics). */
  get failure(): unknown {
    return this.failed
  }

  /** Closes the descriptor after any sync in flight. */
  async close(): Promise<void> {
    await this.running
    await this.closeFd()
  }

  private async closeFd(): Promise<void> {
    const fd = this.fd
    this.fd = null
    if (fd !== null) await this.ops.close(fd).catch(() => undefined)
  }

  private async run(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting
      this.waiting = []
      try {
        if (this.failed !== null) throw this.failed
        await this.syncOnce()
        this.syncs++
        for (const w of batch) w.resolve()
      } catch (err) {
        this.failed ??= err
        for (const w of batch) w.reject(err)
      }
    }
    this.running = null
  }

  private async syncOnce(): Promise<void> {
    if (this.fd === null) this.fd = await this.ops.open(this.walFile)
    const fd = this.fd
    const links = this.ops.syncThenLinks ? await this.ops.syncThenLinks(fd) : await this.ops.fdatasync(fd).then(() => this.ops.links(fd))
    // SQLite deletes the -wal file only when the last connection to the database closes; should the file we hold
    // ever be gone, the frames are in its successor, so sync that one too.
    if (links === 0) {
      await this.closeFd()
      this.fd = await this.ops.open(this.walFile)
      await this.ops.fdatasync(this.fd)
    }
  }
}
