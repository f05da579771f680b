import { percentileOfSorted } from './percentile.js'

/**
 * Service reports (issue 8): what a telecare service is inspected on. Pure functions over records the
 * store reads; every figure says what it counts. Percentiles are nearest-rank (percentile.ts).
 *
 * Scope: care alerts only for response times and false alarms (technical alerts — a device not reporting,
 * a line down — are reported as availability and delivery). The clock starts at the device event's receipt
 * by the gateway (its journal row), or at the raise for clock-driven rules that have no event.
 */

export interface ReportAlert {
  readonly id: string
  readonly siteId: string
  readonly personId: string | null
  readonly deviceId: string | null
  readonly ruleId: string
  readonly priority: string
  readonly kind: string
  /** Device event received (or raise time when no event). */
  readonly eventAt: number
  readonly raisedAt: number
  /** First page sent to anyone (null if none was sent). */
  readonly firstSentAt: number | null
  readonly acceptedAt: number | null
  readonly acceptedBy: string | null
  readonly closedAt: number | null
  readonly outcome: string | null
}

export interface ReportNotification {
  readonly alertId: string
  readonly pagerId: string
  readonly attempt: number
  readonly state: string
}

/** Supervision changes of one device, in time order. */
export interface SupervisionChange {
  readonly deviceId: string
  readonly at: number
  readonly state: 'down' | 'up'
}

export type Dimension = 'site' | 'person' | 'carer' | 'priority' | 'month'
export const dimensions: readonly Dimension[] = ['site', 'person', 'carer', 'priority', 'month']

export interface Durations {
  readonly count: number
  readonly p50_s: number | null
  readonly p90_s: number | null
  readonly p95_s: number | null
  readonly max_s: number | null
}

export interface ResponseRow {
  readonly key: string
  /** Care alerts raised in the period in this group. */
  readonly alerts: number
  readonly to_first_notification: Durations
  readonly to_accept: Durations
  readonly to_close: Durations
  /** Share of ALL the group's alerts accepted within 60 s / 180 s of the device event (TSA: 97.5 % within 60 s). */
  readonly accepted_within_60s_pct: number | null
  readonly accepted_within_180s_pct: number | null
}

export interface RateRow {
  readonly key: string
  /** Alerts closed with an outcome in the period. */
  readonly closed: number
  readonly false_alarms: number
  readonly false_alarm_pct: number | null
}

export interface AvailabilityRow {
  readonly device_id: string
  /** Share of the period the device was reporting. */
  readonly available_pct: number
  readonly not_reporting_s: number
  readonly outages: number
}

export interface DeliveryRow {
  /** The route: the pager a first attempt went to. */
  readonly route: string
  readonly first_attempts: number
  /** First attempts the route could not deliver (failed or undeliverable); unanswered pages are not delivery failures. */
  readonly failed: number
  readonly failed_pct: number | null
}

export interface ServiceReport {
  readonly from: string
  readonly to: string
  readonly response_times: { readonly overall: ResponseRow; readonly by: Readonly<Record<Dimension, readonly ResponseRow[]>> }
  readonly false_alarms: { readonly by_person: readonly RateRow[]; readonly by_device: readonly RateRow[]; readonly by_rule: readonly RateRow[] }
  readonly availability: readonly AvailabilityRow[]
  readonly delivery: readonly DeliveryRow[]
}

const pct = (n: number, of: number) => (of === 0 ? null : Math.round((n / of) * 10_000) / 100)

function durations(ms: readonly number[]): Durations {
  const s = ms.map((x) => x / 1000).sort((a, b) => a - b)
  return { count: s.length, p50_s: percentileOfSorted(s, 50), p90_s: percentileOfSorted(s, 90), p95_s: percentileOfSorted(s, 95), max_s: s.at(-1) ?? null }
}

function responseRow(key: string, alerts: readonly ReportAlert[]): ResponseRow {
  const since = (a: ReportAlert, t: number | null) => (t === null ? [] : [Math.max(0, t - a.eventAt)])
  const accept = alerts.flatMap((a) => since(a, a.acceptedAt))
  return {
    key,
    alerts: alerts.length,
    to_first_notification: durations(alerts.flatMap((a) => since(a, a.firstSentAt))),
    to_accept: durations(accept),
    to_close: durations(alerts.flatMap((a) => since(a, a.closedAt))),
    accepted_within_60s_pct: pct(accept.filter((ms) => ms <= 60_000).length, alerts.length),
    accepted_within_180s_pct: pct(accept.filter((ms) => ms <= 180_000).length, alerts.length),
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const it of items) {
    const k = key(it)
    if (k === null) continue
    const list = out.get(k)
    if (list) list.push(it)
    else out.set(k, [it])
  }
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)))
}

