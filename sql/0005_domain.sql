-- 0005_domain: what the whole domain API runs on (docs/api.md,
-- docs/database.md): an index for every list, a contentHash on every
-- entity that can be updated, one active focus session per user,
-- full-text search over the infobase, and schedule occurrences made
-- into quests once.

-- Lists: newest first on the entity's order column, then id.
CREATE INDEX idx_schedule_rules_list ON schedule_rules
	(user_id, created_at DESC, id DESC);
CREATE INDEX idx_plan_templates_list ON plan_templates
	(user_id, created_at DESC, id DESC);
CREATE INDEX idx_reward_ledger_list ON reward_ledger
	(user_id, created_at DESC, id DESC);
CREATE INDEX idx_log_events_list ON log_events
	(user_id, "timestamp" DESC, id DESC);
CREATE INDEX idx_focus_sessions_list ON focus_sessions
	(user_id, started_at DESC, id DESC);
CREATE INDEX idx_projects_list ON projects
	(user_id, created_at DESC, id DESC);
CREATE INDEX idx_reference_libraries_list ON reference_libraries
	(user_id, created_at DESC, id DESC);
CREATE INDEX idx_reference_tracks_list ON reference_tracks
	(user_id, library_id, created_at DESC, id DESC);
CREATE INDEX idx_infobase_entries_list ON infobase_entries
	(user_id, created_at DESC, id DESC);
CREATE INDEX idx_lane_templates_list ON lane_templates
	(user_id, created_at DESC, id DESC);

-- A rule's recurrence, the one filter 0001 has no index for. (Tags have
-- none on purpose: under row-level security PostgreSQL uses only
-- leakproof operators in index conditions, and jsonb @> is not one, so a
-- GIN index on tags could never serve a user's query; the user's own
-- rows are found by user_id and filtered. docs/database.md.)
CREATE INDEX idx_schedule_rules_recurrence ON schedule_rules
	(user_id, recurrence);

-- Conflict checks (If-Match) on every entity a client can change.
ALTER TABLE reference_libraries
	ADD COLUMN content_hash text NOT NULL DEFAULT '';
ALTER TABLE reference_tracks
	ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
	ADD COLUMN content_hash text NOT NULL DEFAULT '';
ALTER TABLE lane_templates
	ADD COLUMN content_hash text NOT NULL DEFAULT '';
ALTER TABLE user_settings
	ADD COLUMN content_hash text NOT NULL DEFAULT '';

-- An event posted without a time happened now.
ALTER TABLE log_events ALTER COLUMN "timestamp" SET DEFAULT now();

-- At most one running focus session per user, whoever starts it.
CREATE UNIQUE INDEX idx_focus_sessions_one_active ON focus_sessions (user_id)
	WHERE status = 'active';

-- Full-text search: title words weigh more than content words. Stored,
-- so a search matches ready vectors; the user's entries are found by
-- user_id (a GIN index on search could not serve it under row-level
-- security: @@ is not leakproof, as for tags above).
ALTER TABLE infobase_entries ADD COLUMN search tsvector GENERATED ALWAYS AS
	(setweight(to_tsvector('english', title), 'A') ||
	 setweight(to_tsvector('english', content), 'B')) STORED;

-- A quest made from a schedule rule's occurrence: once per occurrence,
-- however many maintain runs race.
ALTER TABLE quests
	ADD COLUMN schedule_rule_id entity_id,
	ADD COLUMN occurrence timestamptz,
	ADD CHECK ((schedule_rule_id IS NULL) = (occurrence IS NULL));
CREATE UNIQUE INDEX idx_quests_occurrence ON quests
	(user_id, schedule_rule_id, occurrence)
	WHERE schedule_rule_id IS NOT NULL;
-- The due list: open quests by due date.
CREATE INDEX idx_quests_open_due ON quests (user_id, due_date)
	WHERE status IN ('pending', 'in-progress');
