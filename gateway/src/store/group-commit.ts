import { createEffects, type Effects, mergeEffects } from '../core/effects.js'
import { gatewayError } from '../core/errors.js'
import type { Db } from './db.js'
import type { LaneOptions } from '../core/contracts.js'
import { CommitQueue } from './commit-queue.js'

/** Optional parts of a group's life. */
export interface GroupHooks {
  /**
   * Runs inside the group's transaction after its last item, with the items' merged effects: the last writes of
   * the commit (the routine events' digest row, audit/routine-events.ts). If it throws, the whole group fails, unless
   * `beforeCommitFallback` takes over.
   */
  readonly beforeCommit?: (committed: Effects) => void
  /**
   * Runs instead when `beforeCommit` threw something other than a refusal by the store (a bug in it), after its
   * writes were rolled back, so one bad digest does not fail every group and keep every device resending for ever
   * (routine events written row by row instead). If this throws too, or the store refused, the group fails.
   */
  readonly beforeCommitFallback?: (committed: Effects, err: unknown) => void
  /**
   * The store refused the group (or an item of it): nothing of it is stored or acknowledged, and devices will resend.
   * Called with what it would have done, so its pages can still be sent (reliability-security.md row 16).
   */
  readonly onUnstored?: (fx: Effects, err: unknown) => void
  /**
   * Another process has held the database's write lock for `lockReportMs` (a shell left in a transaction): nothing is
   * committed, paged or acknowledged until it lets go; the group is retried meanwhile without blocking the event loop.
   */
  readonly onLocked?: (lockedForMs: number) => void
  /** The lock reported by `onLocked` was released and a group committed. */
  readonly onUnlocked?: (lockedForMs: number) => void
  /** How long the write lock may be held elsewhere before `onLocked`. Default 2,000 ms. */
  readonly lockReportMs?: number
  /**
   * How long the write lock may be held elsewhere before waiting work with a `whileLocked` run (an alarm) is run
   * without writing and what it would page is handed to `onUnstored`. Default PAGE_WHILE_LOCKED_AFTER_MS.
   */
  readonly pageWhileLockedAfterMs?: number
}

/** Retry delays while another process holds the write lock: short at first (a CLI's write takes milliseconds). */
const LOCK_RETRY_FIRST_MS = 5
const LOCK_RETRY_MAX_MS = 100
/**
 * An alarm waits at most this long for another process's write lock before it is paged unstored. Long enough that a
 * command-line tool's write (milliseconds) pages nobody twice; short enough to keep the gateway's share of the 60 s
 * answer budget small (reliability-security.md §1.1: p99 under 2 s from receipt to page).
 */
export const PAGE_WHILE_LOCKED_AFTER_MS = 500

/** SQLite's answer when the disk or file refused a write (full, read-only, I/O error, file too large), not a bug in the item. */
export function isStoreRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|NOMEM|BUSY|LOCKED)/.test(code)
}

/**
 * The refusal `pageWhileLocked` hands to `onUnstored`: another process has held the write lock, nothing was written.
 * Told apart from the store itself refusing (disk full), whose STORAGE FAILING alarm is stored once it takes writes.
 */
function lockedRefusal(lockedForMs: number): Error {
  return Object.assign(new Error(`database is locked by another process (for ${lockedForMs} ms)`), { code: 'SQLITE_BUSY', lockedElsewhere: true })
}

/** Is this `onUnstored` refusal another process's lock (`lockedRefusal`)? */
export const lockedElsewhere = (err: unknown): boolean => (err as { lockedElsewhere?: unknown } | null)?.lockedElsewhere === true

/** What items the store refused would have done, and the first refusal. */
interface Lost {
  readonly fx: Effects
  cause: unknown
}

interface Pending<T> {
  readonly key: string | undefined
  readonly run: (fx: Effects) => T
  readonly recover: ((err: unknown, fx: Effects) => T) | undefined
  readonly whileLocked: ((fx: Effects) => void) | undefined
  /** Its `whileLocked` run has been handed over during this lock (once per item). */
  pagedWhileLocked: boolean
  readonly resolve: (v: T) => void
  readonly reject: (e: unknown) => void
}

