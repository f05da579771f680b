import type { EventJournal } from '../core/contracts.js'
import type { Db } from './db.js'
import { createJournalSettle, type JournalSettle, SETTLE_SIZES, type SettleSizes } from './journal-settle.js'

/** The journal with the batch work that keeps its idempotency key (migration 009), for the committer to drive. */
export interface JournalRepo extends EventJournal {
  readonly settle: JournalSettle
}

/** Device ids never hold NUL (config/schema.ts: a-z, 0-9, "-", "_"), so the first NUL ends the device part. */
const keyOf = (deviceId: string, eventId: string) => `${deviceId}\u0000${eventId}`

/**
 * The event journal and its idempotency key `(device_id, event_id)`, exact and unbounded in time.
 * Keys of rows up to `journal_settled.through_seq` are in `journal_ids`; keys of later rows are held in memory
 * (`recent`, rebuilt from those rows when the store opens) until a settle run writes them there in a batch sorted
 * by key (store/journal-settle.ts). A key held in memory is checked against its row before it counts: the row may
 * have been rolled back since (its item's savepoint, or its whole group), and then the event is new.
 * The held keys live in this process: only the gateway's own connection may journal events (no other process or
 * tool writes journal rows; a future import tool would have to go through this repository, or settle first).
 */
export function createJournalRepo(db: Db, sizes: SettleSizes = SETTLE_SIZES): JournalRepo {
  const s = {
    insert: db.prepare('INSERT INTO journal (site_id, device_id, event_id, type, device_at, received_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    settled: db.prepare('SELECT seq FROM journal_ids WHERE device_id = ? AND event_id = ?').pluck(),
    held: db.prepare('SELECT 1 FROM journal WHERE seq = ? AND device_id = ? AND event_id = ?').pluck(),
    through: db.prepare('SELECT through_seq FROM journal_settled WHERE id = 1').pluck(),
    since: db.prepare('SELECT device_id, event_id, seq FROM journal WHERE seq > ?').raw(),
  }
  const recent = new Map<string, number>()
  for (const [deviceId, eventId, seq] of s.since.iterate(s.through.get()) as IterableIterator<[string, string, number]>) recent.set(keyOf(deviceId, eventId), seq)

  function find(key: string, deviceId: string, eventId: string): number | null {
    const held = recent.get(key)
    if (held !== undefined && s.held.get(held, deviceId, eventId) !== undefined) return held
    return (s.settled.get(deviceId, eventId) as number | undefined) ?? null
  }

  return {
    insert(e, status) {
      const key = keyOf(e.deviceId, e.eventId)
      if (find(key, e.deviceId, e.eventId) !== null) return null
      const seq = Number(s.insert.run(e.siteId, e.deviceId, e.eventId, e.type, e.deviceAt, e.receivedAt, status).lastInsertRowid)
      recent.set(key, seq)
      return seq
    },
    findSeq: (deviceId, eventId) => find(keyOf(deviceId, eventId), deviceId, eventId),
    settle: createJournalSettle(db, recent, sizes),
  }
}
