// @ts-check
// The carer's soft pager: open alerts as cards with a big Accept button.
// Cards are updated in place (not rebuilt) so focus and the per-card
// role=status regions survive live updates.
import { startPage, byId, formatAge, humanise, OPEN_STATES } from './live.js';

/** @typedef {import('./live.js').AlertView} AlertView */
/** @typedef {import('./live.js').NotificationView} NotificationView */
/** @typedef {{ok: boolean, text: string, code?: string, unconfirmed?: boolean}} Outcome */

const STATE_TEXT = {
  new: 'New — waiting for someone to accept',
  active: 'Active — waiting for someone to accept',
  escalated: 'Escalated — still not accepted',
  acknowledged: 'Acknowledged',
};

const list = byId('alerts'), empty = byId('empty'), status = byId('status'), heading = byId('alerts-heading');
const soundBtn = byId('enable-sound');
const template = /** @type {HTMLTemplateElement} */ (byId('card-template'));
const baseTitle = document.title;

/** @type {Map<string, HTMLElement>} */ const cards = new Map();
/** Last accept outcome per alert, shown on its card. @type {Map<string, Outcome>} */ const outcomes = new Map();
/** request_id -> alert_id for accepts awaiting a result. @type {Map<string, string>} */ const pending = new Map();
/** Alerts this screen has already announced, so updates do not beep again. */ const seen = new Set();
/** Notifications reported as delivered on the current connection. */ let delivered = new Set();
let requestSeq = 0;
/** @type {AudioContext|null} */ let audio = null;

const live = startPage({
  onMessage(m) {
    if (m.type === 'snapshot') {
      // New connection: the server may have lost earlier "delivered" sends, so report again.
      delivered = new Set();
      for (const [id, o] of outcomes) if (o.unconfirmed) outcomes.delete(id); // the snapshot now shows the truth
      /** @type {NotificationView[]} */ (m.notifications ?? []).forEach(ackDelivery);
      render();
    } else if (m.type === 'notification') ackDelivery(m.notification);
    else if (m.type === 'result') onResult(/** @type {import('./live.js').ResultMessage} */ (m));
  },
  onDown() {
    // A result can never arrive on a dead socket; say so rather than spin forever.
    for (const alertId of pending.values()) {
      outcomes.set(alertId, { ok: false, unconfirmed: true, text: 'Not confirmed — connection lost. Check this alert when the banner says Live.' });
    }
    pending.clear();
    render();
  },
  // The next person to sign in on this phone must hear about every open alert.
  onSignedOut() { status.textContent = ''; seen.clear(); pending.clear(); },
});
live.store.subscribe(render);

/** Tell the gateway the page is on screen (render has already run by now). @param {NotificationView} n */
function ackDelivery(n) {
  if ((n.state !== 'queued' && n.state !== 'sent') || delivered.has(n.id)) return;
  if (live.send({ type: 'delivered', notification_id: n.id })) delivered.add(n.id);
}

/** @param {import('./live.js').ResultMessage} m */
function onResult(m) {
  const alertId = pending.get(m.request_id);
  if (!alertId) return; // not ours, or already given up on
  pending.delete(m.request_id);
  outcomes.set(alertId, m.ok
    ? { ok: true, text: 'Accepted — the team can see you are going.' }
    : { ok: false, code: m.error?.code, text: `Not accepted: ${m.error?.message ?? 'unknown error'}` });
  render();
}

/** @param {string} alertId */
function accept(alertId) {
  if ([...pending.values()].includes(alertId)) return; // one request per card at a time
  const requestId = `r${++requestSeq}`;
  if (live.send({ type: 'accept', alert_id: alertId, request_id: requestId })) {
    pending.set(requestId, alertId);
    outcomes.set(alertId, { ok: true, text: 'Sending…' });
  } else {
    outcomes.set(alertId, { ok: false, text: 'Not sent — no connection. Try again when the banner says Live.' });
  }
  render();
}

list.addEventListener('click', (ev) => {
  const btn = /** @type {HTMLElement} */ (ev.target).closest('[data-action="accept"]');
  const id = btn?.closest('li')?.dataset.alertId;
  if (id) accept(id);
});

