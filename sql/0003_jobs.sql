-- 0003_jobs: the queue of work that can wait (mail now; vault import and
-- export later), taken by the jobs worker (docs/architecture.md).
--
-- A job is queued -> running -> done, or back to queued with a later
-- run_at after a failure, or failed for good (attempts spent, or past
-- expires_at). A running job names the database session running it
-- (locked_pid + locked_backend_start): when that session is gone, the
-- worker died and the job is queued again, so no job stays running.

CREATE TABLE jobs (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('mail')),
	user_id		uuid REFERENCES users (id) ON DELETE CASCADE,
	payload		jsonb NOT NULL DEFAULT '{}'
	    CHECK (octet_length(payload::text) <= 65536),
	state		text NOT NULL DEFAULT 'queued'
	    CHECK (state IN ('queued', 'running', 'done', 'failed')),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts	integer NOT NULL CHECK (max_attempts > 0),
	run_at		timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz,
	locked_pid	integer,
	locked_backend_start timestamptz,
	started_at	timestamptz,
	finished_at	timestamptz,
	last_error	text CHECK (char_length(last_error) <= 1000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((state = 'running') = (locked_pid IS NOT NULL))
);
CREATE INDEX idx_jobs_queued ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX idx_jobs_running ON jobs (id) WHERE state = 'running';
CREATE INDEX idx_jobs_finished ON jobs (finished_at)
    WHERE state IN ('done', 'failed');

-- New work wakes the jobs worker (LISTEN passion_jobs) at commit.
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('passion_jobs', '');
	RETURN NULL;
END
$$;
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();

-- The queue is the server's, not a user's: no row-level security. The
-- request path only inserts; the jobs worker reads, updates and purges.
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO passion_app;
