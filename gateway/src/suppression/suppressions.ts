import type { AuditLog, SuppressionRepository } from '../core/contracts.js'
import { gatewayError } from '../core/errors.js'
import type { Suppression, SuppressionKind } from '../core/suppression.js'

export interface SuppressionDeps {
  readonly suppressions: SuppressionRepository
  readonly audit: AuditLog
  readonly newId: () => string
}

export interface SetSuppressionInput {
  readonly kind: SuppressionKind
  readonly scope: 'person' | 'device'
  readonly target: string
  readonly reason: string
  readonly setBy: string
  readonly expiresAt: number
  /** Person the target belongs to (for the audit row). */
  readonly personId: string
  readonly deviceId: string | null
}

/** Longest suppression that may be set: a forgotten one must not silence a person for ever. */
export const MAX_SUPPRESSION_MS = 14 * 86_400_000

/** Set a suppression (carer present, away, maintenance). Always has an expiry; always audited. */
export function setSuppression(deps: SuppressionDeps, input: SetSuppressionInput, now: number): Suppression {
  if (input.expiresAt <= now) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['a suppression must expire in the future'])
  if (input.expiresAt - now > MAX_SUPPRESSION_MS) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['a suppression may last at most 14 days; set it again if it must go on'])
  if (!input.reason.trim()) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['a suppression needs a reason'])
  const s: Suppression = { id: `sp-${deps.newId()}`, kind: input.kind, scope: input.scope, target: input.target, reason: input.reason.slice(0, 200), setBy: input.setBy, setAt: now, expiresAt: input.expiresAt, clearedAt: null, clearedBy: null }
  deps.suppressions.insert(s)
  deps.audit.append({ at: now, kind: 'suppression.set', actor: input.setBy, personId: input.personId, deviceId: input.deviceId, detail: { suppression_id: s.id, kind: s.kind, scope: s.scope, target: s.target, reason: s.reason, expires_at: new Date(s.expiresAt).toISOString() } })
  return s
}

/** End a suppression before its expiry. */
export function clearSuppression(deps: SuppressionDeps, id: string, by: string, now: number, personId: string | null): void {
  const s = deps.suppressions.get(id)
  if (!s) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`no suppression '${id}'`])
  if (!deps.suppressions.clear(id, by, now)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`suppression '${id}' is not in force`])
  deps.audit.append({ at: now, kind: 'suppression.cleared', actor: by, personId, deviceId: s.scope === 'device' ? s.target : null, detail: { suppression_id: id, kind: s.kind, target: s.target } })
}
