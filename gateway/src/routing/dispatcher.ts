import type { Logger } from 'pino'
import type { Alert, Notification } from '../core/alert.js'
import type { PagerDriver, SendResult } from '../core/pager.js'

export interface DispatcherDeps {
  readonly drivers: ReadonlyMap<string, PagerDriver>
  readonly loadNotification: (id: string) => Notification | null
  readonly loadAlert: (id: string) => Alert | null
  /** Record the driver's answer through the pipeline (state change + audit, durably). */
  readonly report: (notificationId: string, event: 'send' | 'fail', detail: Record<string, unknown>) => Promise<void>
  readonly log: Logger
  /** Delay before retrying a retryable failure, by attempt number (1-based). */
  readonly retryDelayMs?: (attempt: number) => number
  /** Retries of one send before it is marked failed. Default 5. */
  readonly maxRetries?: number
}

/**
 * Takes notifications out of the durable outbox and hands them to their drivers. Runs only after the
 * transaction that queued them committed; on start, everything still queued is sent (a page accepted
 * by the gateway is sent even if the process died before sending it). Retries live here, never in drivers.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const inFlight = new Set<string>()
  const maxRetries = deps.maxRetries ?? 5
  const retryDelay = deps.retryDelayMs ?? ((n: number) => Math.min(30_000, 500 * 2 ** (n - 1)))
  let stopped = false

  async function sendOnce(n: Notification, attempt: number): Promise<void> {
    const driver = deps.drivers.get(n.pagerId)
    const alert = deps.loadAlert(n.alertId)
    if (!driver || !alert) {
      await deps.report(n.id, 'fail', { error: driver ? 'alert missing' : `no driver for pager '${n.pagerId}'`, retryable: false })
      return
    }
    let result: SendResult
    try {
      result = await driver.send({ notificationId: n.id, alertId: n.alertId, pagerId: n.pagerId, userId: n.userId, text: n.text, priority: alert.priority })
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
    stop(): void {
      stopped = true
    },
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>
