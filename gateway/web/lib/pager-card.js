// @ts-check
// One alert card on the soft pager. Built once from #card-template, then updated
// in place by `fillCard`, so focus, a half-filled close-out form and the card's
// role=status region all survive live updates.
import { formatAge, humanise, isWaiting } from './live.js';

/** What must never happen near a person (set by the AT team), in words for the carer on the way. */
const RESTRICTION_TEXT = /** @type {Record<string, string>} */ ({
  no_in_room_sounder: 'no sounder in the room',
  no_voice_announcement: 'no voice announcements',
  no_flashing_light: 'no flashing lights',
});

/** @typedef {import('./live.js').AlertView} AlertView */
/** @typedef {{ok: boolean, text: string, code?: string, unconfirmed?: boolean}} Outcome */
/** @typedef {{now: number, myId?: string, busy: boolean, result?: Outcome, ringing?: boolean}} CardContext */

const UNSTORED_TEXT = 'Not recorded: the gateway cannot store alerts right now. Go now; it will page again once it can.';

const STATE_TEXT = {
  new: 'Nobody attending yet — waiting for someone to accept',
  active: 'Nobody attending yet — waiting for someone to accept',
  escalated: 'Escalated — nobody attending yet',
  acknowledged: 'Acknowledged',
  cancelled: 'Source cleared — close with an outcome',
};

/** @param {ParentNode} root @param {string} sel */
const q = (root, sel) => {
  const el = root.querySelector(sel);
  if (!el) throw new Error(`card is missing ${sel}`);
  return /** @type {HTMLElement} */ (el);
};

/** @param {HTMLTemplateElement} template @param {string} id  (alert ids are [A-Za-z0-9_-], safe in ids) */
export function newCard(template, id) {
  const el = /** @type {HTMLElement} */ (template.content.firstElementChild?.cloneNode(true));
  el.dataset.alertId = id;
  const room = q(el, '.card-room');
  room.id = `room-${id}`;
  // Every card has the same button labels; the room tells them apart for screen-reader users.
  for (const b of el.querySelectorAll('[data-action]')) b.setAttribute('aria-describedby', room.id);
  const form = q(el, '.close-form');
  form.id = `close-${id}`;
  q(el, '[data-action="done"]').setAttribute('aria-controls', form.id);
  for (const r of radios(el)) r.name = `outcome-${id}`; // one group per card
  const error = q(el, '.field-error');
  error.id = `outcome-error-${id}`;
  q(el, 'fieldset').setAttribute('aria-describedby', error.id);
  const note = q(el, 'textarea.note');
  note.id = `note-${id}`;
  /** @type {HTMLLabelElement} */ (q(el, '.note-label')).htmlFor = note.id;
  form.addEventListener('change', () => clearError(el)); // the error goes as soon as it is fixed
  return el;
}

