import type { Logger } from 'pino'
import { writeRoutineDigest, writeRoutineRows } from '../audit/routine-events.js'
import type { AuditLog } from '../core/contracts.js'
import type { Effects } from '../core/effects.js'
import type { Db } from '../store/db.js'
import { GroupCommitter } from '../store/group-commit.js'
import { type JournalSettle, journalSettler } from '../store/journal-settle.js'

export interface GatewayCommitterDeps {
  readonly db: Db
  readonly audit: AuditLog
  readonly log: Logger
  readonly now: () => number
  /** Resolves once everything committed so far is on disk (the WAL sync off the event loop, compose/durable-store.ts). */
  readonly synced: () => Promise<void>
  /** After COMMIT: screens, pagers, timers. */
  readonly afterCommit: (fx: Effects) => void
  /** Work the store refused: its pages still go out (compose/unstored-routing.ts). */
  readonly onUnstored: (fx: Effects, err: unknown) => void
  /** The journal's idempotency keys, settled in batches between groups (store/journal-settle.ts). */
  readonly journal: JournalSettle
}

/**
 * The gateway's single writer (store/group-commit.ts) with its production hooks: routine events as one digest row
 * per commit, row by row should the digest fail with a bug; pages of refused work routed; another process's write
 * lock logged and shown as failing storage while it lasts; the journal's recent idempotency keys settled in batches.
 */
export function createGatewayCommitter(deps: GatewayCommitterDeps): { readonly committer: GroupCommitter; readonly lockedOut: () => boolean } {
  const { log } = deps
  let lockedOut = false
  const digestFailures = { count: 0, loggedAt: -Infinity }
  const settleFailures = { count: 0, loggedAt: -Infinity }
  const settler = journalSettler(deps.journal, (run, recover, lane) => committer.submit(run, recover, lane), {
    now: deps.now,
    // Nothing is lost (the keys stay in memory and the run is tried again in 10 s), but while it lasts the memory
    // they take grows with every event: an error, one line a minute at most.
    onError: (err) => {
      // A run cut short by the stop (the connection closed under its next step) failed nothing.
      if (!deps.db.open) return
      settleFailures.count++
      if (deps.now() - settleFailures.loggedAt < 60_000) return
      log.error({ err, failures_since_last_report: settleFailures.count, keys_held: deps.journal.held }, "settling the journal's idempotency keys failed; they stay in memory and are tried again")
      settleFailures.loggedAt = deps.now()
      settleFailures.count = 0
    },
  })
  const afterCommit = (fx: Effects) => {
    try {
      deps.afterCommit(fx)
    } finally {
      settler.afterCommit()
    }
  }
  const committer = new GroupCommitter(deps.db, afterCommit, deps.synced, {
    beforeCommit: writeRoutineDigest(deps.audit),
    // A bug in the digest must not fail every group (and keep every device resending): the events go in row by row.
    beforeCommitFallback: (fx, err) => {
      // The first failure in full, then one line a minute with a count: a lasting bug fails every group.
      const now = deps.now()
      digestFailures.count++
      if (now - digestFailures.loggedAt >= 60_000) {
        log.error({ err, failures_since_last_report: digestFailures.count }, 'writing the routine-events digest failed; its events are written row by row')
        digestFailures.loggedAt = now
        digestFailures.count = 0
      }
      writeRoutineRows(deps.audit)(fx)
    },
    onUnstored: deps.onUnstored,
    onLocked: (ms) => {
      lockedOut = true
      log.error({ locked_ms: ms }, 'the database is locked by another process: nothing is committed, paged or acknowledged until it lets go (a sqlite3 shell left in a transaction?)')
    },
    onUnlocked: (ms) => {
      lockedOut = false
      log.warn({ locked_ms: ms }, 'the database lock was released; committing again')
    },
  })
  return { committer, lockedOut: () => lockedOut }
}
