// @ts-check
// The first AT admin's one-time setup link (`/setup#token=…`, printed on the console at start).
import { el, fieldError, HOME, postJson, takeLinkToken } from './lib/auth-form.js';

const form = /** @type {HTMLFormElement} */ (el('setup-form'));
const message = el('message');
const userId = /** @type {HTMLInputElement} */ (el('user-id'));
const displayName = /** @type {HTMLInputElement} */ (el('display-name'));
const password = /** @type {HTMLInputElement} */ (el('password'));
const again = /** @type {HTMLInputElement} */ (el('password-again'));
const token = takeLinkToken();

if (!token) message.textContent = 'This page needs the one-time setup link printed by the gateway at start.';
else {
  const r = await postJson('/api/setup/check', { token });
  if (!r.ok) message.textContent = r.body?.error?.message ?? `The link could not be checked (HTTP ${r.status}).`;
  else if (!r.body.valid) message.textContent = 'This setup link is no longer valid. Restart the gateway for a new one.';
  else {
    const list = el('candidates');
    for (const c of r.body.candidates) {
      const o = document.createElement('option');
      o.value = c.id; o.label = c.display_name;
      list.append(o);
    }
    if (r.body.candidates.length === 1) { userId.value = r.body.candidates[0].id; displayName.value = r.body.candidates[0].display_name; }
    form.hidden = false;
    userId.focus();
  }
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  for (const i of [userId, displayName, password, again]) fieldError(i, '');
  message.textContent = '';
  let bad = /** @type {HTMLInputElement|null} */ (null);
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(userId.value)) { fieldError(userId, 'Use lower-case letters, digits, "-" and "_", starting with a letter or digit.'); bad ??= userId; }
  if (!displayName.value.trim()) { fieldError(displayName, 'Enter the name colleagues will see.'); bad ??= displayName; }
  if (password.value.length < 12) { fieldError(password, 'Use at least 12 characters.'); bad ??= password; }
  else if (password.value !== again.value) { fieldError(again, 'The two passwords are different.'); bad ??= again; }
  if (bad) { bad.focus(); return; }
  const r = await postJson('/api/setup', { token, user_id: userId.value, display_name: displayName.value.trim(), password: password.value });
  if (r.ok) { location.assign(HOME[/** @type {import('./lib/session.js').Role} */ (r.body.user.role)]); return; }
  const msg = r.body?.error?.message ?? `Setup failed (HTTP ${r.status}).`;
  if (r.body?.error?.code === 'GW_ERR_AUTH_PASSWORD_WEAK') { fieldError(password, msg); password.focus(); }
  else if (/^user_id:/.test(msg)) { fieldError(userId, msg.replace(/^user_id:\s*/, '')); userId.focus(); }
  else message.textContent = msg;
});
