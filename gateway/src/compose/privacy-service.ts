import type { Logger } from 'pino'
import type { AuditLog } from '../core/contracts.js'
import { gatewayError, isGatewayError } from '../core/errors.js'
import { erasePersonEntity, subjectEntry } from '../privacy/erasure.js'
import type { Db } from '../store/index.js'
import { createPersonalDataRepo, resolvedDetail } from '../store/personal-data-repo.js'
import { createSubjectRepo, type RecordsErased, type StoredRow } from '../store/subject-repo.js'

/** Configuration versions read or erased per step, so a long history never holds the event loop for long. */
const VERSIONS_PER_STEP = 50

export interface PrivacyDeps {
  readonly db: Db
  readonly audit: Pick<AuditLog, 'append'>
  /** The single writer (store/group-commit.ts). */
  readonly transact: <T>(run: () => T) => Promise<T>
  /** The running configuration document and its version. */
  readonly active: () => { readonly version: number; readonly document: unknown }
  /** Saves the person's entry as a new configuration version and applies it (the way the web app would). */
  readonly replacePerson: (entity: Record<string, unknown>, baseVersion: number, actor: string) => Promise<void>
  /** Writes the WAL back into the database file and truncates it, so erased text is not left in old frames. */
  readonly checkpoint: () => void
  readonly now: () => number
  readonly log: Logger
}

const TIME_COLUMN = /_at$/
/** A stored row with its epoch-millisecond `*_at` columns as ISO times (what a person reading the export needs). */
function readable(row: StoredRow): StoredRow {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, TIME_COLUMN.test(k) && typeof v === 'number' ? new Date(v).toISOString() : v]))
}

const parsedJson = (row: StoredRow, key: string) => (typeof row[key] === 'string' ? { ...row, [key]: JSON.parse(row[key] as string) as unknown } : row)

/**
 * Subject access and erasure (issue 8, UK GDPR Arts 15 and 17). Both find the person by pseudonymous id
 * through every configuration version (so devices they once had are included), and both are audited.
 */
