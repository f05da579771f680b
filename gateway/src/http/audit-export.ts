import type { AuditRecord } from '../core/audit.js'

/**
 * The audit export's columns, in order: the ONE place that decides what an export holds (issue 8 adds the
 * hash-chain columns here). Each column turns a row into text; `detail` is the row's JSON detail as written.
 */
export const auditExportColumns: readonly (readonly [name: string, value: (r: AuditRecord) => string])[] = [
  ['seq', (r) => String(r.seq)],
  ['at', (r) => new Date(r.at).toISOString()],
  ['kind', (r) => r.kind],
  ['actor', (r) => r.actor],
  ['alert_id', (r) => r.alertId ?? ''],
  ['device_id', (r) => r.deviceId ?? ''],
  ['person_id', (r) => r.personId ?? ''],
  ['event_seq', (r) => (r.eventSeq == null ? '' : String(r.eventSeq))],
  ['detail', (r) => JSON.stringify(r.detail)],
]

/** One field quoted per RFC 4180 §2: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function quoteCsv(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

/**
 * A field that a spreadsheet would run as a formula (leading = + - @, tab or CR) gets a leading apostrophe
 * (OWASP "CSV injection"). Audit fields are ids, ISO times and JSON, so only a hostile value is ever changed.
 */
export function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
}

/** Records as CSV with a header line, CRLF line ends (RFC 4180 §2.1). */
export function auditCsv(rows: readonly AuditRecord[]): string {
  const lines = [auditExportColumns.map(([name]) => name).join(',')]
  for (const r of rows) lines.push(auditExportColumns.map(([, value]) => quoteCsv(spreadsheetSafe(value(r)))).join(','))
  return lines.join('\r\n') + '\r\n'
}

/** Records as the JSON export: the same columns by name, `detail` as an object. */
export function auditJsonRows(rows: readonly AuditRecord[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = {}
    for (const [name, value] of auditExportColumns) out[name] = name === 'detail' ? r.detail : value(r)
    return out
  })
}
