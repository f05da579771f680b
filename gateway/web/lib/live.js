// @ts-check
// Shared by the pager and the board: sign-in (a session cookie, via session.js), the live WebSocket, and
// a small store of alerts. Pages only render; they never talk to the socket directly except through `send`.
import { goToSignIn, requireSignIn, signOut } from './session.js';

/** @typedef {import('./session.js').Role} Role */
/** @typedef {import('./session.js').Session} Session */
/** @typedef {{id: string, display_name: string}} Person */
/** @typedef {{id: string, role: string, display_name: string}} User */
/** @typedef {'real'|'false_alarm'|'test'|'device_fault'} AlertOutcome */
/**
 * @typedef {{id: string, site_id: string, person_id: string|null, room_code: string,
 *   device_id?: string|null, kind?: string,
 *   alert_class: string, priority: 'high'|'medium'|'low',
 *   state: 'new'|'active'|'escalated'|'acknowledged'|'resolved'|'cancelled'|'closed',
 *   raised_at: string, updated_at: string, accepted_by: Person|null,
 *   accepted_at: string|null, trigger_count: number,
 *   escalation_step: number, next_step_at: string|null,
 *   resolved_by: string|null, resolved_at: string|null, closed_by: string|null, closed_at: string|null,
 *   outcome: AlertOutcome|null, outcome_note: string|null, restrictions?: string[],
 *   unstored?: boolean}} AlertView
 */
/**
 * @typedef {{id: string, alert_id: string, pager_id: string, state: string,
 *   text: string, created_at: string}} NotificationView
 */
/** @typedef {{type: 'result', request_id: string, ok: boolean, error?: {code: string, message: string}}} ResultMessage */
/** @typedef {{type: string, [key: string]: any}} ServerMessage */
/** @typedef {'snapshot'|'alert'|'notification'} ChangeKind */

/** Nobody has accepted yet: the gateway is still paging people. */
export const WAITING_STATES = ['new', 'active', 'escalated'];
/** Nobody has accepted yet: the gateway is still paging people. @param {AlertView} a */
export const isWaiting = (a) => WAITING_STATES.includes(a.state) && !a.accepted_by;
// Open = still needs a carer. A cancelled alert (source cleared before anyone attended) is open
// until someone closes it with an outcome, so the false-alarm/device-fault record is never skipped.
export const OPEN_STATES = [...WAITING_STATES, 'acknowledged', 'cancelled'];
/** @type {Record<AlertOutcome, string>} */
export const OUTCOME_TEXT = { real: 'Real', false_alarm: 'False alarm', test: 'Test', device_fault: 'Device fault' };
/** @type {Record<string, string>} */
export const ROLE_TEXT = { carer: 'carer', team_leader: 'team leader', at_admin: 'AT admin', auditor: 'auditor' };
/** The subprotocol the gateway speaks; the session cookie goes with the upgrade request by itself. */
const WS_PROTOCOL = 'care-gateway.v1';
/** Close code: the gateway refused the session at the upgrade (signed out elsewhere, expired). */
const CLOSE_SIGNED_OUT = 4401;

/** Alerts and this user's notifications, keyed by id. A snapshot replaces everything. */
export function createStore() {
  /** @type {Map<string, AlertView>} */ const alerts = new Map();
  /** @type {Map<string, NotificationView>} */ const notifications = new Map();
  /** @type {Set<(kind: ChangeKind, id?: string) => void>} */ const listeners = new Set();
  /** @param {ChangeKind} kind @param {string} [id] */
  const emit = (kind, id) => listeners.forEach((fn) => fn(kind, id));
  return {
    alerts, notifications,
    /** @param {(kind: ChangeKind, id?: string) => void} fn */
    subscribe(fn) { listeners.add(fn); },
    /** @param {AlertView[]} a @param {NotificationView[]} n */
    replace(a, n) {
      alerts.clear(); notifications.clear();
      a.forEach((x) => alerts.set(x.id, x));
      n.forEach((x) => notifications.set(x.id, x));
      emit('snapshot');
    },
    /** @param {AlertView} a */
    upsertAlert(a) { alerts.set(a.id, a); emit('alert', a.id); },
    /** @param {NotificationView} n */
    upsertNotification(n) { notifications.set(n.id, n); emit('notification', n.id); },
  };
}

