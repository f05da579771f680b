import type { Logger } from 'pino'
import type { Alert, Notification } from '../core/alert.js'
import type { Effects } from '../core/effects.js'
import type { PagerDriver } from '../core/pager.js'
import { lockedElsewhere } from '../store/group-commit.js'

export interface UnstoredRoutingDeps {
  readonly log: Logger
  readonly now: () => number
  readonly driverFor: (pagerId: string) => PagerDriver | undefined
  readonly addressOf: (pagerId: string) => string | null
  /** Every ladder step's pages for an alert, planned and not stored (lifecycle/escalation.ts `planEveryStep`). */
  readonly everyStep: (alert: Alert, now: number) => Notification[]
  /** Show an unstored alert and its page on the addressee's screens and the boards; how many of the addressee's screens got it. */
  readonly show: (alert: Alert, notification: Notification) => number
  /**
   * Raise the site-wide STORAGE FAILING alarm (it is paged like any alarm, through this routing if it cannot be
   * stored). `err` is the first refusal: for another process's lock (`lockedElsewhere`) the alarm is paged and not stored.
   */
  readonly raiseStorageFailing: (message: string, err: unknown) => void
  /** Write the outage into the audit trail once the store takes writes again. */
  readonly recordOutage: (detail: Record<string, unknown>) => Promise<void>
  /** The outage is over: screens drop the alerts shown unstored (their resent, stored alarms are shown by now). */
  readonly recovered: () => void
}

/** How long a page sent without the store is not repeated for the same condition, carer and pager. */
export const UNSTORED_REPEAT_MS = 5 * 60_000
/** How long the store must take every write before an outage is over (a nearly full disk takes small commits and refuses larger ones). */
export const RECOVERY_QUIET_MS = 15_000

/**
 * When the store refuses writes (disk full, read-only remount, I/O error), alarms are still routed but not
 * acknowledged (reliability-security.md row 16): a device keeps resending, and once the store recovers each event is
 * committed exactly once by the journal's (device, event id) key, then raised and paged as usual.
 *
 * Until then, every alarm the refused work raised is paged from memory to every step of its ladder at once (escalation
 * needs stored deadlines, so nobody would otherwise be paged after the first step): radio pagers through their line's
 * driver, soft pagers and boards as an alert marked `unstored`. A page counts as sent only once a driver confirmed it
 * or a screen showed it; a device resending the same alarm every few seconds then pages each carer once per
 * UNSTORED_REPEAT_MS, not once per resend, while a page that did not go out is tried again with the next resend.
 * The first refusal raises the site-wide STORAGE FAILING alarm (paged the same way). `/healthz` answers 503 until the
 * store has taken every write for RECOVERY_QUIET_MS; then the outage is written to the audit trail (retried until it is).
 */