/**
 * The single writer. Every change to the database goes through `submit`; all work submitted in the same
 * turn of the event loop commits in ONE transaction (one sync of the WAL), and each promise
 * resolves only after that commit is durable. This is how PUBACKs wait for durability without one fsync per event
 * (issue 9: ~9,000 fsyncs/s caps throughput otherwise).
 *
 * Each item runs in its own savepoint: an item that throws is rolled back alone, then `recover` runs
 * (e.g. to journal the event as failed and audit why), so one bad event never costs the others.
 * Effects are applied only after commit, by `onCommitted`.
 *
 * Urgent work (an alarm that pages: `LaneOptions`) is committed first, in a transaction of its own, and its effects
 * applied, before the rest of the turn's work runs, unless earlier waiting work may concern the same person (the same
 * key, or none): then it keeps its place (store/commit-queue.ts). Both transactions share one WAL sync.
 *
 * With `durable` (a WalSync on the database's -wal file, as in production) the group's COMMIT runs under
 * `synchronous=NORMAL` and the fdatasync runs off the event loop afterwards: effects (screens, pagers) are
 * applied right after COMMIT, and the promises resolve only once the sync has finished, so every acknowledgement
 * still waits for the disk (store/wal-sync.ts explains why this keeps FULL's guarantee). Every other writer on the
 * connection keeps `synchronous=FULL`, which is restored after each group.
 */
export class GroupCommitter {
  private readonly queue = new CommitQueue<Pending<unknown>>()
  private scheduled = false
  /** The flush `submit` scheduled; replaced by the retry timer while the lock is held elsewhere (one chain only). */
  private immediate: NodeJS.Immediate | null = null
  /** While BEGIN finds the write lock taken by another process: since when, retries so far, whether reported. */
  private locked: { since: number; retries: number; reported: boolean } | null = null
  private lockRetry: NodeJS.Timeout | null = null
  /** Set at shutdown: a batch that finds the lock taken fails instead of waiting. */
  private giveUpOnLock = false
  /** The connection's busy timeout, restored once the group's BEGIN has the lock. */
  private readonly busyTimeoutMs: number
  /**
   * One savepoint wrapper, made once: inside the group's transaction better-sqlite3 runs it as SAVEPOINT/RELEASE
   * (ROLLBACK TO on a throw). Making a `db.transaction()` per item cost ~6 % of the gateway's CPU at 20,000 events/s.
   */
  private readonly savepoint: <T>(run: () => T) => T

  /**
   * `db.exec` each time, not a prepared statement: SQLite applies `PRAGMA synchronous` while compiling the statement,
   * so running an already prepared one changes nothing.
   */
  private readonly syncMode: { normal: () => void; full: () => void } | null

  /** The group's transaction (BEGIN IMMEDIATE), made once like `savepoint`. */
  private readonly group: (batch: Pending<unknown>[], outcomes: { ok: boolean; value: unknown }[], committed: Effects, lost: Lost) => void

