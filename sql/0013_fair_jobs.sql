-- 0013_fair_jobs: one user's jobs never hold up another's. Eight queued
-- imports of one user (6.7 s of key stretching each) delayed another
-- user's 7 KB import to 51 s: the queue was first in, first out. Now a
-- lane takes at most one job of a user at a time, and takes users in
-- turn: the user whose last job in it started longest ago goes first.
-- A user has at most three vault jobs open (queued or running).

-- The users' jobs by when they started: a user's last start, and
-- whether one is running.
CREATE INDEX idx_jobs_user_started ON jobs (user_id, started_at)
	WHERE user_id IS NOT NULL;
-- One running vault job per user is the database's rule: a second
-- worker's claim of the same user's job fails on it (and takes none).
CREATE UNIQUE INDEX idx_jobs_vault_user_running ON jobs (user_id)
	WHERE state = 'running' AND kind IN ('vault_import', 'vault_export');

-- Has user a job running in the lane of kinds (just: these kinds; else
-- all but these)? A user-less job (sign-in mail) never waits.
CREATE FUNCTION jobs_user_running(u uuid, kinds text[], just boolean)
    RETURNS boolean LANGUAGE sql STABLE
AS $$
	SELECT u IS NOT NULL AND EXISTS (SELECT 1 FROM jobs r WHERE
	    r.user_id = u AND r.state = 'running' AND
	    (r.kind = ANY(kinds)) = just)
$$;

-- When user's last job in the lane started (NULL: never, first in turn).
CREATE FUNCTION jobs_user_last_start(u uuid, kinds text[], just boolean)
    RETURNS timestamptz LANGUAGE sql STABLE
AS $$
	SELECT max(s.started_at) FROM jobs s WHERE s.user_id = u AND
	    (s.kind = ANY(kinds)) = just
$$;

-- A user's open vault jobs: three at most (one running, two waiting).
-- Counted under a lock of the user's, so two requests at once cannot
-- both take the last place.
CREATE FUNCTION vault_jobs_open_check() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(hashtextextended(NEW.user_id::text, 13));
	IF (SELECT count(*) FROM jobs WHERE user_id = NEW.user_id AND state
	    IN ('queued', 'running') AND kind IN ('vault_import',
	    'vault_export')) >= 3 THEN
		RAISE EXCEPTION 'three vault jobs of this user are open'
		    USING ERRCODE = '54000', HINT = 'vault_jobs_full';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER jobs_vault_open BEFORE INSERT ON jobs
	FOR EACH ROW WHEN (NEW.kind IN ('vault_import', 'vault_export'))
	EXECUTE FUNCTION vault_jobs_open_check();