/** @param {HTMLElement} el @param {AlertView} a @param {CardContext} c */
export function fillCard(el, a, c) {
  const focused = document.activeElement;
  const hadFocus = focused instanceof HTMLElement && focused !== el && el.contains(focused);
  el.dataset.state = a.state;
  el.dataset.priority = a.priority;
  el.dataset.ringing = String(!!c.ringing);
  q(el, '.card-room').textContent = a.room_code;
  q(el, '.card-class').textContent = humanise(a.alert_class);
  q(el, '.card-priority').textContent = `${humanise(a.priority)} priority`;
  const age = /** @type {HTMLTimeElement} */ (q(el, '.card-age'));
  age.dateTime = a.raised_at;
  age.textContent = formatAge(a.raised_at, c.now);

  const waiting = isWaiting(a);
  const mine = a.state === 'acknowledged' && a.accepted_by?.id === c.myId;
  // Anyone who can see a cancelled alert may close it: it needs an outcome, not a particular carer.
  const closable = mine || a.state === 'cancelled';
  // Paged while the gateway's storage refuses writes: nothing about it can be recorded yet (README, "Storage failing").
  q(el, '.card-state').textContent = a.unstored ? UNSTORED_TEXT : a.state !== 'cancelled' && a.accepted_by
    ? `Attending: ${a.accepted_by.display_name}${mine ? ' (you)' : ''}`
    : STATE_TEXT[/** @type {keyof STATE_TEXT} */ (a.state)] ?? humanise(a.state);
  const step = q(el, '.card-step');
  step.hidden = !waiting;
  step.textContent = `Escalation step ${a.escalation_step}`;
  const restrictions = q(el, '.card-restrictions'), must = Array.isArray(a.restrictions) ? a.restrictions : [];
  restrictions.hidden = must.length === 0;
  restrictions.textContent = must.length ? `Take care: ${must.map((r) => RESTRICTION_TEXT[r] ?? humanise(r)).join('; ')}.` : '';

  // An unrecorded alert cannot be answered here (nothing of it is stored); it is paged again, answerable, once it is.
  q(el, '[data-action="accept"]').hidden = !waiting || !!a.unstored;
  q(el, '[data-action="decline"]').hidden = !waiting || !!a.unstored;
  q(el, '[data-action="done"]').hidden = !closable;
  if (!closable) setFormOpen(el, false);
  // aria-disabled rather than disabled: a disabled button drops keyboard focus to <body>.
  for (const b of el.querySelectorAll('[data-action="accept"], [data-action="decline"], [data-action="close"]')) {
    if (c.busy) b.setAttribute('aria-disabled', 'true'); else b.removeAttribute('aria-disabled');
  }

  const o = c.result, result = q(el, '.card-result');
  if (result.textContent !== (o?.text ?? '')) result.textContent = o?.text ?? ''; // avoid re-announcing
  result.dataset.ok = o ? String(o.ok) : '';
  if (o?.code) result.dataset.errorCode = o.code; else delete result.dataset.errorCode;

  // If the focused control just disappeared (e.g. Accept once accepted), move focus to the card's
  // next useful control rather than letting it fall to <body>.
  if (hadFocus && focused.closest('[hidden]')) {
    const next = [...el.querySelectorAll('[data-action]')].find((b) => !b.closest('[hidden]'));
    (/** @type {HTMLElement|undefined} */ (next) ?? el).focus();
  }
}

/** Show or hide the close-out form (the Done button is its disclosure). @param {HTMLElement} el @param {boolean} open */
export function setFormOpen(el, open) {
  const form = q(el, '.close-form'), done = q(el, '[data-action="done"]');
  if (form.hidden === !open) return;
  if (!open && form.contains(document.activeElement)) done.focus();
  form.hidden = !open;
  done.setAttribute('aria-expanded', String(open));
  if (!open) clearError(el);
}

/** @param {HTMLElement} el */
export const isFormOpen = (el) => !q(el, '.close-form').hidden;

/**
 * The chosen outcome and note, or null after showing the inline error (nothing is sent without an
 * outcome: the server would refuse it, and the carer should hear why next to the question).
 * @param {HTMLElement} el
 * @returns {{outcome: import('./live.js').AlertOutcome, note: string}|null}
 */
export function readCloseForm(el) {
  const group = radios(el), chosen = group.find((r) => r.checked);
  if (!chosen) {
    q(el, '.field-error').textContent = 'Choose an outcome before closing the alert.';
    group.forEach((r) => r.setAttribute('aria-invalid', 'true'));
    group[0]?.focus();
    return null;
  }
  clearError(el);
  const note = /** @type {HTMLTextAreaElement} */ (q(el, 'textarea.note')).value.trim().slice(0, 500);
  return { outcome: /** @type {import('./live.js').AlertOutcome} */ (chosen.value), note };
}

/** @param {HTMLElement} el */
function clearError(el) {
  const error = q(el, '.field-error');
  if (error.textContent) error.textContent = '';
  radios(el).forEach((r) => r.removeAttribute('aria-invalid'));
}

/** @param {HTMLElement} el */
const radios = (el) => /** @type {HTMLInputElement[]} */ ([...el.querySelectorAll('input[type="radio"]')]);
