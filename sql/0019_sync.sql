-- 0019_sync: the change feed (GET /api/sync, docs/api.md "Keeping a
-- client in sync"). Every write of an entity's row notes the row in
-- sync_changes, once per row at its latest position (seq), a deletion
-- as a tombstone; a reader pages a user's rows by seq.
--
-- The order is exact per user. A sequence's values commit out of order
-- (two writers take 5 and 6, 6 commits first, a reader of seq > 4 sees
-- 6, moves its cursor past 5 and never sees it). So a row is noted
-- pending, and numbered at COMMIT (a deferred trigger) after the user's
-- counter row (sync_feeds) is locked: the user's commits take their
-- values one after another, a later one greater ones, and a snapshot
-- that holds a user's transaction holds every earlier one of that user.
-- Other users never wait (the lock is the user's), and the lock is held
-- for the end of a COMMIT only: a long import does not stall the
-- user's other writes until it commits.
--
-- Triggers, not the application, note the rows: imports, plan applies,
-- maintain's quests, cascaded deletions and blob states are all seen.
-- They are statement triggers with transition tables, so an import's
-- batch of 500 rows is one statement here, not 500.

CREATE TABLE sync_feeds (
	user_id		uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	-- Commits that wrote the user's rows: its update is the lock.
	writes		bigint NOT NULL DEFAULT 0,
	-- The greatest seq of the tombstones swept (maintain): a cursor
	-- below it may have missed a deletion (409 resync_required).
	floor		bigint NOT NULL DEFAULT 0
);

CREATE SEQUENCE sync_seq AS bigint;

CREATE TABLE sync_changes (
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind		text NOT NULL,		-- the Vault key: "quests"
	id		text NOT NULL,		-- '' for a singleton
	seq		bigint,			-- NULL: pending (sync_seal)
	deleted		boolean NOT NULL DEFAULT false,
	changed_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, kind, id)
);
CREATE UNIQUE INDEX idx_sync_changes_seq ON sync_changes (user_id, seq);
CREATE INDEX idx_sync_changes_pending ON sync_changes (user_id)
	WHERE seq IS NULL;
CREATE INDEX idx_sync_changes_tombstones ON sync_changes (user_id, changed_at)
	WHERE deleted;

-- The users whose rows the open transaction noted: one row per user and
-- transaction, whose deferred trigger (sync_seal) numbers them at
-- COMMIT — one event a commit, however many rows it wrote.
CREATE TABLE sync_pending (
	user_id		uuid NOT NULL,
	xid		xid8 NOT NULL DEFAULT pg_current_xact_id(),
	PRIMARY KEY (user_id, xid)
);

-- A value passionctl restore replaces: a cursor names it (with the
-- cluster, the database and the timeline), so that a cursor given out
-- before a restore or a promotion is not taken for one of after.
CREATE TABLE sync_epoch (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	epoch		uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO sync_epoch DEFAULT VALUES;

-- The database guard of a user's table, as 0001 set it on each: its
-- rows are passion.user_id's alone, for the owner too (FORCE). For the
-- migrations from here on.
CREATE FUNCTION passion_guard(t regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = public, pg_temp
AS $$
BEGIN
	EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
	EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
	EXECUTE format('CREATE POLICY %I ON %s'
	    ' USING (user_id = nullif(current_setting(''passion.user_id'', true), '''')::uuid)'
	    ' WITH CHECK (user_id = nullif(current_setting(''passion.user_id'', true), '''')::uuid)',
	    t::text || '_owner', t);
END
$$;
REVOKE EXECUTE ON FUNCTION passion_guard(regclass) FROM PUBLIC;

-- Both guards, as on every user's table: passion_app reads only its
-- user's feed. It writes none of it: the trigger below does, as the
-- owner (SECURITY DEFINER), for the rows the statement that fired it
-- was let write — whoever ran that (the API, maintain, a migration as
-- the owner, an account's cascade). The owner's own policy lets it; the
-- runtime's DELETE and UPDATE are maintain's sweep of its tombstones.
SELECT passion_guard('sync_feeds'), passion_guard('sync_changes'),
	passion_guard('sync_pending');
CREATE POLICY sync_feeds_writer ON sync_feeds TO CURRENT_USER
	USING (true) WITH CHECK (true);
CREATE POLICY sync_changes_writer ON sync_changes TO CURRENT_USER
	USING (true) WITH CHECK (true);
CREATE POLICY sync_pending_writer ON sync_pending TO CURRENT_USER
	USING (true) WITH CHECK (true);
GRANT SELECT, DELETE ON sync_changes TO passion_app;
GRANT SELECT, UPDATE ON sync_feeds TO passion_app;
GRANT SELECT ON sync_epoch TO passion_app;

-- The rows a statement wrote (n) or deleted (o), noted under kind
-- (TG_ARGV[0]); TG_ARGV[1] = 'single' for a user's one row (no id). A
-- row is noted pending (seq NULL, which only its transaction sees);
-- sync_seal numbers it at COMMIT. Rows of a user being deleted (an
-- account's cascade) are not noted: their feed goes with them.
CREATE FUNCTION sync_note() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO sync_pending (user_id) SELECT DISTINCT o.user_id
		    FROM o JOIN users u ON u.id = o.user_id ON CONFLICT DO NOTHING;
	ELSE
		INSERT INTO sync_pending (user_id) SELECT DISTINCT n.user_id
		    FROM n ON CONFLICT DO NOTHING;
	END IF;
	IF TG_OP = 'DELETE' AND TG_ARGV[1] IS NULL THEN
		INSERT INTO sync_changes AS c (user_id, kind, id, seq, deleted)
		    SELECT o.user_id, TG_ARGV[0], o.id::text, NULL, true
		    FROM o JOIN users u ON u.id = o.user_id
		    ON CONFLICT (user_id, kind, id) DO UPDATE SET seq = NULL,
		    deleted = true, changed_at = now();
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO sync_changes AS c (user_id, kind, id, seq, deleted)
		    SELECT o.user_id, TG_ARGV[0], '', NULL, true
		    FROM o JOIN users u ON u.id = o.user_id
		    ON CONFLICT (user_id, kind, id) DO UPDATE SET seq = NULL,
		    deleted = true, changed_at = now();
	ELSIF TG_ARGV[1] IS NULL THEN
		INSERT INTO sync_changes AS c (user_id, kind, id, seq)
		    SELECT n.user_id, TG_ARGV[0], n.id::text, NULL FROM n
		    ON CONFLICT (user_id, kind, id) DO UPDATE SET seq = NULL,
		    deleted = false, changed_at = now();
	ELSE
		INSERT INTO sync_changes AS c (user_id, kind, id, seq)
		    SELECT n.user_id, TG_ARGV[0], '', NULL FROM n
		    ON CONFLICT (user_id, kind, id) DO UPDATE SET seq = NULL,
		    deleted = false, changed_at = now();
	END IF;
	RETURN NULL;
END
$$;

-- At COMMIT (the deferred trigger of the transaction's sync_pending row
-- of a user): lock the user's counter row, then number the user's
-- pending rows. The lock is held from here to the end of COMMIT only:
-- no round trip of the client's.
CREATE FUNCTION sync_seal() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
	INSERT INTO sync_feeds AS f (user_id, writes) VALUES (NEW.user_id, 1)
	    ON CONFLICT (user_id) DO UPDATE SET writes = f.writes + 1;
	UPDATE sync_changes SET seq = nextval('sync_seq') WHERE user_id =
	    NEW.user_id AND seq IS NULL;
	-- Rows written after this (SET CONSTRAINTS … IMMEDIATE) make
	-- another, numbered in their turn.
	DELETE FROM sync_pending WHERE user_id = NEW.user_id AND
	    xid = NEW.xid;
	RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER sync_pending_seal AFTER INSERT ON sync_pending
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION sync_seal();

-- Each entity's table, its kind, and whether it is a user's one row;
-- the rows it already holds are noted, oldest first (their order
-- column).
DO $$
DECLARE
	e record;
BEGIN
	FOR e IN SELECT * FROM (VALUES
	    ('quests', 'quests', NULL, 'created_at'),
	    ('schedule_rules', 'scheduleRules', NULL, 'created_at'),
	    ('plan_templates', 'planTemplates', NULL, 'created_at'),
	    ('skill_trees', 'skillTree', 'single', 'updated_at'),
	    ('reward_ledger', 'rewardLedger', NULL, 'created_at'),
	    ('log_events', 'logEvents', NULL, '"timestamp"'),
	    ('focus_sessions', 'focusSessions', NULL, 'started_at'),
	    ('projects', 'projects', NULL, 'created_at'),
	    ('reference_libraries', 'referenceLibraries', NULL, 'created_at'),
	    ('reference_tracks', 'referenceTracks', NULL, 'created_at'),
	    ('infobase_entries', 'infobase', NULL, 'created_at'),
	    ('lane_templates', 'laneTemplates', NULL, 'created_at'),
	    ('user_settings', 'settings', 'single', 'updated_at'),
	    ('blobs', 'blobs', NULL, 'created_at')) AS v (tbl, kind, single,
	    age)
	LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I '
		    'REFERENCING NEW TABLE AS n FOR EACH STATEMENT '
		    'EXECUTE FUNCTION sync_note(%L%s)', e.tbl || '_sync_in',
		    e.tbl, e.kind, CASE WHEN e.single IS NULL THEN '' ELSE
		    ', ''single''' END);
		EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I '
		    'REFERENCING NEW TABLE AS n FOR EACH STATEMENT '
		    'EXECUTE FUNCTION sync_note(%L%s)', e.tbl || '_sync_up',
		    e.tbl, e.kind, CASE WHEN e.single IS NULL THEN '' ELSE
		    ', ''single''' END);
		EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I '
		    'REFERENCING OLD TABLE AS o FOR EACH STATEMENT '
		    'EXECUTE FUNCTION sync_note(%L%s)', e.tbl || '_sync_del',
		    e.tbl, e.kind, CASE WHEN e.single IS NULL THEN '' ELSE
		    ', ''single''' END);
		-- The owner reads every user's rows for this once (0008).
		EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY',
		    e.tbl);
		EXECUTE format('INSERT INTO sync_changes (user_id, kind, id, '
		    'seq) SELECT user_id, %L, %s, nextval(''sync_seq'') FROM %I '
		    'ORDER BY %s', e.kind, CASE WHEN e.single IS NULL THEN
		    'id::text' ELSE '''''' END, e.tbl, e.age);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY',
		    e.tbl);
	END LOOP;
END
$$;
INSERT INTO sync_feeds (user_id) SELECT id FROM users;
