import type { Logger } from 'pino'
import type { Alert, Notification } from '../core/alert.js'
import type { Effects } from '../core/effects.js'
import type { PagerDriver } from '../core/pager.js'

export interface UnstoredRoutingDeps {
  readonly log: Logger
  readonly now: () => number
  readonly driverFor: (pagerId: string) => PagerDriver | undefined
  readonly addressOf: (pagerId: string) => string | null
  /** Show an unstored alert and its page on the addressee's screens and the boards (http/live-hub.ts). */
  readonly show: (alert: Alert, notification: Notification) => void
  /** Write the outage into the audit trail once the store takes writes again. */
  readonly recordOutage: (detail: Record<string, unknown>) => Promise<void>
}

/** How long a page sent without the store is not repeated for the same condition, carer and pager. */
export const UNSTORED_REPEAT_MS = 5 * 60_000

/**
 * When the store refuses writes (disk full, read-only remount, I/O error), alarms are still routed but not
 * acknowledged (reliability-security.md row 16): a device keeps resending, and once the store recovers each event is
 * committed exactly once by the journal's (device, event id) key, then raised and paged as usual.
 *
 * Until then, every page the refused work would have queued is sent from memory: radio pagers through their
 * line's driver, soft pagers and boards as an alert marked `unstored`. Only the first ladder step is paged (escalation
 * needs stored deadlines); a device resending the same alarm every few seconds pages each carer once per
 * UNSTORED_REPEAT_MS, not once per resend. While this lasts `/healthz` answers 503 and the gateway logs an error per
 * refused group; the outage is written to the audit trail when the store takes writes again.
 */
export function createUnstoredRouting(deps: UnstoredRoutingDeps) {
  let since: number | null = null
  let firstError = ''
  let refusedGroups = 0
  let pagesSent = 0
  const sentAt = new Map<string, number>()

  function send(alert: Alert, n: Notification): void {
    if (n.protocol === 'soft') return deps.show(alert, n)
    const driver = deps.driverFor(n.pagerId)
    if (!driver) return void deps.log.error({ pager: n.pagerId, alert: alert.id }, 'unstored page has no driver')
    driver.send({ notificationId: n.id, alertId: alert.id, pagerId: n.pagerId, userId: n.userId, address: deps.addressOf(n.pagerId), text: n.text, priority: alert.priority })
      .then((r) => { if (!r.ok) deps.log.error({ pager: n.pagerId, alert: alert.id, error: r.error }, 'unstored page was not sent') })
      .catch((err: unknown) => deps.log.error({ err, pager: n.pagerId, alert: alert.id }, 'unstored page was not sent'))
  }

  return {
    /** The store refused a group (store/group-commit.ts `onUnstored`): send what it would have paged. */
    refused(fx: Effects, err: unknown): void {
      const now = deps.now()
      refusedGroups++
      if (since === null) {
        since = now
        firstError = err instanceof Error ? err.message : String(err)
      }
      deps.log.error({ err, pages: fx.pages.length }, 'STORAGE FAILING: the database refused a write; nothing is acknowledged, alarms are still paged; free space or fix the disk')
      for (const [key, at] of sentAt) if (now - at >= UNSTORED_REPEAT_MS) sentAt.delete(key)
      for (const { alert, notification: n } of fx.pages) {
        const key = `${alert.personId}|${alert.deviceId}|${alert.ruleId}|${alert.alertClass}|${n.userId}|${n.pagerId}`
        if (sentAt.has(key)) continue
        sentAt.set(key, now)
        pagesSent++
        send(alert, n)
      }
    },

    /** A group committed: if the store had been refusing writes, it has recovered. */
    committed(): void {
      if (since === null) return
      const detail = { cause: 'write_refused', error: firstError, since: new Date(since).toISOString(), recovered_at: new Date(deps.now()).toISOString(), refused_groups: refusedGroups, unstored_pages: pagesSent }
      since = null
      refusedGroups = 0
      pagesSent = 0
      sentAt.clear()
      deps.log.warn(detail, 'storage recovered: the database takes writes again')
      deps.recordOutage(detail).catch((err: unknown) => deps.log.error({ err }, 'recording the storage outage failed'))
    },

    /** Is the store refusing writes now (health and metrics)? */
    get failing(): boolean {
      return since !== null
    },
  }
}
