-- Issue 8: retention removes the oldest audit rows without breaking verification. Each removal records
-- where the kept trail now starts and the hash its first row links to, so the verifier starts there; the
-- removal itself is audited (in the chain) and anchored.
CREATE TABLE audit_retention (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  removed_through_seq INTEGER NOT NULL,
  first_kept_seq INTEGER NOT NULL,
  first_kept_prev_hash TEXT NOT NULL
);

-- Deletes stay forbidden except inside the retention job, which opens a window by inserting a row here
-- in the same transaction and removes it before committing.
CREATE TABLE audit_delete_window (id INTEGER PRIMARY KEY CHECK (id = 1));
DROP TRIGGER audit_no_delete;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit WHEN NOT EXISTS (SELECT 1 FROM audit_delete_window)
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
