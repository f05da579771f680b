-- Issue 9: every event a rule evaluates looks up the open alert for its condition (alert-repo openByCondition).
-- alerts_condition (condition_key, state) found it by scanning every alert the condition ever raised, closed ones
-- included, then sorting them: a bed sensor that raised a few alerts a night walked a year of them on every event.
-- This index holds open alerts only, newest first within a condition, so the lookup reads one entry and sorts
-- nothing. Its WHERE must match the query's word for word: SQLite uses a partial index only then.
CREATE INDEX alerts_open_by_condition ON alerts (condition_key, raised_at) WHERE state NOT IN ('resolved', 'cancelled', 'closed');
-- Nothing else looks alerts up by condition.
DROP INDEX alerts_condition;
