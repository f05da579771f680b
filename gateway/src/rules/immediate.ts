import type { RuleOf } from './rule-config.js'
import { raiseDecision, type RuleKind, type RuleStep } from './types.js'

export interface ImmediateState {
  readonly active: boolean
}

/**
 * Alert at once on one event type (a seizure alarm, a pendant press). A repeat while the alert is open is
 * folded into that alert by the lifecycle, not paged again. The `clears` event is recorded, never auto-closes.
 */
export const immediate: RuleKind<RuleOf<'immediate'>, ImmediateState> = {
  initial: () => ({ active: false }),
  triggers: (rule) => (rule.clears ? [rule.on, rule.clears] : [rule.on]),
  onEvent(rule, state, input): RuleStep<ImmediateState> {
    if (input.type === rule.on) return { state: { active: true }, decisions: [raiseDecision(rule, `${rule.on} received: immediate alert`)] }
    return {
      state: { active: false },
      decisions: [state.active
        ? { outcome: 'cleared', reason: `${input.type} received: source cleared; an open alert stays open until a carer closes it` }
        : { outcome: 'ignore', reason: `${input.type} received with no alarm active` }],
    }
  },
  onTimer: (_rule, state) => ({ state, decisions: [{ outcome: 'ignore', reason: 'immediate rules set no deadlines' }] }),
}