const monthFormats = new Map<string, Intl.DateTimeFormat>()

/** "YYYY-MM" of an instant in a time zone (one formatter per zone: building one costs far more than using it). */
export function localMonth(at: number, tz: string): string {
  let f = monthFormats.get(tz)
  if (!f) monthFormats.set(tz, (f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit' })))
  return f.format(at).slice(0, 7)
}

/**
 * Availability of each device over [from, to): time not reporting (between a "not reporting" and the next
 * "restored") is subtracted. Changes before `from` set the state the period starts in.
 */
export function availability(deviceIds: readonly string[], changes: readonly SupervisionChange[], from: number, to: number): AvailabilityRow[] {
  const span = to - from
  // Each device's changes in time order, gathered in one pass (not one filter of the whole list per device).
  const byDevice = groupBy([...changes].filter((c) => c.at < to).sort((a, b) => a.at - b.at), (c) => c.deviceId)
  return deviceIds.map((id) => {
    let down: number | null = null
    let downMs = 0
    let outages = 0
    for (const c of byDevice.get(id) ?? []) {
      if (c.state === 'down' && down === null) {
        down = Math.max(c.at, from)
        if (c.at >= from) outages++
      } else if (c.state === 'up' && down !== null) {
        downMs += Math.max(0, c.at - down)
        down = null
      }
    }
    if (down !== null) downMs += to - down
    downMs = Math.min(span, Math.max(0, downMs))
    return { device_id: id, available_pct: span > 0 ? Math.round(((span - downMs) / span) * 10_000) / 100 : 100, not_reporting_s: Math.round(downMs / 1000), outages }
  })
}

export interface ReportInput {
  readonly from: number
  readonly to: number
  /** Alerts raised in [from, to). */
  readonly alerts: readonly ReportAlert[]
  readonly notifications: readonly ReportNotification[]
  readonly devices: readonly string[]
  readonly supervision: readonly SupervisionChange[]
  /** Site → IANA time zone, for the month a figure belongs to. */
  readonly timeZones: ReadonlyMap<string, string>
}

export function serviceReport(r: ReportInput): ServiceReport {
  const care = r.alerts.filter((a) => a.kind === 'care')
  const keyOf: Record<Dimension, (a: ReportAlert) => string | null> = {
    site: (a) => a.siteId,
    person: (a) => a.personId,
    carer: (a) => a.acceptedBy ?? '(not accepted)',
    priority: (a) => a.priority,
    month: (a) => localMonth(a.eventAt, r.timeZones.get(a.siteId) ?? 'Europe/London'),
  }
  const by = Object.fromEntries(dimensions.map((d) => [d, [...groupBy(care, keyOf[d])].map(([k, list]) => responseRow(k, list))])) as Record<Dimension, ResponseRow[]>
  const closed = care.filter((a) => a.closedAt !== null && a.outcome !== null)
  const rates = (key: (a: ReportAlert) => string | null): RateRow[] =>
    [...groupBy(closed, key)].map(([k, list]) => {
      const fa = list.filter((a) => a.outcome === 'false_alarm').length
      return { key: k, closed: list.length, false_alarms: fa, false_alarm_pct: pct(fa, list.length) }
    })
  const firsts = r.notifications.filter((n) => n.attempt === 1)
  const delivery = [...groupBy(firsts, (n) => n.pagerId)].map(([route, list]) => {
    const failed = list.filter((n) => ['failed', 'undeliverable'].includes(n.state)).length
    return { route, first_attempts: list.length, failed, failed_pct: pct(failed, list.length) }
  })
  return {
    from: new Date(r.from).toISOString(),
    to: new Date(r.to).toISOString(),
    response_times: { overall: responseRow('all', care), by },
    false_alarms: { by_person: rates((a) => a.personId), by_device: rates((a) => a.deviceId), by_rule: rates((a) => a.ruleId) },
    availability: availability(r.devices, r.supervision, r.from, r.to),
    delivery,
  }
}
