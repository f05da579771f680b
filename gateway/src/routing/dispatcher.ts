import type { Logger } from 'pino'
import type { Alert, Notification } from '../core/alert.js'
import type { PagerDriver, SendResult } from '../core/pager.js'

export interface DispatcherDeps {
  /** The driver that serves each pager (several pagers share one line's driver). */
  readonly driverFor: (pagerId: string) => PagerDriver | undefined
  /** The pager's address on its line (ESPA call address, TAP pager id), or null. */
  readonly addressOf: (pagerId: string) => string | null
  readonly loadNotification: (id: string) => Notification | null
  readonly notificationsFor: (alertId: string) => Notification[]
  readonly loadAlert: (id: string) => Alert | null
  /** Record the driver's answer through the pipeline (state change + audit, durably). */
  readonly report: (notificationId: string, event: 'send' | 'fail', detail: Record<string, unknown>) => Promise<void>
  readonly log: Logger
  /** Delay before retrying a retryable failure, by attempt number (1-based). */
  readonly retryDelayMs?: (attempt: number) => number
  /** Retries of one send before it is marked failed. Default 3. */
  readonly maxRetries?: number
}

/**
 * Takes notifications out of the durable outbox and hands them to their drivers, and withdraws pages
 * (ESPA reset calls) that were cancelled or superseded. Runs only after the transaction that queued them
 * committed; on start, everything still queued is sent. Retries live here, never in drivers.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const inFlight = new Set<string>()
  const withdrawn = new Set<string>()
  const maxRetries = deps.maxRetries ?? 3
  const retryDelay = deps.retryDelayMs ?? ((n: number) => Math.min(30_000, 500 * 2 ** (n - 1)))
  let stopped = false

  const pageOf = (n: Notification, alert: Alert) => ({ notificationId: n.id, alertId: n.alertId, pagerId: n.pagerId, userId: n.userId, address: deps.addressOf(n.pagerId), text: n.text, priority: alert.priority })

  async function sendOnce(n: Notification, attempt: number): Promise<void> {
    const driver = deps.driverFor(n.pagerId)
    const alert = deps.loadAlert(n.alertId)
    if (!driver || !alert) {
      await deps.report(n.id, 'fail', { error: driver ? 'alert missing' : `no driver for pager '${n.pagerId}'`, retryable: false })
      return
    }
    let result: SendResult
    try {
      result = await driver.send(pageOf(n, alert))
    } catch (err) {
      result = { ok: false, retryable: true, error: (err as Error).message }
    }
    if (result.ok) return deps.report(n.id, 'send', { protocol: n.protocol })
    if (result.retryable && attempt < maxRetries && !stopped) {
      deps.log.warn({ notification: n.id, pager: n.pagerId, attempt, error: result.error }, 'page send failed; will retry')
      await new Promise((r) => setTimeout(r, retryDelay(attempt)).unref())
      return sendOnce(n, attempt + 1)
    }
    return deps.report(n.id, 'fail', { error: result.error, retryable: result.retryable, attempts: attempt })
  }

  return {
    /** Send these notifications if they are still queued. Never throws. */
    dispatch(ids: readonly string[]): void {
      for (const id of ids) {
        if (inFlight.has(id)) continue
        const n = deps.loadNotification(id)
        if (!n || n.state !== 'queued') continue
        inFlight.add(id)
        sendOnce(n, 1)
          .catch((err: unknown) => deps.log.error({ err, notification: id }, 'dispatch failed'))
          .finally(() => inFlight.delete(id))
      }
    },

    /** Withdraw pages of these alerts that were sent and have since been cancelled or superseded. */
    withdraw(alertIds: Iterable<string>): void {
      for (const alertId of alertIds) {
        const alert = deps.loadAlert(alertId)
        if (!alert) continue
        for (const n of deps.notificationsFor(alertId)) {
          if ((n.state !== 'cancelled' && n.state !== 'expired') || withdrawn.has(n.id)) continue
          const driver = deps.driverFor(n.pagerId)
          if (!driver?.cancel) continue
          withdrawn.add(n.id)
          driver.cancel(pageOf(n, alert)).then(
            (r) => r.ok || deps.log.warn({ notification: n.id, error: r.error }, 'withdrawing a page failed'),
            (err: unknown) => deps.log.warn({ err, notification: n.id }, 'withdrawing a page failed'),
          )
        }
      }
    },

    stop(): void {
      stopped = true
    },
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>
