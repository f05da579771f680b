import { createHash } from 'node:crypto'
import type { GatewayConfig, RuleConfig } from '../config/schema.js'
import { bedExit } from './bed-exit.js'
import { immediate } from './immediate.js'
import type { RuleInput, RuleKind, RuleStep } from './types.js'

/** Rule kinds by their `kind` key in configuration (one line per kind). */
const ruleKinds: { [K in RuleConfig['kind']]: RuleKind<Extract<RuleConfig, { kind: K }>, unknown> } = {
  bed_exit: bedExit as RuleKind<Extract<RuleConfig, { kind: 'bed_exit' }>, unknown>,
  immediate: immediate as RuleKind<Extract<RuleConfig, { kind: 'immediate' }>, unknown>,
}

/** One rule of one person, ready to evaluate. */
export interface RuleBinding {
  readonly personId: string
  readonly siteId: string
  readonly deviceId: string
  readonly rule: RuleConfig
  /** Content hash of the rule's configuration: an alert records which version raised it. */
  readonly version: string
  /** Identifies "the same person and condition" for repeat triggers. */
  readonly conditionKey: string
}

/** Stable short version id of a rule's configuration. */
export function ruleVersion(rule: RuleConfig): string {
  return createHash('sha256').update(JSON.stringify(rule)).digest('hex').slice(0, 12)
}

/** Index every person's rules by the device they watch. */
export function bindRules(config: Pick<GatewayConfig, 'people'>): { byDevice: Map<string, RuleBinding[]>; byKey: Map<string, RuleBinding> } {
  const byDevice = new Map<string, RuleBinding[]>()
  const byKey = new Map<string, RuleBinding>()
  for (const person of config.people) {
    for (const rule of person.rules) {
      const b: RuleBinding = { personId: person.id, siteId: person.site, deviceId: rule.device, rule, version: ruleVersion(rule), conditionKey: `${person.id}/${rule.id}` }
      byDevice.set(rule.device, [...(byDevice.get(rule.device) ?? []), b])
      byKey.set(b.conditionKey, b)
    }
  }
  return { byDevice, byKey }
}

function kindOf(rule: RuleConfig): RuleKind<RuleConfig, unknown> {
  return ruleKinds[rule.kind] as RuleKind<RuleConfig, unknown>
}

/** True when the rule reacts to this event type. */
export function ruleTriggeredBy(b: RuleBinding, type: string): boolean {
  return kindOf(b.rule).triggers(b.rule).includes(type)
}

/** Fold one event into a rule. `state` undefined means the rule has not seen anything yet. */
export function evaluateEvent(b: RuleBinding, state: unknown, input: RuleInput): RuleStep<unknown> {
  const kind = kindOf(b.rule)
  return kind.onEvent(b.rule, state === undefined ? kind.initial() : state, input)
}

/** Fold a deadline into a rule. */
export function evaluateTimer(b: RuleBinding, state: unknown, now: number): RuleStep<unknown> {
  const kind = kindOf(b.rule)
  return kind.onTimer(b.rule, state === undefined ? kind.initial() : state, now)
}
