/** One page to send: already rendered from the person's template, already cut to the pager's limit. */
export interface Page {
  readonly notificationId: string
  readonly alertId: string
  readonly pagerId: string
  readonly userId: string
  readonly text: string
  readonly priority: 'high' | 'medium' | 'low'
}

/**
 * A driver's answer (Alertmanager's `(recoverable bool, err)`): drivers never retry or sleep;
 * the gateway's routing stage decides what a failure means.
 */
export type SendResult = { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly error: string }

/** A pager protocol driver instance (pager-bridge/src/drivers/<protocol>.ts creates these). */
export interface PagerDriver {
  send(page: Page): Promise<SendResult>
  close(): Promise<void>
}