export function createUnstoredRouting(deps: UnstoredRoutingDeps) {
  let since: number | null = null
  let lastRefusal = 0
  let firstError = ''
  let firstCause: 'write_refused' | 'locked' = 'write_refused'
  let refusedGroups = 0
  let pagesSent = 0
  const sentAt = new Map<string, number>()
  const unrecorded: Record<string, unknown>[] = []

  const conditionOf = (a: Alert) => `${a.siteId}|${a.personId}|${a.subject}|${a.deviceId}|${a.ruleId}|${a.alertClass}`
  const keyOf = (a: Alert, n: Notification) => `${conditionOf(a)}|${n.userId}|${n.pagerId}`
  /** The first unstored alert of each condition: a device's resends (a new alert id each) are shown as that one alert. */
  const shownAs = new Map<string, Alert>()

  function send(alert: Alert, n: Notification, key: string): void {
    const failed = (detail: Record<string, unknown>) => {
      sentAt.delete(key)
      pagesSent--
      deps.log.error({ pager: n.pagerId, user: n.userId, alert: alert.id, ...detail }, 'unstored page was not sent; tried again when the device resends')
    }
    sentAt.set(key, deps.now())
    pagesSent++
    try {
      if (n.protocol === 'soft') {
        if (deps.show(alert, n) === 0) failed({ error: 'no screen of this carer is open' })
        return
      }
      const driver = deps.driverFor(n.pagerId)
      if (!driver) return failed({ error: 'no driver for this pager' })
      driver.send({ notificationId: n.id, alertId: alert.id, pagerId: n.pagerId, userId: n.userId, address: deps.addressOf(n.pagerId), text: n.text, priority: alert.priority })
        .then((r) => { if (!r.ok) failed({ error: r.error }) }, (err: unknown) => failed({ error: (err as Error).message }))
    } catch (err) {
      failed({ error: (err as Error).message })
    }
  }

  function forget(condition: string): void {
    shownAs.delete(condition)
    for (const key of sentAt.keys()) if (key.startsWith(`${condition}|`)) sentAt.delete(key)
  }

  function recordPending(): void {
    const detail = unrecorded.shift()
    if (!detail) return
    deps.recordOutage(detail).catch((err: unknown) => {
      unrecorded.unshift(detail)
      deps.log.error({ err }, 'recording the storage outage failed; tried again at the next commit')
    })
  }

  return {
    /** The store refused a group (store/group-commit.ts `onUnstored`): page what it raised, to every step of each ladder. */
    refused(fx: Effects, err: unknown): void {
      const now = deps.now()
      refusedGroups++
      lastRefusal = now
      const first = since === null
      if (first) {
        since = now
        firstError = err instanceof Error ? err.message : String(err)
        firstCause = lockedElsewhere(err) ? 'locked' : 'write_refused'
      }
      deps.log.error({ err, pages: fx.pages.length }, 'STORAGE FAILING: the database refused a write; nothing is acknowledged, alarms are still paged; free space or fix the disk')
      for (const [key, at] of sentAt) if (now - at >= UNSTORED_REPEAT_MS) sentAt.delete(key)
      const alerts = new Map<string, Alert>()
      for (const { alert } of fx.pages) alerts.set(alert.id, alert)
      for (const raised of alerts.values()) {
        const alert = shownAs.get(conditionOf(raised)) ?? raised
        shownAs.set(conditionOf(raised), alert)
        let everyStep: Notification[]
        try {
          everyStep = deps.everyStep(alert, now)
        } catch (planErr) {
          deps.log.error({ err: planErr, alert: alert.id }, 'planning the ladder of an unstored alarm failed; its first step is paged')
          everyStep = []
        }
        const planned = fx.pages.filter((p) => p.alert.id === raised.id).map((p) => ({ ...p.notification, alertId: alert.id }))
        for (const n of [...planned, ...everyStep]) {
          const key = keyOf(alert, n)
          if (!sentAt.has(key)) send(alert, n, key)
        }
      }
      if (first) deps.raiseStorageFailing(firstError, err)
    },

    /**
     * A group committed (with its effects): after RECOVERY_QUIET_MS without a refusal, the outage is over. A condition
     * whose alert is now stored and paged is no longer held back by the repeat window: a new alarm of it, in a later
     * refusal or lock, is a new incident and is paged.
     */
    committed(fx?: Effects): void {
      for (const { alert } of fx?.pages ?? []) forget(conditionOf(alert))
      recordPending()
      if (since === null || deps.now() - lastRefusal < RECOVERY_QUIET_MS) return
      const detail = { cause: firstCause, error: firstError, since: new Date(since).toISOString(), last_refused_at: new Date(lastRefusal).toISOString(), recovered_at: new Date(deps.now()).toISOString(), refused_groups: refusedGroups, unstored_pages: pagesSent }
      since = null
      refusedGroups = 0
      pagesSent = 0
      shownAs.clear()
      // The next outage starts with no memory of this one's pages.
      sentAt.clear()
      deps.log.warn(detail, 'storage recovered: the database takes writes again')
      unrecorded.push(detail)
      recordPending()
      try {
        deps.recovered()
      } catch (err) {
        deps.log.error({ err }, 'refreshing the screens after the storage outage failed')
      }
    },

    /** Is the store refusing writes now, or did it within RECOVERY_QUIET_MS (health and metrics)? */
    get failing(): boolean {
      return since !== null
    },
  }
}
