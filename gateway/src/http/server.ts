import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import { gatewayError } from '../core/errors.js'
import { bearerToken, sendBody, sendError, sendJson } from './http-util.js'
import type { LiveHub } from './live-hub.js'
import type { Router } from './router.js'
import type { StaticFile } from './static-files.js'

export interface HttpServerDeps {
  readonly host: string
  readonly port: number
  readonly api: Router
  readonly hub: LiveHub
  readonly staticFiles: ReadonlyMap<string, StaticFile>
  /** Resolve a bearer token to a user id, or null. */
  readonly authenticate: (token: string) => Promise<string | null>
  /** Audit a refused request (no or bad credentials, forbidden). */
  readonly refused: (actor: string, what: string, reason: string) => void
  readonly health: () => Record<string, unknown>
  readonly log: Logger
}

/** Pages served at fixed paths; everything else static is under /assets/. */
const pages: Record<string, string> = { '/pager': 'pager.html', '/board': 'board.html' }
const WS_PROTOCOL = 'care-gateway.v1'

/** Start the HTTP + WebSocket server (dashboard, soft pager, API). */
export async function startHttpServer(deps: HttpServerDeps): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 16 * 1024,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid')
    const method = req.method ?? 'GET'
    if (method === 'GET' && url.pathname === '/') {
      res.writeHead(302, { location: '/board' })
      return void res.end()
    }
    if (method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204)
      return void res.end()
    }
    // Liveness only: says nothing about people or alerts, so it is open to the local supervisor.
    if (method === 'GET' && url.pathname === '/healthz') return sendJson(res, 200, deps.health())
    const page = pages[url.pathname] ?? (url.pathname.startsWith('/assets/') ? url.pathname.slice('/assets/'.length) : null)
    if (method === 'GET' && page !== null) {
      const file = deps.staticFiles.get(page)
      if (!file) return sendError(res, gatewayError('GW_ERR_API_NOT_FOUND', [method, url.pathname]))
      return sendBody(res, 200, file.type, file.body)
    }
    const route = deps.api.match(method, url.pathname)
    if (route === null) return sendError(res, gatewayError('GW_ERR_API_NOT_FOUND', [method, url.pathname]))
    if (route === 'method_not_allowed') return sendJson(res, 405, { error: { code: 'GW_ERR_API_BAD_REQUEST', message: `${method} is not allowed on ${url.pathname}` } })
    const token = bearerToken(req)
    const userId = token ? await deps.authenticate(token) : null
    if (!userId) {
      deps.refused(token ? 'unknown-token' : 'anonymous', `${method} ${url.pathname}`, token ? 'bad access token' : 'no access token')
      return sendError(res, gatewayError('GW_ERR_AUTH_REQUIRED'))
    }
    try {
      await route.handler(req, res, userId, route.params, url)
    } catch (err) {
      if ((err as { code?: string }).code === 'GW_ERR_AUTH_FORBIDDEN') deps.refused(`user:${userId}`, `${method} ${url.pathname}`, (err as Error).message)
      sendError(res, err)
    }
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid')
    if (url.pathname !== '/ws') return void socket.destroy()
    // Cross-site WebSocket hijacking: a browser always sends Origin; it must be this gateway.
    const origin = req.headers.origin
    if (origin && new URL(origin).host !== req.headers.host) {
      deps.refused('anonymous', 'websocket upgrade', `origin ${origin} is not this gateway`)
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n')
      return
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim())
    const bearer = offered.find((p) => p.startsWith('bearer.'))
    const userId = bearer ? await deps.authenticate(bearer.slice('bearer.'.length)) : null
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!userId) {
        deps.refused(bearer ? 'unknown-token' : 'anonymous', 'websocket upgrade', bearer ? 'bad access token' : 'no access token')
        // Close with an application code the page understands; nothing has been sent.
        return ws.close(4401, 'access token refused')
      }
      deps.hub.attach(ws, userId)
    })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.log.error({ err }, 'http handler failed')
      if (!res.headersSent) sendError(res, err)
      else res.destroy()
    })
  })
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
    async close() {
      deps.hub.closeAll()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
