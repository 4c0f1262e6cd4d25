-- 0009_import_retry: an import that survives a typo (docs/vault.md
-- "Starting again"). A failed import whose failure a retry can fix —
-- a wrong passphrase, or the jobs worker giving up (the store or the
-- database away) — keeps its bundle in the store and can be started
-- again; wrong passphrases are counted per user to limit the guessing;
-- a job says what it came to.

-- The verdict a job that ended reached ("import failed: bad_passphrase"),
-- for passionctl jobs: a job done is not an import done.
ALTER TABLE jobs ADD COLUMN outcome text CHECK (length(outcome) <= 1000);

-- Each wrong passphrase of a user's imports, kept an hour (the rows
-- older than that go as the next one is written).
CREATE TABLE vault_passphrase_misses (
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_vault_passphrase_misses ON vault_passphrase_misses
	(user_id, at);
ALTER TABLE vault_passphrase_misses ENABLE ROW LEVEL SECURITY;
ALTER TABLE vault_passphrase_misses FORCE ROW LEVEL SECURITY;
CREATE POLICY vault_passphrase_misses_owner ON vault_passphrase_misses
	USING (user_id = nullif(current_setting('passion.user_id', true),
	    '')::uuid)
	WITH CHECK (user_id = nullif(current_setting('passion.user_id', true),
	    '')::uuid);
GRANT SELECT, INSERT, DELETE ON vault_passphrase_misses TO passion_app;

-- As 0007's, but an import's job failed for good keeps its bundle: the
-- import is `failed` with `internal` and may be started again; its
-- bundle leaves with the row (deleted, or aged out by maintain). An
-- export's unfinished upload still goes at once.
CREATE OR REPLACE FUNCTION vault_job_state() RETURNS trigger
    LANGUAGE plpgsql AS $$
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
		IF st = 'failed' THEN
			INSERT INTO blob_deletions (object_key, upload_id)
			    SELECT object_key, upload_id FROM vault_exports
			    WHERE job_id = NEW.id
			    ON CONFLICT (object_key) DO NOTHING;
			IF FOUND AND NOT EXISTS (SELECT 1 FROM jobs WHERE
			    kind = 'blob_delete' AND state = 'queued') THEN
				INSERT INTO jobs (kind, max_attempts)
				    VALUES ('blob_delete', 20);
			END IF;
		END IF;
	END IF;
	PERFORM set_config('passion.user_id', coalesce(was, ''), true);
	RETURN NULL;
END
$$;
