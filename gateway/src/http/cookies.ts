import type { IncomingMessage } from 'node:http'

/** Cookie values from the request's `Cookie` header (RFC 6265 §5.4); the first of a repeated name wins. */
export function readCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim())
  }
  return out
}

/**
 * The session cookie's name. Over TLS it carries the `__Host-` prefix, which browsers accept only with
 * Secure, Path=/ and no Domain: it cannot be set by a sibling host or over plain HTTP.
 */
export const sessionCookieName = (tls: boolean) => (tls ? '__Host-gw_session' : 'gw_session')

/** HttpOnly (scripts never see it), SameSite=Strict (never sent on cross-site requests), Secure over TLS. */
export function sessionCookie(tls: boolean, value: string, maxAgeS: number): string {
  return `${sessionCookieName(tls)}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${tls ? '; Secure' : ''}`
}

export const clearedSessionCookie = (tls: boolean) => sessionCookie(tls, '', 0)

/**
 * True when the request's Origin is this server. Browsers send Origin on every state-changing fetch and on
 * WebSocket handshakes, so cookie-authenticated writes without a matching Origin are refused.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (!origin || origin === 'null') return false
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}
