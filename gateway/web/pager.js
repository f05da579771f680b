// @ts-check
// The carer's soft pager: open alerts as cards with a big Accept button, Decline,
// and Done (close with an outcome). Card markup and updates live in pager-card.js,
// the repeating alarm in pager-alarm.js; this file owns the requests to the gateway and the list.
import { startPage, byId, formatAge, isWaiting, newAlertText, OPEN_STATES, OUTCOME_TEXT } from './lib/live.js';
import { newCard, fillCard, setFormOpen, isFormOpen, readCloseForm } from './lib/pager-card.js';
import { createAlarm } from './lib/pager-alarm.js';

/** @typedef {import('./lib/live.js').AlertView} AlertView */
/** @typedef {import('./lib/live.js').NotificationView} NotificationView */
/** @typedef {import('./lib/pager-card.js').Outcome} Outcome */
/** @typedef {'accept'|'decline'|'close'} Action */
/** @typedef {{alertId: string, action: Action, label?: string}} Pending */

const list = byId('alerts'), empty = byId('empty'), status = byId('status'), heading = byId('alerts-heading');
const announcer = byId('alert-announcer');
const template = /** @type {HTMLTemplateElement} */ (byId('card-template'));
const baseTitle = document.title;

/** @type {Map<string, HTMLElement>} */ const cards = new Map();
/** Last request outcome per alert, shown on its card. @type {Map<string, Outcome>} */ const outcomes = new Map();
/** request_id -> what was asked, for requests awaiting a result. @type {Map<string, Pending>} */ const pending = new Map();
/** Alerts this screen has already announced, so updates do not announce again. */ const seen = new Set();
/** Alerts this carer declined here: they stop ringing on this screen (the ladder has moved on). */ const declined = new Set();
/** Notifications reported as delivered on the current connection. */ let delivered = new Set();
let requestSeq = 0;

const alarm = createAlarm({
  box: byId('sound'), state: byId('sound-state'), button: byId('enable-sound'), indicator: byId('alarm'),
  describe: (ids) => {
    const rooms = ids.map((id) => live?.store.alerts.get(id)?.room_code ?? '?').join(', ');
    return `Alarm: ${rooms} waiting for someone to go. Accept to stop it.`;
  },
});

const live = await startPage({
  roles: ['carer', 'team_leader'],
  onMessage(m) {
    if (m.type === 'snapshot') {
      empty.textContent = 'No open alerts.';
      // New connection: the server may have lost earlier "delivered" sends, so report again.
      delivered = new Set();
      for (const [id, o] of outcomes) if (o.unconfirmed) outcomes.delete(id); // the snapshot now shows the truth
      /** @type {NotificationView[]} */ (m.notifications ?? []).forEach(onNotification);
      render();
    } else if (m.type === 'notification') onNotification(m.notification);
    else if (m.type === 'result') onResult(/** @type {import('./lib/live.js').ResultMessage} */ (m));
  },
  onDown() {
    // A result can never arrive on a dead socket; say so rather than spin forever.
    for (const { alertId } of pending.values()) {
      outcomes.set(alertId, { ok: false, unconfirmed: true, text: 'Not confirmed — connection lost. Check this alert when the banner says Live.' });
    }
    pending.clear();
    // "No open alerts" is only true of a live screen.
    empty.textContent = 'No open alerts at the last update; new ones cannot arrive until the connection is back.';
    render();
  },
});
live?.store.subscribe(render);

/**
 * Tell the gateway the page is on screen (render has already run by now). A new page for an alert this
 * carer declined means the ladder came back to them: it rings again.
 * @param {NotificationView} n
 */
function onNotification(n) {
  if ((n.state !== 'queued' && n.state !== 'sent') || delivered.has(n.id)) return;
  declined.delete(n.alert_id);
  if (live?.send({ type: 'delivered', notification_id: n.id })) delivered.add(n.id);
}

const DONE_TEXT = {
  accept: 'Accepted — the team can see you are going.',
  decline: 'Declined — the gateway is paging the next person now.',
  close: 'Closed.',
};
const FAILED_TEXT = { accept: 'Not accepted', decline: 'Not declined', close: 'Not closed' };

