// @ts-check
// The signed-in session, shared by every page: who is signed in, and `api()` for HTTP calls that
// carries the CSRF token. The session itself is an HttpOnly cookie the page never sees.

/** @typedef {'carer'|'team_leader'|'at_admin'|'auditor'} Role */
/** @typedef {{id: string, role: Role, display_name: string}} SessionUser */
/** @typedef {{user: SessionUser, csrf: string}} Session */
/** @typedef {{path: (string|number)[], message: string}} FieldIssue */

/** An API refusal: HTTP status, the gateway's error code and message, and per-field issues when validation failed. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {FieldIssue[]} issues */
  constructor(status, code, message, issues) {
    super(message);
    this.status = status; this.code = code; this.issues = issues;
  }
}

/** @type {Session|null} */ let current = null;

/** The session, or null when not signed in. */
export async function currentSession() {
  const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) { current = null; return null; }
  if (!res.ok) throw await toError(res);
  current = /** @type {Session} */ (await res.json());
  return current;
}

/** @param {Response} res */
async function toError(res) {
  /** @type {any} */ let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const e = body?.error ?? {};
  return new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText, Array.isArray(e.issues) ? e.issues : []);
}

/**
 * An API call as the signed-in user. State-changing methods carry the CSRF token (the server refuses
 * them without it). Resolves to the JSON body; rejects with an ApiError. A 401 means the session ended:
 * the page is sent to sign in again.
 * @param {'GET'|'POST'|'PUT'|'PATCH'|'DELETE'} method @param {string} path @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */ const headers = {};
  if (method !== 'GET') headers['x-csrf-token'] = current?.csrf ?? (await currentSession())?.csrf ?? '';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (res.status === 401) { goToSignIn(); throw await toError(res); }
  if (!res.ok) throw await toError(res);
  const type = res.headers.get('content-type') ?? '';
  return type.includes('json') ? res.json() : res.text();
}

/** Off to the sign-in page, coming back here afterwards. */
export function goToSignIn() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/**
 * For a page's start: the session if the user is signed in with one of `roles` (any role when omitted).
 * Not signed in → the sign-in page. Signed in with another role → null, and the page shows why.
 * A `#token=` in the address (kiosk boards, demo links) is exchanged for a session first, then wiped.
 * @param {Role[]} [roles]
 */
export async function requireSignIn(roles) {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  let s = await currentSession();
  if (match?.[1]) {
    history.replaceState(null, '', location.pathname + location.search);
    // Only when nobody is signed in here: a link must not silently swap a carer's session for someone else's.
    if (!s) {
      await fetch('/api/session', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: decodeURIComponent(match[1]) }) });
      s = await currentSession();
    }
  }
  if (!s) { goToSignIn(); return null; }
  if (roles && !roles.includes(s.user.role)) return null;
  return s;
}

/** Ends the session on the server and goes to the sign-in page. */
export async function signOut() {
  try { await api('DELETE', '/api/session'); } catch { /* already gone */ }
  current = null;
  location.assign('/login');
}
