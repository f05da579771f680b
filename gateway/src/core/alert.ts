/**
 * Alert and notification vocabulary, after IHE PCD Alert Communication Management
 * (shared/specs/protocols.md §4.2–4.3): one alert per incident, one notification per recipient per attempt.
 */
export const alertStates = ['new', 'active', 'escalated', 'acknowledged', 'resolved', 'cancelled', 'closed'] as const
export type AlertState = (typeof alertStates)[number]

export const notificationStates = [
  'queued', 'sent', 'delivered', 'read', 'accepted', 'rejected', 'failed', 'undeliverable', 'expired', 'cancelled',
] as const
export type NotificationState = (typeof notificationStates)[number]

/** IHE priority (PH/PM/PL). ESPA priority 1 → high, 2 → medium, 3 → low (protocols.md §4.2). */
export const priorities = ['high', 'medium', 'low'] as const
export type Priority = (typeof priorities)[number]

/** Care events (bed exit, seizure), technical (battery, silence) or advisory (test call). */
export type AlertKind = 'care' | 'technical' | 'advisory'

export interface Alert {
  readonly id: string
  readonly siteId: string
  /** Pseudonymous person id; names never travel with alerts. Null for technical alerts about no person (a paging line). */
  readonly personId: string | null
  /** What a person-less technical alert is about (e.g. "LINE espa-main"), shown instead of a room code. */
  readonly subject: string | null
  /** The device whose event raised it; null for clock-driven rules (expected event missing, inactivity). */
  readonly deviceId: string | null
  readonly ruleId: string
  readonly ruleVersion: string
  readonly kind: AlertKind
  /** Short class shown on pagers, e.g. "BED EXIT". Never a diagnosis. */
  readonly alertClass: string
  readonly priority: Priority
  readonly state: AlertState
  readonly raisedAt: number
  readonly updatedAt: number
  readonly acceptedBy: string | null
  readonly acceptedAt: number | null
  /** Journal seq of the event that triggered the alert. */
  readonly triggerEventSeq: number | null
  /** How many times the same condition triggered while this alert was open. */
  readonly triggerCount: number
  /** Index of the escalation ladder step reached (0 = first). */
  readonly escalationStep: number
  /** When the next ladder step fires; null once accepted, cancelled or closed. */
  readonly nextStepAt: number | null
  readonly resolvedBy: string | null
  readonly resolvedAt: number | null
  readonly closedBy: string | null
  readonly closedAt: number | null
  /** Recorded when the alert is closed. */
  readonly outcome: AlertOutcome | null
  readonly outcomeNote: string | null
}

/** How an alert turned out, recorded at close (false-alarm rates are measured from this). */
export const alertOutcomes = ['real', 'false_alarm', 'test', 'device_fault'] as const
export type AlertOutcome = (typeof alertOutcomes)[number]

export interface Notification {
  readonly id: string
  readonly alertId: string
  readonly userId: string
  readonly pagerId: string
  readonly protocol: string
  readonly attempt: number
  readonly state: NotificationState
  /** Text sent to the pager, from the person's template. */
  readonly text: string
  readonly createdAt: number
  readonly updatedAt: number
}
