import type { IncomingMessage, ServerResponse } from 'node:http'
import type { z } from 'zod'
import { type GatewayError, gatewayError, isGatewayError } from '../core/errors.js'

/** Security headers for every response: no framing, no sniffing, same-origin scripts only. */
const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'cache-control': 'no-store',
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...securityHeaders, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function sendBody(res: ServerResponse, status: number, type: string, body: Buffer | string): void {
  res.writeHead(status, { ...securityHeaders, 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** Errors reach API clients as `{ error: { code, message } }` with the catalogue's status. */
export function sendError(res: ServerResponse, err: unknown): void {
  const e: GatewayError = isGatewayError(err) ? err : gatewayError('GW_ERR_BUG', [(err as Error).message])
  // Field problems also at the top level (`issues: [{path, message}]`), where pages look for them (web/lib/session.js).
  const issues = Array.isArray(e.details.issues) ? { issues: e.details.issues } : {}
  sendJson(res, e.status, { error: { code: e.code, message: e.message, ...issues, ...(Object.keys(e.details).length ? { details: e.details } : {}) } })
}

/** Read a JSON body of at most `limit` bytes; hostile sizes and bad JSON are refused precisely. */
export async function readJsonBody(req: IncomingMessage, limit = 16 * 1024): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw gatewayError('GW_ERR_INPUT_TOO_LARGE', [size, limit])
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw gatewayError('GW_ERR_API_BAD_REQUEST', [`request body is not valid JSON: ${(err as Error).message}`])
  }
}

/** The bearer token from `Authorization: Bearer <token>`, or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const h = req.headers.authorization
  if (!h || !h.startsWith('Bearer ')) return null
  return h.slice(7).trim() || null
}

/** A request body checked against its zod schema; every problem named as `path: message` (GW_ERR_API_BAD_REQUEST). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body)
  if (!r.success) throw gatewayError('GW_ERR_API_BAD_REQUEST', [r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')])
  return r.data
}

/** The client's address, for throttling and the audit trail. */
export const clientAddress = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown'
