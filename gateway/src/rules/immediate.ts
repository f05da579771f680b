import type { RuleConfig } from '../config/schema.js'
import type { RuleKind, RuleStep } from './types.js'

type ImmediateConfig = Extract<RuleConfig, { kind: 'immediate' }>

export interface ImmediateState {
  readonly active: boolean
}

/**
 * Alert at once on one event type (a seizure alarm, a pendant press). A repeat while the alert is open is
 * folded into that alert by the lifecycle, not paged again. The `clears` event is recorded, never auto-closes.
 */
export const immediate: RuleKind<ImmediateConfig, ImmediateState> = {
  initial: () => ({ active: false }),
  triggers: (rule) => (rule.clears ? [rule.on, rule.clears] : [rule.on]),
  onEvent(rule, state, input): RuleStep<ImmediateState> {
    if (input.type === rule.on) {
      return {
        state: { active: true },
        decisions: [{ outcome: 'raise', reason: `${rule.on} received: immediate alert`, alert: { alertClass: rule.alert_class, priority: rule.priority, kind: 'care' } }],
      }
    }
    return {
      state: { active: false },
      decisions: [{ outcome: state.active ? 'cleared' : 'ignore', reason: state.active ? `${input.type} received: source cleared; the alert stays open until a carer closes it` : `${input.type} received with no alarm active` }],
    }
  },
  onTimer: (_rule, state) => ({ state, decisions: [{ outcome: 'ignore', reason: 'immediate rules set no deadlines' }] }),
}
