-- 0001_schema: the data model of spec/data-model.md on PostgreSQL.
-- Runs as the owner role. Roles are made beforehand (docs/database.md);
-- this file only checks that the runtime role is safe to grant to.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'passion_app') THEN
		RAISE EXCEPTION 'role passion_app does not exist; create it first (docs/database.md)';
	END IF;
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'passion_app'
	    AND (rolsuper OR rolbypassrls)) THEN
		RAISE EXCEPTION 'role passion_app must be neither superuser nor BYPASSRLS';
	END IF;
END
$$;

-- Ids of imported entities are kept as the vault gives them; new ones are
-- UUIDs. One domain keeps them printable and bounded.
CREATE DOMAIN entity_id AS text
	CHECK (VALUE ~ '^[A-Za-z0-9_.:-]{1,128}$');
CREATE DOMAIN json_array AS jsonb
	CHECK (jsonb_typeof(VALUE) = 'array');
CREATE DOMAIN json_object AS jsonb
	CHECK (jsonb_typeof(VALUE) = 'object');

-- Auth tables (Auth.js shape). They are read before a user is known (a
-- session by its token hash), so they carry no row-level security; only
-- the auth code touches them.

CREATE TABLE users (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name		text,
	email		text UNIQUE CHECK (email = lower(email)),
	email_verified	timestamptz,
	image		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id			uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	type			text NOT NULL CHECK (type IN ('oidc', 'oauth', 'email')),
	provider		text NOT NULL,
	provider_account_id	text NOT NULL,
	refresh_token		text,
	access_token		text,
	expires_at		bigint,
	token_type		text,
	scope			text,
	id_token		text,
	session_state		text,
	UNIQUE (provider, provider_account_id)
);
CREATE INDEX idx_accounts_user ON accounts (user_id);

