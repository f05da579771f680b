-- Issue 9: the journal's idempotency key (device_id, event_id) moves out of the journal into journal_ids, which is
-- filled in batches sorted by key (store/journal-settle.ts) instead of one row per event as it arrives.
-- As a UNIQUE index on the journal, the key was inserted at a random place (every device has its own range), so
-- under load every event dirtied a page of its own: ~4.5 KB of WAL per event to write, sync and checkpoint, the
-- largest single cost the bench found. Events journaled since the last batch are checked in memory
-- (store/journal-repo.ts), rebuilt from the journal rows after `journal_settled.through_seq` at start-up.
-- Duplicate detection stays exact and unbounded in time: a repeat is refused whether its original is a second
-- or a year old, as long as the original's journal row is kept (retention removes both together).
-- AUTOINCREMENT: a seq is never given again once its row is deleted. Without it SQLite takes the highest seq plus
-- one, so a journal emptied by retention (a gateway off for longer than telemetry_days) would number new rows
-- below journal_settled.through_seq, where no settle run looks for them (found in review).
CREATE TABLE journal_unkeyed (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  site_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  device_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('processed', 'failed'))
);
INSERT INTO journal_unkeyed (seq, site_id, device_id, event_id, type, device_at, received_at, status)
  SELECT seq, site_id, device_id, event_id, type, device_at, received_at, status FROM journal;
DROP TABLE journal;
ALTER TABLE journal_unkeyed RENAME TO journal;
CREATE INDEX journal_received ON journal (received_at);

-- Every journal row up to journal_settled.through_seq has its key here; later ones may.
CREATE TABLE journal_ids (
  device_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (device_id, event_id)
) WITHOUT ROWID;
INSERT INTO journal_ids (device_id, event_id, seq) SELECT device_id, event_id, seq FROM journal ORDER BY device_id, event_id;

CREATE TABLE journal_settled (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  through_seq INTEGER NOT NULL
);
INSERT INTO journal_settled (id, through_seq) SELECT 1, coalesce(max(seq), 0) FROM journal;

-- Whatever removes a journal row (retention) removes its key too, so the key never outlives the row.
CREATE TRIGGER journal_forget_id AFTER DELETE ON journal BEGIN
  DELETE FROM journal_ids WHERE device_id = OLD.device_id AND event_id = OLD.event_id AND seq = OLD.seq;
END;
