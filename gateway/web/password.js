// @ts-check
// A one-time password link (`/password#token=…`) from an AT admin: first sign-in or a reset.
import { el, fieldError, postJson, takeLinkToken } from './lib/auth-form.js';

const form = /** @type {HTMLFormElement} */ (el('password-form'));
const message = el('message');
const password = /** @type {HTMLInputElement} */ (el('password'));
const again = /** @type {HTMLInputElement} */ (el('password-again'));
const token = takeLinkToken();

if (!token) message.textContent = 'This page needs the one-time link your AT team gave you.';
else {
  const r = await postJson('/api/password/check', { token });
  if (!r.ok) message.textContent = r.body?.error?.message ?? `The link could not be checked (HTTP ${r.status}).`;
  else {
    el('who').textContent = `Setting the password for user id ${r.body.user_id}.`;
    form.hidden = false;
    password.focus();
  }
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  fieldError(password, ''); fieldError(again, '');
  if (password.value.length < 12) { fieldError(password, 'Use at least 12 characters.'); password.focus(); return; }
  if (password.value !== again.value) { fieldError(again, 'The two passwords are different.'); again.focus(); return; }
  const r = await postJson('/api/password', { token, password: password.value });
  if (r.ok) {
    form.hidden = true;
    message.dataset.ok = 'true';
    message.textContent = 'Password set. You can now sign in.';
    return;
  }
  const msg = r.body?.error?.message ?? `Not set (HTTP ${r.status}).`;
  if (r.body?.error?.code === 'GW_ERR_AUTH_PASSWORD_WEAK') { fieldError(password, msg); password.focus(); }
  else message.textContent = msg;
});