  constructor(
    private readonly db: Db,
    private readonly onCommitted: (fx: Effects) => void,
    private readonly durable?: () => Promise<void>,
    private readonly hooks: GroupHooks = {},
  ) {
    this.busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true }))
    this.group = db.transaction((batch: Pending<unknown>[], outcomes: { ok: boolean; value: unknown }[], committed: Effects, lost: Lost) => {
      // The lock is ours: statements inside may wait as usual (a reader's WAL recovery, say).
      this.setBusyTimeout(this.busyTimeoutMs)
      for (const item of batch) {
        // SQLite rolls the whole transaction back by itself on some refusals (full, I/O error): the items after it
        // would run outside any transaction, each committing alone. Fail the group instead; every item is resent.
        if (!db.inTransaction) throw lost.cause ?? new Error('the group transaction was rolled back')
        outcomes.push(this.runOne(item, committed, lost))
      }
      if (!db.inTransaction) throw lost.cause ?? new Error('the group transaction was rolled back')
      if (hooks.beforeCommit) this.beforeCommit(hooks.beforeCommit, committed)
    }).immediate
    const wrapped = db.transaction((run: () => unknown) => run())
    this.savepoint = <T>(run: () => T) => wrapped(run) as T
    this.syncMode = durable ? { normal: () => void db.exec('PRAGMA synchronous = NORMAL'), full: () => void db.exec('PRAGMA synchronous = FULL') } : null
  }

  /** Run `run` inside the next group transaction (urgent work: the one before it); resolves once durably committed. */
  submit<T>(run: (fx: Effects) => T, recover?: (err: unknown, fx: Effects) => T, lane?: LaneOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ key: lane?.key, run, recover, whileLocked: lane?.whileLocked, pagedWhileLocked: false, resolve, reject } as Pending<unknown>, lane?.urgent === true)
      if (!this.scheduled) {
        this.scheduled = true
        this.immediate = setImmediate(() => {
          this.immediate = null
          this.flush()
        })
      }
    })
  }

  /** Items waiting for the next commit (for metrics). */
  get backlog(): number {
    return this.queue.size
  }

  private flush(): void {
    this.scheduled = false
    const { urgent, rest } = this.queue.take()
    // Each group commits (and its effects go out) before the next one runs; both wait while the lock is held elsewhere.
    let first: 'locked' | 'done' = 'done'
    let thrown: { err: unknown } | null = null
    try {
      if (urgent.length > 0) first = this.commit(urgent)
    } catch (err) {
      // The urgent group's effects threw (a bug): the rest was taken, and must still be committed and settled first.
      thrown = { err }
    }
    try {
      if (first === 'locked') this.retryWhileLocked(urgent, rest)
      else if (rest.length > 0 && this.commit(rest) === 'locked') this.retryWhileLocked([], rest)
    } catch (err) {
      if (thrown) process.emitWarning(`the urgent group's effects failed: ${(thrown.err as Error)?.message}`)
      throw err
    }
    if (thrown) throw thrown.err
  }

  /** One group transaction; 'locked' when BEGIN found the write lock held by another process and nothing ran. */
  private commit(batch: Pending<unknown>[]): 'locked' | 'done' {
    const outcomes: { ok: boolean; value: unknown }[] = []
    const committed = createEffects()
    const lost: Lost = { fx: createEffects(), cause: null }
    try {
      this.syncMode?.normal()
      // IMMEDIATE: take the write lock at BEGIN, so a command-line tool writing at the same moment cannot make an item
      // fail mid-transaction when its read snapshot goes stale. Without waiting: SQLite's busy wait would stop the
      // event loop (every screen, pager and device) for the whole busy timeout; the group is retried instead.
      this.setBusyTimeout(0)
      this.group(batch, outcomes, committed, lost)
    } catch (err) {
      // A group that got its BEGIN restored this already; one that did not must not leave 0 for everything else.
      if (this.db.open) this.setBusyTimeout(this.busyTimeoutMs)
      const lockedOut = outcomes.length === 0 && this.db.open && /^SQLITE_BUSY/.test(String((err as { code?: unknown }).code))
      if (lockedOut && !this.giveUpOnLock) return 'locked'
      this.lockGone()
      const failure = gatewayError('GW_ERR_STORE_WRITE_FAILED', [(err as Error).message], {}, err)
      for (const item of batch) item.reject(failure)
      // Stopping (given up on another process's lock, or the connection closed): nothing ran, nothing to page, and
      // the store did not fail.
      if (lockedOut || !this.db.open) return 'done'
      // Nothing of the group is stored and nothing is acknowledged; what it would have paged still goes out.
      mergeEffects(committed, lost.fx)
      this.unstored(committed, err)
      return 'done'
    } finally {
      // Not on a closed connection (a group flushed during shutdown): its rejection above must be what is reported.
      if (this.db.open) this.syncMode?.full()
    }
    this.lockGone()
    // Items the store refused on their own (a write failed inside their savepoint): their pages still go out.
    if (lost.fx.pages.length > 0) this.unstored(lost.fx, lost.cause)
    const settle = () => batch.forEach((item, i) => {
      const o = outcomes[i]!
      if (o.ok) item.resolve(o.value)
      else item.reject(o.value)
    })
    if (!this.durable) {
      settle()
      this.onCommitted(committed)
      return 'done'
    }
    // Committed (a process crash keeps it): act now, acknowledge once the disk has it. A failed sync withholds every
    // acknowledgement of the group, so devices resend and the journal's (device, event id) key drops the repeats.
    const synced = this.durable()
    try {
      this.onCommitted(committed)
    } finally {
      synced.then(settle, (err: unknown) => {
        const failure = gatewayError('GW_ERR_STORE_NOT_DURABLE', [`sync of the write-ahead log failed: ${(err as Error).message}`], {}, err)
        for (const item of batch) item.reject(failure)
      })
    }
    return 'done'
  }

  /** BEGIN got the lock (or the group failed otherwise): a later lock is a new one. */
  private lockGone(): void {
    const was = this.locked
    this.locked = null
    if (!was?.reported) return
    this.callHook('onUnlocked', () => this.hooks.onUnlocked?.(Date.now() - was.since))
  }

  private setBusyTimeout(ms: number): void {
    this.db.pragma(`busy_timeout = ${ms}`)
  }

  /**
   * BEGIN found the write lock held by another process and nothing of the work ran: keep it, first in line, and try
   * again shortly. Nothing is rejected (devices would have to resend) and nothing is acknowledged.
   */
  private retryWhileLocked(urgent: Pending<unknown>[], rest: Pending<unknown>[]): void {
    this.queue.requeue(urgent, rest)
    const now = Date.now()
    const locked = (this.locked ??= { since: now, retries: 0, reported: false })
    // Submissions meanwhile (the hook's included) join the batch; only this timer flushes. Work the urgent group's
    // effects submitted has scheduled a flush of its own: that one is dropped, or two chains would retry.
    if (this.immediate) clearImmediate(this.immediate)
    this.immediate = null
    if (this.lockRetry) clearTimeout(this.lockRetry)
    this.scheduled = true
    this.lockRetry = setTimeout(() => {
      this.lockRetry = null
      this.flush()
    }, Math.min(LOCK_RETRY_MAX_MS, LOCK_RETRY_FIRST_MS * 2 ** locked.retries++))
    if (!locked.reported && now - locked.since >= (this.hooks.lockReportMs ?? 2000)) {
      locked.reported = true
      this.callHook('onLocked', () => this.hooks.onLocked?.(now - locked.since))
    }
    if (now - locked.since >= (this.hooks.pageWhileLockedAfterMs ?? PAGE_WHILE_LOCKED_AFTER_MS)) this.pageWhileLocked(now - locked.since)
  }

  /**
   * The lock is still held elsewhere: waiting work that can say what it would page without writing (`whileLocked`, an
   * alarm) does so, once per item, and its pages go to `onUnstored` as if the store had refused it. The work stays
   * queued: it commits, pages as usual and is acknowledged once the lock is released (reliability-security.md row 16:
   * route first, acknowledge only what is stored).
   */
  private pageWhileLocked(lockedForMs: number): void {
    const items = this.queue.waiting().filter((i) => i.whileLocked && !i.pagedWhileLocked)
    if (items.length === 0) return
    const fx = createEffects()
    // Reads only, but never SQLite's busy wait on the event loop.
    this.setBusyTimeout(0)
    try {
      for (const item of items) {
        item.pagedWhileLocked = true
        const one = createEffects()
        this.callHook('whileLocked', () => {
          item.whileLocked!(one)
          mergeEffects(fx, one)
        })
      }
    } finally {
      this.setBusyTimeout(this.busyTimeoutMs)
    }
    if (fx.pages.length === 0) return
    this.unstored(fx, lockedRefusal(lockedForMs))
  }

  /**
   * At shutdown: stop waiting for another process's write lock. A batch waiting for it is tried once more and, if the
   * lock is still taken, fails like any group the store refused (nothing of it was acknowledged; devices resend), so
   * whatever awaits it (the last audit row, a retention run) lets the stop go on.
   */
  stopWaitingForLock(): void {
    this.giveUpOnLock = true
    if (this.lockRetry) {
      clearTimeout(this.lockRetry)
      this.lockRetry = null
      this.flush()
    }
  }

  /** The last writes of the group, in a savepoint so that a failed attempt leaves nothing behind for the fallback. */
  private beforeCommit(hook: (committed: Effects) => void, committed: Effects): void {
    try {
      this.savepoint(() => hook(committed))
    } catch (err) {
      // A refusal, or a transaction SQLite already rolled back, is the group's failure: nothing may be written outside it.
      if (isStoreRefusal(err) || !this.db.inTransaction || !this.hooks.beforeCommitFallback) throw err
      this.savepoint(() => this.hooks.beforeCommitFallback!(committed, err))
    }
  }

  /** `onUnstored`, which must not stop the group's settling. */
  private unstored(fx: Effects, err: unknown): void {
    this.callHook('onUnstored', () => this.hooks.onUnstored?.(fx, err))
  }

  /** A hook that throws must not stop the committer (a throw here would escape setImmediate or a timer). */
  private callHook(name: string, run: () => void): void {
    try {
      run()
    } catch (hookErr) {
      process.emitWarning(`${name} failed: ${(hookErr as Error).message}`)
    }
  }

  private runOne(item: Pending<unknown>, committed: Effects, lost: Lost): { ok: boolean; value: unknown } {
    const fx = createEffects()
    try {
      const value = this.savepoint(() => item.run(fx))
      mergeEffects(committed, fx)
      return { ok: true, value }
    } catch (err) {
      const refused = (e: unknown) => {
        // A write the store refused (disk full, read-only, I/O error) lost the item; a bug in the item did not.
        if (isStoreRefusal(e)) {
          mergeEffects(lost.fx, fx)
          lost.cause ??= e
        }
        return { ok: false, value: e }
      }
      // Refused by the store, the item is not "processed, failed" (its recovery would journal it so and acknowledge
      // it): it is rejected, so the device resends it, and its pages go out unstored meanwhile.
      if (!item.recover || isStoreRefusal(err)) return refused(err)
      const rfx = createEffects()
      try {
        const value = this.savepoint(() => item.recover!(err, rfx))
        mergeEffects(committed, rfx)
        return { ok: true, value }
      } catch (err2) {
        return refused(err2)
      }
    }
  }
}
