// @ts-check
// The board's two alert tables: open alerts with their timers and escalation state, and the recently
// resolved or closed ones with their outcome. Every state is written out in words; colour only repeats it.
import { formatAge, formatDuration, humanise, isWaiting, OPEN_STATES, OUTCOME_TEXT } from './live.js';

/** @typedef {import('./live.js').AlertView} AlertView */
/** @typedef {{to: string, wait_s: number}} LadderStep */
/** @typedef {Map<string, LadderStep[]>} Ladders  keyed "<site>/<priority>" (from GET /api/board) */

const TARGET_TEXT = /** @type {Record<string, string>} */ ({
  assigned: 'assigned carers', on_shift: 'all carers on shift', team_leader: 'team leader', all: 'everyone',
});
const STATE_TEXT = /** @type {Record<string, string>} */ ({
  new: 'New — not accepted',
  active: 'Active — not accepted',
  escalated: 'Escalated — not accepted',
  acknowledged: 'Accepted',
  cancelled: 'Source cleared — needs closing',
  resolved: 'Resolved',
  closed: 'Closed',
});
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** @param {AlertView} a */
export const isOpen = (a) => OPEN_STATES.includes(a.state);
export { isWaiting };

/**
 * Rebuild both tables. A full rebuild is fine: rows hold no focusable controls or live regions.
 * @param {{open: HTMLElement, closed: HTMLElement}} bodies
 * @param {AlertView[]} alerts @param {Ladders} ladders @param {number} now
 * @param {(id: string) => boolean} isFresh  highlight rows that just arrived
 */
export function renderAlertTables(bodies, alerts, ladders, now, isFresh) {
  const newestFirst = (/** @type {AlertView} */ a, /** @type {AlertView} */ b) => Date.parse(b.raised_at) - Date.parse(a.raised_at);
  // Waiting alerts first (they still need someone), then the rest of the open ones, newest first.
  const open = alerts.filter(isOpen).sort((a, b) => Number(isWaiting(b)) - Number(isWaiting(a)) || newestFirst(a, b));
  const closed = alerts.filter((a) => !isOpen(a)).sort(newestFirst);
  bodies.open.replaceChildren(...open.map((a) => openRow(a, ladders, now, isFresh(a.id))));
  bodies.closed.replaceChildren(...closed.map((a) => closedRow(a, now)));
  return { open, closed };
}

/** Refresh every ticking time (ages, countdowns, waits) in place, so a screen reader's place in the table is kept. @param {ParentNode} root @param {number} now */
export function tick(root, now) {
  for (const el of root.querySelectorAll('time[data-tick]')) {
    const t = /** @type {HTMLTimeElement} */ (el), at = Date.parse(t.dateTime);
    if (t.dataset.tick === 'age') t.textContent = formatAge(t.dateTime, now);
    else if (t.dataset.tick === 'wait') t.textContent = `waiting ${formatDuration((now - at) / 1000)}`;
    else if (t.dataset.tick === 'countdown') t.textContent = at > now ? `next step in ${formatDuration((at - now) / 1000)}` : 'next step due now';
  }
}

/** @param {AlertView} a @param {Ladders} ladders @param {number} now @param {boolean} fresh */
function openRow(a, ladders, now, fresh) {
  const tr = baseRow(a);
  if (fresh) tr.classList.add('fresh');
  cell(tr, a.unstored ? 'Not recorded: storage failing' : STATE_TEXT[a.state] ?? humanise(a.state), 'state');
  cell(tr, a.accepted_by ? a.accepted_by.display_name : 'Nobody yet', 'attending');
  cell(tr, escalation(a, ladders.get(`${a.site_id}/${a.priority}`), now), 'step');
  cell(tr, raised(a, now));
  cell(tr, timeToAccept(a, now), 'num');
  return tr;
}

/** @param {AlertView} a @param {number} now */
function closedRow(a, now) {
  const tr = baseRow(a);
  tr.className = 'closed';
  cell(tr, STATE_TEXT[a.state] ?? humanise(a.state), 'state');
  cell(tr, a.accepted_by?.display_name ?? '—', 'attending');
  cell(tr, raised(a, now));
  cell(tr, timeToAccept(a, now), 'num');
  const outcome = a.outcome ? OUTCOME_TEXT[a.outcome] ?? humanise(a.outcome) : '—';
  cell(tr, a.outcome_note ? `${outcome}: ${a.outcome_note}` : outcome, 'outcome');
  return tr;
}

/** Room, alert class and priority: the first three columns of both tables. @param {AlertView} a */
function baseRow(a) {
  const tr = document.createElement('tr');
  tr.dataset.alertId = a.id;
  tr.dataset.state = a.state;
  tr.dataset.priority = a.priority;
  const room = document.createElement('th');
  room.scope = 'row';
  room.textContent = a.room_code;
  tr.append(room);
  cell(tr, humanise(a.alert_class) + (a.trigger_count > 1 ? ` (×${a.trigger_count})` : ''), 'class');
  cell(tr, humanise(a.priority), 'priority');
  return tr;
}

/** @param {HTMLTableRowElement} tr @param {string|Node} content @param {string} [cls] */
function cell(tr, content, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  td.append(content); // append(string) inserts text, never HTML
  tr.append(td);
}

/** @param {string} iso @param {string} kind @param {string} text */
function ticking(iso, kind, text) {
  const t = document.createElement('time');
  t.dateTime = iso;
  t.dataset.tick = kind;
  t.textContent = text;
  return t;
}

/** "14:02:10", then the age under it. @param {AlertView} a @param {number} now */
function raised(a, now) {
  const frag = document.createDocumentFragment();
  frag.append(timeFmt.format(new Date(a.raised_at)));
  const age = ticking(a.raised_at, 'age', formatAge(a.raised_at, now));
  age.className = 'sub';
  frag.append(age);
  return frag;
}

/** @param {AlertView} a @param {number} now */
function timeToAccept(a, now) {
  if (a.accepted_at) return formatDuration((Date.parse(a.accepted_at) - Date.parse(a.raised_at)) / 1000);
  if (isWaiting(a)) return ticking(a.raised_at, 'wait', `waiting ${formatDuration((now - Date.parse(a.raised_at)) / 1000)}`);
  return '—';
}

/**
 * "Step 2 of 3: team leader", and while the ladder runs, a countdown to the next step.
 * @param {AlertView} a @param {LadderStep[]|undefined} steps @param {number} now
 */
function escalation(a, steps, now) {
  const frag = document.createDocumentFragment();
  const n = a.escalation_step;
  // The last step repeats until someone accepts, so the step number can run past the ladder's length.
  const step = steps?.[Math.min(n, steps.length) - 1];
  let text = steps ? `Step ${Math.min(n, steps.length)} of ${steps.length}` : `Step ${n}`;
  if (step) text += `: ${TARGET_TEXT[step.to] ?? step.to}`;
  if (steps && n > steps.length) text += ' (repeating)';
  if (!isWaiting(a)) text += a.state === 'cancelled' ? ' — stopped, source cleared' : ' — stopped, accepted';
  frag.append(text);
  if (a.next_step_at && isWaiting(a)) {
    const at = Date.parse(a.next_step_at);
    const next = ticking(a.next_step_at, 'countdown', at > now ? `next step in ${formatDuration((at - now) / 1000)}` : 'next step due now');
    next.className = 'sub';
    frag.append(next);
  }
  return frag;
}
