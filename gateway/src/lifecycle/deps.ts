import type { Priority } from '../core/alert.js'
import type { AlertRepository, AuditLog, NotificationRepository } from '../core/contracts.js'

/** A planned notification as the lifecycle needs it (the routing stage makes these). */
export interface NotificationPlan {
  readonly userId: string
  readonly pagerId: string
  readonly protocol: string
  readonly text: string
  readonly truncatedFrom: string | null
}

/** One step of an escalation ladder, as the lifecycle sees it. */
export interface LadderStepView {
  readonly to: string
  readonly wait_s: number
}

/** Everything the lifecycle needs, injected (repositories and routing decisions). */
export interface LifecycleDeps {
  readonly alerts: AlertRepository
  readonly notifications: NotificationRepository
  readonly audit: AuditLog
  readonly newId: (prefix: 'al' | 'nt') => string
  /** The escalation ladder for a site and priority. */
  readonly ladder: (siteId: string, priority: Priority) => readonly LadderStepView[]
  /** Who a step pages for this person (or, for a person-less technical alert, this site), decided now (rotas change between steps). */
  readonly recipients: (target: string, personId: string | null, siteId: string, now: number) => readonly string[]
  /** Pages (pager, text) for these users about this person, or about `subject` for a person-less alert. */
  readonly plan: (personId: string | null, subject: string | null, alertClass: string, userIds: readonly string[]) => readonly NotificationPlan[]
  /** The page to send instead when a page to this pager failed: the pager's fallback, or null. */
  readonly fallback: (pagerId: string, personId: string | null, subject: string | null, alertClass: string) => NotificationPlan | null
  /** May this user act on alerts for this person (null: a site-level technical alert)? */
  readonly mayAct: (userId: string, personId: string | null) => boolean
}
