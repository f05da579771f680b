-- Suppressions (carer present, away/in hospital, maintenance): each with an expiry and a reason.
-- Rows are never deleted, so replay and reports can see what was in force when.
CREATE TABLE suppressions (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('carer_present', 'away', 'maintenance')),
  scope TEXT NOT NULL CHECK (scope IN ('person', 'device')),
  target TEXT NOT NULL,
  reason TEXT NOT NULL,
  set_by TEXT NOT NULL,
  set_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  cleared_at INTEGER,
  cleared_by TEXT
);
CREATE INDEX suppressions_target ON suppressions (target, expires_at);

-- Every version of every person's rule the gateway has run, with who changed it and why.
CREATE TABLE rule_versions (
  person_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  version TEXT NOT NULL,
  rule_json TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at INTEGER NOT NULL,
  note TEXT,
  PRIMARY KEY (person_id, rule_id, version, changed_at)
);
