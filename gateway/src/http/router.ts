import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ConfigIndex } from '../config/config-index.js'
import { gatewayError } from '../core/errors.js'

/** A route handler: the request, the authenticated user's id, the pattern's captures, the parsed URL. */
export type Handler = (req: IncomingMessage, res: ServerResponse, userId: string, params: string[], url: URL) => Promise<void> | void

/** One API route: method, path pattern, handler. Feature modules (board, configuration, audit…) each export a table. */
export type Route = readonly [method: string, pattern: RegExp, handler: Handler]

export type RouteMatch = { handler: Handler; params: string[] } | 'method_not_allowed' | null

export interface Router {
  match(method: string, path: string): RouteMatch
}

/** Joins route tables; the first route whose pattern and method match wins. */
export function createRouter(...tables: readonly (readonly Route[])[]): Router {
  const routes = tables.flat()
  return {
    match(method, path) {
      let pathMatched = false
      for (const [m, re, handler] of routes) {
        const found = re.exec(path)
        if (!found) continue
        pathMatched = true
        if (m === method) return { handler, params: found.slice(1) }
      }
      return pathMatched ? 'method_not_allowed' : null
    },
  }
}

export type Role = 'carer' | 'team_leader' | 'at_admin' | 'auditor'

/** Roles that oversee the service: they read the whole audit trail, reports and metrics. */
export const oversightRoles: readonly Role[] = ['team_leader', 'at_admin', 'auditor']

/**
 * Refuses (GW_ERR_AUTH_FORBIDDEN, audited by the server with the actor) unless the user has one of `roles`.
 * Checked on every route that needs more than "signed in", server side, whatever the page shows.
 */
export function requireRole(index: ConfigIndex, userId: string, roles: readonly Role[], what: string): Role {
  const role = index.users.get(userId)?.role
  if (!role || !roles.includes(role)) throw gatewayError('GW_ERR_AUTH_FORBIDDEN', [`your role (${role ?? 'none'}) may not ${what}`])
  return role
}
