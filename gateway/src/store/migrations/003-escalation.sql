-- Escalation state lives on the alert: the ladder step reached and when the next one fires.
-- An open alert always has next_step_at (a pending deadline) or accepted_by (an acceptance).
ALTER TABLE alerts ADD COLUMN escalation_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN next_step_at INTEGER;
ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
ALTER TABLE alerts ADD COLUMN resolved_at INTEGER;
ALTER TABLE alerts ADD COLUMN closed_by TEXT;
ALTER TABLE alerts ADD COLUMN closed_at INTEGER;
ALTER TABLE alerts ADD COLUMN outcome TEXT CHECK (outcome IS NULL OR outcome IN ('real', 'false_alarm', 'test', 'device_fault'));
ALTER TABLE alerts ADD COLUMN outcome_note TEXT;
-- What a technical alert is about when it concerns no person (a paging line): shown instead of a room code.
ALTER TABLE alerts ADD COLUMN subject TEXT;
CREATE INDEX alerts_next_step ON alerts (next_step_at) WHERE next_step_at IS NOT NULL;