/** @param {import('./lib/live.js').ResultMessage} m */
function onResult(m) {
  const p = pending.get(m.request_id);
  if (!p) return; // not ours, or already given up on
  pending.delete(m.request_id);
  if (m.ok && p.action === 'decline') declined.add(p.alertId);
  // A closed alert leaves the list, so its confirmation goes to the page-level status region.
  if (m.ok && p.action === 'close') status.textContent = `Alert closed: ${p.label}.`;
  if (cards.has(p.alertId)) {
    outcomes.set(p.alertId, m.ok
      ? { ok: true, text: DONE_TEXT[p.action] }
      : { ok: false, code: m.error?.code, text: `${FAILED_TEXT[p.action]}: ${m.error?.message ?? 'unknown error'}` });
  }
  render();
}

/** @param {string} alertId */
const busy = (alertId) => [...pending.values()].some((p) => p.alertId === alertId);

/** @param {string} alertId @param {Action} action @param {{outcome?: string, note?: string}} [extra] @param {string} [label] */
function request(alertId, action, extra = {}, label) {
  if (!live || busy(alertId)) return; // one request per card at a time
  const requestId = `r${++requestSeq}`;
  if (live.send({ type: action, alert_id: alertId, ...extra, request_id: requestId })) {
    pending.set(requestId, { alertId, action, label });
    outcomes.set(alertId, { ok: true, text: 'Sending…' });
  } else {
    outcomes.set(alertId, { ok: false, text: 'Not sent — no connection. Try again when the banner says Live.' });
  }
  render();
}

list.addEventListener('click', (ev) => {
  const btn = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (ev.target).closest('[data-action]'));
  const el = btn?.closest('li'), id = el?.dataset.alertId, action = btn?.dataset.action;
  if (!el || !id || btn?.getAttribute('aria-disabled') === 'true') return;
  if (action === 'accept' || action === 'decline') request(id, action);
  else if (action === 'done') setFormOpen(el, !isFormOpen(el));
  // 'close' is the form's submit button: handled by the submit listener below.
});

list.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const el = /** @type {HTMLElement} */ (ev.target).closest('li'), id = el?.dataset.alertId;
  if (!el || !id || busy(id)) return;
  const choice = readCloseForm(el);
  if (!choice) return;
  const a = live?.store.alerts.get(id);
  const label = `${a?.room_code ?? id}, ${OUTCOME_TEXT[choice.outcome]}`;
  request(id, 'close', choice.note ? choice : { outcome: choice.outcome }, label);
});

/**
 * Rings until accepted: every waiting care alert and every technical alert above low priority. A low-
 * priority technical alert (a battery to change soon) is shown and announced but does not ring all night.
 * @param {AlertView} a
 */
const rings = (a) => isWaiting(a) && !declined.has(a.id) && !(a.kind === 'technical' && a.priority === 'low');

function render() {
  if (!live) return;
  const now = Date.now(), me = live.user();
  const open = [...live.store.alerts.values()]
    .filter((a) => OPEN_STATES.includes(a.state))
    .sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));
  const keep = new Set(open.map((a) => a.id)); // resolved and closed alerts leave the pager
  for (const [id, el] of cards) {
    if (keep.has(id)) continue;
    if (el.contains(document.activeElement)) heading.focus(); // do not drop focus to <body>
    el.remove(); cards.delete(id); outcomes.delete(id);
  }
  for (const id of declined) if (!keep.has(id)) declined.delete(id);
  const ringing = open.filter(rings).map((a) => a.id);
  /** @type {AlertView[]} */ const fresh = [];
  open.forEach((a, i) => {
    let el = cards.get(a.id);
    if (!el) { el = newCard(template, a.id); cards.set(a.id, el); }
    fillCard(el, a, { now, myId: me.id, busy: busy(a.id), result: outcomes.get(a.id), ringing: ringing.includes(a.id) });
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
    // Only an alert that still needs someone to go is news; a cancelled one is not announced.
    if (!seen.has(a.id)) { seen.add(a.id); if (isWaiting(a)) fresh.push(a); }
  });
  empty.hidden = open.length > 0;
  const waiting = open.filter(isWaiting).length;
  document.title = waiting ? `(${waiting}) ${baseTitle}` : baseTitle; // visible in a background tab
  if (fresh.length) {
    announcer.textContent = fresh.map(newAlertText).join(' ');
  }
  alarm.set(ringing);
}

// Ages are relative, so refresh them even when nothing else changes.
setInterval(() => {
  const now = Date.now();
  for (const el of list.querySelectorAll('time.card-age')) {
    const t = /** @type {HTMLTimeElement} */ (el);
    t.textContent = formatAge(t.dateTime, now);
  }
}, 5000);
