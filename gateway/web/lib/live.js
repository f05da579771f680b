// @ts-check
// Shared by the pager and the board: access token, the live WebSocket, and a
// small store of alerts. Pages only render; they never talk to the socket directly
// except through `send`.

/** @typedef {{id: string, display_name: string}} Person */
/** @typedef {{id: string, role: string, display_name: string}} User */
/** @typedef {'real'|'false_alarm'|'test'|'device_fault'} AlertOutcome */
/**
 * @typedef {{id: string, site_id: string, person_id: string, room_code: string,
 *   alert_class: string, priority: 'high'|'medium'|'low',
 *   state: 'new'|'active'|'escalated'|'acknowledged'|'resolved'|'cancelled'|'closed',
 *   raised_at: string, updated_at: string, accepted_by: Person|null,
 *   accepted_at: string|null, trigger_count: number,
 *   escalation_step: number, next_step_at: string|null,
 *   resolved_by: string|null, resolved_at: string|null, closed_by: string|null, closed_at: string|null,
 *   outcome: AlertOutcome|null, outcome_note: string|null}} AlertView
 */
/**
 * @typedef {{id: string, alert_id: string, pager_id: string, state: string,
 *   text: string, created_at: string}} NotificationView
 */
/** @typedef {{type: 'result', request_id: string, ok: boolean, error?: {code: string, message: string}}} ResultMessage */
/** @typedef {{type: string, [key: string]: any}} ServerMessage */
/** @typedef {'snapshot'|'alert'|'notification'} ChangeKind */

const TOKEN_KEY = 'care-gateway.token';
// Base64url and dots only: anything else is not a token and would make the WebSocket
// constructor throw (subprotocols must be HTTP tokens).
const TOKEN_SHAPE = /^[A-Za-z0-9._-]+$/; // <user_id>.<secret>
/** Nobody has accepted yet: the gateway is still paging people. */
export const WAITING_STATES = ['new', 'active', 'escalated'];
// Open = still needs a carer. A cancelled alert (source cleared before anyone attended) is open
// until someone closes it with an outcome, so the false-alarm/device-fault record is never skipped.
export const OPEN_STATES = [...WAITING_STATES, 'acknowledged', 'cancelled'];
/** @type {Record<AlertOutcome, string>} */
export const OUTCOME_TEXT = { real: 'Real', false_alarm: 'False alarm', test: 'Test', device_fault: 'Device fault' };

/** Take `#token=` from the URL once, then wipe it so it is not left in history or on screen. */
function takeToken() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match && match[1]) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

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
 * @param {string} token
 * @param {{onMessage: (m: ServerMessage) => void, onDown: () => void, onRefused: () => void}} h
 */
function connectLive(token, h) {
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
    let sock;
    try { sock = new WebSocket(url, ['care-gateway.v1', 'bearer.' + token]); }
    catch { stopped = true; h.onRefused(); return; } // malformed token: retrying cannot help
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
      h.onDown();
      if (stopped) return;
      if (ev.code === 4401) { stopped = true; h.onRefused(); return; }
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

/** @param {string} s  "bed_exit" -> "Bed exit" */
export function humanise(s) {
  const t = s.replace(/[_-]+/g, ' ').trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/**
 * Wires the parts both pages share: #connection banner, #token-form, #sign-out,
 * #user and #main. Returns the store and a `send` for page actions.
 * @param {{onMessage?: (m: ServerMessage) => void, onDown?: () => void, onSignedOut?: () => void}} [hooks]
 */
export function startPage(hooks = {}) {
  const store = createStore();
  const banner = byId('connection'), form = /** @type {HTMLFormElement} */ (byId('token-form'));
  const input = /** @type {HTMLInputElement} */ (byId('token-input'));
  const formMsg = byId('token-message'), signOut = byId('sign-out'), userEl = byId('user'), main = byId('main');
  /** @type {ReturnType<typeof connectLive>|null} */ let conn = null;
  /** @type {User|null} */ let user = null;

  /** @param {boolean} up @param {string} text @param {boolean} [urgent] */
  function setBanner(up, text, urgent = !up) {
    banner.dataset.connected = String(up);
    // Assertive only when a connection is lost; "Live" should not interrupt anyone.
    banner.setAttribute('role', urgent ? 'alert' : 'status');
    banner.textContent = text;
  }

  /** @param {string} message */
  function showSignedOut(message) {
    conn?.close(); conn = null; user = null;
    sessionStorage.removeItem(TOKEN_KEY);
    store.replace([], []); // never leave alert data on screen without a valid token
    main.hidden = true; signOut.hidden = true; form.hidden = false;
    userEl.textContent = 'Not signed in';
    formMsg.textContent = message;
    setBanner(false, 'Not connected — sign in with your access token', false);
    input.value = ''; input.focus();
    hooks.onSignedOut?.();
  }

  /** @param {string} token */
  function start(token) {
    form.hidden = true; main.hidden = false; signOut.hidden = false; formMsg.textContent = '';
    setBanner(false, 'Connecting…', false);
    conn = connectLive(token, {
      onRefused: () => showSignedOut('Access token refused. Paste a current token to sign in again.'),
      onDown: () => { setBanner(false, 'Connection lost — reconnecting…'); hooks.onDown?.(); },
      onMessage: (m) => {
        if (m.type === 'hello') { user = m.user; userEl.textContent = `Signed in as ${m.user.display_name}`; }
        else if (m.type === 'snapshot') {
          store.replace(m.alerts ?? [], m.notifications ?? []);
          // "Live" only once we hold the server's full state, not merely an open socket.
          setBanner(true, 'Live');
        } else if (m.type === 'alert') store.upsertAlert(m.alert);
        else if (m.type === 'notification') store.upsertNotification(m.notification);
        hooks.onMessage?.(m);
      },
    });
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    // Accept a pasted sign-in link as well as a bare token.
    const raw = input.value.trim(), token = (/token=([^&\s]+)/.exec(raw)?.[1]) ?? raw;
    if (!TOKEN_SHAPE.test(token)) { formMsg.textContent = 'That does not look like an access token.'; input.focus(); return; }
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = '';
    start(token);
  });
  signOut.addEventListener('click', () => showSignedOut('Signed out.'));
  // Phones drop sockets in the background; do not make the carer wait out the backoff.
  addEventListener('online', () => conn?.retryNow());
  document.addEventListener('visibilitychange', () => { if (!document.hidden) conn?.retryNow(); });

  const token = takeToken();
  if (token) start(token); else showSignedOut('');
  return {
    store,
    /** @param {object} msg */
    send: (msg) => conn?.send(msg) ?? false,
    user: () => user,
  };
}
