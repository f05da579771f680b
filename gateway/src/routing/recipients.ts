import type { GatewayConfig, PersonConfig } from '../config/schema.js'

/** One notification to plan: who, on which pager, with what text. */
export interface PlannedNotification {
  readonly userId: string
  readonly pagerId: string
  readonly protocol: string
  readonly text: string
  /** Set when the text was cut to the pager's limit (the cut is audited). */
  readonly truncatedFrom: string | null
}

/**
 * Pager text from the person's template: room code and alert class only, never a name or diagnosis
 * (product.md hazards). Truncated to the pager's `max_length`.
 */
export function renderPagerText(template: string, fields: { roomCode: string; alertClass: string }, maxLength: number): { text: string; truncatedFrom: string | null } {
  const full = template.replaceAll('{room_code}', fields.roomCode).replaceAll('{alert_class}', fields.alertClass)
  return full.length <= maxLength ? { text: full, truncatedFrom: null } : { text: full.slice(0, maxLength), truncatedFrom: full }
}

/** Every pager of each of these users, with the person's pager text. */
export function planNotifications(person: PersonConfig, alertClass: string, userIds: readonly string[], config: Pick<GatewayConfig, 'pagers'>): PlannedNotification[] {
  const plans: PlannedNotification[] = []
  for (const userId of userIds) {
    for (const pager of config.pagers) {
      if (pager.user !== userId) continue
      const { text, truncatedFrom } = renderPagerText(person.pager_template, { roomCode: person.room_code, alertClass }, pager.max_length)
      plans.push({ userId, pagerId: pager.id, protocol: pager.protocol, text, truncatedFrom })
    }
  }
  return plans
}
