import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import { type AccessService, type AccountUser, SESSION_MAX_MS, type SignedIn } from '../access/access-service.js'
import type { ConfigIndex } from '../config/config-index.js'
import type { SessionRecord } from '../core/accounts.js'
import { gatewayError } from '../core/errors.js'
import { clearedSessionCookie, sameOrigin, sessionCookie } from './cookies.js'
import { clientAddress, parseBody, readJsonBody, sendJson } from './http-util.js'
import { requireRole, type Route } from './router.js'

/** Why a state-changing request made with the session cookie was refused (CSRF token or Origin). */
export const csrfError = (reason: string) => gatewayError('GW_ERR_AUTH_CSRF', [`refused: ${reason} (state-changing requests with a session cookie need the session's x-csrf-token)`])

export interface AuthRoutesDeps {
  readonly access: AccessService
  readonly tls: boolean
  /** Closes the live screens opened with these sessions (signed out, password changed). */
  readonly endSockets: (sessionIdHashes: readonly string[]) => void
}

/** The request's cookie session, when it has a live one. */
export type CookieAuth = { session: SessionRecord; user: AccountUser } | null

/**
 * CSRF: a cookie rides along on any request the browser makes, so a state-changing request made with it must
 * also prove it comes from our page: the same Origin, and the session's token in a header another site can
 * neither read nor set. Returns why it is refused, or null.
 */
export function csrfRefusal(access: AccessService, req: IncomingMessage, session: SessionRecord): string | null {
  if (!sameOrigin(req)) return 'foreign or missing Origin'
  return access.csrfMatches(session, req.headers['x-csrf-token'] as string | undefined) ? null : 'missing or wrong x-csrf-token'
}

