import type { AuditKind } from './core/audit.js'
import type { AuditLog, LaneOptions } from './core/contracts.js'
import { createEffects, type Effects } from './core/effects.js'
import { type LifecycleDeps, raiseAlert } from './lifecycle/alert-service.js'
import type { Transact } from './pipeline.js'

export interface SiteAlarmDeps {
  readonly audit: AuditLog
  readonly lifecycle: LifecycleDeps
  readonly transact: Transact
  /** The lane that pages work while another process holds the write lock (pipeline.ts `pagedWhileLocked`). */
  readonly pagedWhileLocked: (work: (fx: Effects) => unknown) => LaneOptions
  /** Runs work without writing (compose/dry-run-repos.ts); absent where nothing can be paged that way. */
  readonly dryRun?: <T>(run: () => T) => T
}

interface SiteAlarm { readonly key: string; readonly subject: string; readonly ruleId: string; readonly alertClass: string; readonly reason: string }

/** The gateway itself is failing: a high-priority technical alert at every site, with its audit row. */
export function createSiteAlarms(deps: SiteAlarmDeps) {
  const work = (siteIds: readonly string[], kind: AuditKind, detail: Record<string, unknown>, a: SiteAlarm, now: number) => (fx: Effects) => {
    deps.audit.append({ at: now, kind, actor: 'gateway', detail })
    for (const siteId of siteIds) {
      raiseAlert(deps.lifecycle, fx, { siteId, personId: null, subject: a.subject, deviceId: null, ruleId: a.ruleId, ruleVersion: 'builtin', conditionKey: `${a.key}/${siteId}`, kind: 'technical', alertClass: a.alertClass, priority: 'high', triggerEventSeq: null, reason: a.reason }, now)
    }
  }
  const raise = (w: (fx: Effects) => void) => deps.transact(w, undefined, deps.pagedWhileLocked(w))
  const storage = (siteIds: readonly string[], message: string, now: number, cause: 'sync' | 'write_refused' | 'locked') => {
    const reason = {
      sync: `the disk did not confirm a write (${message}): nothing more is acknowledged; check the disk and reboot the host`,
      write_refused: `the database refuses writes (${message}): nothing is acknowledged until it takes them again, alarms are paged to every ladder step; free disk space or fix the disk`,
      locked: `another process holds the database locked (${message}): nothing is acknowledged until it lets go, alarms are paged to every ladder step; end that process (a sqlite3 shell left in a transaction?)`,
    }[cause]
    return work(siteIds, 'storage.failing', { message, cause }, { key: 'storage', subject: 'STORAGE', ruleId: 'storage', alertClass: 'STORAGE FAILING', reason }, now)
  }

  return {
    /**
     * The audit trail failed verification (issue 8): a high-priority technical alert at every site, and the
     * finding in the trail itself, so a broken chain is never run on silently.
     */
    auditIntegrity(siteIds: readonly string[], finding: { kind: string | null; firstBadSeq: number | null; message: string }, now: number): Promise<void> {
      return raise(work(siteIds, 'audit.chain_broken', { kind: finding.kind, first_bad_seq: finding.firstBadSeq, message: finding.message },
        { key: 'audit', subject: 'AUDIT', ruleId: 'audit-integrity', alertClass: 'AUDIT TRAIL BROKEN', reason: `audit trail verification failed (${finding.kind} at row ${finding.firstBadSeq}): ${finding.message}` }, now))
    },

    /**
     * The disk refused to sync the write-ahead log (issue 9), or the database refuses writes: a high-priority
     * technical alert at every site. Its own commit may not be confirmed either, but screens and pagers are told at
     * COMMIT (or unstored), so people learn of it; the caller ignores this promise's rejection.
     */
    storageFailing(siteIds: readonly string[], message: string, now: number, cause: 'sync' | 'write_refused' = 'sync'): Promise<void> {
      return raise(storage(siteIds, message, now, cause))
    },

    /**
     * Another process holds the write lock: STORAGE FAILING worked out without writing, to be paged unstored and never
     * stored. Stored, it would commit the moment the lock went and escalate a storage failure that is over (a lock of
     * a second); the outage itself is audited once it ends (compose/unstored-routing.ts).
     */
    storageLockedPages(siteIds: readonly string[], message: string, now: number): Effects {
      const fx = createEffects()
      const w = storage(siteIds, message, now, 'locked')
      deps.dryRun?.(() => w(fx))
      return fx
    },
  }
}
