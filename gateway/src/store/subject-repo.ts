import { ERASED } from '../privacy/personal-fields.js'
import { eraseFromDocument, subjectEntry } from '../privacy/erasure.js'
import type { Db } from './db.js'
import type { AuditRecord } from '../core/audit.js'
import { type AuditRow, toRecord } from './audit-repo.js'
import { expandRoutine } from '../audit/routine-events.js'
import { createPersonalDataRepo } from './personal-data-repo.js'

/** A stored row as it is, columns by name. */
export type StoredRow = Record<string, unknown>

/** An expanded record in the stored row's shape (columns by name, detail as JSON text), as the other rows are read. */
const storedRow = (r: AuditRecord): StoredRow & { detail: string } => ({ seq: r.seq, at: r.at, kind: r.kind, actor: r.actor, alert_id: r.alertId ?? null, device_id: r.deviceId ?? null, person_id: r.personId ?? null, event_seq: r.eventSeq ?? null, detail: JSON.stringify(r.detail) })

/** A configuration version that mentions a person, with their entry in it. */
export interface Mention {
  readonly version: number
  readonly at: number
  readonly changed_by: string
  readonly note: string | null
  readonly source: string
  readonly entry: NonNullable<ReturnType<typeof subjectEntry>>
}

/** What erasure changed outside the configuration, per table (no personal text: counts only). */
export interface RecordsErased {
  readonly personal_data_deleted: number
  readonly alert_notes_erased: number
  readonly notification_texts_erased: number
  readonly suppression_reasons_erased: number
  readonly rule_state_deleted: number
  readonly timers_deleted: number
}

/**
 * Reads and erasures for one data subject (issue 8): everything held about a person, found by their
 * pseudonymous id, their devices and their alerts. Device ids are passed in (from every configuration
 * version), so a device's history is found even after it was reassigned or removed.
 */
