import type { Logger } from 'pino'
import type { AuditLog } from '../core/contracts.js'
import { gatewayError, isGatewayError } from '../core/errors.js'
import { erasePersonEntity, subjectEntry } from '../privacy/erasure.js'
import type { Db } from '../store/index.js'
import { createSubjectRepo, type RecordsErased } from '../store/subject-repo.js'

/** Configuration versions read or erased per step, so a long history never holds the event loop for long. */
const VERSIONS_PER_STEP = 50

export interface PrivacyDeps {
  readonly db: Db
  readonly audit: Pick<AuditLog, 'append'>
  /** The single writer (store/group-commit.ts). */
  readonly transact: <T>(run: () => T) => Promise<T>
  /** Collects everything held about a person (a worker thread in the gateway: compose/subject-export.ts). */
  readonly collect: (personId: string, now: number) => Promise<Record<string, unknown>>
  /** The running configuration document and its version. */
  readonly active: () => { readonly version: number; readonly document: unknown }
  /** Saves the person's entry as a new configuration version and applies it (the way the web app would). */
  readonly replacePerson: (entity: Record<string, unknown>, baseVersion: number, actor: string) => Promise<void>
  /** Copies the WAL into the database file and truncates it, so erased text does not linger there; rejects if it could not. */
  readonly checkpoint: () => Promise<void>
  readonly now: () => number
  readonly log: Logger
}

/**
 * Subject access and erasure (issue 8, UK GDPR Arts 15 and 17). Both find the person by pseudonymous id
 * through every configuration version (so devices they once had are included), and both are audited.
 */
export function createPrivacyService(deps: PrivacyDeps) {
  const subjects = createSubjectRepo(deps.db)

  /** The versions that mention the person and the devices they had, read a step at a time. */
  async function history(personId: string): Promise<{ mentionedIn: number[]; devices: string[] }> {
    const mentionedIn: number[] = []
    const devices = new Set<string>()
    for (const batch of subjects.mentions(personId, VERSIONS_PER_STEP)) {
      for (const m of batch) {
        mentionedIn.push(m.version)
        for (const d of m.entry.devices) devices.add(String(d.id))
      }
      await new Promise<void>((r) => setImmediate(r))
    }
    return { mentionedIn, devices: [...devices] }
  }

  return {
    /** Everything held about the person (compose/subject-export.ts), personal references resolved; audited as `subject.exported`. */
    async exportSubject(userId: string, personId: string): Promise<Record<string, unknown>> {
      const body = await deps.collect(personId, deps.now())
      const counts = body.counts as Record<string, number>
      const versions = ((body.configuration as { versions_mentioning?: unknown[] } | undefined)?.versions_mentioning ?? []).length
      await deps.transact(() => deps.audit.append({ at: deps.now(), kind: 'subject.exported', actor: `user:${userId}`, personId, detail: { counts, configuration_versions: versions } }))
      return body
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
    const erased = entry ? erasePersonEntity(entry) : null
    if (erased?.changed) {
      await deps.replacePerson(erased.entity, active.version, actor)
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
      await deps.checkpoint()
    } catch (err) {
      // The erasure is committed; the old text stays in the WAL only until the next checkpoint overwrites it.
      deps.log.warn({ err }, 'could not checkpoint the WAL after an erasure')
    }
    deps.log.info({ person_id: personId, actor, ...records, configuration_versions_erased: versionsErased }, 'subject erased')
    return { person_id: personId, erased_at: new Date(at).toISOString(), devices: h.devices, configuration_versions_erased: versionsErased, erasure_config_version: configVersion, ...records }
  }
}

export type PrivacyService = ReturnType<typeof createPrivacyService>
