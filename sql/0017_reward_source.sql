-- 0017_reward_source: a reward's sourceEventId is a checked reference,
-- as every reference is (docs/api.md): one of the user's own events. It
-- could name another user's event, or none. The rows that do are
-- history no one can follow: their sourceEventId is cleared (the
-- ledger is append-only for passiond; the owner, under row-level
-- security with no policy to write, is let through for this one
-- statement, as in 0008).
ALTER TABLE reward_ledger NO FORCE ROW LEVEL SECURITY;
UPDATE reward_ledger r SET source_event_id = NULL
	WHERE source_event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM
	log_events e WHERE e.id = r.source_event_id AND e.user_id = r.user_id);
ALTER TABLE reward_ledger FORCE ROW LEVEL SECURITY;

-- The same user's event, checked at commit for an import (which writes
-- the rewards and the events in batches, in no set order); an event
-- goes only with its user, and then its rewards too.
ALTER TABLE log_events ADD CONSTRAINT log_events_id_user UNIQUE (id, user_id);
ALTER TABLE reward_ledger ADD CONSTRAINT reward_ledger_source_event_id_fkey
	FOREIGN KEY (source_event_id, user_id) REFERENCES log_events (id, user_id)
	ON DELETE SET NULL (source_event_id) DEFERRABLE INITIALLY IMMEDIATE;
CREATE INDEX idx_reward_ledger_source ON reward_ledger (source_event_id)
	WHERE source_event_id IS NOT NULL;