/**
 * One logical connection that survives drops: reconnects with exponential
 * backoff (0.5 s doubling to 10 s, jittered so a ward of phones does not
 * reconnect in lockstep after a gateway restart). Stops for good on 4401.
 * @param {{onMessage: (m: ServerMessage) => void, onDown: () => void, onRefused: () => void}} h
 */
function connectLive(h) {
  /** @type {WebSocket|null} */ let ws = null;
  let attempt = 0;
  /** @type {ReturnType<typeof setTimeout>|undefined} */ let timer;
  let stopped = false;
  // The server sends a heartbeat every 15 s. A socket that has been silent for longer than
  // STALE_MS is treated as lost even if the browser still thinks it is open (phones on Wi-Fi often
  // lose the connection silently): a stale screen that looks live is a safety failure.
  const STALE_MS = 35_000;
  let lastHeard = Date.now();
  const watchdog = setInterval(() => {
    const sock = ws;
    if (!sock || sock.readyState !== WebSocket.OPEN || Date.now() - lastHeard < STALE_MS) return;
    ws = null;
    try { sock.close(4000, 'no heartbeat'); } catch { /* already closing */ }
    h.onDown();
    if (!stopped) timer = setTimeout(open, 500);
  }, 5_000);

  function open() {
    clearTimeout(timer); timer = undefined;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const sock = new WebSocket(url, [WS_PROTOCOL]);
    ws = sock;
    lastHeard = Date.now();
    sock.onmessage = (ev) => {
      if (sock !== ws) return; // a late message from a socket we have given up on
      lastHeard = Date.now();
      /** @type {ServerMessage} */ let msg;
      try { msg = JSON.parse(String(ev.data)); } catch { console.warn('ignored non-JSON message'); return; }
      if (msg.type === 'snapshot') attempt = 0; // only a full resync counts as "back"
      h.onMessage(msg);
    };
    sock.onclose = (ev) => {
      if (sock !== ws) return;
      ws = null;
      if (ev.code === CLOSE_SIGNED_OUT) { stopped = true; clearInterval(watchdog); h.onRefused(); return; }
      h.onDown();
      if (stopped) return;
      const base = Math.min(10_000, 500 * 2 ** attempt++);
      timer = setTimeout(open, base / 2 + Math.random() * (base / 2));
    };
  }
  open();
  return {
    /** @param {object} msg */
    send(msg) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(msg));
      return true;
    },
    /** Skip the backoff wait, e.g. when the phone comes back online or to the foreground. */
    retryNow() { if (!ws && !stopped) { attempt = 0; open(); } },
    close() { stopped = true; clearTimeout(timer); clearInterval(watchdog); const s = ws; ws = null; s?.close(1000); },
  };
}

/** @param {string} id */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el;
}

