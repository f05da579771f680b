import { runInWorker } from '../core/worker.js'
import Database from 'better-sqlite3'
import { gatewayError, isGatewayError } from '../core/errors.js'
import { subjectEntry } from '../privacy/erasure.js'
import type { Db } from '../store/index.js'
import { createPersonalDataRepo, resolvedDetail } from '../store/personal-data-repo.js'
import { createSubjectRepo, type StoredRow } from '../store/subject-repo.js'

const TIME_COLUMN = /_at$/
/** A stored row with its epoch-millisecond `*_at` columns as ISO times (what a person reading the export needs). */
function readable(row: StoredRow): StoredRow {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, TIME_COLUMN.test(k) && typeof v === 'number' ? new Date(v).toISOString() : v]))
}

const parsedJson = (row: StoredRow, key: string) => (typeof row[key] === 'string' ? { ...row, [key]: JSON.parse(row[key] as string) as unknown } : row)

/** Every configuration version that mentions the person: versions, devices they had, and their entry each time it changed. */
function configurationHistory(subjects: ReturnType<typeof createSubjectRepo>, personId: string) {
  const changes: Record<string, unknown>[] = []
  const mentionedIn: number[] = []
  const devices = new Set<string>()
  let last = ''
  for (const batch of subjects.mentions(personId)) {
    for (const m of batch) {
      mentionedIn.push(m.version)
      for (const d of m.entry.devices) devices.add(String(d.id))
      const text = JSON.stringify(m.entry)
      if (text !== last) changes.push({ version: m.version, at: new Date(m.at).toISOString(), changed_by: m.changed_by, source: m.source, note: m.note, ...m.entry })
      last = text
    }
  }
  return { changes, mentionedIn, devices: [...devices] }
}

/**
 * Everything held about one person (issue 8, subject access), read in one read transaction so it is a
 * consistent picture: configuration now and across versions, devices, rules, alerts, pages, suppressions,
 * raw events of their devices, audit rows about them (personal references resolved) and personal data.
 */
export function collectSubject(db: Db, personId: string, now: number): Record<string, unknown> {
  return db.transaction(() => {
    const subjects = createSubjectRepo(db)
    const personal = createPersonalDataRepo(db)
    const h = configurationHistory(subjects, personId)
    const alerts = subjects.alerts(personId)
    if (h.mentionedIn.length === 0 && alerts.length === 0) throw gatewayError('GW_ERR_SUBJECT_NOT_FOUND', [personId])
    const latest = subjects.latestVersion()
    const current = latest ? subjectEntry(latest.document, personId) : null
    const body = {
      subject: personId,
      exported_at: new Date(now).toISOString(),
      configuration: { active_version: latest?.version ?? null, current, versions_mentioning: h.mentionedIn, changes: h.changes },
      devices: h.devices,
      rules: (current?.person as { rules?: unknown } | null)?.rules ?? [],
      rule_versions: subjects.ruleVersions(personId).map((r) => readable(parsedJson(r, 'rule_json'))),
      rule_state: subjects.ruleState(personId).map((r) => parsedJson(r, 'state')),
      timers: subjects.timers(personId).map(readable),
      alerts: alerts.map(readable),
      notifications: subjects.notifications(personId).map(readable),
      suppressions: subjects.suppressions([personId, ...h.devices]).map(readable),
      journal: subjects.journal(h.devices).map(readable),
      audit: subjects.audit(personId, h.devices).map((r) => ({ ...readable(r), detail: resolvedDetail(personal, r.detail) })),
      personal_data: personal.forPerson(personId).map((p) => ({ ref: p.ref, kind: p.kind, value: p.value, created_at: new Date(p.createdAt).toISOString() })),
    }
    const counts = Object.fromEntries(Object.entries(body).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as unknown[]).length]))
    return { ...body, counts }
  })()
}

/** What the worker sends back: the export as JSON text (cheaper to pass than a cloned object), or the error. */
export type ExportMessage = { ok: true; json: string } | { ok: false; code: string | null; args: unknown[]; message: string }

/** `collectSubject` in a worker thread on a read-only connection: years of a person's events must not hold up alerts. */
export function collectInWorker(dbFile: string) {
  return (personId: string, now: number): Promise<Record<string, unknown>> => {
    return runInWorker<ExportMessage>(new URL('./subject-export-worker.ts', import.meta.url), { dbFile, personId, now }, 'subject export').then((m) => {
      if (m.ok) return JSON.parse(m.json) as Record<string, unknown>
      throw m.code === 'GW_ERR_SUBJECT_NOT_FOUND' ? gatewayError('GW_ERR_SUBJECT_NOT_FOUND', m.args) : new Error(m.message)
    })
  }
}

/** The worker's body (subject-export-worker.ts). */
export function runExport(data: { dbFile: string; personId: string; now: number }): ExportMessage {
  const db = new Database(data.dbFile, { readonly: true, fileMustExist: true })
  try {
    return { ok: true, json: JSON.stringify(collectSubject(db, data.personId, data.now)) }
  } catch (err) {
    return { ok: false, code: isGatewayError(err) ? err.code : null, args: [data.personId], message: err instanceof Error ? err.message : String(err) }
  } finally {
    db.close()
  }
}