const login = z.union([
  z.object({ user_id: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict(),
  z.object({ token: z.string().min(1).max(512) }).strict(),
])
const setup = z.object({ token: z.string().min(1).max(200), user_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" and "_", starting with a letter or digit'), display_name: z.string().min(1).max(40), password: z.string().max(1024) }).strict()
const linkOnly = z.object({ token: z.string().min(1).max(200) }).strict()
const withPassword = z.object({ token: z.string().min(1).max(200), password: z.string().max(1024) }).strict()
const change = z.object({ current_password: z.string().max(1024), new_password: z.string().max(1024) }).strict()

const userView = (u: AccountUser) => ({ id: u.id, role: u.role, display_name: u.display_name })

/**
 * Sign-in endpoints that run before (or without) an authenticated user: sign in and out, the session,
 * the first AT admin's setup, password links. Returns false when the path is not one of them.
 * Unauthenticated POSTs still need a same-origin `Origin` (no login CSRF from another site).
 */
export function createAuthRoutes(deps: AuthRoutesDeps) {
  const { access } = deps
  const maxAgeS = Math.floor(SESSION_MAX_MS / 1000)

  function signedIn(res: ServerResponse, s: SignedIn, status = 200): void {
    res.setHeader('set-cookie', sessionCookie(deps.tls, s.sessionId, maxAgeS))
    sendJson(res, status, { user: userView(s.user), csrf: s.session.csrf })
  }

  function requireCsrf(req: IncomingMessage, session: SessionRecord): void {
    const reason = csrfRefusal(access, req, session)
    if (reason) throw csrfError(reason)
  }

  function requireOrigin(req: IncomingMessage): void {
    if (!sameOrigin(req)) throw gatewayError('GW_ERR_AUTH_CSRF', ['this request must come from the gateway\'s own pages (Origin missing or foreign)'])
  }

  return async function handleAuth(req: IncomingMessage, res: ServerResponse, url: URL, auth: CookieAuth): Promise<boolean> {
    const method = req.method ?? 'GET'
    const path = url.pathname
    if (path === '/api/session') {
      if (method === 'GET') {
        if (!auth) throw gatewayError('GW_ERR_AUTH_REQUIRED')
        sendJson(res, 200, { user: userView(auth.user), csrf: auth.session.csrf, via: auth.session.via, expires_at: new Date(auth.session.expiresAt).toISOString() })
        return true
      }
      if (method === 'POST') {
        requireOrigin(req)
        signedIn(res, await access.login(parseBody(login, await readJsonBody(req)), clientAddress(req)))
        return true
      }
      if (method === 'DELETE') {
        if (auth) {
          requireCsrf(req, auth.session)
          await access.logout(auth.session)
          deps.endSockets([auth.session.idHash])
        }
        res.setHeader('set-cookie', clearedSessionCookie(deps.tls))
        sendJson(res, 200, { signed_out: true })
        return true
      }
      return false
    }
    if (path === '/api/session/password' && method === 'POST') {
      if (!auth) throw gatewayError('GW_ERR_AUTH_REQUIRED')
      requireCsrf(req, auth.session)
      const b = parseBody(change, await readJsonBody(req))
      deps.endSockets(await access.changePassword(auth.session, b.current_password, b.new_password, clientAddress(req)))
      res.setHeader('set-cookie', clearedSessionCookie(deps.tls))
      sendJson(res, 200, { password_changed: true, note: 'every session of this user has ended; sign in with the new password' })
      return true
    }
    if (path === '/api/setup/check' && method === 'POST') {
      requireOrigin(req)
      const { token } = parseBody(linkOnly, await readJsonBody(req))
      if (!access.setupNeeded()) throw gatewayError('GW_ERR_AUTH_LINK_INVALID', ['setup', 'an AT admin already has a password'])
      // Who may become the first admin is shown only to the holder of a valid link.
      const valid = access.setupTokenValid(token)
      sendJson(res, 200, { valid, candidates: valid ? access.setupCandidates() : [] })
      return true
    }
    if (path === '/api/setup' && method === 'POST') {
      requireOrigin(req)
      const b = parseBody(setup, await readJsonBody(req))
      signedIn(res, await access.completeSetup(b.token, b.user_id, b.display_name, b.password, clientAddress(req)), 201)
      return true
    }
    if (path === '/api/password/check' && method === 'POST') {
      requireOrigin(req)
      sendJson(res, 200, { user_id: access.passwordLinkUser(parseBody(linkOnly, await readJsonBody(req)).token) })
      return true
    }
    if (path === '/api/password' && method === 'POST') {
      requireOrigin(req)
      const b = parseBody(withPassword, await readJsonBody(req))
      const { userId, ended } = await access.setPasswordWithLink(b.token, b.password)
      deps.endSockets(ended)
      sendJson(res, 200, { user_id: userId, password_set: true })
      return true
    }
    return false
  }
}

/** Issuing and revoking users' access tokens (user-tokens.ts), bound to the store by the composition root. */
export interface TokenAdmin {
  issue(actor: string, userId: string): Promise<string>
  revoke(actor: string, userId: string): Promise<boolean>
}

/** Authenticated account routes for AT admins: password links (first sign-in or reset) and access tokens. */
export function accountRoutes(index: ConfigIndex, access: AccessService, tokens: TokenAdmin): Route[] {
  const configuredUser = (id: string) => {
    if (!index.users.has(id)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`no enabled user '${id}' in the configuration`])
  }
  return [
    ['POST', /^\/api\/users\/([A-Za-z0-9_-]{1,64})\/access-token$/, async (req, res, userId, [id]) => {
      requireRole(index, userId, ['at_admin'], 'issue access tokens')
      await readJsonBody(req)
      configuredUser(id!)
      sendJson(res, 201, { user_id: id, token: await tokens.issue(`user:${userId}`, id!), note: 'shown once; any earlier token of this user no longer works' })
    }],
    ['DELETE', /^\/api\/users\/([A-Za-z0-9_-]{1,64})\/access-token$/, async (_req, res, userId, [id]) => {
      requireRole(index, userId, ['at_admin'], 'revoke access tokens')
      sendJson(res, 200, { user_id: id, revoked: await tokens.revoke(`user:${userId}`, id!) })
    }],
    ['POST', /^\/api\/users\/([A-Za-z0-9_-]{1,64})\/password-link$/, async (req, res, userId, [id]) => {
      requireRole(index, userId, ['at_admin'], 'issue password links')
      await readJsonBody(req)
      const { token, expiresAt } = await access.issuePasswordLink(userId, id!)
      sendJson(res, 201, { user_id: id, link: `/password#token=${token}`, expires_at: new Date(expiresAt).toISOString(), note: 'shown once; give it to the user privately' })
    }],
  ]
}