/** "just now", "40 s ago", "3 min ago", "2 h 5 min ago", "3 days ago". @param {string} iso @param {number} now */
export function formatAge(iso, now) {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return `${hrs} h ${m % 60} min ago`;
  const d = Math.floor(hrs / 24);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

/** A duration in words for timers and figures: "45 s", "3 min 05 s", "2 h 10 min". @param {number} seconds */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** @param {string} s  "bed_exit" -> "Bed exit" */
export function humanise(s) {
  const t = s.replace(/[_-]+/g, ' ').trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** How a new alert is announced to screen readers, on the pager and the board. @param {AlertView} a */
export const newAlertText = (a) => `New alert: ${a.room_code}, ${humanise(a.alert_class)}, ${a.priority} priority.`;

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/**
 * Wires the parts both pages share: sign-in for `roles`, the #connection banner, #sign-out, #user,
 * #role-refused and #main. Resolves to the store and a `send` for page actions, or to null when the page
 * is not for this user (on the way to sign in, or the wrong role: #role-refused says so).
 * @param {{roles: Role[], onMessage?: (m: ServerMessage) => void, onDown?: () => void}} opts
 */
export async function startPage(opts) {
  const banner = byId('connection'), userEl = byId('user'), main = byId('main'), signOutBtn = byId('sign-out');
  /** @param {boolean} up @param {string} text @param {boolean} [urgent] */
  function setBanner(up, text, urgent = !up) {
    // Every failed reconnect reports "down" again: say it once, not once per retry.
    if (banner.dataset.connected === String(up) && banner.textContent === text) return;
    banner.dataset.connected = String(up);
    // Assertive only when a connection is lost; "Live" should not interrupt anyone.
    banner.setAttribute('role', urgent ? 'alert' : 'status');
    banner.textContent = text;
  }

  const session = await signIn(setBanner);
  if (!session) return null;
  // "Signed in as" is for screen readers; on a phone's narrow header the name and role say enough.
  const lead = document.createElement('span');
  lead.className = 'visually-hidden';
  lead.textContent = 'Signed in as ';
  userEl.replaceChildren(lead, `${session.user.display_name} (${ROLE_TEXT[session.user.role] ?? session.user.role})`);
  signOutBtn.hidden = false;
  /** @type {ReturnType<typeof connectLive>|null} */ let conn = null;
  signOutBtn.addEventListener('click', () => { conn?.close(); void signOut(); });
  if (!opts.roles.includes(session.user.role)) {
    // Signed in, but this page is not theirs: say so plainly rather than show an empty screen.
    byId('role-refused').hidden = false;
    byId('role-name').textContent = ROLE_TEXT[session.user.role] ?? session.user.role;
    setBanner(false, 'Not connected — this page is not available for your role', false);
    return null;
  }

  const store = createStore();
  let lastLive = 0;
  main.hidden = false;
  setBanner(false, 'Connecting…', false);
  conn = connectLive({
    // The session ended (signed out elsewhere, expired, revoked): nothing on screen may stay.
    onRefused: () => { store.replace([], []); main.hidden = true; goToSignIn(); },
    onDown: () => {
      const since = lastLive ? ` Last live update ${clock.format(lastLive)}; alerts shown may be out of date.` : '';
      setBanner(false, `Connection lost — reconnecting…${since}`);
      opts.onDown?.();
    },
    onMessage: (m) => {
      if (m.type === 'snapshot') {
        store.replace(m.alerts ?? [], m.notifications ?? []);
        // "Live" only once we hold the server's full state, not merely an open socket.
        setBanner(true, 'Live');
      } else if (m.type === 'alert') store.upsertAlert(m.alert);
      else if (m.type === 'notification') store.upsertNotification(m.notification);
      if (banner.dataset.connected === 'true') lastLive = Date.now();
      opts.onMessage?.(m);
    },
  });
  // Phones drop sockets in the background; do not make the carer wait out the backoff.
  addEventListener('online', () => conn?.retryNow());
  document.addEventListener('visibilitychange', () => { if (!document.hidden) conn?.retryNow(); });
  return {
    store,
    session,
    /** @param {object} msg */
    send: (msg) => conn?.send(msg) ?? false,
    user: () => session.user,
  };
}

/**
 * The session (any role), or null while on the way to the sign-in page. A gateway that cannot be reached
 * is retried with backoff, with the banner saying so, rather than leaving a blank page.
 * @param {(up: boolean, text: string, urgent?: boolean) => void} setBanner
 * @returns {Promise<Session|null>}
 */
async function signIn(setBanner) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await requireSignIn();
    } catch (err) {
      const wait = Math.min(10_000, 1000 * 2 ** attempt);
      setBanner(false, `Cannot reach the gateway (${err instanceof Error ? err.message : 'error'}) — retrying…`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
