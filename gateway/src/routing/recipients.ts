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

/**
 * One page per user, on the first pager of their route whose line is up (a pager's `fallback` names the
 * next); if every line is down, the last pager in the chain (its failure then escalates). A person-less
 * technical alert reads "<subject> <alert class>".
 */
export function planNotifications(person: PersonConfig | null, subject: string | null, alertClass: string, userIds: readonly string[], config: Pick<GatewayConfig, 'pagers'>, lineUp: (pagerId: string) => boolean): PlannedNotification[] {
  const plans: PlannedNotification[] = []
  const fallbacks = new Set(config.pagers.map((p) => p.fallback).filter((x) => x !== undefined))
  for (const userId of userIds) {
    // Route heads: the user's pagers that are nobody's fallback, in configuration order.
    for (const head of config.pagers.filter((p) => p.user === userId && !fallbacks.has(p.id))) {
      let pager = head
      while (!lineUp(pager.id) && pager.fallback) pager = config.pagers.find((p) => p.id === pager.fallback) ?? pager
      const template = person ? person.pager_template : '{room_code} {alert_class}'
      const { text, truncatedFrom } = renderPagerText(template, { roomCode: person ? person.room_code : (subject ?? 'SITE'), alertClass }, pager.max_length)
      plans.push({ userId, pagerId: pager.id, protocol: pager.protocol, text, truncatedFrom })
    }
  }
  return plans
}
