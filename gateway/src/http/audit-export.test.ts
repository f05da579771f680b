import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AuditRecord } from '../core/audit.js'
import { auditCsv, auditExportColumns, quoteCsv, spreadsheetSafe } from './audit-export.js'

/** A strict RFC 4180 reader (test oracle): fields, quoted fields with doubled quotes, CRLF or LF record ends. */
function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let i = 0
  let quoted = false
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue }
      if (c === '"') { quoted = false; i++; continue }
      field += c; i++; continue
    }
    if (c === '"' && field === '') { quoted = true; i++; continue }
    if (c === ',') { record.push(field); field = ''; i++; continue }
    if (c === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); record = []; field = ''; i += 2; continue }
    field += c; i++
  }
  if (field !== '' || record.length) { record.push(field); records.push(record) }
  return records
}

describe('audit CSV export (RFC 4180)', () => {
  it('round-trips any fields, with commas, quotes, CR and LF, through quoting and a strict reader', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), (rows) => {
      const text = rows.map((r) => r.map(quoteCsv).join(',')).join('\r\n') + '\r\n'
      expect(parseCsv(text)).toEqual(rows)
    }))
  })

  it('quotes only fields that need it', () => {
    expect(quoteCsv('plain')).toBe('plain')
    expect(quoteCsv('a,b')).toBe('"a,b"')
    expect(quoteCsv('say "hi"')).toBe('"say ""hi"""')
    expect(quoteCsv('two\nlines')).toBe('"two\nlines"')
  })

  it('neutralises spreadsheet formulas and leaves ordinary audit values alone', () => {
    expect(spreadsheetSafe('=HYPERLINK("x")')).toBe('\'=HYPERLINK("x")')
    expect(spreadsheetSafe('user:c-amy')).toBe('user:c-amy')
    expect(spreadsheetSafe('{"note":"-"}')).toBe('{"note":"-"}')
  })

  it('writes the header from the one column list and a row per record, the detail as JSON', () => {
    const row: AuditRecord = { seq: 7, at: Date.parse('2026-11-28T02:14:05Z'), kind: 'config.changed', actor: 'user:at-ann', alertId: null, deviceId: 'bed-r12', personId: 'p-001', eventSeq: null, detail: { note: 'moved, "room" 12', lines: 'a\r\nb' } }
    const [header, first, ...rest] = parseCsv(auditCsv([row]))
    expect(header).toEqual(auditExportColumns.map(([n]) => n))
    expect(rest).toEqual([])
    expect(first).toEqual(['7', '2026-11-28T02:14:05.000Z', 'config.changed', 'user:at-ann', '', 'bed-r12', 'p-001', '', JSON.stringify(row.detail)])
    expect(JSON.parse(first![8]!)).toEqual(row.detail)
  })
})
