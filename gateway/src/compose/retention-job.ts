import type { Logger } from 'pino'
import type { Clock } from '../core/clock.js'
import type { AuditLog } from '../core/contracts.js'
import { defaultRetention, type RetentionSettings } from '../privacy/retention-config.js'
import type { AuditCut, RetentionRepo } from '../store/retention-repo.js'

const DAY_MS = 86_400_000

export interface RetentionJobDeps {
  readonly repo: RetentionRepo
  readonly audit: Pick<AuditLog, 'append'>
  /** The single writer (store/group-commit.ts): each batch is one short transaction of its own. */
  readonly transact: <T>(run: () => T) => Promise<T>
  /** The configuration's `retention` section (absent: the defaults). */
  readonly settings: () => RetentionSettings | undefined
  readonly clock: Clock
  /** Writes the audit chain's head to the anchors after rows were removed. */
  readonly anchor: () => void
  readonly log: Logger
  /** Rows per batch (default 500: a few milliseconds of work each). */
  readonly batchSize?: number
  /** Between runs (default 24 h). */
  readonly intervalMs?: number
  /** Lets the event loop run between batches (default: until the next turn). */
  readonly pause?: () => Promise<void>
}

/** What one run removed, per class, and the cut-offs it used (all in the `retention.applied` row). */
export interface RetentionReport {
  readonly at: string
  readonly cutoffs: { readonly telemetry: string; readonly alerts: string; readonly audit: string; readonly personal_data: string }
  readonly removed: { journal: number; alerts: number; notifications: number; suppressions: number; personal_data: number; audit: number }
  readonly audit_cut: { readonly removed_through_seq: number; readonly first_kept_seq: number } | null
  readonly batches: number
}

/**
 * The retention job (issue 8, storage limitation): at start and every 24 h, removes raw device events older
 * than `telemetry_days` (never one an open alert was raised by), closed alerts with their pages and expired
 * suppressions older than `alerts_days`, personal text older than `personal_data_days`, and audit rows older
 * than `audit_days` (through the delete window, recording where the kept trail starts so it still verifies,
 * then anchoring the head). Work is done in bounded batches, each its own transaction, with the event loop
 * free in between, so alerts keep flowing during a large first run. The job audits itself: a
 * `retention.applied` row with the cut-offs before it deletes anything (so a crash part-way still leaves a
 * record of what may have gone), and one with the counts when it is done.
 */
export function createRetentionJob(deps: RetentionJobDeps) {
  const batch = deps.batchSize ?? 500
  const pause = deps.pause ?? (() => new Promise<void>((r) => setImmediate(r)))
  let timer: NodeJS.Timeout | undefined
  let running: Promise<RetentionReport> | null = null
  let stopped = false

  /** Runs `step` until it removes less than a full batch; returns the total. */
  async function drain(step: () => number, counted: { batches: number }): Promise<number> {
    let total = 0
    for (;;) {
      const n = await deps.transact(step)
      counted.batches++
      total += n
      if (n < batch || stopped) return total
      await pause()
    }
  }

  async function run(): Promise<RetentionReport> {
    const now = deps.clock.now()
    const r = { ...defaultRetention, ...deps.settings() }
    const cut = { telemetry: now - r.telemetry_days * DAY_MS, alerts: now - r.alerts_days * DAY_MS, audit: now - r.audit_days * DAY_MS, personal: now - (r.personal_data_days ?? r.audit_days) * DAY_MS }
    const iso = (t: number) => new Date(t).toISOString()
    const cutoffs = { telemetry: iso(cut.telemetry), alerts: iso(cut.alerts), audit: iso(cut.audit), personal_data: iso(cut.personal) }
    const settings = { telemetry_days: r.telemetry_days, alerts_days: r.alerts_days, audit_days: r.audit_days, personal_data_days: r.personal_data_days ?? r.audit_days }
    await deps.transact(() => deps.audit.append({ at: now, kind: 'retention.applied', actor: 'gateway', detail: { status: 'started', settings, cutoffs } }))
    const counted = { batches: 0 }
    const removed = { journal: 0, alerts: 0, notifications: 0, suppressions: 0, personal_data: 0, audit: 0 }
    let lastCut: AuditCut | null = null
    try {
      removed.journal = await drain(() => deps.repo.deleteJournal(cut.telemetry, batch), counted)
      removed.alerts = await drain(() => {
        const d = deps.repo.deleteClosedAlerts(cut.alerts, batch)
        removed.notifications += d.notifications
        return d.alerts
      }, counted)
      removed.suppressions = await drain(() => deps.repo.deleteSuppressions(cut.alerts, batch), counted)
      removed.personal_data = await drain(() => deps.repo.deletePersonalData(cut.personal, batch), counted)
      const target = await deps.transact(() => deps.repo.auditCutTarget(cut.audit))
      if (target !== null) {
        removed.audit = await drain(() => {
          const c = deps.repo.cutAudit(target, batch, now)
          if (c) lastCut = c
          return c?.removed ?? 0
        }, counted)
      }
    } catch (err) {
      deps.log.error({ err, removed }, 'retention stopped part-way')
      await deps.transact(() => deps.audit.append({ at: deps.clock.now(), kind: 'retention.applied', actor: 'gateway', detail: { status: 'failed', error: (err as Error).message, settings, cutoffs, removed } }))
      throw err
    }
    const c = lastCut as AuditCut | null
    const report: RetentionReport = { at: iso(now), cutoffs, removed, audit_cut: c ? { removed_through_seq: c.removedThroughSeq, first_kept_seq: c.firstKeptSeq } : null, batches: counted.batches }
    await deps.transact(() => deps.audit.append({ at: deps.clock.now(), kind: 'retention.applied', actor: 'gateway', detail: { status: 'completed', settings, cutoffs, removed, audit_cut: report.audit_cut } }))
    // The trail now starts later: anchor the head so the new start is fixed outside the database too.
    if (c) deps.anchor()
    deps.log.info({ removed, cutoffs }, 'retention applied')
    return report
  }

  /** One run now (a run already going is joined, never doubled). */
  function runOnce(): Promise<RetentionReport> {
    running ??= run().finally(() => (running = null))
    return running
  }

  return {
    runOnce,
    /** Runs now, then every `intervalMs`. */
    start(): void {
      const tick = () => {
        runOnce().catch((err: unknown) => deps.log.error({ err }, 'retention run failed'))
        timer = setTimeout(tick, deps.intervalMs ?? DAY_MS)
        timer.unref()
      }
      tick()
    },
    /** No new runs; a run going stops after its current batch. */
    async stop(): Promise<void> {
      stopped = true
      clearTimeout(timer)
      await running?.catch(() => undefined)
    },
  }
}

export type RetentionJob = ReturnType<typeof createRetentionJob>
