-- Event journal: every device event the gateway accepted, in acceptance order.
-- A row is committed in the same transaction as everything it caused (rule state, timers, alerts, audit),
-- and before the device gets its MQTT PUBACK. (device_id, event_id) is the idempotency key.
CREATE TABLE journal (
  seq INTEGER PRIMARY KEY,
  site_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  device_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('processed', 'failed')),
  UNIQUE (device_id, event_id)
);

CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  site_id TEXT NOT NULL,
  person_id TEXT,
  device_id TEXT,
  rule_id TEXT NOT NULL,
  rule_version TEXT NOT NULL,
  condition_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  alert_class TEXT NOT NULL,
  priority TEXT NOT NULL,
  state TEXT NOT NULL,
  raised_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  accepted_by TEXT,
  accepted_at INTEGER,
  trigger_event_seq INTEGER,
  trigger_count INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alerts_open ON alerts (state) WHERE state <> 'closed';
CREATE INDEX alerts_condition ON alerts (condition_key, state);

-- The outbox: one row per recipient per attempt. Queued rows are (re)sent after a restart.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  alert_id TEXT NOT NULL REFERENCES alerts (id),
  user_id TEXT NOT NULL,
  pager_id TEXT NOT NULL,
  protocol TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX notifications_alert ON notifications (alert_id);
CREATE INDEX notifications_queued ON notifications (state) WHERE state = 'queued';

-- Per person and rule, the rule's own state (pure rules are folded over events; this is the fold).
CREATE TABLE rule_state (
  person_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (person_id, rule_id)
);

-- Deadlines. A deadline that passed while the gateway was down fires at once on start.
CREATE TABLE timers (
  key TEXT PRIMARY KEY,
  due_at INTEGER NOT NULL,
  person_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  created_event_seq INTEGER
);
CREATE INDEX timers_due ON timers (due_at);

-- Append-only audit trail. prev_hash/hash are reserved for the keyed hash chain.
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  alert_id TEXT,
  device_id TEXT,
  person_id TEXT,
  event_seq INTEGER,
  detail TEXT NOT NULL,
  prev_hash TEXT,
  hash TEXT
);
CREATE INDEX audit_alert ON audit (alert_id) WHERE alert_id IS NOT NULL;
CREATE INDEX audit_event ON audit (event_seq) WHERE event_seq IS NOT NULL;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

-- Secrets for devices (MQTT) and users (API/WebSocket), stored only as scrypt hashes.
CREATE TABLE credentials (
  principal TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('device', 'user')),
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
