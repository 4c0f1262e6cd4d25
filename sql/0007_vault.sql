-- 0007_vault: vault imports and exports (docs/vault.md). A bundle is
-- uploaded to the store, imported by the jobs worker in one transaction,
-- and deleted; an export is written to the store by the jobs worker and
-- downloaded from there. Each has a row here, the user's, and a job.

CREATE TABLE vault_imports (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	size_bytes	bigint NOT NULL CHECK (size_bytes > 0),
	object_key	text NOT NULL UNIQUE
	    CHECK (object_key LIKE user_id::text || '/imports/%'),
	upload_id	text,		-- never set: blobs_gone() reads it
	state		text NOT NULL DEFAULT 'uploading' CHECK (state IN
	    ('uploading', 'queued', 'running', 'done', 'failed')),
	job_id		bigint,
	bytes_done	bigint NOT NULL DEFAULT 0,
	entities_done	bigint NOT NULL DEFAULT 0,
	result		jsonb,
	error_code	text,
	error		text CHECK (length(error) <= 1000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	started_at	timestamptz,
	finished_at	timestamptz
);
CREATE INDEX idx_vault_imports_user ON vault_imports (user_id, created_at);

CREATE TABLE vault_exports (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	object_key	text NOT NULL UNIQUE
	    CHECK (object_key LIKE user_id::text || '/exports/%'),
	upload_id	text,		-- the multipart upload being written
	state		text NOT NULL DEFAULT 'queued' CHECK (state IN
	    ('queued', 'running', 'done', 'failed')),
	job_id		bigint,
	size_bytes	bigint,
	bytes_done	bigint NOT NULL DEFAULT 0,
	entities_done	bigint NOT NULL DEFAULT 0,
	result		jsonb,
	error_code	text,
	error		text CHECK (length(error) <= 1000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	started_at	timestamptz,
	finished_at	timestamptz
);
CREATE INDEX idx_vault_exports_user ON vault_exports (user_id, created_at);
CREATE INDEX idx_vault_exports_age ON vault_exports (created_at);

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['vault_imports', 'vault_exports'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY %I ON %I'
		    ' USING (user_id = nullif(current_setting(''passion.user_id'', true), '''')::uuid)'
		    ' WITH CHECK (user_id = nullif(current_setting(''passion.user_id'', true), '''')::uuid)',
		    t || '_owner', t);
	END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON vault_imports, vault_exports
    TO passion_app;

-- A row deleted (by the user, by maintain, with the account) queues its
-- object for removal, as a blob's does.
CREATE TRIGGER vault_imports_gone AFTER DELETE ON vault_imports
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
	EXECUTE FUNCTION blobs_gone();
CREATE TRIGGER vault_exports_gone AFTER DELETE ON vault_exports
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
	EXECUTE FUNCTION blobs_gone();

ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check
	CHECK (kind IN ('mail', 'blob_delete', 'vault_import',
	    'vault_export'));

-- The queue's verdicts reach the user's row: a vault job taken, queued
-- again (its worker died, or a retry) or failed for good (attempts
-- spent) says so on its import or export, so none stays "running" for
-- ever. A job that finishes writes its own verdict (done or failed with
-- a code) in its last transaction. Runs under the job's user, so
-- row-level security holds here too.
CREATE FUNCTION vault_job_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	was	text := current_setting('passion.user_id', true);
	st	text := CASE NEW.state WHEN 'done' THEN NULL ELSE NEW.state END;
BEGIN
	IF st IS NULL OR NEW.user_id IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM set_config('passion.user_id', NEW.user_id::text, true);
	IF NEW.kind = 'vault_import' THEN
		UPDATE vault_imports SET state = st,
		    started_at = CASE WHEN st = 'running' THEN now()
			ELSE started_at END,
		    error_code = CASE WHEN st = 'failed' THEN 'internal' END,
		    error = CASE WHEN st = 'failed' THEN NEW.last_error END,
		    finished_at = CASE WHEN st = 'failed' THEN now() END
		    WHERE job_id = NEW.id AND state NOT IN ('done', 'failed');
	ELSE
		UPDATE vault_exports SET state = st,
		    started_at = CASE WHEN st = 'running' THEN now()
			ELSE started_at END,
		    error_code = CASE WHEN st = 'failed' THEN 'internal' END,
		    error = CASE WHEN st = 'failed' THEN NEW.last_error END,
		    finished_at = CASE WHEN st = 'failed' THEN now() END
		    WHERE job_id = NEW.id AND state NOT IN ('done', 'failed');
	END IF;
	-- Failed for good: its bundle, or its unfinished export, leaves the
	-- store (the drain removes it; an upload is aborted).
	IF st = 'failed' THEN
		INSERT INTO blob_deletions (object_key, upload_id)
		    SELECT object_key, upload_id FROM vault_imports
		    WHERE job_id = NEW.id AND NEW.kind = 'vault_import'
		    UNION ALL
		    SELECT object_key, upload_id FROM vault_exports
		    WHERE job_id = NEW.id AND NEW.kind = 'vault_export'
		    ON CONFLICT (object_key) DO NOTHING;
		IF FOUND AND NOT EXISTS (SELECT 1 FROM jobs WHERE kind =
		    'blob_delete' AND state = 'queued') THEN
			INSERT INTO jobs (kind, max_attempts)
			    VALUES ('blob_delete', 20);
		END IF;
	END IF;
	PERFORM set_config('passion.user_id', coalesce(was, ''), true);
	RETURN NULL;
END
$$;
CREATE TRIGGER jobs_vault_state AFTER UPDATE OF state ON jobs
	FOR EACH ROW WHEN (NEW.kind IN ('vault_import', 'vault_export') AND
	    OLD.state IS DISTINCT FROM NEW.state)
	EXECUTE FUNCTION vault_job_state();

-- An import writes quests in batches, children perhaps before their
-- parents: it checks the parent references at its commit.
DO $$
DECLARE
	c text;
BEGIN
	SELECT conname INTO STRICT c FROM pg_constraint WHERE
	    conrelid = 'quests'::regclass AND contype = 'f' AND
	    conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid =
	    'quests'::regclass AND attname = 'parent_id'), (SELECT attnum FROM
	    pg_attribute WHERE attrelid = 'quests'::regclass AND attname =
	    'user_id')]::int2[];
	EXECUTE format('ALTER TABLE quests ALTER CONSTRAINT %I DEFERRABLE '
	    'INITIALLY IMMEDIATE', c);