CREATE TABLE sessions (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	session_token	text NOT NULL UNIQUE,	-- SHA-256 of the cookie's token
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires		timestamptz NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_sessions_user ON sessions (user_id);
CREATE INDEX idx_sessions_expires ON sessions (expires);

CREATE TABLE verification_tokens (
	identifier	text NOT NULL,
	token		text NOT NULL,		-- hash, never the token itself
	expires		timestamptz NOT NULL,
	PRIMARY KEY (identifier, token)
);
CREATE INDEX idx_verification_tokens_expires ON verification_tokens (expires);

-- Planner core.

CREATE TABLE log_events (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	event_type	text NOT NULL,
	payload		jsonb NOT NULL,
	"timestamp"	timestamptz NOT NULL,
	domain_id	text,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_log_events_user ON log_events (user_id, id);
CREATE INDEX idx_log_events_type ON log_events (user_id, event_type);
CREATE INDEX idx_log_events_timestamp ON log_events (user_id, "timestamp");
CREATE INDEX idx_log_events_domain ON log_events (user_id, domain_id);

CREATE TABLE quests (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title		text NOT NULL,
	description	text,
	domain_id	text NOT NULL,
	status		text NOT NULL DEFAULT 'pending' CHECK (status IN
			    ('pending', 'in-progress', 'completed', 'deferred',
			    'cancelled')),
	priority	text NOT NULL DEFAULT 'medium' CHECK (priority IN
			    ('low', 'medium', 'high', 'critical')),
	due_date	timestamptz,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	completed_at	timestamptz,
	tags		json_array,
	xp_value	integer DEFAULT 0 CHECK (xp_value >= 0),
	parent_id	entity_id,
	content_hash	text NOT NULL,
	-- (id, user_id) lets children point only at their own user's quests.
	UNIQUE (id, user_id),
	FOREIGN KEY (parent_id, user_id) REFERENCES quests (id, user_id)
	    ON DELETE SET NULL (parent_id),
	CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX idx_quests_user ON quests (user_id, id);
CREATE INDEX idx_quests_status ON quests (user_id, status);
CREATE INDEX idx_quests_domain ON quests (user_id, domain_id);
CREATE INDEX idx_quests_due ON quests (user_id, due_date);
CREATE INDEX idx_quests_parent ON quests (parent_id);

CREATE TABLE schedule_rules (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL,
	description	text,
	domain_id	text NOT NULL,
	enabled		boolean NOT NULL DEFAULT true,
	recurrence	text NOT NULL CHECK (recurrence IN
			    ('daily', 'weekly', 'monthly', 'custom')),
	days_of_week	json_array,
	day_of_month	integer CHECK (day_of_month BETWEEN 1 AND 31),
	custom_cron	text,
	quest_template	json_object NOT NULL,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	content_hash	text NOT NULL
);
CREATE INDEX idx_schedule_rules_user ON schedule_rules (user_id, id);
CREATE INDEX idx_schedule_rules_enabled ON schedule_rules (user_id, enabled);

CREATE TABLE plan_templates (
	id			entity_id PRIMARY KEY,
	user_id			uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name			text NOT NULL,
	description		text,
	domain_id		text NOT NULL,
	template_type		text NOT NULL CHECK (template_type IN
				    ('day', 'session', 'week')),
	quest_templates		json_array NOT NULL,
	tags			json_array,
	estimated_duration	integer CHECK (estimated_duration >= 0),
	created_at		timestamptz NOT NULL,
	updated_at		timestamptz NOT NULL,
	content_hash		text NOT NULL
);
CREATE INDEX idx_plan_templates_user ON plan_templates (user_id, id);
CREATE INDEX idx_plan_templates_type ON plan_templates (user_id, template_type);

CREATE TABLE skill_trees (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
	version		integer NOT NULL DEFAULT 1,
	nodes		json_object NOT NULL,
	total_xp	integer NOT NULL DEFAULT 0 CHECK (total_xp >= 0),
	achievements	json_array,
	updated_at	timestamptz NOT NULL,
	content_hash	text NOT NULL
);

CREATE TABLE reward_ledger (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	domain_id	text NOT NULL,
	reward_type	text NOT NULL CHECK (reward_type IN
			    ('xp', 'achievement', 'streak', 'milestone')),
	amount		integer NOT NULL,
	reason		text NOT NULL,
	source_event_id	text,
	metadata	json_object,
	created_at	timestamptz NOT NULL
);
CREATE INDEX idx_reward_ledger_user ON reward_ledger (user_id, id);
CREATE INDEX idx_reward_ledger_type ON reward_ledger (user_id, reward_type);

-- Focus.

CREATE TABLE focus_sessions (
	id			entity_id PRIMARY KEY,
	user_id			uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	started_at		timestamptz NOT NULL,
	ended_at		timestamptz,
	planned_duration	integer NOT NULL CHECK (planned_duration > 0),
	actual_duration		integer CHECK (actual_duration >= 0),
	status			text NOT NULL CHECK (status IN
				    ('active', 'completed', 'abandoned')),
	mode			text NOT NULL CHECK (mode IN
				    ('focus', 'break', 'long_break')),
	metadata		json_object,
	created_at		timestamptz NOT NULL DEFAULT now(),
	CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX idx_focus_sessions_user ON focus_sessions (user_id, id);
CREATE INDEX idx_focus_sessions_started ON focus_sessions (user_id, started_at);
CREATE INDEX idx_focus_sessions_status ON focus_sessions (user_id, status);

-- Producing.

CREATE TABLE projects (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL,
	description	text,
	notes		text,
	status		text NOT NULL DEFAULT 'active' CHECK (status IN
			    ('active', 'archived', 'completed')),
	starred		boolean NOT NULL DEFAULT false,
	tags		json_array,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	content_hash	text NOT NULL
);
CREATE INDEX idx_projects_user ON projects (user_id, id);
CREATE INDEX idx_projects_status ON projects (user_id, status);

CREATE TABLE reference_libraries (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL,
	description	text,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	UNIQUE (id, user_id)
);
CREATE INDEX idx_reference_libraries_user ON reference_libraries (user_id, id);

CREATE TABLE reference_tracks (
	id		entity_id PRIMARY KEY,
	library_id	entity_id NOT NULL,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL,
	blob_key	text NOT NULL,
	mime_type	text NOT NULL,
	size_bytes	bigint NOT NULL CHECK (size_bytes BETWEEN 0 AND 5368709120),
	duration_ms	bigint CHECK (duration_ms >= 0),
	metadata	json_object,
	created_at	timestamptz NOT NULL,
	-- A track may only live in a library of its own user.
	FOREIGN KEY (library_id, user_id)
	    REFERENCES reference_libraries (id, user_id) ON DELETE CASCADE
);
CREATE INDEX idx_reference_tracks_library ON reference_tracks (library_id);
CREATE INDEX idx_reference_tracks_user ON reference_tracks (user_id, id);

CREATE TABLE infobase_entries (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title		text NOT NULL,
	content		text NOT NULL,
	category	text,
	tags		json_array,
	pinned		boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	content_hash	text NOT NULL
);
CREATE INDEX idx_infobase_entries_user ON infobase_entries (user_id, id);
CREATE INDEX idx_infobase_entries_category ON infobase_entries (user_id, category);

CREATE TABLE lane_templates (
	id		entity_id PRIMARY KEY,
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL,
	template_type	text NOT NULL CHECK (template_type IN
			    ('melody', 'drums', 'chord')),
	lane_settings	json_object NOT NULL,
	notes		json_array NOT NULL,
	bpm		integer NOT NULL CHECK (bpm BETWEEN 1 AND 999),
	bars		integer NOT NULL CHECK (bars BETWEEN 1 AND 1024),
	time_signature	json_array NOT NULL
			    CHECK (jsonb_array_length(time_signature) = 2),
	tags		json_array,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL
);
CREATE INDEX idx_lane_templates_user ON lane_templates (user_id, id);
CREATE INDEX idx_lane_templates_type ON lane_templates (user_id, template_type);

CREATE TABLE user_settings (
	user_id				uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	theme				text NOT NULL DEFAULT 'system' CHECK (theme IN
					    ('light', 'dark', 'system')),
	selected_product		text,
	keyboard_layout			text NOT NULL DEFAULT 'mac' CHECK (keyboard_layout IN
					    ('mac', 'windows')),
	notifications_enabled		boolean NOT NULL DEFAULT true,
	focus_default_duration		integer NOT NULL DEFAULT 1500 CHECK (focus_default_duration > 0),
	focus_break_duration		integer NOT NULL DEFAULT 300 CHECK (focus_break_duration > 0),
	focus_long_break_duration	integer NOT NULL DEFAULT 900 CHECK (focus_long_break_duration > 0),
	settings_json			json_object,
	updated_at			timestamptz NOT NULL DEFAULT now()
);

-- Blob metadata: the "dedicated table" of the data model's R2 layout. The
-- bucket is private; this row is what authorises a presigned URL.
CREATE TABLE blobs (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind IN ('audio', 'image', 'export', 'import')),
	object_key	text NOT NULL UNIQUE,
	mime_type	text NOT NULL,
	size_bytes	bigint NOT NULL CHECK (size_bytes BETWEEN 0 AND 5368709120),
	sha256		text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	state		text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'ready')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (object_key LIKE user_id::text || '/%')
);
CREATE INDEX idx_blobs_user ON blobs (user_id, id);
CREATE INDEX idx_blobs_state ON blobs (state, created_at);

-- Row-level security: the second guard. The runtime sets passion.user_id
-- per transaction (set_config(..., true)); unset or '' sees nothing.
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['log_events', 'quests', 'schedule_rules',
	    'plan_templates', 'skill_trees', 'reward_ledger', 'focus_sessions',
	    'projects', 'reference_libraries', 'reference_tracks',
	    'infobase_entries', 'lane_templates', 'user_settings', 'blobs']
	LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY %I ON %I'
		    ' USING (user_id = nullif(current_setting(''passion.user_id'', true), '''')::uuid)'
		    ' WITH CHECK (user_id = nullif(current_setting(''passion.user_id'', true), '''')::uuid)',
		    t || '_owner', t);
	END LOOP;
END
$$;

-- Privileges of the runtime role: it owns nothing.
GRANT USAGE ON SCHEMA public TO passion_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, accounts, sessions,
    verification_tokens, quests, schedule_rules, plan_templates, skill_trees,
    focus_sessions, projects, reference_libraries, reference_tracks,
    infobase_entries, lane_templates, user_settings, blobs TO passion_app;
-- Append-only: history is never rewritten by the application.
GRANT SELECT, INSERT ON log_events, reward_ledger TO passion_app;
