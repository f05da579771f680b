import Database from 'better-sqlite3'
import type { ReplaySource } from '../replay/run-replay.js'
import { createSuppressionRepo } from './rule-repos.js'

/**
 * History for replay from a READ-ONLY connection to the gateway's database: replay can never write live
 * state, and WAL lets it read while the gateway runs.
 */
export function openReplaySource(file: string): ReplaySource & { close(): void } {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const suppressions = createSuppressionRepo(db)
  return {
    *events(deviceIds, from, to) {
      const ids = JSON.stringify(deviceIds)
      const stmt = db.prepare("SELECT seq, device_id, type, received_at FROM journal WHERE status = 'processed' AND received_at BETWEEN ? AND ? AND device_id IN (SELECT value FROM json_each(?)) ORDER BY seq")
      for (const r of stmt.iterate(from, to, ids) as Iterable<{ seq: number; device_id: string; type: string; received_at: number }>) {
        yield { seq: r.seq, deviceId: r.device_id, type: r.type, receivedAt: r.received_at }
      }
    },
    suppressions: (from, to) => suppressions.overlapping(from, to),
    close: () => db.close(),
  }
}
