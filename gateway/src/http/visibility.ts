import { type ConfigIndex, userMaySee } from '../config/config-index.js'
import type { Alert } from '../core/alert.js'
import type { NotificationRepository } from '../core/contracts.js'

/**
 * A user sees an alert if their role lets them see the person (team leaders, AT admins, auditors: all;
 * carers: the people they are assigned to), or if the escalation ladder paged them for it: whoever is
 * paged must be able to see and answer the page.
 */
export function canSeeAlert(index: ConfigIndex, notifications: Pick<NotificationRepository, 'forAlert'>, userId: string, alert: Pick<Alert, 'id' | 'personId'>): boolean {
  return userMaySee(index, userId, alert.personId) || notifications.forAlert(alert.id).some((n) => n.userId === userId)
}