function render() {
  const now = Date.now(), me = live.user();
  const open = [...live.store.alerts.values()]
    .filter((a) => OPEN_STATES.includes(a.state))
    .sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));
  const keep = new Set(open.map((a) => a.id));
  for (const [id, el] of cards) {
    if (keep.has(id)) continue;
    if (el.contains(document.activeElement)) heading.focus(); // do not drop focus to <body>
    el.remove(); cards.delete(id); outcomes.delete(id);
  }
  /** @type {AlertView[]} */ const fresh = [];
  open.forEach((a, i) => {
    let el = cards.get(a.id);
    if (!el) { el = newCard(a.id); cards.set(a.id, el); }
    fill(el, a, now, me?.id);
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
    if (!seen.has(a.id)) { seen.add(a.id); if (!a.accepted_by) fresh.push(a); }
  });
  empty.hidden = open.length > 0;
  const waiting = open.filter((a) => !a.accepted_by).length;
  document.title = waiting ? `(${waiting}) ${baseTitle}` : baseTitle; // visible in a background tab
  if (fresh.length) announce(fresh);
}

/** @param {string} id */
function newCard(id) {
  const el = /** @type {HTMLElement} */ (template.content.firstElementChild?.cloneNode(true));
  el.dataset.alertId = id;
  const room = /** @type {HTMLElement} */ (el.querySelector('.card-room'));
  room.id = `room-${id}`;
  el.querySelector('[data-action="accept"]')?.setAttribute('aria-describedby', room.id);
  return el;
}

/** @param {HTMLElement} el @param {AlertView} a @param {number} now @param {string} [myId] */
function fill(el, a, now, myId) {
  /** @param {string} sel */
  const q = (sel) => /** @type {HTMLElement} */ (el.querySelector(sel));
  el.dataset.state = a.state;
  el.dataset.priority = a.priority;
  q('.card-room').textContent = a.room_code;
  q('.card-class').textContent = humanise(a.alert_class);
  q('.card-priority').textContent = `${humanise(a.priority)} priority`;
  const age = /** @type {HTMLTimeElement} */ (q('.card-age'));
  age.dateTime = a.raised_at;
  age.textContent = formatAge(a.raised_at, now);
  q('.card-state').textContent = a.accepted_by
    ? `Accepted by ${a.accepted_by.display_name}${a.accepted_by.id === myId ? ' (you)' : ''}`
    : STATE_TEXT[/** @type {keyof STATE_TEXT} */ (a.state)] ?? humanise(a.state);
  const btn = /** @type {HTMLButtonElement} */ (q('[data-action="accept"]'));
  const done = a.state === 'acknowledged' || a.accepted_by !== null;
  if (done && btn === document.activeElement) el.focus(); // keep focus on the card, not <body>
  btn.hidden = done;
  btn.disabled = [...pending.values()].includes(a.id);
  const o = outcomes.get(a.id), result = q('.card-result');
  if (result.textContent !== (o?.text ?? '')) result.textContent = o?.text ?? ''; // avoid re-announcing
  result.dataset.ok = o ? String(o.ok) : '';
  if (o?.code) result.dataset.errorCode = o.code; else delete result.dataset.errorCode;
}

/** @param {AlertView[]} fresh */
function announce(fresh) {
  status.textContent = fresh
    .map((a) => `New alert: ${a.room_code}, ${humanise(a.alert_class)}, ${a.priority} priority.`).join(' ');
  for (const a of fresh) {
    const el = cards.get(a.id);
    el?.classList.add('flash');
    el?.addEventListener('animationend', () => el.classList.remove('flash'), { once: true });
  }
  beep();
  navigator.vibrate?.([200, 100, 200]);
}

function beep() {
  if (!audio || audio.state !== 'running') return;
  const t = audio.currentTime, osc = audio.createOscillator(), gain = audio.createGain();
  osc.frequency.value = 880;
  // Short ramps avoid the click of a hard start/stop.
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.4, t + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.4);
  osc.connect(gain).connect(audio.destination);
  osc.start(t); osc.stop(t + 0.45);
}

// Browsers only allow audio after a user gesture, so sound is an explicit
// choice; the button comes back if the OS suspends audio (e.g. a phone call).
const syncSoundButton = () => { soundBtn.hidden = audio?.state === 'running'; };
soundBtn.addEventListener('click', async () => {
  try { audio ??= new AudioContext(); await audio.resume(); }
  catch { status.textContent = 'Sound is not available on this device.'; return; }
  audio.onstatechange = syncSoundButton;
  syncSoundButton();
  if (soundBtn.hidden) { heading.focus(); beep(); status.textContent = 'Sound on. New alerts will beep.'; }
});

// Ages are relative, so refresh them even when nothing else changes.
setInterval(() => {
  const now = Date.now();
  for (const el of list.querySelectorAll('time.card-age')) {
    const t = /** @type {HTMLTimeElement} */ (el);
    t.textContent = formatAge(t.dateTime, now);
  }
}, 5000);
