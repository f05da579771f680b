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