END
$$;

-- Ids are global keys: an imported id another user holds already is
-- given a new one (docs/vault.md). Row-level security hides that user's
-- row, so one function, run as this schema's owner, answers only which
-- of some ids are taken by someone else: the owner may read (never
-- write) the entity tables for it, and nothing else runs as the owner.
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['log_events', 'quests', 'schedule_rules',
	    'plan_templates', 'skill_trees', 'reward_ledger', 'focus_sessions',
	    'projects', 'reference_libraries', 'reference_tracks',
	    'infobase_entries', 'lane_templates']
	LOOP
		EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO %I '
		    'USING (true)', t || '_id_probe', t, current_user);
	END LOOP;
END
$$;

CREATE FUNCTION vault_ids_taken(tbl text, ids text[]) RETURNS SETOF text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
	IF tbl NOT IN ('log_events', 'quests', 'schedule_rules',
	    'plan_templates', 'skill_trees', 'reward_ledger', 'focus_sessions',
	    'projects', 'reference_libraries', 'reference_tracks',
	    'infobase_entries', 'lane_templates') THEN
		RAISE EXCEPTION 'vault_ids_taken: no table %', tbl;
	END IF;
	RETURN QUERY EXECUTE format('SELECT id::text FROM %I WHERE id = '
	    'ANY($1) AND user_id IS DISTINCT FROM nullif(current_setting('
	    '''passion.user_id'', true), '''')::uuid', tbl) USING ids;
END
$$;
REVOKE ALL ON FUNCTION vault_ids_taken(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vault_ids_taken(text, text[]) TO passion_app;
