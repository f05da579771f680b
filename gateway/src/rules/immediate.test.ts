import { describe, expect, it } from 'vitest'
import type { RuleConfig } from '../config/schema.js'
import { evaluateEvent, evaluateTimer, type RuleBinding, ruleTriggeredBy, ruleVersion } from './engine.js'
import type { RuleStep } from './types.js'

type ImmediateRule = Extract<RuleConfig, { kind: 'immediate' }>
const T0 = Date.UTC(2026, 10, 28, 3, 1, 0)

function binding(over: Partial<ImmediateRule> = {}): RuleBinding {
  const rule: ImmediateRule = { id: 'seizure', kind: 'immediate', device: 'sz-r14', on: 'seizure_alarm', clears: 'seizure_cleared', priority: 'high', alert_class: 'SEIZURE', ...over }
  return { personId: 'p-002', siteId: 'oak-house', deviceId: 'sz-r14', rule, version: ruleVersion(rule), conditionKey: 'p-002/seizure', tz: 'Europe/London' }
}

function run(b: RuleBinding, types: readonly string[]): RuleStep<unknown>[] {
  let state: unknown
  return types.map((type, i) => {
    const step = evaluateEvent(b, state, { type, at: T0 + i * 1000 })
    state = step.state
    return step
  })
}

describe('immediate rule', () => {
  it.each([
    { clears: 'seizure_cleared' as string | undefined, triggers: { seizure_alarm: true, seizure_cleared: true, heartbeat: false } },
    { clears: undefined, triggers: { seizure_alarm: true, seizure_cleared: false, heartbeat: false } },
  ])('with clears=$clears reacts to exactly its on (and clears) event types', ({ clears, triggers }) => {
    const b = binding({ clears })
    expect(Object.fromEntries(Object.keys(triggers).map((t) => [t, ruleTriggeredBy(b, t)]))).toEqual(triggers)
  })

  it.each([
    { priority: 'high' as const, alert_class: 'SEIZURE' },
    { priority: 'medium' as const, alert_class: 'PENDANT' },
  ])('the on event raises a $priority "$alert_class" care alert at once, with no deadline', ({ priority, alert_class }) => {
    const [step] = run(binding({ priority, alert_class }), ['seizure_alarm'])
    expect(step!.decisions).toEqual([{ outcome: 'raise', reason: 'seizure_alarm received: immediate alert', alert: { alertClass: alert_class, priority, kind: 'care' } }])
    expect(step!.timer).toBeUndefined()
  })

  it.each([
    { script: ['seizure_alarm', 'seizure_alarm'], last: 'raise', why: 'a repeat raises again (the lifecycle folds it into the open alert)' },
    { script: ['seizure_alarm', 'seizure_cleared'], last: 'cleared', why: 'clears while active is recorded as cleared, never a close' },
    { script: ['seizure_cleared'], last: 'ignore', why: 'clears with no alarm active is ignored' },
    { script: ['seizure_alarm', 'seizure_cleared', 'seizure_cleared'], last: 'ignore', why: 'a second clears is ignored' },
    { script: ['seizure_alarm', 'seizure_cleared', 'seizure_alarm'], last: 'raise', why: 'a new alarm after clearing raises' },
  ])('$why', ({ script, last }) => {
    const steps = run(binding(), script)
    expect(steps.at(-1)!.decisions.map((d) => d.outcome)).toEqual([last])
  })

  it('the cleared reason says the alert stays open for a carer', () => {
    const steps = run(binding(), ['seizure_alarm', 'seizure_cleared'])
    expect(steps[1]!.decisions[0]!.reason).toBe('seizure_cleared received: source cleared; an open alert stays open until a carer closes it')
  })

  it('stores the kind state under k with the alert times under raised', () => {
    const steps = run(binding(), ['seizure_alarm', 'seizure_cleared'])
    expect(steps.map((x) => x.state)).toEqual([{ k: { active: true }, raised: [T0] }, { k: { active: false }, raised: [T0] }])
  })

  it('a deadline is always ignored, and leaves the stored state as it was: immediate rules set none', () => {
    const stored = { k: { active: true }, raised: [T0] }
    const step = evaluateTimer(binding(), stored, T0 + 5000)
    expect(step.decisions).toEqual([{ outcome: 'ignore', reason: 'immediate rules set no deadlines' }])
    expect(step.state).toEqual(stored)
    expect(step.timer).toBeUndefined()
  })

  it.each([
    { name: '23:30 GMT, inside 21:00–07:00', at: Date.UTC(2026, 0, 14, 23, 30), outcome: 'raise' },
    { name: '07:30 BST on Sun 29 Mar (06:30 UTC), outside 21:00–07:00', at: Date.UTC(2026, 2, 29, 6, 30), outcome: 'outside_hours' },
    { name: 'the second 01:30 on Sun 25 Oct (01:30 GMT), inside 21:00–07:00', at: Date.UTC(2026, 9, 25, 1, 30), outcome: 'raise' },
  ])('with active hours, an alarm at $name: $outcome', ({ at, outcome }) => {
    const step = evaluateEvent(binding({ active_hours: [{ from: '21:00', to: '07:00' }] }), undefined, { type: 'seizure_alarm', at })
    expect(step.decisions.map((d) => d.outcome)).toEqual([outcome])
    if (outcome === 'outside_hours') expect(step.decisions[0]!.reason).toBe('outside active hours 21:00–07:00 Europe/London: seizure_alarm received: immediate alert')
  })
})
