// @ts-check
// The team leader's live board: every alert in the snapshot as a table row,
// open ones first (cancelled ones count as open until closed with an outcome).
// Read-only by design: accepting and closing happen on the pager.
import { startPage, byId, formatAge, humanise, OPEN_STATES, WAITING_STATES, OUTCOME_TEXT } from './lib/live.js';

/** @typedef {import('./lib/live.js').AlertView} AlertView */

const tbody = byId('alerts'), empty = byId('empty'), summary = byId('summary');
const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });
const clockFmt = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const STATE_TEXT = { cancelled: 'Cancelled — source cleared, needs closing' };
const FRESH_MS = 10_000;

/** When each alert first appeared on this board; rows newer than FRESH_MS are highlighted. @type {Map<string, number>} */
const firstSeen = new Map();
let primed = false; // the first snapshot is history, not news: do not highlight it

const live = startPage({
  // Runs after the store has rendered the snapshot, so everything in it counts as already seen.
  onMessage(m) { if (m.type === 'snapshot') primed = true; },
});
live.store.subscribe(render);

/** @param {AlertView} a */
const isOpen = (a) => OPEN_STATES.includes(a.state);
/** @param {AlertView} a */
const isWaiting = (a) => WAITING_STATES.includes(a.state) && !a.accepted_by;

function render() {
  const now = Date.now();
  const alerts = [...live.store.alerts.values()].sort((a, b) =>
    Number(isOpen(b)) - Number(isOpen(a)) || Date.parse(b.raised_at) - Date.parse(a.raised_at));
  for (const a of alerts) if (!firstSeen.has(a.id)) firstSeen.set(a.id, primed ? now : 0);
  // A full rebuild is fine here: rows hold no focusable controls or live regions.
  tbody.replaceChildren(...alerts.map((a) => row(a, now)));
  empty.hidden = alerts.length > 0;

  const open = alerts.filter(isOpen);
  const escalated = open.filter((a) => a.state === 'escalated').length;
  const waiting = open.filter(isWaiting).length;
  const toClose = open.filter((a) => a.state === 'cancelled').length;
  summary.textContent = `${open.length} open (${escalated} escalated, ${waiting} not yet accepted, ${toClose} to close), ${alerts.length} in total`;
}

/** @param {AlertView} a @param {number} now */
function row(a, now) {
  const tr = document.createElement('tr');
  tr.dataset.alertId = a.id;
  tr.dataset.state = a.state;
  tr.dataset.priority = a.priority;
  tr.className = isOpen(a) ? 'open' : 'closed';
  if (now - (firstSeen.get(a.id) ?? 0) < FRESH_MS) tr.classList.add('fresh');

  const room = document.createElement('th');
  room.scope = 'row';
  room.textContent = a.room_code;
  tr.append(room);

  const age = document.createElement('time');
  age.className = 'age';
  age.dateTime = a.raised_at;
  age.textContent = formatAge(a.raised_at, now);

  const raised = document.createElement('time');
  raised.dateTime = a.raised_at;
  raised.textContent = timeFmt.format(new Date(a.raised_at));

  cell(tr, humanise(a.alert_class));
  cell(tr, humanise(a.priority), 'priority');
  cell(tr, STATE_TEXT[/** @type {keyof STATE_TEXT} */ (a.state)] ?? humanise(a.state), 'state');
  cell(tr, step(a), 'num step');
  cell(tr, raised);
  cell(tr, age);
  cell(tr, a.accepted_by?.display_name ?? '—');
  cell(tr, timeToAccept(a), 'num');
  cell(tr, a.outcome ? OUTCOME_TEXT[a.outcome] ?? humanise(a.outcome) : '—', 'outcome');
  cell(tr, a.person_id, 'person');
  return tr;
}

/** @param {HTMLTableRowElement} tr @param {string|Node} content @param {string} [cls] */
function cell(tr, content, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  td.append(content); // append(string) inserts text, never HTML
  tr.append(td);
}

/** @param {AlertView} a */
function timeToAccept(a) {
  if (a.accepted_at) return `${Math.max(0, Math.round((Date.parse(a.accepted_at) - Date.parse(a.raised_at)) / 1000))} s`;
  return isWaiting(a) ? 'Waiting' : '—';
}

/** Escalation step, plus when the next one is due while the ladder is still running. @param {AlertView} a */
function step(a) {
  const frag = document.createDocumentFragment();
  frag.append(String(a.escalation_step));
  if (a.next_step_at && isWaiting(a)) {
    const next = document.createElement('time');
    next.className = 'next';
    next.dateTime = a.next_step_at;
    next.textContent = `next ${clockFmt.format(new Date(a.next_step_at))}`;
    frag.append(next);
  }
  return frag;
}

// Update ages and fade the "new" highlight without rebuilding the table, so a
// screen reader's position in the table is not reset every few seconds.
setInterval(() => {
  const now = Date.now();
  for (const el of tbody.querySelectorAll('time.age')) {
    const t = /** @type {HTMLTimeElement} */ (el);
    t.textContent = formatAge(t.dateTime, now);
  }
  for (const tr of tbody.querySelectorAll('tr.fresh')) {
    const id = /** @type {HTMLElement} */ (tr).dataset.alertId ?? '';
    if (now - (firstSeen.get(id) ?? 0) >= FRESH_MS) tr.classList.remove('fresh');
  }
}, 5000);
