-- Issue 8, data protection: personal text (close notes, pager text and frames, suppression reasons, a person's
-- room code, pager template and restrictions in configuration changes) lives here, apart from the audit trail.
-- Audit rows hold a reference (`note_ref: "pd-…"`) instead, so erasing a person deletes their rows here and
-- leaves every audit row, and so the hash chain, untouched. `value` is JSON. `person_id` is null when the
-- text cannot be tied to a person (a frame from a nurse-call panel); retention removes those by age.
CREATE TABLE personal_data (
  ref TEXT PRIMARY KEY,
  person_id TEXT,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX personal_data_person ON personal_data (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX personal_data_created ON personal_data (created_at);

-- Retention (compose/retention-job.ts) removes by age in bounded batches; subject access reads by person.
CREATE INDEX journal_received ON journal (received_at);
CREATE INDEX alerts_closed_at ON alerts (closed_at) WHERE state = 'closed';
CREATE INDEX alerts_person ON alerts (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX suppressions_expires ON suppressions (expires_at);
