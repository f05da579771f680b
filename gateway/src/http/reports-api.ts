import type { ServerResponse } from 'node:http'
import type { ConfigIndex } from '../config/config-index.js'
import { gatewayError } from '../core/errors.js'
import { type Dimension, dimensions, type ServiceReport } from '../reports/service-report.js'
import { quoteCsv, spreadsheetSafe } from './audit-export.js'
import { sendBody, sendJson } from './http-util.js'
import { oversightRoles, requireRole, type Route } from './router.js'

export interface ReportsApiDeps {
  readonly index: ConfigIndex
  readonly now: () => number
  /** Builds the report for [from, to). */
  readonly report: (from: number, to: number) => ServiceReport
}

const MAX_DAYS = 400

/** `from`/`to` as dates (YYYY-MM-DD, UTC midnight) or instants; default: the last 30 days. */
function period(url: URL, now: number): { from: number; to: number } {
  const parse = (name: string, fallback: number) => {
    const v = url.searchParams.get(name)
    if (v === null) return fallback
    const t = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v)
    if (Number.isNaN(t)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`${name} must be a date (YYYY-MM-DD) or an ISO 8601 instant`])
    return t
  }
  const to = parse('to', now)
  const from = parse('from', to - 30 * 86_400_000)
  if (from >= to) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['from must be before to'])
  if (to - from > MAX_DAYS * 86_400_000) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`a report covers at most ${MAX_DAYS} days`])
  return { from, to }
}

type Cell = string | number | null
function csv(res: ServerResponse, name: string, header: readonly string[], rows: readonly Cell[][]): void {
  const lines = [header.join(','), ...rows.map((r) => r.map((c) => quoteCsv(spreadsheetSafe(c === null ? '' : String(c)))).join(','))]
  res.setHeader('content-disposition', `attachment; filename="${name}.csv"`)
  sendBody(res, 200, 'text/csv; charset=utf-8', lines.join('\r\n') + '\r\n')
}

const durationCols = (prefix: string) => [`${prefix}_count`, `${prefix}_p50_s`, `${prefix}_p90_s`, `${prefix}_p95_s`, `${prefix}_max_s`]
const durationCells = (d: { count: number; p50_s: number | null; p90_s: number | null; p95_s: number | null; max_s: number | null }): Cell[] => [d.count, d.p50_s, d.p90_s, d.p95_s, d.max_s]

/**
 * Service reports (issue 8) for team leaders, AT admins and auditors: `GET /api/reports` (JSON, all
 * sections), and each section as CSV: `/api/reports/response-times.csv?by=site|person|carer|priority|month`,
 * `/api/reports/false-alarms.csv?by=person|device|rule`, `/api/reports/availability.csv`, `/api/reports/delivery.csv`.
 */
export function createReportsApi(deps: ReportsApiDeps): Route[] {
  const allowed = (userId: string) => requireRole(deps.index, userId, oversightRoles, 'read service reports')
  return [
    ['GET', /^\/api\/reports$/, (_req, res, userId, _p, url) => {
      allowed(userId)
      const { from, to } = period(url, deps.now())
      const report = deps.report(from, to)
      if (url.searchParams.get('download') === '1') res.setHeader('content-disposition', 'attachment; filename="service-report.json"')
      sendJson(res, 200, report)
    }],
    ['GET', /^\/api\/reports\/(response-times|false-alarms|availability|delivery)\.csv$/, (_req, res, userId, [section], url) => {
      allowed(userId)
      const { from, to } = period(url, deps.now())
      const r = deps.report(from, to)
      const by = url.searchParams.get('by')
      if (section === 'response-times') {
        const d = (by ?? 'site') as Dimension
        if (!dimensions.includes(d)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`by must be one of ${dimensions.join(', ')}`])
        return csv(res, `response-times-by-${d}`, [d, 'alerts', ...durationCols('to_first_notification'), ...durationCols('to_accept'), ...durationCols('to_close'), 'accepted_within_60s_pct', 'accepted_within_180s_pct'],
          [...r.response_times.by[d], r.response_times.overall].map((x) => [x.key, x.alerts, ...durationCells(x.to_first_notification), ...durationCells(x.to_accept), ...durationCells(x.to_close), x.accepted_within_60s_pct, x.accepted_within_180s_pct]))
      }
      if (section === 'false-alarms') {
        const d = by ?? 'person'
        const rows = d === 'person' ? r.false_alarms.by_person : d === 'device' ? r.false_alarms.by_device : d === 'rule' ? r.false_alarms.by_rule : null
        if (!rows) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['by must be one of person, device, rule'])
        return csv(res, `false-alarms-by-${d}`, [d, 'closed', 'false_alarms', 'false_alarm_pct'], rows.map((x) => [x.key, x.closed, x.false_alarms, x.false_alarm_pct]))
      }
      if (section === 'availability') return csv(res, 'availability', ['device_id', 'available_pct', 'not_reporting_s', 'outages'], r.availability.map((x) => [x.device_id, x.available_pct, x.not_reporting_s, x.outages]))
      return csv(res, 'delivery', ['route', 'first_attempts', 'failed', 'failed_pct'], r.delivery.map((x) => [x.route, x.first_attempts, x.failed, x.failed_pct]))
    }],
  ]
}
