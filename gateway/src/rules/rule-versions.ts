import type { AuditLog, RuleVersionRepository } from '../core/contracts.js'
import type { RuleBinding } from './engine.js'

/**
 * Record every rule that differs from the version last run (new, changed or removed), with who changed it and their
 * note, so each alert's rule version can be traced to a change. Runs inside the caller's transaction; returns how many
 * were recorded.
 */
export function recordRuleVersions(repos: { ruleVersions: RuleVersionRepository; audit: AuditLog }, bindings: { all: readonly RuleBinding[]; byKey: ReadonlyMap<string, RuleBinding> }, changedBy: string, note: string | null, now: number): number {
  const latest = new Map(repos.ruleVersions.latest().map((v) => [`${v.personId}/${v.ruleId}`, v]))
  let changed = 0
  const record = (personId: string, ruleId: string, version: string, rule: unknown, prev: { version: string; rule: unknown } | undefined) => {
    repos.ruleVersions.insert({ personId, ruleId, version, rule, changedBy, changedAt: now, note })
    repos.audit.append({ at: now, kind: 'rule.changed', actor: changedBy, personId, detail: { rule_id: ruleId, from_version: prev?.version ?? null, to_version: version, before: prev?.rule ?? null, after: rule, note } })
    changed++
  }
  for (const b of bindings.all) {
    const prev = latest.get(b.conditionKey)
    if (prev?.version !== b.version) record(b.personId, b.rule.id, b.version, b.rule, prev)
  }
  for (const [key, prev] of latest) if (!bindings.byKey.has(key) && prev.version !== 'removed') record(prev.personId, prev.ruleId, 'removed', null, prev)
  return changed
}
