import { createHash } from 'node:crypto'
import { countInWindow } from './count-in-window.js'
import { delayConfirm } from './delay-confirm.js'
import { expectedBy } from './expected-by.js'
import { type ActiveSuppression, gate, type GateContext } from './gate.js'
import { immediate } from './immediate.js'
import { inactivity } from './inactivity.js'
import { describeWindow, isWithinAnyWindow, nextHoursChange } from '../core/local-time.js'
import type { RuleConfig } from './rule-config.js'
import { sustained } from './sustained.js'
import type { Decision, RuleContext, RuleInput, RuleKind, RuleStep } from './types.js'

/** Rule kinds by their `kind` key in configuration (one line per kind). */
const ruleKinds: { readonly [K in RuleConfig['kind']]: RuleKind<Extract<RuleConfig, { kind: K }>, unknown> } = {
  bed_exit: delayConfirm as RuleKind<never, unknown>,
  delay_confirm: delayConfirm as RuleKind<never, unknown>,
  immediate: immediate as RuleKind<never, unknown>,
  sustained: sustained as RuleKind<never, unknown>,
  count_in_window: countInWindow as RuleKind<never, unknown>,
  expected_by: expectedBy as RuleKind<never, unknown>,
  inactivity: inactivity as RuleKind<never, unknown>,
}

/** One rule of one person, ready to evaluate. */
export interface RuleBinding {
  readonly personId: string
  readonly siteId: string
  /** The device the rule names, or null when it watches all of the person's devices. */
  readonly deviceId: string | null
  readonly rule: RuleConfig
  /** Content hash of the rule's configuration: an alert records which version raised it. */
  readonly version: string
  /** Identifies "the same person and condition" for repeat triggers and the rule's one deadline. */
  readonly conditionKey: string
  /** The site's IANA time zone, for active hours and local-time deadlines. */
  readonly tz: string
}

/** What the engine stores per rule: the kind's own state plus the rule's recent alert times (rate limit). */
export interface StoredRuleState {
  readonly k: unknown
  readonly raised: readonly number[]
}

/** Facts from outside the rule at evaluation time. */
export interface EvalContext {
  readonly suppressions: readonly ActiveSuppression[]
}

const noContext: EvalContext = { suppressions: [] }

/** Stable short version id of a rule's configuration. */
export function ruleVersion(rule: RuleConfig): string {
  return createHash('sha256').update(JSON.stringify(rule)).digest('hex').slice(0, 12)
}

interface ConfigShape {
  readonly sites: readonly { id: string; timezone: string }[]
  readonly people: readonly { id: string; site: string; rules: readonly RuleConfig[] }[]
  readonly devices: readonly { id: string; person: string }[]
}

/**
 * Index every person's rules by the devices they watch (all the person's devices when none is named). `urgent` maps
 * each event type and device that an enabled high-priority `immediate` rule raises on (an alarm the moment it is read,
 * which the group commit may put ahead of routine work: ingest/commit-lane.ts) to those rules' conditions; by type
 * first, since most events are of a type no such rule names and one lookup settles them.
 */
export function bindRules(config: ConfigShape): { byDevice: Map<string, RuleBinding[]>; byKey: Map<string, RuleBinding>; all: RuleBinding[]; urgent: Map<string, Map<string, string[]>> } {
  const byDevice = new Map<string, RuleBinding[]>()
  const byKey = new Map<string, RuleBinding>()
  const tzOf = new Map(config.sites.map((s) => [s.id, s.timezone]))
  for (const person of config.people) {
    const devices = config.devices.filter((d) => d.person === person.id).map((d) => d.id)
    for (const rule of person.rules) {
      const b: RuleBinding = { personId: person.id, siteId: person.site, deviceId: rule.device ?? null, rule, version: ruleVersion(rule), conditionKey: `${person.id}/${rule.id}`, tz: tzOf.get(person.site) ?? 'Europe/London' }
      for (const d of rule.device ? [rule.device] : devices) byDevice.set(d, [...(byDevice.get(d) ?? []), b])
      byKey.set(b.conditionKey, b)
    }
  }
  const urgent = new Map<string, Map<string, string[]>>()
  for (const [deviceId, bs] of byDevice) {
    for (const { rule, conditionKey } of bs) {
      if (rule.kind !== 'immediate' || rule.priority !== 'high' || rule.disabled) continue
      const byDeviceOfType = urgent.get(rule.on) ?? urgent.set(rule.on, new Map()).get(rule.on)!
      byDeviceOfType.set(deviceId, [...(byDeviceOfType.get(deviceId) ?? []), conditionKey])
    }
  }
  return { byDevice, byKey, all: [...byKey.values()], urgent }
}

