// @ts-check
// The team leader's live board (a wall screen or a phone): open alerts with their timers and escalation
// state from the live stream; who is on shift, devices needing attention and today's figures from
// GET /api/board, refreshed after every alert change (debounced) and every 30 s. Read-only by design:
// accepting and closing happen on the pager.
import { startPage, byId, newAlertText } from './lib/live.js';
import { api } from './lib/session.js';
import { isWaiting, renderAlertTables, tick } from './lib/board-alerts.js';
import { renderDevices, renderFalseAlarms, renderOnShift, renderResponseTimes } from './lib/board-figures.js';
import { renderService } from './lib/board-service.js';

/** @typedef {import('./lib/board-figures.js').Board} Board */
/** @typedef {import('./lib/board-alerts.js').Ladders} Ladders */

const openBody = byId('open-alerts'), closedBody = byId('closed-alerts'), summary = byId('summary');
const openEmpty = byId('open-empty'), closedEmpty = byId('closed-empty'), figuresStatus = byId('figures-status');
const announcer = byId('board-announcer');
const FRESH_MS = 10_000;
const REFRESH_MS = 30_000;
/** Several alert changes in a burst (an escalation touching many alerts) cost one refresh. */
const DEBOUNCE_MS = 1_000;
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** When each alert first appeared on this board; rows newer than FRESH_MS are highlighted. @type {Map<string, number>} */
const firstSeen = new Map();
let primed = false; // the first snapshot is history, not news: do not highlight it
/** @type {Ladders} */ let ladders = new Map();

const live = await startPage({
  roles: ['team_leader', 'at_admin', 'auditor'],
  // Runs after the store has rendered the snapshot, so everything in it counts as already seen.
  onMessage(m) { if (m.type === 'snapshot') primed = true; },
});

function render() {
  if (!live) return;
  const now = Date.now(), alerts = [...live.store.alerts.values()];
  const arrived = alerts.filter((a) => !firstSeen.has(a.id));
  for (const a of arrived) firstSeen.set(a.id, primed ? now : 0);
  if (primed && arrived.length) {
    announcer.textContent = arrived.map(newAlertText).join(' ');
  }
  const { open, closed } = renderAlertTables({ open: openBody, closed: closedBody }, alerts, ladders, now, (id) => now - (firstSeen.get(id) ?? 0) < FRESH_MS);
  openEmpty.hidden = open.length > 0;
  closedEmpty.hidden = closed.length > 0;
  const escalated = open.filter((a) => a.state === 'escalated').length;
  const waiting = open.filter(isWaiting).length;
  const toClose = open.filter((a) => a.state === 'cancelled').length;
  summary.textContent = `${open.length} open: ${waiting} not yet accepted (${escalated} escalated), ${toClose} to close`;
}

/** The 30-day service figures change slowly and cost a query over the period: at most every 5 minutes. */
const SERVICE_MS = 5 * 60_000;
let serviceAt = 0;
/** @type {ReturnType<typeof setTimeout>|undefined} */ let pendingRefresh;
let refreshing = false, again = false;

/** Fetch the figures now; a change during a fetch queues exactly one more. */
async function refresh() {
  clearTimeout(pendingRefresh); pendingRefresh = undefined;
  if (refreshing) { again = true; return; }
  refreshing = true;
  try {
    /** @type {Board} */ const b = await api('GET', '/api/board');
    ladders = new Map(b.sites.flatMap((s) => s.escalation.map((l) => [`${s.id}/${l.priority}`, l.steps])));
    renderOnShift(byId('on-shift'), b);
    renderDevices(byId('devices'), byId('devices-empty'), b);
    renderResponseTimes(byId('response-times'), b);
    renderFalseAlarms(byId('false-alarms'), b);
    if (Date.now() - serviceAt > SERVICE_MS) {
      renderService(byId('service'), await api('GET', '/api/reports'));
      serviceAt = Date.now();
    }
    render(); // the escalation column now knows each ladder
    figuresStatus.dataset.ok = 'true';
    figuresStatus.textContent = `Shift, device and today's figures updated ${clock.format(Date.parse(b.generated_at))}.`;
  } catch (err) {
    figuresStatus.dataset.ok = 'false';
    figuresStatus.textContent = `Could not update shift, device and today's figures (${err instanceof Error ? err.message : 'error'}); showing those from before. Retrying.`;
  } finally {
    refreshing = false;
    if (again) { again = false; schedule(); }
  }
}

function schedule() {
  if (pendingRefresh === undefined) pendingRefresh = setTimeout(refresh, DEBOUNCE_MS);
}

if (live) {
  // render() reads alerts only: a notification changes nothing on the board.
  live.store.subscribe((kind) => { if (kind !== 'notification') { render(); schedule(); } });
  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
  // Ticking times (ages, countdowns to the next escalation step, waits) every second; the highlight of
  // a fresh row fades without a rebuild.
  setInterval(() => {
    const now = Date.now();
    tick(openBody, now); tick(closedBody, now);
    for (const tr of openBody.querySelectorAll('tr.fresh')) {
      const id = /** @type {HTMLElement} */ (tr).dataset.alertId ?? '';
      if (now - (firstSeen.get(id) ?? 0) >= FRESH_MS) tr.classList.remove('fresh');
    }
  }, 1000);
}
