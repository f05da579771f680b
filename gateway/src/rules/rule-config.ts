// The namespace, not `{ z }`: the admin page bundles these schemas, and only this form lets esbuild drop zod's locales.
import * as z from 'zod'
import { priorities } from '../core/alert.js'
import { isValidId } from '../core/topics.js'

/**
 * The rule part of the configuration: one zod schema per rule kind, composed by config/schema.ts.
 * Every kind shares the modifiers: active hours (site local time), rate limit, priority and alert class.
 * Cross-field checks that need the rest of the configuration (devices, event types) live in config/schema.ts.
 */
const id = z.string().refine(isValidId, 'must be 1–64 characters of a-z, 0-9, "-" and "_", starting with a letter or digit')
const eventType = z.string().regex(/^[a-z][a-z0-9_]*$/, 'event types are snake_case, e.g. out_of_bed')
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'times are "HH:MM", 24-hour')
const seconds = (max = 86_400) => z.number().int().min(0).max(max)
const alertClass = z.string().min(1).max(24).regex(/^[A-Z0-9 /-]+$/, 'alert classes are short upper-case labels such as "BED EXIT"')

export const timeWindowSchema = z
  .object({ from: localTime, to: localTime })
  .strict()
  .refine((w) => w.from !== w.to, { message: 'a window from a time to the same time has zero length' })

const common = {
  id,
  /** The device this rule watches; absent means any of the person's devices that sends the events. */
  device: id.optional(),
  priority: z.enum(priorities),
  alert_class: alertClass,
  /** Local-time windows (site time zone) in which the rule may raise; absent = always. */
  active_hours: z.array(timeWindowSchema).min(1, 'list at least one window, or leave active_hours out for "always"').optional(),
  /** So one flapping sensor cannot page a carer twenty times. */
  rate_limit: z
    .object({
      /** Minimum seconds between two alerts from this rule. */
      rearm_s: seconds().default(0),
      /** At most this many alerts from this rule within `window_s`. */
      max_repeats: z.number().int().min(1).max(1000).optional(),
      window_s: seconds().min(60).default(3600),
    })
    .strict()
    .optional(),
  /** Set to stop evaluating the rule without deleting it (kept in the configuration and its history). */
  disabled: z.boolean().optional(),
}

/** Alert if the start condition is not cancelled within `delay_s` (out of bed → not back within N s). */
const delayFields = {
  delay_s: seconds(),
  /** Alert again if still not cancelled this many seconds after the first alert. */
  realert_after_s: seconds().min(1).optional(),
  /** Monitoring arms only after the cancel state (e.g. in bed) has held this long. */
  min_armed_s: seconds().min(1).optional(),
}

export const ruleSchema = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('bed_exit'), ...delayFields, priority: common.priority.default('medium'), alert_class: alertClass.default('BED EXIT') }).strict(),
  z.object({ ...common, kind: z.literal('delay_confirm'), start: eventType, cancel: eventType, ...delayFields }).strict(),
  z.object({ ...common, kind: z.literal('immediate'), on: eventType, clears: eventType.optional(), priority: common.priority.default('high') }).strict(),
  /** Condition active (start … stop) for at least `min_duration_s`: a shorter burst raises nothing. */
  z.object({ ...common, kind: z.literal('sustained'), start: eventType, stop: eventType, min_duration_s: seconds().min(1), priority: common.priority.default('high') }).strict(),
  /** `count` events within `window_s` seconds. */
  z.object({ ...common, kind: z.literal('count_in_window'), on: eventType, count: z.number().int().min(2).max(1000), window_s: seconds().min(1) }).strict(),
  /** Expected event missing: `expect` must happen between `from` and `by` local time each day (in bed by 23:00, check-in by 10:00). */
  z.object({ ...common, kind: z.literal('expected_by'), expect: eventType, from: localTime, by: localTime }).strict(),
  /** No `on` event for `period_s` (no movement for 2 h in the day); usually combined with active_hours. */
  z.object({ ...common, kind: z.literal('inactivity'), on: z.array(eventType).min(1), period_s: seconds(7 * 86_400).min(60) }).strict(),
])

export type RuleConfig = z.infer<typeof ruleSchema>
export type RuleOf<K extends RuleConfig['kind']> = Extract<RuleConfig, { kind: K }>
export type TimeWindowConfig = z.infer<typeof timeWindowSchema>

/** Event types a rule needs its device(s) to send, or it can never fire, with the field that names each. */
export function eventsNeeded(rule: RuleConfig): { field: string; event: string }[] {
  const f = (field: string, event: string) => ({ field, event })
  switch (rule.kind) {
    case 'bed_exit': return [f('kind', 'out_of_bed'), f('kind', 'in_bed')]
    case 'delay_confirm': return [f('start', rule.start), f('cancel', rule.cancel)]
    case 'immediate': return rule.clears ? [f('on', rule.on), f('clears', rule.clears)] : [f('on', rule.on)]
    case 'sustained': return [f('start', rule.start), f('stop', rule.stop)]
    case 'count_in_window': return [f('on', rule.on)]
    case 'expected_by': return [f('expect', rule.expect)]
    case 'inactivity': return rule.on.map((e, i) => f(`on.${i}`, e))
  }
}

/** Problems no device list can fix: the rule contradicts itself. */
export function ruleSelfProblems(rule: RuleConfig): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = []
  const rl = rule.rate_limit
  if ((rule.kind === 'bed_exit' || rule.kind === 'delay_confirm') && rl && rl.rearm_s > 0 && rule.delay_s > rl.rearm_s) {
    out.push({ path: ['rate_limit', 'rearm_s'], message: `the ${rule.delay_s} s delay is longer than the ${rl.rearm_s} s re-arm time` })
  }
  if (rule.kind === 'delay_confirm' && rule.start === rule.cancel) out.push({ path: ['cancel'], message: 'start and cancel are the same event, so the rule can never fire' })
  if (rule.kind === 'sustained' && rule.start === rule.stop) out.push({ path: ['stop'], message: 'start and stop are the same event, so the condition can never last' })
  if (rule.kind === 'immediate' && rule.clears === rule.on) out.push({ path: ['clears'], message: 'the clearing event is the alarm event itself' })
  if (rule.kind === 'expected_by' && rule.from === rule.by) out.push({ path: ['by'], message: 'the expected window from a time to the same time has zero length' })
  return out
}
