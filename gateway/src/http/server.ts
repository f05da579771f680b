import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { type WebSocket, WebSocketServer } from 'ws'
import type { AccessService } from '../access/access-service.js'
import { type CookieAuth, createAuthRoutes, csrfError, csrfRefusal } from './auth-routes.js'
import { readCookies, sameOrigin, sessionCookieName } from './cookies.js'
import { gatewayError } from '../core/errors.js'
import { bearerToken, clientAddress, sendBody, sendError, sendJson } from './http-util.js'
import type { LiveHub } from './live-hub.js'
import type { Router } from './router.js'
import type { StaticFile } from './static-files.js'

export interface HttpServerDeps {
  readonly host: string
  readonly port: number
  readonly api: Router
  readonly hub: LiveHub
  readonly staticFiles: ReadonlyMap<string, StaticFile>
  /**
   * Resolve a bearer token to an active user's id, or null; throws GW_ERR_AUTH_THROTTLED when the client
   * address has made too many bad attempts.
   */
  readonly authenticate: (token: string, client: string) => Promise<string | null>
  /** Sessions, sign-in, setup and password links. */
  readonly access: AccessService
  /** HTTPS when a key and certificate are configured (PEM). */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer }
  /** Audit a refused request (no or bad credentials, forbidden). */
  readonly refused: (actor: string, what: string, reason: string) => void
  readonly health: () => Record<string, unknown>
  readonly log: Logger
}

/** Pages served at fixed paths; everything else static is under /assets/. */
const pages: Record<string, string> = { '/pager': 'pager.html', '/board': 'board.html', '/login': 'login.html', '/setup': 'setup.html', '/password': 'password.html', '/admin': 'admin.html' }
const WS_PROTOCOL = 'care-gateway.v1'

