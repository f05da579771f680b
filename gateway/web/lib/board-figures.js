// @ts-check
// The board's panels from GET /api/board: who is on shift, devices needing attention, today's response
// times and false alarms. Pure rendering into the given containers; board.js decides when to fetch.
import { formatDuration, humanise, ROLE_TEXT } from './live.js';

/** @typedef {{count: number, median_s: number|null, p90_s: number|null}} DurationSummary */
/** @typedef {{kind: 'offline'|'low_battery'|'tampered'|'fault', text: string, alert_id: string|null, since: string|null}} DeviceProblem */
/**
 * @typedef {{id: string, timezone: string, day: string, day_start: string,
 *   on_shift: {rota: boolean, users: {id: string, display_name: string, role: string}[]},
 *   escalation: {priority: string, steps: {to: string, wait_s: number}[]}[],
 *   response_times: {raised: number, to_accept: DurationSummary, to_close: DurationSummary, not_yet_accepted: number},
 *   false_alarms: {by_person: {person_id: string, room_code: string|null, false_alarms: number, closed: number}[],
 *     by_device: {device_id: string, room_code: string|null, false_alarms: number, closed: number}[]},
 *   partial: boolean}} BoardSite
 */
/**
 * @typedef {{generated_at: string, sites: BoardSite[],
 *   devices: {id: string, type: string, site_id: string, room_code: string|null, last_seen: string|null,
 *     online: boolean, battery: number|null, problems: DeviceProblem[]}[]}} Board
 */

const PROBLEM_TEXT = /** @type {Record<string, string>} */ ({ offline: 'Offline', low_battery: 'Low battery', tampered: 'Tampered', fault: 'Fault' });
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** @template {keyof HTMLElementTagNameMap} K @param {K} tag @param {string} [text] @param {string} [cls] */
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/**
 * A small table with a caption, column headers and text cells (the first cell of a row is its header),
 * in a keyboard-scrollable region so a phone scrolls the table, not the page.
 * @param {string} caption @param {string[]} cols @param {string[][]} rows @param {string} [id]
 */
function table(caption, cols, rows, id) {
  const t = el('table');
  if (id) t.id = id;
  t.append(el('caption', caption));
  const head = el('tr');
  for (const c of cols) { const th = el('th', c); th.scope = 'col'; head.append(th); }
  t.append(el('thead'));
  t.tHead?.append(head);
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((v, i) => {
      if (i === 0) { const th = el('th', v); th.scope = 'row'; tr.append(th); } else tr.append(el('td', v, /^[0-9—]/.test(v) ? 'num' : undefined));
    });
    body.append(tr);
  }
  t.append(body);
  const wrap = el('div', undefined, 'table-wrap');
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', caption);
  wrap.append(t);
  return wrap;
}

/** @param {number|null} s */
const dur = (s) => (s === null ? '—' : formatDuration(s));
/** Site headings only where there is more than one site. @param {Board} b @param {BoardSite} s */
const siteLabel = (b, s) => (b.sites.length > 1 ? `${s.id}: ` : '');

/** @param {HTMLElement} root @param {Board} b */
export function renderOnShift(root, b) {
  root.replaceChildren(...b.sites.flatMap((s) => {
    const out = [];
    if (b.sites.length > 1) out.push(el('h3', s.id));
    if (s.on_shift.users.length === 0) out.push(el('p', 'Nobody is on shift now by the rota.', 'warn-text'));
    else {
      const ul = el('ul', undefined, 'on-shift');
      for (const u of s.on_shift.users) {
        const li = el('li', `${u.display_name} — ${ROLE_TEXT[u.role] ?? u.role}`);
        li.dataset.userId = u.id;
        ul.append(li);
      }
      out.push(ul);
    }
    if (!s.on_shift.rota) out.push(el('p', 'No rota for this site: everyone who works here counts as on shift.', 'sub'));
    return out;
  }));
}

/** @param {HTMLElement} body @param {HTMLElement} empty @param {Board} b */
export function renderDevices(body, empty, b) {
  const rows = b.devices.flatMap((d) => d.problems.map((p, i) => {
    const tr = el('tr');
    tr.dataset.deviceId = d.id;
    tr.dataset.problem = p.kind;
    const th = el('th', i === 0 ? d.id : '');
    th.scope = 'row';
    if (i > 0) th.append(el('span', d.id, 'visually-hidden')); // repeated for screen readers only
    tr.append(th, el('td', d.room_code ?? '—'), el('td', `${PROBLEM_TEXT[p.kind] ?? humanise(p.kind)}: ${detail(d, p)}`, 'problem'), el('td', p.since ? timeFmt.format(new Date(p.since)) : '—'));
    return tr;
  }));
  body.replaceChildren(...rows);
  empty.hidden = rows.length > 0;
}

/** @param {Board['devices'][number]} d @param {DeviceProblem} p */
function detail(d, p) {
  // A level reported by the device (no alert of its own) reads better as the number.
  if (p.kind === 'low_battery' && !p.alert_id) return `battery at ${d.battery ?? '?'} %`;
  if (p.kind === 'offline') return d.last_seen ? `not heard since ${timeFmt.format(new Date(d.last_seen))}` : 'never heard since the gateway started';
  return `${p.text.toLowerCase()} alert`;
}

/** @param {HTMLElement} root @param {Board} b */
export function renderResponseTimes(root, b) {
  root.replaceChildren(...b.sites.flatMap((s) => {
    const r = s.response_times;
    const t = table(`${siteLabel(b, s)}${r.raised} alert${r.raised === 1 ? '' : 's'} raised today (${s.day})`, ['', 'Alerts', 'Median', '90th percentile'], [
      ['Time to accept', String(r.to_accept.count), dur(r.to_accept.median_s), dur(r.to_accept.p90_s)],
      ['Time to close', String(r.to_close.count), dur(r.to_close.median_s), dur(r.to_close.p90_s)],
    ], `response-${s.id}`);
    /** @type {HTMLElement[]} */ const out = [t];
    if (r.not_yet_accepted) out.push(el('p', `${r.not_yet_accepted} raised today not accepted yet (not in these figures).`, 'sub'));
    if (s.partial) out.push(el('p', 'Partial: too many alerts today to count them all.', 'warn-text'));
    return out;
  }));
}

/** @param {HTMLElement} root @param {Board} b */
export function renderFalseAlarms(root, b) {
  root.replaceChildren(...b.sites.flatMap((s) => {
    const fa = s.false_alarms;
    if (fa.by_person.length === 0) return [el('p', `${siteLabel(b, s)}No alerts closed as false alarms today.`)];
    return [
      table(`${siteLabel(b, s)}By room`, ['Room', 'False alarms', 'Closed today'], fa.by_person.map((p) => [p.room_code ?? p.person_id, String(p.false_alarms), String(p.closed)]), `false-person-${s.id}`),
      ...(fa.by_device.length ? [table(`${siteLabel(b, s)}By device`, ['Device', 'Room', 'False alarms', 'Closed today'], fa.by_device.map((d) => [d.device_id, d.room_code ?? '—', String(d.false_alarms), String(d.closed)]), `false-device-${s.id}`)] : []),
    ];
  }));
}
