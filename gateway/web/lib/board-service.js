// @ts-check
// The board's "last 30 days" panel from GET /api/reports: the figures a telecare service is inspected on
// (share of alarm calls accepted within 60 s and 180 s, times to first page and to accept), with the
// per-section CSV downloads for the report pack.

/** @typedef {{count: number, p50_s: number|null, p90_s: number|null, p95_s: number|null, max_s: number|null}} Durations */
/**
 * @typedef {{key: string, alerts: number, to_first_notification: Durations, to_accept: Durations, to_close: Durations,
 *   accepted_within_60s_pct: number|null, accepted_within_180s_pct: number|null}} ResponseRow
 */
/** @typedef {{from: string, to: string, response_times: {overall: ResponseRow}, delivery: {route: string, first_attempts: number, failed: number}[]}} ServiceReport */

/** @param {number|null} s */
const secs = (s) => (s === null ? '—' : `${Math.round(s)} s`);
/** @param {number|null} p */
const pct = (p) => (p === null ? '—' : `${p} %`);

/** @param {HTMLElement} root @param {ServiceReport} r */
export function renderService(root, r) {
  const o = r.response_times.overall;
  const firstFailures = r.delivery.reduce((n, d) => n + d.failed, 0);
  const firstAttempts = r.delivery.reduce((n, d) => n + d.first_attempts, 0);
  /** @type {[string, string][]} */
  const rows = [
    ['Care alerts', String(o.alerts)],
    ['Accepted within 60 s (TSA target 97.5 %)', pct(o.accepted_within_60s_pct)],
    ['Accepted within 180 s', pct(o.accepted_within_180s_pct)],
    ['Event to first page, median / p90', `${secs(o.to_first_notification.p50_s)} / ${secs(o.to_first_notification.p90_s)}`],
    ['Event to accept, median / p90', `${secs(o.to_accept.p50_s)} / ${secs(o.to_accept.p90_s)}`],
    ['First pages not delivered', `${firstFailures} of ${firstAttempts}`],
  ];
  const dl = document.createElement('dl');
  dl.className = 'service-figures';
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    dl.append(dt, dd);
  }
  const links = document.createElement('p');
  links.append('Download (CSV): ');
  const files = /** @type {[string, string][]} */ ([
    ['response-times.csv?by=person', 'response times by person'], ['response-times.csv?by=carer', 'by carer'], ['response-times.csv?by=month', 'by month'],
    ['false-alarms.csv?by=device', 'false alarms by device'], ['availability.csv', 'device availability'], ['delivery.csv', 'delivery by route'],
  ]);
  files.forEach(([file, label], i) => {
    const a = document.createElement('a');
    a.href = `/api/reports/${file}${file.includes('?') ? '&' : '?'}from=${encodeURIComponent(r.from)}&to=${encodeURIComponent(r.to)}`;
    a.textContent = label;
    if (i) links.append(', ');
    links.append(a);
  });
  root.replaceChildren(dl, links);
}