/** Start the HTTP + WebSocket server (dashboard, soft pager, API). */
export async function startHttpServer(deps: HttpServerDeps): Promise<{ server: Server; port: number; endSockets(sessionIdHashes: readonly string[]): void; close(): Promise<void> }> {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 16 * 1024,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })

  const tls = deps.tls !== undefined
  const authRoutes = createAuthRoutes({ access: deps.access, tls, endSockets })
  /** Live screens per session (id hash), so signing out or a new password closes that session's screens. */
  const socketsBySession = new Map<string, Set<WebSocket>>()
  function endSockets(idHashes: readonly string[]): void {
    for (const h of idHashes) {
      for (const ws of socketsBySession.get(h) ?? []) ws.close(4401, 'session ended')
      socketsBySession.delete(h)
    }
  }

  // A live screen outlives any one request: once a minute each session with open screens is checked
  // (ended, past its lifetime, user disabled → its screens close with 4401), and an open screen counts as use.
  const keepAlive = setInterval(() => {
    for (const idHash of [...socketsBySession.keys()]) {
      deps.access.keepAlive(idHash).then((live) => live || endSockets([idHash]), (err: unknown) => deps.log.error({ err }, 'session check failed'))
    }
  }, 60_000)
  keepAlive.unref()

  async function cookieAuth(req: IncomingMessage): Promise<CookieAuth> {
    const value = readCookies(req).get(sessionCookieName(tls))
    return value ? deps.access.resolve(value) : null
  }

  const writes = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid')
    const method = req.method ?? 'GET'
    if (tls) res.setHeader('strict-transport-security', 'max-age=31536000')
    if (method === 'GET' && url.pathname === '/') {
      // The sign-in page sends a signed-in user on to their role's screen.
      res.writeHead(302, { location: '/login' })
      return void res.end()
    }
    if (method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204)
      return void res.end()
    }
    // Liveness only: says nothing about people or alerts, so it is open to the local supervisor.
    if (method === 'GET' && url.pathname === '/healthz') {
      const health = deps.health()
      return sendJson(res, health.status === 'ok' ? 200 : 503, health)
    }
    const page = pages[url.pathname] ?? (url.pathname.startsWith('/assets/') ? url.pathname.slice('/assets/'.length) : null)
    if (method === 'GET' && page !== null) {
      const file = deps.staticFiles.get(page)
      if (!file) return sendError(res, gatewayError('GW_ERR_API_NOT_FOUND', [method, url.pathname]))
      return sendBody(res, 200, file.type, file.body)
    }
    const token = bearerToken(req)
    // A bearer token (scripts, integrations) wins; otherwise the browser's session cookie.
    const session = token ? null : await cookieAuth(req)
    try {
      if (await authRoutes(req, res, url, session)) return
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      // Every refused sign-in step is audited: sign-in failures and throttling by the access service itself,
      // the rest (CSRF, bad or spent links, weak passwords, malformed requests) here, with the actor.
      if (code !== 'GW_ERR_AUTH_LOGIN_FAILED' && code !== 'GW_ERR_AUTH_THROTTLED') deps.refused(session ? `user:${session.user.id}` : 'anonymous', `${method} ${url.pathname}`, `${code}: ${(err as Error).message}`)
      return sendError(res, err)
    }
    const route = deps.api.match(method, url.pathname)
    if (route === null) return sendError(res, gatewayError('GW_ERR_API_NOT_FOUND', [method, url.pathname]))
    if (route === 'method_not_allowed') return sendJson(res, 405, { error: { code: 'GW_ERR_API_BAD_REQUEST', message: `${method} is not allowed on ${url.pathname}` } })
    let userId: string | null
    try {
      userId = token ? await deps.authenticate(token, clientAddress(req)) : (session?.user.id ?? null)
    } catch (err) {
      deps.refused('token', `${method} ${url.pathname}`, (err as Error).message)
      return sendError(res, err)
    }
    if (!userId) {
      const hadCookie = readCookies(req).has(sessionCookieName(tls))
      deps.refused(token ? 'unknown-token' : 'anonymous', `${method} ${url.pathname}`, token ? 'bad access token' : hadCookie ? 'session expired or ended' : 'not signed in')
      return sendError(res, gatewayError('GW_ERR_AUTH_REQUIRED'))
    }
    const csrf = session && writes.has(method) ? csrfRefusal(deps.access, req, session.session) : null
    if (csrf) {
      deps.refused(`user:${userId}`, `${method} ${url.pathname}`, csrf)
      return sendError(res, csrfError(csrf))
    }
    try {
      await route.handler(req, res, userId, route.params, url)
    } catch (err) {
      // Forbidden, and "not found" for something that exists but is not the user's (an alert of a person not
      // assigned to them: answered as not found, so its existence is not revealed, but audited as a refusal).
      if ((err as { code?: string }).code === 'GW_ERR_AUTH_FORBIDDEN' || (err as { refusedAccess?: boolean }).refusedAccess) deps.refused(`user:${userId}`, `${method} ${url.pathname}`, (err as Error).message)
      sendError(res, err)
    }
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid')
    if (url.pathname !== '/ws') return void socket.destroy()
    // Cross-site WebSocket hijacking: a browser always sends Origin; it must be this gateway.
    const origin = req.headers.origin
    if (origin && !sameOrigin(req)) {
      deps.refused('anonymous', 'websocket upgrade', `origin ${origin} is not this gateway`)
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n')
      return
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim())
    const bearer = offered.find((p) => p.startsWith('bearer.'))
    // Browsers authenticate with the session cookie (and always send Origin, checked above).
    const session = bearer ? null : await cookieAuth(req)
    let userId: string | null = null
    try {
      userId = bearer ? await deps.authenticate(bearer.slice('bearer.'.length), clientAddress(req)) : (session?.user.id ?? null)
    } catch (err) {
      deps.refused('token', 'websocket upgrade', (err as Error).message)
      socket.end('HTTP/1.1 429 Too Many Requests\r\nconnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!userId) {
        deps.refused(bearer ? 'unknown-token' : 'anonymous', 'websocket upgrade', bearer ? 'bad access token' : 'not signed in')
        // Close with an application code the page understands; nothing has been sent.
        return ws.close(4401, 'sign in required')
      }
      if (session) {
        const idHash = session.session.idHash
        const set = socketsBySession.get(idHash) ?? new Set<WebSocket>()
        set.add(ws)
        socketsBySession.set(idHash, set)
        ws.once('close', () => {
          set.delete(ws)
          if (set.size === 0) socketsBySession.delete(idHash)
        })
      }
      // Frames may be written straight to the socket only while ws itself writes every frame whole and at once,
      // i.e. without permessage-deflate (off on this server; checked here so turning it on cannot corrupt frames).
      deps.hub.attach(ws, userId, ws.extensions === '' ? socket : null)
    })
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      deps.log.error({ err }, 'http handler failed')
      if (!res.headersSent) sendError(res, err)
      else res.destroy()
    })
  }
  const server: Server = deps.tls ? createTlsServer({ key: deps.tls.key, cert: deps.tls.cert, minVersion: 'TLSv1.2' }, onRequest) : createServer(onRequest)
  server.on('upgrade', (req, socket, head) => {
    upgrade(req, socket as Duplex, head).catch((err: unknown) => {
      deps.log.error({ err }, 'websocket upgrade failed')
      socket.destroy()
    })
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(deps.port, deps.host, () => resolve())
  })
  return {
    server,
    port: (server.address() as AddressInfo).port,
    endSockets,
    async close() {
      clearInterval(keepAlive)
      deps.hub.closeAll()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
