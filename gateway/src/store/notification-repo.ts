import type { Notification, NotificationState } from '../core/alert.js'
import type { NotificationRepository } from '../core/contracts.js'
import type { Db } from './db.js'

interface Row { id: string; alert_id: string; user_id: string; pager_id: string; protocol: string; attempt: number; state: string; text: string; created_at: number; updated_at: number }

function toNotification(r: Row): Notification {
  return { id: r.id, alertId: r.alert_id, userId: r.user_id, pagerId: r.pager_id, protocol: r.protocol, attempt: r.attempt, state: r.state as NotificationState, text: r.text, createdAt: r.created_at, updatedAt: r.updated_at }
}

export function createNotificationRepo(db: Db): NotificationRepository {
  const insert = db.prepare(`INSERT INTO notifications (id, alert_id, user_id, pager_id, protocol, attempt, state, text, created_at, updated_at)
    VALUES (@id, @alertId, @userId, @pagerId, @protocol, @attempt, @state, @text, @createdAt, @updatedAt)`)
  const get = db.prepare('SELECT * FROM notifications WHERE id = ?')
  const forAlert = db.prepare('SELECT * FROM notifications WHERE alert_id = ? ORDER BY created_at, id')
  const setState = db.prepare('UPDATE notifications SET state = ?, updated_at = ? WHERE id = ?')
  const queued = db.prepare("SELECT * FROM notifications WHERE state = 'queued' ORDER BY created_at, id")
  const openForUser = db.prepare("SELECT n.* FROM notifications n JOIN alerts a ON a.id = n.alert_id WHERE n.user_id = ? AND a.state IN ('new', 'active', 'escalated', 'acknowledged') ORDER BY n.created_at, n.id")
  return {
    openForUser: (userId) => (openForUser.all(userId) as Row[]).map(toNotification),
    insert: (n) => void insert.run(n),
    get: (id) => {
      const r = get.get(id) as Row | undefined
      return r ? toNotification(r) : null
    },
    forAlert: (alertId) => (forAlert.all(alertId) as Row[]).map(toNotification),
    setState: (id, state, at) => void setState.run(state, at, id),
    queued: () => (queued.all() as Row[]).map(toNotification),
  }
}
