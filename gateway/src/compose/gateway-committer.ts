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
  // Nothing is lost (the keys stay in memory and the run is tried again in 10 s), but while it lasts the memory they
  // take grows with every event: an error.
  const settleFailed = oncePerMinute(deps.now, (err, failures) => log.error({ err, failures_since_last_report: failures, keys_held: deps.journal.held }, "settling the journal's idempotency keys failed; they stay in memory and are tried again"))
  const digestFailed = oncePerMinute(deps.now, (err, failures) => log.error({ err, failures_since_last_report: failures }, 'writing the routine-events digest failed; its events are written row by row'))
  const settler = journalSettler(deps.journal, (run, recover, lane) => committer.submit(run, recover, lane), {
    now: deps.now,
    onError: (err) => {
      // A run cut short by the stop (the connection closed under its next step) failed nothing.
      if (deps.db.open) settleFailed(err)
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
      digestFailed(err)
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

/**
 * A failure that may repeat with every group (a lasting bug, a failing disk): the first is reported in full at once,
 * then at most one report a minute (the latest error), with how many failures it stands for.
 */
function oncePerMinute(now: () => number, report: (err: unknown, failuresSinceLastReport: number) => void): (err: unknown) => void {
  let count = 0
  let reportedAt = -Infinity
  return (err) => {
    count++
    if (now() - reportedAt < 60_000) return
    report(err, count)
    reportedAt = now()
    count = 0
  }
}
