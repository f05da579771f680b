import type { Logger } from 'pino'
import { writeRoutineDigest, writeRoutineRows } from '../audit/routine-events.js'
import type { AuditLog } from '../core/contracts.js'
import type { Effects } from '../core/effects.js'
import type { Db } from '../store/db.js'
import { GroupCommitter } from '../store/group-commit.js'

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
}

/**
 * The gateway's single writer (store/group-commit.ts) with its production hooks: routine events as one digest row
 * per commit, row by row should the digest fail with a bug; pages of refused work routed; another process's write
 * lock logged and shown as failing storage while it lasts.
 */
export function createGatewayCommitter(deps: GatewayCommitterDeps): { readonly committer: GroupCommitter; readonly lockedOut: () => boolean } {
  const { log } = deps
  let lockedOut = false
  const digestFailures = { count: 0, loggedAt: -Infinity }
  const committer = new GroupCommitter(deps.db, deps.afterCommit, deps.synced, {
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