export function createSubjectRepo(db: Db) {
  const json = (ids: readonly string[]) => JSON.stringify(ids)
  const personal = createPersonalDataRepo(db)
  const stmt = {
    versions: db.prepare('SELECT version, at, changed_by, note, source, document FROM config_versions WHERE version > ? ORDER BY version LIMIT ?'),
    latest: db.prepare('SELECT version, document FROM config_versions ORDER BY version DESC LIMIT 1'),
    alerts: db.prepare('SELECT * FROM alerts WHERE person_id = ? ORDER BY raised_at, id'),
    open: db.prepare("SELECT id FROM alerts WHERE person_id = ? AND state <> 'closed' ORDER BY raised_at").pluck(),
    notifications: db.prepare('SELECT n.* FROM notifications n JOIN alerts a ON a.id = n.alert_id WHERE a.person_id = ? ORDER BY n.created_at, n.id'),
    suppressions: db.prepare('SELECT * FROM suppressions WHERE target IN (SELECT value FROM json_each(?)) ORDER BY set_at, id'),
    // The journal has no index by device (migration 009): its settled rows are found through their keys, the rest
    // (rows since the last settle, a few thousand at most) by reading them.
    journal: db.prepare(`SELECT * FROM journal WHERE seq IN (
        SELECT seq FROM journal_ids WHERE device_id IN (SELECT value FROM json_each(@devices))
        UNION ALL SELECT seq FROM journal WHERE seq > (SELECT through_seq FROM journal_settled) AND device_id IN (SELECT value FROM json_each(@devices)))
      ORDER BY seq`),
    ruleVersions: db.prepare('SELECT * FROM rule_versions WHERE person_id = ? ORDER BY changed_at, rule_id'),
    ruleState: db.prepare('SELECT * FROM rule_state WHERE person_id = ?'),
    timers: db.prepare('SELECT * FROM timers WHERE person_id = ?'),
    // Rows about the person, their devices or their alerts; a device row about someone else (a reassigned device) is not theirs.
    // A union of three indexed lookups (audit_person, audit_device, audit_alert), never a scan of the whole trail.
    audit: db.prepare(`SELECT seq, at, kind, actor, alert_id, device_id, person_id, event_seq, detail FROM audit WHERE person_id = @person
      UNION SELECT seq, at, kind, actor, alert_id, device_id, person_id, event_seq, detail FROM audit
        WHERE device_id IN (SELECT value FROM json_each(@devices)) AND (person_id IS NULL OR person_id = @person)
      UNION SELECT seq, at, kind, actor, alert_id, device_id, person_id, event_seq, detail FROM audit
        WHERE alert_id IN (SELECT id FROM alerts WHERE person_id = @person) AND (person_id IS NULL OR person_id = @person)
      ORDER BY seq`),
    // Digest rows of routine events (audit/routine-events.ts) naming the person or one of their devices: these are read
    // in full (digests carry no person or device column to index), then narrowed to the person's records.
    routineDigests: db.prepare(`SELECT seq, at, kind, actor, alert_id, device_id, person_id, event_seq, detail FROM audit WHERE kind = 'events.routine'
      AND (instr(detail, @personNeedle) > 0 OR EXISTS (SELECT 1 FROM json_each(@devices) d WHERE instr(audit.detail, '"device":' || json_quote(d.value)) > 0))
      ORDER BY seq`),
    updateDocument: db.prepare('UPDATE config_versions SET document = ? WHERE version = ?'),
    eraseNotes: db.prepare('UPDATE alerts SET outcome_note = ? WHERE person_id = ? AND outcome_note IS NOT NULL AND outcome_note <> ?'),
    eraseTexts: db.prepare('UPDATE notifications SET text = ? WHERE text <> ? AND alert_id IN (SELECT id FROM alerts WHERE person_id = ?)'),
    eraseReasons: db.prepare('UPDATE suppressions SET reason = ? WHERE reason <> ? AND target IN (SELECT value FROM json_each(?))'),
    deleteRuleState: db.prepare('DELETE FROM rule_state WHERE person_id = ?'),
    deleteTimers: db.prepare('DELETE FROM timers WHERE person_id = ?'),
  }
  return {
    /** The active configuration: the newest version. */
    latestVersion(): { version: number; document: unknown } | null {
      const r = stmt.latest.get() as { version: number; document: string } | undefined
      return r ? { version: r.version, document: JSON.parse(r.document) as unknown } : null
    },
    /** The configuration versions that mention the person, with their entry, a batch at a time (a caller may yield in between). */
    *mentions(personId: string, batchSize = 50): Generator<Mention[]> {
      for (let after = 0; ;) {
        const batch = stmt.versions.all(after, batchSize) as { version: number; at: number; changed_by: string; note: string | null; source: string; document: string }[]
        if (batch.length === 0) return
        yield batch.flatMap(({ document, ...v }) => {
          const entry = subjectEntry(JSON.parse(document) as unknown, personId)
          return entry ? [{ ...v, entry }] : []
        })
        after = batch.at(-1)!.version
      }
    },
    alerts: (personId: string) => stmt.alerts.all(personId) as StoredRow[],
    openAlerts: (personId: string) => stmt.open.all(personId) as string[],
    notifications: (personId: string) => stmt.notifications.all(personId) as StoredRow[],
    suppressions: (targets: readonly string[]) => stmt.suppressions.all(json(targets)) as StoredRow[],
    journal: (deviceIds: readonly string[]) => stmt.journal.all({ devices: json(deviceIds) }) as StoredRow[],
    ruleVersions: (personId: string) => stmt.ruleVersions.all(personId) as StoredRow[],
    ruleState: (personId: string) => stmt.ruleState.all(personId) as StoredRow[],
    timers: (personId: string) => stmt.timers.all(personId) as StoredRow[],
    /** The person's audit rows, with routine events' digests expanded to the records that are theirs, in seq order. */
    audit(personId: string, deviceIds: readonly string[]): (StoredRow & { detail: string })[] {
      const rows = stmt.audit.all({ person: personId, devices: json(deviceIds) }) as (StoredRow & { detail: string })[]
      const digests = stmt.routineDigests.all({ personNeedle: `"person":${JSON.stringify(personId)}`, devices: json(deviceIds) }) as AuditRow[]
      if (digests.length === 0) return rows
      const devices = new Set(deviceIds)
      const theirs = (r: AuditRecord) => r.personId === personId || (r.deviceId != null && devices.has(r.deviceId) && (r.personId == null || r.personId === personId))
      const expanded = digests.flatMap((d) => expandRoutine(toRecord(d)).filter(theirs).map(storedRow))
      return [...rows, ...expanded].sort((a, b) => (a.seq as number) - (b.seq as number))
    },


    /** Erases the person from up to `limit` stored configuration versions after `afterVersion`; the last version seen, or null when done. */
    eraseFromVersions(personId: string, afterVersion: number, limit: number): { last: number | null; changed: number } {
      const rows = stmt.versions.all(afterVersion, limit) as { version: number; document: string }[]
      let changed = 0
      for (const r of rows) {
        const doc = JSON.parse(r.document) as unknown
        if (!eraseFromDocument(doc, personId)) continue
        stmt.updateDocument.run(JSON.stringify(doc), r.version)
        changed++
      }
      return { last: rows.at(-1)?.version ?? null, changed }
    },

    /** Erases personal text from every other table (one transaction, the caller's). */
    eraseRecords(personId: string, targets: readonly string[]): RecordsErased {
      return {
        personal_data_deleted: personal.deleteForPerson(personId),
        alert_notes_erased: stmt.eraseNotes.run(ERASED, personId, ERASED).changes,
        notification_texts_erased: stmt.eraseTexts.run(ERASED, ERASED, personId).changes,
        suppression_reasons_erased: stmt.eraseReasons.run(ERASED, ERASED, json(targets)).changes,
        rule_state_deleted: stmt.deleteRuleState.run(personId).changes,
        timers_deleted: stmt.deleteTimers.run(personId).changes,
      }
    },
  }
}

export type SubjectRepo = ReturnType<typeof createSubjectRepo>
