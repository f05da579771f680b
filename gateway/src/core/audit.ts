/** Kinds of audit row. Every state change and every input the gateway refuses writes exactly one. */
export const auditKinds = [
  'gateway.started',
  'gateway.stopped',
  'config.warning',
  'event.received',
  'device.not_reporting',
  'device.restored',
  'event.duplicate',
  'input.rejected',
  'processing.failed',
  'rule.decision',
  // Issue 9: one row per group commit for its routine events (audit/routine-events.ts).
  'events.routine',
  'rule.changed',
  'suppression.set',
  'suppression.cleared',
  'alert.transition',
  'alert.repeat',
  'alert.source_cleared',
  'escalation.step_skipped',
  'notification.transition',
  'pager.text_truncated',
  'pager.frame',
  'pager.line',
  'access.refused',
  'command.refused',
  'credential.issued',
  'credential.revoked',
  // Issue 7: a configuration version (file import, web app or API change), with the entity before and after.
  'config.changed',
  // Issue 7: sign-in. Who signed in, how, from where; failures with the reason the user is not told.
  'auth.login',
  'auth.login_failed',
  'auth.login_throttled',
  'auth.logout',
  'auth.password_set',
  'auth.link_issued',
  // Issue 8: the trail's own integrity, retention and data-protection actions.
  'audit.chain_broken',
  'storage.failing',
  'retention.applied',
  'subject.exported',
  'subject.erased',
  'backup.taken',
] as const
export type AuditKind = (typeof auditKinds)[number]

/** One audit row as written. `personId` is pseudonymous; names never enter the audit. */
export interface AuditEntry {
  readonly at: number
  readonly kind: AuditKind
  /** Who caused it: `device:<id>`, `user:<id>`, `rule:<id>`, `gateway`. */
  readonly actor: string
  readonly alertId?: string | null
  readonly deviceId?: string | null
  readonly personId?: string | null
  readonly eventSeq?: number | null
  readonly detail: Readonly<Record<string, unknown>>
}

/** An audit row as read back. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number
}

/** One rule decision inside a routine event's entry. */
export interface RoutineDecision {
  readonly rule: string
  readonly version: string
  readonly person: string
  readonly outcome: string
  readonly reason: string
}

/** One routine event (audit/routine-events.ts), as stored in the digest row's `events` array. Times are RFC 3339, as in `event.received`. */
export interface RoutineEvent {
  readonly seq: number
  readonly event_id: string
  readonly device: string
  readonly type: string
  readonly device_at: string
  readonly received_at: string
  readonly reported?: Readonly<Record<string, unknown>>
  readonly decisions?: readonly RoutineDecision[]
}

