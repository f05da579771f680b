// @ts-check
// Sign in with user id and password. Already signed in → straight on to the role's screen.
import { el, nextPath, postJson } from './lib/auth-form.js';
import { currentSession } from './lib/session.js';

const form = /** @type {HTMLFormElement} */ (el('login-form'));
const userId = /** @type {HTMLInputElement} */ (el('user-id'));
const password = /** @type {HTMLInputElement} */ (el('password'));
const message = el('message');

const existing = await currentSession().catch(() => null);
if (existing) location.replace(nextPath(existing.user.role));
else userId.focus();

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  message.textContent = '';
  if (!userId.value.trim() || !password.value) {
    message.textContent = 'Enter your user id and password.';
    (userId.value.trim() ? password : userId).focus();
    return;
  }
  const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
  button.setAttribute('aria-disabled', 'true');
  message.removeAttribute('data-ok');
  message.textContent = 'Signing in…';
  const r = await postJson('/api/session', { user_id: userId.value.trim(), password: password.value });
  button.removeAttribute('aria-disabled');
  if (r.ok) { location.assign(nextPath(r.body.user.role)); return; }
  password.value = '';
  message.textContent = r.body?.error?.message ? `Not signed in: ${r.body.error.message}.` : `Not signed in (HTTP ${r.status}).`;
  password.focus();
});
