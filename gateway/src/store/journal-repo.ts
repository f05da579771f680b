import type { EventJournal } from '../core/contracts.js'
import type { Db } from './db.js'

export function createJournalRepo(db: Db): EventJournal {
  const insert = db.prepare('INSERT OR IGNORE INTO journal (site_id, device_id, event_id, type, device_at, received_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)')
  const find = db.prepare('SELECT seq FROM journal WHERE device_id = ? AND event_id = ?').pluck()
  return {
    insert(e, status) {
      const r = insert.run(e.siteId, e.deviceId, e.eventId, e.type, e.deviceAt, e.receivedAt, status)
      return r.changes === 0 ? null : Number(r.lastInsertRowid)
    },
    findSeq: (deviceId, eventId) => (find.get(deviceId, eventId) as number | undefined) ?? null,
  }
}
