import { AUDIT_ONLY, type LaneOptions } from '../core/contracts.js'
import type { Effects } from '../core/effects.js'
import type { Db } from './db.js'

/** Moving the keys of recent journal rows from memory into `journal_ids` (migration 009). */
export interface JournalSettle {
  /** Keys held in memory: rows journaled since the last settle (and any rolled back since, until then). */
  readonly held: number
  /**
   * Start a run over the rows journaled since the last one. Outside any transaction only (right after a commit):
   * the run ends at the highest *committed* seq, so no row it covers can still be rolled back, and every row
   * journaled later has a higher seq. Null when there is nothing to settle or a transaction is open.
   */
  begin(): SettleRun | null
}

export interface SettleRun {
  /**
   * Inside a transaction (a work item of the group committer): the next batch of keys into `journal_ids`; the last
   * batch also moves `journal_settled.through_seq` to the run's end. True once that is done.
   */
  step(): boolean
  /** After the last step is committed: forget the keys the run settled. */
  finish(): void
}

/** How much a step and a run take on; tests make them tiny to cross every boundary with a few rows. */
export interface SettleSizes {
  /** Keys a step writes, and rows a step reads: a few ms of the committer's time, so an alarm hardly waits. */
  readonly stepKeys: number
  readonly stepRows: number
  /** Rows one run covers at most (a backlog, after settling failed for a while, is settled in several runs). */
  readonly runRows: number
}
export const SETTLE_SIZES: SettleSizes = { stepKeys: 2_000, stepRows: 5_000, runRows: 30_000 }

/**
 * Why batches: `journal_ids` is ordered by device, so a key written as its event arrives lands on a page of its own
 * (each device has its own range), and under load every event dirtied a page: ~4.5 KB of WAL to write, sync and
 * checkpoint. A run sorts thousands of keys by device first, so each page it dirties takes many of them (~0.3–0.6 KB
 * of WAL per key with 1,000 devices; measured in BENCHMARKS.md).
 */
export function createJournalSettle(db: Db, recent: Map<string, number>, sizes: SettleSizes = SETTLE_SIZES): JournalSettle {
  const s = {
    through: db.prepare('SELECT through_seq FROM journal_settled WHERE id = 1').pluck(),
    last: db.prepare('SELECT max(seq) FROM journal').pluck(),
    rows: db.prepare('SELECT device_id, seq FROM journal WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?').raw(),
    // Keys are read from the rows themselves, so only rows that exist are settled, whatever `recent` holds.
    write: db.prepare('INSERT OR IGNORE INTO journal_ids (device_id, event_id, seq) SELECT device_id, event_id, seq FROM journal WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY device_id, event_id'),
    mark: db.prepare('UPDATE journal_settled SET through_seq = ? WHERE id = 1'),
  }
  return {
    get held() {
      return recent.size
    },
    begin() {
      if (db.inTransaction) return null
      const from = s.through.get() as number
      const to = Math.min((s.last.get() as number | null) ?? 0, from + sizes.runRows)
      if (to <= from) return null
      // First the run's rows are read, `stepRows` a step (committed rows, so reading across transactions is safe),
      // then their keys written, `stepKeys` a step, devices in key order.
      const byDevice = new Map<string, number[]>()
      let readThrough = from
      let batches: number[][] | null = null
      return {
        step() {
          if (!batches) {
            const rows = s.rows.all(readThrough, to, sizes.stepRows) as [string, number][]
            for (const [device, seq] of rows) {
              const seqs = byDevice.get(device)
              if (seqs) seqs.push(seq)
              else byDevice.set(device, [seq])
            }
            if (rows.length === sizes.stepRows) {
              readThrough = rows[rows.length - 1]![1]
              return false
            }
            batches = batchesOf(byDevice, sizes.stepKeys)
            // Nothing to write (the rows were removed meanwhile): mark and finish in this step.
            if (batches.length > 0) return false
          }
          const batch = batches.shift()
          if (batch) s.write.run(JSON.stringify(batch))
          if (batches.length > 0) return false
          s.mark.run(to)
          return true
        },
        finish() {
          for (const [key, seq] of recent) if (seq <= to) recent.delete(key)
        },
      }
    },
  }
}

/** The seqs of each device, devices in key order, cut into batches of at most `size`. */
function batchesOf(byDevice: ReadonlyMap<string, readonly number[]>, size: number): number[][] {
  const batches: number[][] = []
  let batch: number[] = []
  for (const device of [...byDevice.keys()].sort()) {
    for (const seq of byDevice.get(device)!) {
      batch.push(seq)
      if (batch.length === size) {
        batches.push(batch)
        batch = []
      }
    }
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

export interface JournalSettlerOptions {
  /** Start a run once this many keys are held in memory. Default 20,000 (a few MB; read back in ~20 ms at start-up). */
  readonly settleAt?: number
  /** After a failed run, wait this long before the next. Default 10 s. */
  readonly retryAfterMs?: number
  readonly now?: () => number
  readonly onError?: (err: unknown) => void
}

/**
 * Drives settle runs from the group committer: `afterCommit` (called right after each commit, outside any
 * transaction) starts a run when enough keys are held, and the run's steps go in as work items of their own, one
 * at a time, between the groups of events. They never hold an alarm back (AUDIT_ONLY: no person's key).
 */
export function journalSettler(settle: JournalSettle, submit: <T>(run: (fx: Effects) => T, recover?: undefined, lane?: LaneOptions) => Promise<T>, opts: JournalSettlerOptions = {}): { afterCommit(): void; readonly running: Promise<void> | null } {
  const settleAt = opts.settleAt ?? 20_000
  const now = opts.now ?? Date.now
  let running: Promise<void> | null = null
  let notBefore = -Infinity
  async function run(r: SettleRun): Promise<void> {
    try {
      while (!(await submit(() => r.step(), undefined, AUDIT_ONLY)));
      r.finish()
    } catch (err) {
      // Nothing is lost: the keys stay in memory and `journal_ids` takes the batches again (INSERT OR IGNORE).
      notBefore = now() + (opts.retryAfterMs ?? 10_000)
      opts.onError?.(err)
    } finally {
      running = null
    }
  }
  return {
    afterCommit() {
      if (running || settle.held < settleAt || now() < notBefore) return
      const r = settle.begin()
      if (r) running = run(r)
    },
    get running() {
      return running
    },
  }
}
