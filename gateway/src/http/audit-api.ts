import type { ConfigIndex } from '../config/config-index.js'
import type { AuditKind, AuditRecord } from '../core/audit.js'
import type { AuditFilter, AuditLog } from '../core/contracts.js'
import { gatewayError } from '../core/errors.js'
import { auditCsv, auditJsonRows } from './audit-export.js'
import { sendBody, sendJson } from './http-util.js'
import { oversightRoles, requireRole, type Route } from './router.js'
import { auditView } from './views.js'

/** Most rows one export holds; a larger result says so (header, JSON `truncated`, a last CSV row) and the caller narrows the filters. */
export const EXPORT_MAX_ROWS = 10_000

export interface AuditApiDeps {
  readonly index: ConfigIndex
  readonly audit: AuditLog
  readonly now: () => number
}

const idParam = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/

/** Query string → filter; every bad parameter is named. */
export function auditFilter(url: URL, defaultLimit: number, maxLimit: number): AuditFilter {
  const q = url.searchParams
  const text = (name: string) => {
    const v = q.get(name)
    if (v === null || v === '') return undefined
    if (!idParam.test(v)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`${name}: must be an id (letters, digits, ":", ".", "_" and "-"), got ${JSON.stringify(v.slice(0, 40))}`])
    return v
  }
  const time = (name: string, endOfDay: boolean) => {
    const v = q.get(name)
    if (v === null || v === '') return undefined
    // A bare date means the whole day (UTC): from its start, to its end.
    const t = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) + (endOfDay ? 86_400_000 - 1 : 0) : Date.parse(v)
    if (!Number.isFinite(t)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`${name}: must be a date (2026-11-21) or an RFC 3339 time, got ${JSON.stringify(v.slice(0, 40))}`])
    return t
  }
  const int = (name: string, def: number, min: number, max: number) => {
    const v = q.get(name)
    const n = v === null || v === '' ? def : Number(v)
    if (!Number.isInteger(n) || n < min || n > max) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`${name}: must be an integer from ${min} to ${max}`])
    return n
  }
  const f: AuditFilter = {
    personId: text('person'), deviceId: text('device'), alertId: text('alert'), actor: text('actor'), kind: text('kind'),
    from: time('from', false), to: time('to', true), afterSeq: int('after', 0, 0, Number.MAX_SAFE_INTEGER), limit: int('limit', defaultLimit, 1, maxLimit),
  }
  if (f.from !== undefined && f.to !== undefined && f.to < f.from) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['to: must not be before from'])
  return f
}

/**
 * One page of a search: the first `f.limit` records, extended to the end of a routine-events digest (records sharing
 * one seq, audit/routine-events.ts) so that paging with `after` (a seq) never skips the rest of it; and whether more follow.
 */
export function auditPage(audit: AuditLog, f: AuditFilter): { page: AuditRecord[]; more: boolean } {
  const rows = audit.search({ ...f, limit: f.limit + 1 })
  let n = Math.min(f.limit, rows.length)
  while (n > 0 && n < rows.length && rows[n]!.seq === rows[n - 1]!.seq) n++
  const page = rows.slice(0, n)
  const more = rows.length > n || (n > f.limit && audit.search({ ...f, afterSeq: page[n - 1]!.seq, limit: 1 }).length > 0)
  return { page, more }
}

/**
 * Audit search and export for the oversight roles (team leader, AT admin, auditor): by person, device,
 * alert, actor (carer), kind and time, oldest first, paged with `after`. Export is CSV (RFC 4180) or JSON,
 * downloaded as an attachment. Carers are refused (and the refusal audited) like every other oversight route.
 */
export function createAuditApi(deps: AuditApiDeps): Route[] {
  return [
    ['GET', /^\/api\/audit\/search$/, (_req, res, userId, _p, url) => {
      requireRole(deps.index, userId, oversightRoles, 'search the audit trail')
      const f = auditFilter(url, 100, 1000)
      const { page, more } = auditPage(deps.audit, f)
      sendJson(res, 200, { entries: page.map(auditView), next_after: more ? page[page.length - 1]!.seq : null })
    }],
    ['GET', /^\/api\/audit\/export$/, (_req, res, userId, _p, url) => {
      requireRole(deps.index, userId, oversightRoles, 'export the audit trail')
      const format = url.searchParams.get('format') ?? 'csv'
      if (format !== 'csv' && format !== 'json') throw gatewayError('GW_ERR_API_BAD_REQUEST', ['format: must be csv or json'])
      const f = auditFilter(url, EXPORT_MAX_ROWS, EXPORT_MAX_ROWS)
      const { page, more: truncated } = auditPage(deps.audit, f)
      const stamp = new Date(deps.now()).toISOString().replace(/[:.]/g, '-')
      res.setHeader('content-disposition', `attachment; filename="audit-${stamp}.${format}"`)
      res.setHeader('x-audit-rows', String(page.length))
      res.setHeader('x-audit-truncated', String(truncated))
      const more = truncated ? `more rows match than the ${page.length} exported; continue with after=${page[page.length - 1]!.seq} or narrow the filters` : null
      if (format === 'json') {
        const body = JSON.stringify({ exported_at: new Date(deps.now()).toISOString(), filters: Object.fromEntries(url.searchParams), truncated, ...(more ? { note: more } : {}), entries: auditJsonRows(page) }, null, 1)
        return sendBody(res, 200, 'application/json; charset=utf-8', body)
      }
      // The CSV says it is cut short in the file itself, not only in a header a spreadsheet never shows.
      const marker = { seq: 0, at: deps.now(), kind: 'export.truncated' as AuditKind, actor: 'gateway', detail: { note: more } }
      sendBody(res, 200, 'text/csv; charset=utf-8', auditCsv(more ? [...page, marker] : page))
    }],
  ]
}