export function createPrivacyService(deps: PrivacyDeps) {
  const subjects = createSubjectRepo(deps.db)
  const personal = createPersonalDataRepo(deps.db)

  /** Every configuration version that mentions the person, read in steps; an entry is listed when it changed. */
  async function history(personId: string) {
    const entries: { version: number; at: string; changed_by: string; source: string; note: string | null; person: unknown; devices: unknown[] }[] = []
    const mentionedIn: number[] = []
    const devices = new Set<string>()
    let last = ''
    for (let after = 0; ;) {
      const batch = subjects.versions(after, VERSIONS_PER_STEP)
      if (batch.length === 0) break
      for (const v of batch) {
        const e = subjectEntry(v.document, personId)
        if (!e) continue
        mentionedIn.push(v.version)
        for (const d of e.devices) devices.add(String(d.id))
        const text = JSON.stringify(e)
        if (text !== last) entries.push({ version: v.version, at: new Date(v.at).toISOString(), changed_by: v.changed_by, source: v.source, note: v.note, ...e })
        last = text
      }
      after = batch.at(-1)!.version
      await new Promise<void>((r) => setImmediate(r))
    }
    return { entries, mentionedIn, devices: [...devices] }
  }

  return {
    /** Everything held about the person, personal references resolved; audited as `subject.exported`. */
    async exportSubject(userId: string, personId: string): Promise<Record<string, unknown>> {
      const h = await history(personId)
      const alerts = subjects.alerts(personId)
      if (h.mentionedIn.length === 0 && alerts.length === 0) throw gatewayError('GW_ERR_SUBJECT_NOT_FOUND', [personId])
      const current = subjectEntry(deps.active().document, personId)
      const audit = subjects.audit(personId, h.devices).map((r) => ({ ...readable(r), detail: resolvedDetail(personal, r.detail) }))
      const body = {
        subject: personId,
        exported_at: new Date(deps.now()).toISOString(),
        configuration: { active_version: deps.active().version, current, versions_mentioning: h.mentionedIn, changes: h.entries },
        devices: h.devices,
        rules: (current?.person as { rules?: unknown } | null)?.rules ?? [],
        rule_versions: subjects.ruleVersions(personId).map((r) => readable(parsedJson(r, 'rule_json'))),
        rule_state: subjects.ruleState(personId).map((r) => parsedJson(r, 'state')),
        timers: subjects.timers(personId).map(readable),
        alerts: alerts.map(readable),
        notifications: subjects.notifications(personId).map(readable),
        suppressions: subjects.suppressions([personId, ...h.devices]).map(readable),
        journal: subjects.journal(h.devices).map(readable),
        audit,
        personal_data: personal.forPerson(personId).map((p) => ({ ref: p.ref, kind: p.kind, value: p.value, created_at: new Date(p.createdAt).toISOString() })),
      }
      const counts = Object.fromEntries(Object.entries(body).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as unknown[]).length]))
      await deps.transact(() => deps.audit.append({ at: deps.now(), kind: 'subject.exported', actor: `user:${userId}`, personId, detail: { counts, configuration_versions: h.mentionedIn.length } }))
      return { ...body, counts }
    },

    /**
     * Erases the person's personal text everywhere it is held, keeping pseudonymous records and every audit
     * row (which hold only ids and references) so the chain still verifies. Refused while the person is
     * active in the configuration or has open alerts. Audited as `subject.erased` with counts only.
     */
    async erase(userId: string, personId: string, note: string): Promise<Record<string, unknown>> {
      try {
        return await erase(userId, personId, note)
      } catch (err) {
        // A refused erasure is on the record too (who asked, why it could not be done), without the reason given.
        if (isGatewayError(err)) await deps.transact(() => deps.audit.append({ at: deps.now(), kind: 'command.refused', actor: `user:${userId}`, personId, detail: { command: 'erase', code: err.code, reason: err.message } }))
        throw err
      }
    },
  }

  async function erase(userId: string, personId: string, note: string): Promise<Record<string, unknown>> {
    const actor = `user:${userId}`
    const open = subjects.openAlerts(personId)
    if (open.length) throw gatewayError('GW_ERR_SUBJECT_OPEN_ALERTS', [personId, open.length, open.slice(0, 5).join(', ') + (open.length > 5 ? ', …' : '')], { alert_ids: open })
    const active = deps.active()
    const entry = subjectEntry(active.document, personId)?.person ?? null
    if (entry && entry.disabled !== true) throw gatewayError('GW_ERR_SUBJECT_ACTIVE', [personId, personId])
    const h = await history(personId)
    if (h.mentionedIn.length === 0 && subjects.alerts(personId).length === 0) throw gatewayError('GW_ERR_SUBJECT_NOT_FOUND', [personId])
    // The running configuration first, as a new version, so nothing in memory writes the old text back later.
    let configVersion: number | null = null
    if (entry && erasePersonEntity(entry).changed) {
      await deps.replacePerson(erasePersonEntity(entry).entity, active.version, actor)
      configVersion = deps.active().version
    }
    // Then every stored version, a step at a time (idempotent, so an interrupted erasure is simply run again).
    let versionsErased = 0
    for (let after = 0; ;) {
      const step = await deps.transact(() => subjects.eraseFromVersions(personId, after, VERSIONS_PER_STEP))
      versionsErased += step.changed
      if (step.last === null) break
      after = step.last
    }
    const at = deps.now()
    const records: RecordsErased = await deps.transact(() => {
      const r = subjects.eraseRecords(personId, [personId, ...h.devices])
      deps.audit.append({ at, kind: 'subject.erased', actor, personId, detail: { reason: note, devices: h.devices, configuration_versions_erased: versionsErased, erasure_config_version: configVersion, ...r } })
      return r
    })
    try {
      deps.checkpoint()
    } catch (err) {
      // The erasure is committed; the old text stays in the WAL only until the next checkpoint overwrites it.
      deps.log.warn({ err }, 'could not checkpoint the WAL after an erasure')
    }
    deps.log.info({ person_id: personId, actor, ...records, configuration_versions_erased: versionsErased }, 'subject erased')
    return { person_id: personId, erased_at: new Date(at).toISOString(), devices: h.devices, configuration_versions_erased: versionsErased, erasure_config_version: configVersion, ...records }
  }
}

export type PrivacyService = ReturnType<typeof createPrivacyService>
