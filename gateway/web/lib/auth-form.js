// @ts-check
// Shared by the sign-in, setup and password pages: posting JSON to the sign-in endpoints, and where a
// signed-in user goes next.

/** @typedef {import('./session.js').Role} Role */

/** Each role's own screen. */
/** @type {Record<Role, string>} */
export const HOME = { carer: '/pager', team_leader: '/board', at_admin: '/admin', auditor: '/admin' };

/**
 * Where to go after signing in: `?next=` when it is a path on this gateway (never another site: an
 * open redirect would let a phishing link bounce through us), else the role's screen.
 * @param {Role} role
 */
export function nextPath(role) {
  const next = new URLSearchParams(location.search).get('next');
  if (next) {
    // Resolve it exactly as the browser would (which strips tabs and newlines, so "/\t/evil.example" is
    // another site) and follow it only when it stays on this origin.
    try {
      const url = new URL(next, location.origin);
      if (url.origin === location.origin) return url.pathname + url.search + url.hash;
    } catch { /* not a URL: ignore it */ }
  }
  return HOME[role] ?? '/pager';
}

/**
 * POST JSON to an unauthenticated endpoint; resolves `{ok, status, body}` without throwing on 4xx.
 * @param {string} path @param {unknown} body
 * @returns {Promise<{ok: boolean, status: number, body: any}>}
 */
export async function postJson(path, body) {
  const res = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** @type {any} */ let json = null;
  try { json = await res.json(); } catch { /* empty */ }
  return { ok: res.ok, status: res.status, body: json };
}

/** The `#token=` of a one-time link, removed from the address bar so it is not left in history. */
export function takeLinkToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m?.[1]) history.replaceState(null, '', location.pathname + location.search);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

/** @param {string} id */
export function el(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e;
}

/**
 * Show a message for one field: next to it, linked by aria-describedby, and aria-invalid set.
 * @param {HTMLInputElement} input @param {string} message
 */
export function fieldError(input, message) {
  const id = `${input.id}-error`;
  let p = document.getElementById(id);
  if (!p) {
    p = document.createElement('p');
    p.id = id; p.className = 'field-error';
    input.insertAdjacentElement('afterend', p);
  }
  p.textContent = message;
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
  const ids = new Set((input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean));
  ids.add(id);
  input.setAttribute('aria-describedby', [...ids].join(' '));
}
