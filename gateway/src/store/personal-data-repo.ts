import { randomUUID } from 'node:crypto'
import type { AuditRecord } from '../core/audit.js'
import type { AuditLog } from '../core/contracts.js'
import { REF_PREFIX, resolvePersonal, separatePersonal } from '../privacy/personal-fields.js'
import type { Db } from './db.js'

/** One stored personal value. */
export interface PersonalRecord {
  readonly ref: string
  readonly personId: string | null
  readonly kind: string
  readonly value: unknown
  readonly createdAt: number
}

/** The `personal_data` table (migration 007): personal text kept apart from the audit trail. */
export interface PersonalDataRepo {
  put(personId: string | null, kind: string, value: unknown, at: number): string
  /** The value, or undefined once erased or removed by retention. */
  get(ref: string): unknown
  forPerson(personId: string): PersonalRecord[]
  deleteForPerson(personId: string): number
}

interface Row { ref: string; person_id: string | null; kind: string; value: string; created_at: number }

export function createPersonalDataRepo(db: Db, newRef: () => string = () => `${REF_PREFIX}${randomUUID()}`): PersonalDataRepo {
  const insert = db.prepare('INSERT INTO personal_data (ref, person_id, kind, value, created_at) VALUES (?, ?, ?, ?, ?)')
  const get = db.prepare('SELECT value FROM personal_data WHERE ref = ?').pluck()
  const forPerson = db.prepare('SELECT * FROM personal_data WHERE person_id = ? ORDER BY created_at, ref')
  const del = db.prepare('DELETE FROM personal_data WHERE person_id = ?')
  return {
    put(personId, kind, value, at) {
      const ref = newRef()
      insert.run(ref, personId, kind, JSON.stringify(value), at)
      return ref
    },
    get(ref) {
      const v = get.get(ref) as string | undefined
      return v === undefined ? undefined : (JSON.parse(v) as unknown)
    },
    forPerson: (personId) => (forPerson.all(personId) as Row[]).map((r) => ({ ref: r.ref, personId: r.person_id, kind: r.kind, value: JSON.parse(r.value) as unknown, createdAt: r.created_at })),
    deleteForPerson: (personId) => del.run(personId).changes,
  }
}

/**
 * The audit trail with personal text kept apart (privacy/personal-fields.ts has the rule, per kind). On append,
 * personal fields go to `personal_data` in the same transaction, tied to the row's person (or its alert's),
 * and the row keeps references; on read, references are resolved for the views (`"(erased)"` once gone).
 */
export function withPersonalData(audit: AuditLog, personal: PersonalDataRepo, personOfAlert: (alertId: string) => string | null): AuditLog {
  const resolve = (r: AuditRecord): AuditRecord => ({ ...r, detail: resolvePersonal(r.detail, (ref) => personal.get(ref)) })
  return {
    append(e) {
      let person: string | null | undefined
      const detail = separatePersonal(e.kind, e.detail, (kind, value) => {
        person ??= e.personId ?? (e.alertId ? personOfAlert(e.alertId) : null)
        return personal.put(person, kind, value, e.at)
      })
      return audit.append(detail === e.detail ? e : { ...e, detail })
    },
    forAlert: (alertId) => audit.forAlert(alertId).map(resolve),
    search: (f) => audit.search(f).map(resolve),
  }
}

/** `withPersonalData` on this database: the person of a row without one is its alert's. */
export function withPersonalDataStore(db: Db, audit: AuditLog): AuditLog {
  const person = db.prepare('SELECT person_id FROM alerts WHERE id = ?').pluck()
  return withPersonalData(audit, createPersonalDataRepo(db), (id) => (person.get(id) as string | null | undefined) ?? null)
}

/** Resolves references in a stored detail (JSON text) for one reader, e.g. the subject access export. */
export function resolvedDetail(personal: PersonalDataRepo, detail: string): Record<string, unknown> {
  return resolvePersonal(JSON.parse(detail) as Record<string, unknown>, (ref) => personal.get(ref))
}
