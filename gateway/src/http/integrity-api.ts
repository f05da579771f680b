import type { ConfigIndex } from '../config/config-index.js'
import { sendJson } from './http-util.js'
import { oversightRoles, requireRole, type Route } from './router.js'

/** The verifier's result as the API shows it (snake_case, like every API body). */
export interface VerificationView {
  readonly ok: boolean
  readonly rowsChecked: number
  readonly firstBadSeq: number | null
  readonly kind: string | null
  readonly message: string
  readonly anchors: number
  readonly anchorsChecked: number
  readonly malformedAnchorLines: number
  readonly verifiedFromSeq: number
  readonly head: { seq: number; hash: string } | null
}

/** `GET /api/audit/verify`: the whole chain and its anchors, verified off the main thread. */
export function integrityRoutes(index: ConfigIndex, verify: () => Promise<VerificationView>): Route[] {
  return [
    ['GET', /^\/api\/audit\/verify$/, async (_req, res, userId) => {
      requireRole(index, userId, oversightRoles, 'verify the audit trail')
      const r = await verify()
      sendJson(res, 200, {
        ok: r.ok, kind: r.kind, first_bad_seq: r.firstBadSeq, message: r.message, rows_checked: r.rowsChecked, verified_from_seq: r.verifiedFromSeq,
        head: r.head, anchors: r.anchors, anchors_checked: r.anchorsChecked, malformed_anchor_lines: r.malformedAnchorLines,
      })
    }],
  ]
}
