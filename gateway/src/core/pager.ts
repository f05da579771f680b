/** One page to send: already rendered from the person's template, already cut to the pager's limit. */
export interface Page {
  readonly notificationId: string
  readonly alertId: string
  readonly pagerId: string
  readonly userId: string
  /** The pager's address on its line (ESPA call address, TAP pager id); null for the soft pager. */
  readonly address: string | null
  readonly text: string
  readonly priority: 'high' | 'medium' | 'low'
}

/**
 * A driver's answer (Alertmanager's `(recoverable bool, err)`): drivers never retry or sleep;
 * the gateway's routing stage decides what a failure means.
 */
export type SendResult = { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly error: string }

/** What a two-way paging system can report about a page after it was sent (mapped onto the notification machine). */
export type PagerReport = 'deliver' | 'accept' | 'reject' | 'fail' | 'undeliverable'

/** Line state as the driver sees it. */
export type LineHealth = 'up' | 'down'

/** A pager protocol driver instance for one line (pager-bridge/src/drivers/<protocol>.ts creates these). */
export interface PagerDriver {
  send(page: Page): Promise<SendResult>
  /** Withdraw a page (ESPA reset call) when the alert was accepted elsewhere or cancelled. */
  cancel?(page: Page): Promise<SendResult>
  /** Current line state: a `down` line is skipped in favour of the pager's fallback. */
  health(): LineHealth
  close(): Promise<void>
}
