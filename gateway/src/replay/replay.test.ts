import { describe, expect, it } from 'vitest'
import type { Suppression } from '../core/suppression.js'
import type { RuleConfig } from '../rules/rule-config.js'
import { compareReplays } from './compare.js'
import { replayRules } from './replay.js'

/**
 * Replay over a recorded week with a known answer: nightly bed exits of known lengths, one night with a
 * carer present. Current rule: 60 s delay; proposed: 120 s.
 */
const DAY = 86_400_000
const MON = Date.UTC(2026, 10, 16) // Monday 16 November 2026, GMT = UTC in winter
const at = (day: number, hh: number, mm: number, ss = 0) => MON + day * DAY + ((hh * 60 + mm) * 60 + ss) * 1000

function config(rule: RuleConfig) {
  return {
    sites: [{ id: 'oak-house', timezone: 'Europe/London' }],
    people: [{ id: 'p-001', site: 'oak-house', rules: [rule] }],
    devices: [{ id: 'bed-r12', person: 'p-001' }],
  }
}
const bed = (delay_s: number): RuleConfig => ({ id: 'bed-exit-night', kind: 'bed_exit', device: 'bed-r12', delay_s, priority: 'medium', alert_class: 'BED EXIT', active_hours: [{ from: '21:00', to: '07:00' }] })

// Minutes out of bed each night (Mon..Sun); each exit starts at 02:00 local.
const awaySeconds = [30, 90, 150, 45, 200, 100, 10]
let seq = 0
const events = awaySeconds.flatMap((away, day) => [
  { seq: ++seq, deviceId: 'bed-r12', type: 'out_of_bed', receivedAt: at(day, 2, 0) },
  { seq: ++seq, deviceId: 'bed-r12', type: 'in_bed', receivedAt: at(day, 2, 0, away) },
])
// One daytime exit (outside 21:00–07:00): never an alert, whatever the delay.
events.push({ seq: ++seq, deviceId: 'bed-r12', type: 'out_of_bed', receivedAt: at(2, 14, 0) }, { seq: ++seq, deviceId: 'bed-r12', type: 'in_bed', receivedAt: at(2, 14, 10) })
events.sort((a, b) => a.receivedAt - b.receivedAt)

// Saturday night (day 5) a carer was in the room from 01:55 to 02:30.
const carer: Suppression = { id: 'sp-1', kind: 'carer_present', scope: 'person', target: 'p-001', reason: 'presence button', setBy: 'device:btn', setAt: at(5, 1, 55), expiresAt: at(5, 2, 30), clearedAt: null, clearedBy: null }

describe('replay over a recorded week', () => {
  const from = MON
  const to = MON + 7 * DAY

  it('current rules (60 s) raise exactly the nights away longer than 60 s, except while a carer was present', () => {
    const r = replayRules(config(bed(60)), events, [carer], from, to)
    // 90, 150, 200 s nights raise; 100 s (Saturday) is suppressed by the carer's presence.
    expect(r.raises.map((x) => new Date(x.at).toISOString())).toEqual([
      new Date(at(1, 2, 1)).toISOString(), new Date(at(2, 2, 1)).toISOString(), new Date(at(4, 2, 1)).toISOString(),
    ])
    expect(r.outcomes.get('p-001/bed-exit-night')).toMatchObject({ raise: 3, suppress: 3 + 1, outside_hours: 1 })
  })

  it('compares current with proposed (120 s) per rule with the list of differences', () => {
    const current = replayRules(config(bed(60)), events, [carer], from, to)
    const proposed = replayRules(config(bed(120)), events, [carer], from, to)
    const report = compareReplays(current, proposed, from, to, events.length)
    expect(report.totals).toEqual({ current_alerts: 3, proposed_alerts: 2 })
    const row = report.rules[0]!
    expect(row).toMatchObject({ person_id: 'p-001', rule_id: 'bed-exit-night', current_alerts: 3, proposed_alerts: 2 })
    expect(row.current_version).not.toBe(row.proposed_version)
    // The 60 s rule raised at 02:01 each time; the 120 s rule raises at 02:02 on the 150 s and 200 s nights only.
    expect(row.only_current.map((d) => d.at)).toEqual([at(1, 2, 1), at(2, 2, 1), at(4, 2, 1)].map((t) => new Date(t).toISOString()))
    expect(row.only_proposed.map((d) => d.at)).toEqual([at(2, 2, 2), at(4, 2, 2)].map((t) => new Date(t).toISOString()))
    expect(row.only_proposed[0]!.reason).toMatch(/^not back in bed within 120 s/)
  })

  it('is deterministic and does not depend on anything but its inputs', () => {
    const a = replayRules(config(bed(60)), events, [carer], from, to)
    const b = replayRules(config(bed(60)), events, [carer], from, to)
    expect(b.raises).toEqual(a.raises)
  })

  it('fires deadlines still pending at the end of the range', () => {
    const open = [{ seq: 1, deviceId: 'bed-r12', type: 'out_of_bed', receivedAt: at(0, 23, 0) }]
    expect(replayRules(config(bed(60)), open, [], from, at(0, 23, 0, 59)).raises).toHaveLength(0)
    expect(replayRules(config(bed(60)), open, [], from, at(0, 23, 1)).raises).toHaveLength(1)
  })
})
