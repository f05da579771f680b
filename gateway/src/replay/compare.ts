import type { ReplayRaise, ReplayResult } from './replay.js'

/** Per person and rule: what the current rules raised against what the proposed rules would raise. */
export interface RuleComparison {
  readonly person_id: string
  readonly rule_id: string
  readonly current_version: string | null
  readonly proposed_version: string | null
  readonly current_alerts: number
  readonly proposed_alerts: number
  /** null when the rule does not exist on that side (added or removed by the proposal). */
  /** Alerts at instants only one side raised (ISO time and reason). */
  readonly only_current: { at: string; reason: string }[]
  readonly only_proposed: { at: string; reason: string }[]
}

export interface ReplayReport {
  readonly from: string
  readonly to: string
  readonly events_replayed: number
  readonly totals: { readonly current_alerts: number; readonly proposed_alerts: number }
  readonly rules: RuleComparison[]
  readonly note: string
}

const key = (r: ReplayRaise) => `${r.personId}/${r.ruleId}`
const item = (r: ReplayRaise) => ({ at: new Date(r.at).toISOString(), reason: r.reason })

/** Compare two replays of the same events. Re-alerts are not counted as alerts, only listed as differences. */
export function compareReplays(current: ReplayResult, proposed: ReplayResult, from: number, to: number, eventsReplayed: number, personFilter?: string): ReplayReport {
  const groups = new Map<string, { cur: ReplayRaise[]; pro: ReplayRaise[] }>()
  const group = (k: string) => groups.get(k) ?? (groups.set(k, { cur: [], pro: [] }), groups.get(k)!)
  for (const k of [...current.versions.keys(), ...proposed.versions.keys()]) group(k)
  for (const r of current.raises) group(key(r)).cur.push(r)
  for (const r of proposed.raises) group(key(r)).pro.push(r)
  const rules: RuleComparison[] = []
  for (const [k, { cur, pro }] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [personId, ruleId] = k.split('/') as [string, string]
    if (personFilter && personId !== personFilter) continue
    const curAt = new Set(cur.map((r) => r.at))
    const proAt = new Set(pro.map((r) => r.at))
    rules.push({
      person_id: personId,
      rule_id: ruleId,
      current_version: current.versions.get(k) ?? null,
      proposed_version: proposed.versions.get(k) ?? null,
      current_alerts: cur.filter((r) => !r.realert).length,
      proposed_alerts: pro.filter((r) => !r.realert).length,
      only_current: cur.filter((r) => !proAt.has(r.at)).map(item),
      only_proposed: pro.filter((r) => !curAt.has(r.at)).map(item),
    })
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    events_replayed: eventsReplayed,
    totals: { current_alerts: rules.reduce((n, r) => n + r.current_alerts, 0), proposed_alerts: rules.reduce((n, r) => n + r.proposed_alerts, 0) },
    rules,
    note: 'Both rule sets start from their initial state at "from" and see the same recorded events and suppressions; nothing was written to live state.',
  }
}
