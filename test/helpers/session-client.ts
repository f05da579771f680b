import WebSocket from 'ws'

export interface SessionResponse {
  readonly status: number
  readonly body: any
  readonly setCookie: string | null
}

/**
 * An HTTP client that behaves like a browser tab of the web app: it keeps the session cookie, sends
 * `Origin` like a browser does, and sends the CSRF token on writes unless a test says otherwise.
 */
export class SessionClient {
  cookie: string | null = null
  csrf: string | null = null

  constructor(readonly base: string, private readonly fetchOpts: Record<string, unknown> = {}) {}

  async request(method: string, path: string, body?: unknown, opts: { csrf?: boolean | string; origin?: string | null } = {}): Promise<SessionResponse> {
    const headers: Record<string, string> = {}
    const origin = opts.origin === undefined ? this.base : opts.origin
    if (origin !== null) headers.origin = origin
    if (this.cookie) headers.cookie = this.cookie
    if (body !== undefined) headers['content-type'] = 'application/json'
    const csrf = opts.csrf === undefined ? true : opts.csrf
    if (method !== 'GET' && csrf !== false && this.csrf) headers['x-csrf-token'] = typeof csrf === 'string' ? csrf : this.csrf
    const res = await fetch(this.base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...this.fetchOpts })
    const setCookie = res.headers.get('set-cookie')
    if (setCookie) {
      const [pair] = setCookie.split(';')
      this.cookie = pair!.endsWith('=') ? null : pair!
    }
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      /* not JSON */
    }
    if (res.ok && parsed && typeof parsed === 'object' && 'csrf' in parsed) this.csrf = (parsed as { csrf: string }).csrf
    return { status: res.status, body: parsed, setCookie }
  }

  login(userId: string, password: string): Promise<SessionResponse> {
    return this.request('POST', '/api/session', { user_id: userId, password })
  }

  /** Opens `/ws` with the cookie, as the browser does (no token subprotocol); resolves on open or rejects. */
  openSocket(origin: string | null = this.base): Promise<{ ws: WebSocket; first: Promise<Record<string, unknown>>; closed: Promise<number> }> {
    const url = this.base.replace(/^http/, 'ws') + '/ws'
    const ws = new WebSocket(url, ['care-gateway.v1'], { headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(origin ? { origin } : {}) }, rejectUnauthorized: false })
    const first = new Promise<Record<string, unknown>>((r) => ws.once('message', (d) => r(JSON.parse(d.toString()) as Record<string, unknown>)))
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, first, closed }))
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)))
      ws.once('error', reject)
    })
  }
}
