/** Why alerts for a person or device are held back for a while (product.md: carer present, away, maintenance). */
export const suppressionKinds = ['carer_present', 'away', 'maintenance'] as const
export type SuppressionKind = (typeof suppressionKinds)[number]

/** A suppression with an expiry and a reason, set through the API or a presence button, and audited. */
export interface Suppression {
  readonly id: string
  readonly kind: SuppressionKind
  /** `person`: every rule of the person; `device`: rules fed by that device. */
  readonly scope: 'person' | 'device'
  readonly target: string
  readonly reason: string
  /** `user:<id>` or `device:<id>`. */
  readonly setBy: string
  readonly setAt: number
  readonly expiresAt: number
  readonly clearedAt: number | null
  readonly clearedBy: string | null
}
