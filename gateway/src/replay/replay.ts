import type { DeviceEvent } from '../core/event.js'
import type { Suppression } from '../core/suppression.js'
import { armRule, bindRules, type EvalContext, evaluateEvent, evaluateTimer, type RuleBinding, ruleTriggeredBy, type StoredRuleState } from '../rules/engine.js'
import type { RuleConfig } from '../rules/rule-config.js'
import type { Outcome, RuleStep } from '../rules/types.js'

/** One alert the rules raised (or would raise) during a replay. */
export interface ReplayRaise {
  readonly personId: string
  readonly ruleId: string
  readonly ruleVersion: string
  readonly at: number
  readonly reason: string
  readonly realert: boolean
}

export interface ReplayResult {
  readonly raises: ReplayRaise[]
  /** Per `person/rule`: how many decisions of each outcome. */
  readonly outcomes: Map<string, Partial<Record<Outcome, number>>>
  /** Per `person/rule`: the version of the rule that ran. */
  readonly versions: Map<string, string>
}

interface ConfigShape {
  readonly sites: readonly { id: string; timezone: string }[]
  readonly people: readonly { id: string; site: string; rules: readonly RuleConfig[] }[]
  readonly devices: readonly { id: string; person: string }[]
}

/**
 * Run a rule set over recorded events, entirely in memory: the same pure rule functions as the live
 * pipeline, with deadlines simulated (a deadline fires at its due time, before any later event), and the
 * suppressions that were in force at the time. Nothing here can write to live state.
 * Rules start from their initial state at `from`.
 */
export function replayRules(config: ConfigShape, events: Iterable<Omit<DeviceEvent, 'siteId' | 'eventId' | 'deviceAt'>>, suppressions: readonly Suppression[], from: number, to: number): ReplayResult {
  const { byDevice, all } = bindRules(config)
  const states = new Map<string, unknown>()
  const timers = new Map<string, number>()
  const raises: ReplayRaise[] = []
  const outcomes = new Map<string, Partial<Record<Outcome, number>>>(all.map((b) => [b.conditionKey, {}]))
  const deviceOwner = new Map(config.devices.map((d) => [d.id, d.person]))

  const ctx = (personId: string, deviceId: string | null, at: number): EvalContext => ({
    suppressions: suppressions.filter((s) => s.setAt <= at && s.expiresAt > at && (s.clearedAt === null || s.clearedAt > at)
      && ((s.scope === 'person' && s.target === personId) || (s.scope === 'device' && s.target === deviceId))),
  })

  function apply(b: RuleBinding, step: RuleStep<StoredRuleState>, at: number): void {
    states.set(b.conditionKey, step.state)
    if (step.timer === 'clear') timers.delete(b.conditionKey)
    else if (step.timer) timers.set(b.conditionKey, step.timer.dueAt)
    const counts = outcomes.get(b.conditionKey) ?? {}
    for (const d of step.decisions) {
      counts[d.outcome] = (counts[d.outcome] ?? 0) + 1
      if (d.outcome === 'raise') raises.push({ personId: b.personId, ruleId: b.rule.id, ruleVersion: b.version, at, reason: d.reason, realert: d.realert === true })
    }
    outcomes.set(b.conditionKey, counts)
  }

  const byKey = new Map(all.map((b) => [b.conditionKey, b]))
  /** Fire deadlines due before `t` (or at `t` when `inclusive`): an event at a deadline's instant goes first, as a return at the deadline counts as within the delay. */
  function fireUntil(t: number, inclusive: boolean): void {
    for (;;) {
      let nextKey: string | null = null
      let nextDue = Infinity
      for (const [k, due] of timers) if ((inclusive ? due <= t : due < t) && due < nextDue) [nextKey, nextDue] = [k, due]
      if (nextKey === null) return
      timers.delete(nextKey)
      const b = byKey.get(nextKey)!
      apply(b, evaluateTimer(b, states.get(nextKey), nextDue, ctx(b.personId, b.deviceId, nextDue)), nextDue)
    }
  }

  for (const b of all) {
    const step = armRule(b, undefined, from)
    if (step) apply(b, step, from)
  }
  for (const e of events) {
    if (e.receivedAt < from || e.receivedAt > to) continue
    fireUntil(e.receivedAt, false)
    if (!deviceOwner.has(e.deviceId)) continue
    for (const b of byDevice.get(e.deviceId) ?? []) {
      if (!ruleTriggeredBy(b, e.type)) continue
      apply(b, evaluateEvent(b, states.get(b.conditionKey), { type: e.type, at: e.receivedAt }, ctx(b.personId, e.deviceId, e.receivedAt)), e.receivedAt)
    }
  }
  fireUntil(to, true)
  return { raises, outcomes, versions: new Map(all.map((b) => [b.conditionKey, b.version])) }
}