function kindOf(rule: RuleConfig): RuleKind<RuleConfig, unknown> {
  return ruleKinds[rule.kind] as RuleKind<RuleConfig, unknown>
}

/**
 * One context per binding, made once: it depends only on the rule's zone and windows. Made per evaluation, its four
 * closures cost ~2 µs an event under tsx (each is named at run time), ~4 % of the pipeline's work per routine event.
 */
const contexts = new WeakMap<RuleBinding, RuleContext>()
function contextOf(b: RuleBinding): RuleContext {
  let ctx = contexts.get(b)
  if (!ctx) contexts.set(b, (ctx = makeContext(b)))
  return ctx
}

function makeContext(b: RuleBinding): RuleContext {
  const windows = b.rule.active_hours ?? []
  return {
    tz: b.tz,
    inHours: (at) => isWithinAnyWindow(at, b.tz, windows),
    hoursEnd: (at) => nextHoursChange(at, b.tz, windows, false),
    hoursBegin: (at) => nextHoursChange(at, b.tz, windows, true),
  }
}

function unpack(b: RuleBinding, stored: unknown): StoredRuleState {
  const s = stored as StoredRuleState | undefined
  return s && typeof s === 'object' && 'k' in s ? s : { k: kindOf(b.rule).initial(b.rule), raised: [] }
}

/** Apply the shared modifiers to the kind's decisions and pack the state for storage. */
function finish(b: RuleBinding, prev: StoredRuleState, step: RuleStep<unknown>, at: number, ectx: EvalContext): RuleStep<StoredRuleState> {
  const rctx = contextOf(b)
  const windows = b.rule.active_hours
  // Read through, not computed up front: the gate needs the hours' wording only to turn a raise down, and the
  // suppressions (which the caller may fetch lazily) only for a raise inside active hours; most events raise nothing.
  const gctx: GateContext = {
    inHours: rctx.inHours,
    get describeHours() { return windows ? windows.map((w) => describeWindow(w, b.tz)).join(', ') : 'always' },
    get suppressions() { return ectx.suppressions },
  }
  let raised = prev.raised
  const decisions: Decision[] = []
  for (const d of step.decisions) {
    const g = gate(b.rule, d, at, raised, gctx)
    raised = g.raised
    decisions.push(g.decision)
  }
  return { state: { k: step.state, raised }, decisions, ...(step.timer ? { timer: step.timer } : {}) }
}

/** True when the rule reacts to this event type. */
export function ruleTriggeredBy(b: RuleBinding, type: string): boolean {
  return kindOf(b.rule).triggers(b.rule).includes(type)
}

/** Fold one event into a rule. `stored` undefined means the rule has not seen anything yet. */
export function evaluateEvent(b: RuleBinding, stored: unknown, input: RuleInput, ectx: EvalContext = noContext): RuleStep<StoredRuleState> {
  const prev = unpack(b, stored)
  return finish(b, prev, kindOf(b.rule).onEvent(b.rule, prev.k, input, contextOf(b)), input.at, ectx)
}

/** Fold a deadline into a rule. */
export function evaluateTimer(b: RuleBinding, stored: unknown, now: number, ectx: EvalContext = noContext): RuleStep<StoredRuleState> {
  const prev = unpack(b, stored)
  return finish(b, prev, kindOf(b.rule).onTimer(b.rule, prev.k, now, contextOf(b)), now, ectx)
}

/** For clock-driven rules with no stored deadline: the deadline to set now. Null for event-driven kinds. */
export function armRule(b: RuleBinding, stored: unknown, now: number): RuleStep<StoredRuleState> | null {
  const kind = kindOf(b.rule)
  if (!kind.arm) return null
  const prev = unpack(b, stored)
  return finish(b, prev, kind.arm(b.rule, prev.k, now, contextOf(b)), now, noContext)
}
