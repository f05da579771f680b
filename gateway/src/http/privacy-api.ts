import type { ConfigIndex } from '../config/config-index.js'
import { gatewayError } from '../core/errors.js'
import { isValidId } from '../core/topics.js'
import { readJsonBody, sendJson } from './http-util.js'
import { requireRole, type Route } from './router.js'

export interface PrivacyApiDeps {
  readonly index: ConfigIndex
  readonly now: () => number
  /** Everything held about the person (compose/privacy-service.ts); audited there. */
  readonly exportSubject: (userId: string, personId: string) => Promise<Record<string, unknown>>
  /** Erases the person's personal text; audited there. */
  readonly erase: (userId: string, personId: string, note: string) => Promise<Record<string, unknown>>
}

const personId = (raw: string | undefined) => {
  let id: string
  try {
    id = decodeURIComponent(raw ?? '')
  } catch {
    throw gatewayError('GW_ERR_API_BAD_REQUEST', ['person id: malformed percent-encoding'])
  }
  if (!isValidId(id)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`person id: must be a configuration id, got ${JSON.stringify(id.slice(0, 40))}`])
  return id
}

/**
 * Data protection (issue 8): subject access export for AT admins and auditors, erasure for AT admins only.
 * The export is a JSON download; erasure needs a reason (`note`), such as the request's reference.
 */
export function createPrivacyApi(deps: PrivacyApiDeps): Route[] {
  return [
    ['GET', /^\/api\/people\/([^/]+)\/subject-access$/, async (_req, res, userId, [raw]) => {
      requireRole(deps.index, userId, ['at_admin', 'auditor'], 'export what is held about a person')
      const id = personId(raw)
      const body = await deps.exportSubject(userId, id)
      const stamp = new Date(deps.now()).toISOString().replace(/[:.]/g, '-')
      res.setHeader('content-disposition', `attachment; filename="subject-access-${id}-${stamp}.json"`)
      sendJson(res, 200, body)
    }],
    ['POST', /^\/api\/people\/([^/]+)\/erase$/, async (req, res, userId, [raw]) => {
      requireRole(deps.index, userId, ['at_admin'], "erase a person's personal data")
      const id = personId(raw)
      const body = await readJsonBody(req) as { note?: unknown }
      const note = typeof body.note === 'string' ? body.note.trim() : ''
      if (!note) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['note: give the reason for the erasure (e.g. the request reference); it is kept in the audit trail'])
      if (note.length > 500) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['note: at most 500 characters'])
      sendJson(res, 200, { erasure: await deps.erase(userId, id, note) })
    }],
  ]
}
