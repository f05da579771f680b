import type { AlertState, NotificationState } from '../core/alert.js'
import { gatewayError } from '../core/errors.js'

/** What can happen to an alert (IHE ACM, protocols.md §4.3). */
export type AlertEvent = 'activate' | 'escalate' | 'accept' | 'resolve' | 'cancel' | 'close'

/** The alert state machine as a table: state × event → next state. Anything missing is refused. */
export const alertTransitions: Readonly<Record<AlertState, Partial<Record<AlertEvent, AlertState>>>> = {
  new: { activate: 'active', cancel: 'cancelled' },
  active: { escalate: 'escalated', accept: 'acknowledged', cancel: 'cancelled' },
  escalated: { escalate: 'escalated', accept: 'acknowledged', cancel: 'cancelled' },
  acknowledged: { resolve: 'resolved', cancel: 'cancelled' },
  resolved: { close: 'closed' },
  cancelled: { close: 'closed' },
  closed: {},
}

/** What can happen to one notification (one recipient, one attempt). */
export type NotificationEvent = 'send' | 'deliver' | 'read' | 'accept' | 'reject' | 'fail' | 'undeliverable' | 'expire' | 'cancel'

const open = { expire: 'expired', cancel: 'cancelled' } as const
export const notificationTransitions: Readonly<Record<NotificationState, Partial<Record<NotificationEvent, NotificationState>>>> = {
  queued: { send: 'sent', fail: 'failed', undeliverable: 'undeliverable', ...open },
  sent: { deliver: 'delivered', read: 'read', accept: 'accepted', reject: 'rejected', fail: 'failed', undeliverable: 'undeliverable', ...open },
  // ESPA 4.4.4: a call reported paged (7=3) may still be reported absent, busy or failed (7=4/1/8, 8=1) after it.
  delivered: { read: 'read', accept: 'accepted', reject: 'rejected', fail: 'failed', undeliverable: 'undeliverable', ...open },
  read: { accept: 'accepted', reject: 'rejected', ...open },
  accepted: {},
  rejected: {},
  failed: {},
  undeliverable: {},
  expired: {},
  cancelled: {},
}

/** Next alert state, or a GW_ERR_LIFECYCLE_INVALID_TRANSITION naming the alert, event and state. */
export function nextAlertState(id: string, from: AlertState, event: AlertEvent): AlertState {
  const to = alertTransitions[from][event]
  if (!to) throw gatewayError('GW_ERR_LIFECYCLE_INVALID_TRANSITION', ['alert', id, event, from], { id, from, event })
  return to
}

export function nextNotificationState(id: string, from: NotificationState, event: NotificationEvent): NotificationState {
  const to = notificationTransitions[from][event]
  if (!to) throw gatewayError('GW_ERR_LIFECYCLE_INVALID_TRANSITION', ['notification', id, event, from], { id, from, event })
  return to
}

/** States in which an alert still needs someone: attending, or closing with an outcome. */
export const openAlertStates: readonly AlertState[] = ['new', 'active', 'escalated', 'acknowledged', 'resolved', 'cancelled']
