-- Every version of the configuration the gateway has run: imported from the file, or changed in the web app
-- or through the API. Rows are never updated or deleted; the highest version is the active configuration.
CREATE TABLE config_versions (
  version INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  changed_by TEXT NOT NULL,
  note TEXT,
  -- Reserved for a second person's approval (two-person rule); null until that workflow exists.
  approved_by TEXT,
  source TEXT NOT NULL CHECK (source IN ('file', 'ui', 'api')),
  -- The whole configuration document as validated JSON (defaults filled in).
  document TEXT NOT NULL,
  -- sha256 of the configuration file's bytes, for versions imported from the file.
  file_hash TEXT,
  -- What changed, for the history view: section, key, operation.
  summary TEXT NOT NULL DEFAULT '{}'
);

-- Audit search by person, device and time (GET /api/audit/search); alert and event lookups have theirs (001).
CREATE INDEX audit_person ON audit (person_id, seq) WHERE person_id IS NOT NULL;
CREATE INDEX audit_device ON audit (device_id, seq) WHERE device_id IS NOT NULL;
CREATE INDEX audit_at ON audit (at);
