import type { ConfigRepository, ConfigSource, ConfigVersionRecord, ConfigVersionSummary } from '../core/config-versions.js'
import type { Db } from './db.js'

export type { ConfigRepository, ConfigSource, ConfigVersionRecord, ConfigVersionSummary }

interface Row { version: number; at: number; changed_by: string; note: string | null; approved_by: string | null; source: ConfigSource; document?: string; file_hash: string | null; summary: string }

function toSummary(r: Row): ConfigVersionSummary {
  return { version: r.version, at: r.at, changedBy: r.changed_by, note: r.note, approvedBy: r.approved_by, source: r.source, fileHash: r.file_hash, summary: JSON.parse(r.summary) as Record<string, unknown> }
}
const toRecord = (r: Row | undefined): ConfigVersionRecord | null => (r ? { ...toSummary(r), document: JSON.parse(r.document!) as unknown } : null)

export function createConfigRepo(db: Db): ConfigRepository {
  const latest = db.prepare('SELECT * FROM config_versions ORDER BY version DESC LIMIT 1')
  const latestFile = db.prepare("SELECT * FROM config_versions WHERE source = 'file' ORDER BY version DESC LIMIT 1")
  const get = db.prepare('SELECT * FROM config_versions WHERE version = ?')
  const list = db.prepare('SELECT version, at, changed_by, note, approved_by, source, file_hash, summary FROM config_versions WHERE version < ? ORDER BY version DESC LIMIT ?')
  const insert = db.prepare('INSERT INTO config_versions (version, at, changed_by, note, approved_by, source, document, file_hash, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
  return {
    latest: () => toRecord(latest.get() as Row | undefined),
    latestFromFile: () => toRecord(latestFile.get() as Row | undefined),
    get: (version) => toRecord(get.get(version) as Row | undefined),
    list: (limit, beforeVersion) => (list.all(beforeVersion ?? Number.MAX_SAFE_INTEGER, limit) as Row[]).map(toSummary),
    append(v) {
      const version = ((latest.get() as Row | undefined)?.version ?? 0) + 1
      insert.run(version, v.at, v.changedBy, v.note, v.approvedBy, v.source, JSON.stringify(v.document), v.fileHash, JSON.stringify(v.summary))
      return version
    },
  }
}
