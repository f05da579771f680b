import type { RuleVersionRecord, RuleVersionRepository, SuppressionRepository } from '../core/contracts.js'
import type { Suppression, SuppressionKind } from '../core/suppression.js'
import type { Db } from './db.js'

interface SRow { id: string; kind: string; scope: string; target: string; reason: string; set_by: string; set_at: number; expires_at: number; cleared_at: number | null; cleared_by: string | null }
const toSuppression = (r: SRow): Suppression => ({
  id: r.id, kind: r.kind as SuppressionKind, scope: r.scope as 'person' | 'device', target: r.target, reason: r.reason,
  setBy: r.set_by, setAt: r.set_at, expiresAt: r.expires_at, clearedAt: r.cleared_at, clearedBy: r.cleared_by,
})

export function createSuppressionRepo(db: Db): SuppressionRepository {
  const insert = db.prepare('INSERT INTO suppressions (id, kind, scope, target, reason, set_by, set_at, expires_at) VALUES (@id, @kind, @scope, @target, @reason, @setBy, @setAt, @expiresAt)')
  const get = db.prepare('SELECT * FROM suppressions WHERE id = ?')
  const clear = db.prepare('UPDATE suppressions SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL AND expires_at > ?')
  const active = db.prepare(`SELECT * FROM suppressions WHERE ((scope = 'person' AND target = @person) OR (scope = 'device' AND target = @device))
    AND set_at <= @at AND expires_at > @at AND (cleared_at IS NULL OR cleared_at > @at) ORDER BY set_at`)
  const overlapping = db.prepare('SELECT * FROM suppressions WHERE set_at <= @to AND expires_at > @from AND (cleared_at IS NULL OR cleared_at > @from) ORDER BY set_at')
  return {
    insert: (s) => void insert.run({ id: s.id, kind: s.kind, scope: s.scope, target: s.target, reason: s.reason, setBy: s.setBy, setAt: s.setAt, expiresAt: s.expiresAt }),
    get: (id) => {
      const r = get.get(id) as SRow | undefined
      return r ? toSuppression(r) : null
    },
    clear: (id, by, at) => clear.run(at, by, id, at).changes > 0,
    activeFor: (person, device, at) => (active.all({ person, device: device ?? '\u0000', at }) as SRow[]).map(toSuppression),
    overlapping: (from, to) => (overlapping.all({ from, to }) as SRow[]).map(toSuppression),
  }
}

interface VRow { person_id: string; rule_id: string; version: string; rule_json: string; changed_by: string; changed_at: number; note: string | null }
const toVersion = (r: VRow): RuleVersionRecord => ({ personId: r.person_id, ruleId: r.rule_id, version: r.version, rule: JSON.parse(r.rule_json) as unknown, changedBy: r.changed_by, changedAt: r.changed_at, note: r.note })

export function createRuleVersionRepo(db: Db): RuleVersionRepository {
  const latest = db.prepare('SELECT v.* FROM rule_versions v WHERE v.changed_at = (SELECT max(changed_at) FROM rule_versions w WHERE w.person_id = v.person_id AND w.rule_id = v.rule_id)')
  const insert = db.prepare('INSERT INTO rule_versions (person_id, rule_id, version, rule_json, changed_by, changed_at, note) VALUES (?, ?, ?, ?, ?, ?, ?)')
  const all = db.prepare('SELECT * FROM rule_versions ORDER BY changed_at, person_id, rule_id')
  const forPerson = db.prepare('SELECT * FROM rule_versions WHERE person_id = ? ORDER BY changed_at, rule_id')
  return {
    latest: () => (latest.all() as VRow[]).map(toVersion),
    insert: (r) => void insert.run(r.personId, r.ruleId, r.version, JSON.stringify(r.rule), r.changedBy, r.changedAt, r.note),
    history: (personId) => ((personId ? forPerson.all(personId) : all.all()) as VRow[]).map(toVersion),
  }
}
