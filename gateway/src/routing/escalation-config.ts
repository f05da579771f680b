// The namespace, not `{ z }`: the admin page bundles these schemas, and only this form lets esbuild drop zod's locales.
import * as z from 'zod'
import { priorities } from '../core/alert.js'
import { isValidId } from '../core/topics.js'

/**
 * Escalation ladders and rotas (issue 4). A ladder is per site and priority: ordered steps, each naming
 * who is paged and how long to wait for an accept before the next step. The last step repeats until
 * someone accepts. Rotas say who is on shift, in the site's local time; shifts may cross midnight.
 */
const id = z.string().refine(isValidId, 'must be a lower-case id')
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'times are "HH:MM", 24-hour')
export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

/** Who a step pages. */
export const stepTargets = ['assigned', 'on_shift', 'team_leader', 'all'] as const
export type StepTarget = (typeof stepTargets)[number]

export const ladderStepSchema = z
  .object({
    /** `assigned`: the person's carers on shift; `on_shift`: every carer on shift at the site (the assigned ones again included);
     * `team_leader`: the site's team leaders; `all`: everyone at the site with a pager, on shift or not. */
    to: z.enum(stepTargets),
    /** Seconds to wait for an accept before the next step (a decline or failed page moves on at once). */
    wait_s: z.number().int().min(1).max(3600),
  })
  .strict()

export const ladderSchema = z
  .object({ site: id, priority: z.enum(priorities), steps: z.array(ladderStepSchema).min(1, 'a ladder needs at least one step'), disabled: z.boolean().optional() })
  .strict()

export const shiftSchema = z
  .object({
    site: id,
    user: id,
    from: localTime,
    to: localTime,
    /** Days the shift STARTS on (a 19:00–07:00 shift on "fri" ends Saturday morning). Default every day. */
    days: z.array(z.enum(weekdays)).min(1).optional(),
    /** Set to take the shift out of the rota without deleting it. */
    disabled: z.boolean().optional(),
  })
  .strict()
  .refine((s) => s.from !== s.to, { message: 'a shift from a time to the same time has zero length' })

export type LadderStep = z.infer<typeof ladderStepSchema>
export type LadderConfig = z.infer<typeof ladderSchema>
export type ShiftConfig = z.infer<typeof shiftSchema>

/** Used when a site has no ladder for a priority: the person's carers, then everyone, repeating every minute. */
export const defaultLadder: readonly LadderStep[] = Object.freeze([
  Object.freeze({ to: 'assigned' as const, wait_s: 60 }),
  Object.freeze({ to: 'all' as const, wait_s: 60 }),
])
