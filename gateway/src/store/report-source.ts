import type { ReportAlert, ReportNotification, SupervisionChange } from '../reports/service-report.js'
import type { Db } from './db.js'

/**
 * Reads what the service reports need for a period, straight from SQLite (read-only queries):
 * alerts raised in [from, to) with their trigger event's receipt time and first page sent, their
 * first-attempt notifications, and supervision changes up to `to`.
 */
export function createReportSource(db: Db) {
  const alerts = db.prepare(`
    SELECT a.id, a.site_id, a.person_id, a.device_id, a.rule_id, a.priority, a.kind, a.raised_at, a.accepted_at, a.accepted_by, a.closed_at, a.outcome,
      j.received_at AS event_at,
      (SELECT min(u.at) FROM audit u WHERE u.alert_id = a.id AND u.kind = 'notification.transition' AND json_extract(u.detail, '$.to') = 'sent') AS first_sent_at
    FROM alerts a LEFT JOIN journal j ON j.seq = a.trigger_event_seq
    WHERE a.raised_at >= ? AND a.raised_at < ? ORDER BY a.raised_at`)
  const notifications = db.prepare(`
    SELECT n.alert_id, n.pager_id, n.attempt, n.state FROM notifications n JOIN alerts a ON a.id = n.alert_id
    WHERE a.raised_at >= ? AND a.raised_at < ?`)
  const supervision = db.prepare(`SELECT device_id, at, kind FROM audit WHERE kind IN ('device.not_reporting', 'device.restored') AND device_id IS NOT NULL AND at < ? ORDER BY at`)
  interface AlertRow { id: string; site_id: string; person_id: string | null; device_id: string | null; rule_id: string; priority: string; kind: string; raised_at: number; accepted_at: number | null; accepted_by: string | null; closed_at: number | null; outcome: string | null; event_at: number | null; first_sent_at: number | null }
  return {
    alerts(from: number, to: number): ReportAlert[] {
      return (alerts.all(from, to) as AlertRow[]).map((r) => ({
        id: r.id, siteId: r.site_id, personId: r.person_id, deviceId: r.device_id, ruleId: r.rule_id, priority: r.priority, kind: r.kind,
        eventAt: r.event_at ?? r.raised_at, raisedAt: r.raised_at, firstSentAt: r.first_sent_at, acceptedAt: r.accepted_at, acceptedBy: r.accepted_by, closedAt: r.closed_at, outcome: r.outcome,
      }))
    },
    notifications(from: number, to: number): ReportNotification[] {
      return (notifications.all(from, to) as { alert_id: string; pager_id: string; attempt: number; state: string }[]).map((r) => ({ alertId: r.alert_id, pagerId: r.pager_id, attempt: r.attempt, state: r.state }))
    },
    supervision(to: number): SupervisionChange[] {
      return (supervision.all(to) as { device_id: string; at: number; kind: string }[]).map((r) => ({ deviceId: r.device_id, at: r.at, state: r.kind === 'device.not_reporting' ? 'down' : 'up' }))
    },
  }
}

export type ReportSource = ReturnType<typeof createReportSource>
