import type { Alert } from '../core/alert.js'
import { type ReportWindow, within } from './window.js'

/** How many alerts of one person or device were closed in the window, and how many of them as false alarms. */
export interface FalseAlarmCount {
  readonly id: string
  readonly false_alarms: number
  readonly closed: number
}

export interface FalseAlarms {
  readonly by_person: FalseAlarmCount[]
  readonly by_device: FalseAlarmCount[]
}

type Closed = Pick<Alert, 'personId' | 'deviceId' | 'closedAt' | 'outcome'>

function countBy(alerts: readonly Closed[], key: (a: Closed) => string | null): FalseAlarmCount[] {
  const counts = new Map<string, { false_alarms: number; closed: number }>()
  for (const a of alerts) {
    const k = key(a)
    if (k === null) continue
    const c = counts.get(k) ?? { false_alarms: 0, closed: 0 }
    c.closed++
    if (a.outcome === 'false_alarm') c.false_alarms++
    counts.set(k, c)
  }
  return [...counts].filter(([, c]) => c.false_alarms > 0).map(([id, c]) => ({ id, ...c }))
    // Most false alarms first (the device or rule most worth a look); ties by id so the order is stable.
    .sort((a, b) => b.false_alarms - a.false_alarms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * Alerts CLOSED in the window with the outcome "false alarm", per person and per device, next to how many
 * of theirs were closed in all (two false alarms out of two is a different story from two out of forty).
 * Only people and devices with at least one false alarm are listed. Clock-driven alerts have no device.
 */
export function falseAlarms(alerts: readonly Closed[], w: Pick<ReportWindow, 'from' | 'to'>): FalseAlarms {
  const closed = alerts.filter((a) => within(w, a.closedAt) && a.outcome !== null)
  return { by_person: countBy(closed, (a) => a.personId), by_device: countBy(closed, (a) => a.deviceId) }
}
