// The namespace, not `{ z }`: the admin page bundles these schemas, and only this form lets esbuild drop zod's locales.
import * as z from 'zod'

/** Days as whole numbers, at least one, at most a century. */
const days = z.number().int().min(1).max(36_500)

/**
 * How long each class of record is kept (UK GDPR Art 5(1)(e), storage limitation), enforced by the retention
 * job (compose/retention-job.ts) at start and every 24 h. The defaults, and why:
 * - `telemetry_days` 30: raw device events (the journal) are needed for a month of replay and for looking into
 *   a complaint while it is fresh; after that the alerts and audit rows say what mattered. Events an open
 *   alert still points at are kept whatever their age.
 * - `alerts_days` 2922 (8 years): closed alerts, their pages and suppressions are part of the care record;
 *   adult social care records are kept 8 years (NHS Records Management Code of Practice 2021). A provider
 *   whose schedule counts from the end of care sets this longer.
 * - `audit_days` 2922: the trail must outlive the alerts it explains, so it may not be shorter than `alerts_days`.
 * - `personal_data_days` (default: `audit_days`): personal text the audit refers to (notes, pager text, room
 *   codes in configuration changes); set it shorter to keep the trail but let the words go sooner.
 */
export const retentionSchema = z.object({
  telemetry_days: days.default(30),
  alerts_days: days.default(2922),
  audit_days: days.default(2922),
  personal_data_days: days.optional(),
}).strict().superRefine((r, ctx) => {
  if (r.audit_days < r.alerts_days) ctx.addIssue({ code: 'custom', path: ['audit_days'], message: `must be at least alerts_days (${r.alerts_days}): the audit trail explains the alerts it outlives` })
})

export type RetentionSettings = z.infer<typeof retentionSchema>

/** The defaults, for a configuration without a `retention` section. */
export const defaultRetention: RetentionSettings = retentionSchema.parse({})
