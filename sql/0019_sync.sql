-- 0019_sync: the change feed (GET /api/sync, docs/api.md "Keeping a
-- client in sync"). Every write of an entity's row notes the row in
-- sync_changes, once per row at its latest change, a deletion as a
-- tombstone; a reader pages a user's rows in the order of their
-- commits.
--
-- The order is exact per user. A sequence's values commit out of order
-- (two writers take 5 and 6, 6 commits first, a reader of seq > 4 sees
-- 6, moves its cursor past 5 and never sees it). So a row names its
-- transaction (xid), and the transaction is numbered once, at COMMIT (a
-- deferred trigger), after the user's counter row (sync_feeds) is
-- locked: the user's commits take their numbers one after another, and
-- a snapshot that holds a user's commit holds every earlier one of that
-- user. Within a commit the rows go by seq, which only orders them. No
-- row is written twice: an import of a million rows writes a million
-- rows here and numbers one commit. Other users never wait (the lock is
-- the user's), and the lock is held for the end of a COMMIT only: a
-- long import does not stall the user's other writes until it commits.
--
-- Triggers, not the application, note the rows: imports, plan applies,
-- maintain's quests, cascaded deletions and blob states are all seen.
-- They are statement triggers with transition tables, so an import's
-- batch of 500 rows is one statement here, not 500.

CREATE TABLE sync_feeds (
	user_id		uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	-- The user's commits that wrote rows, numbered: its update is the
	-- lock, and its value the number of the last one.
	writes		bigint NOT NULL DEFAULT 0,
	-- The greatest commit of the tombstones swept (maintain): a cursor
	-- below it may have missed a deletion (409 resync_required).
	floor		bigint NOT NULL DEFAULT 0
);

-- The transactions that wrote a user's rows: one row per user and
-- transaction, inserted at its first write with no number; its deferred
-- trigger (sync_seal) numbers it at COMMIT — one event a commit, however
-- many rows it wrote. maintain forgets a commit whose rows all moved on.
CREATE TABLE sync_commits (
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	xid		xid8 NOT NULL,
	no		bigint,			-- NULL until COMMIT
	PRIMARY KEY (user_id, xid)
);
CREATE UNIQUE INDEX idx_sync_commits_no ON sync_commits (user_id, no);

-- Orders a commit's rows (its values commit out of order; the commit's
-- number, not seq, is the order between commits).
CREATE SEQUENCE sync_seq AS bigint;

-- No foreign key: a million rows' checks would cost an import a tenth
-- of its time. An account's rows go with it by sync_forget (below).
CREATE TABLE sync_changes (
	user_id		uuid NOT NULL,
	kind		text NOT NULL,		-- the Vault key: "quests"
	id		text NOT NULL,		-- '' for a singleton
	xid		xid8 NOT NULL,		-- its commit's (sync_commits)
	seq		bigint NOT NULL,	-- its place in the commit
	deleted		boolean NOT NULL DEFAULT false,
	changed_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, kind, id)
);
CREATE INDEX idx_sync_changes_commit ON sync_changes (user_id, xid, seq);
CREATE INDEX idx_sync_changes_tombstones ON sync_changes (user_id, changed_at)
	WHERE deleted;

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
-- runtime's DELETE and UPDATE are maintain's sweep of its tombstones
-- and of the commits left empty.
SELECT passion_guard('sync_feeds'), passion_guard('sync_changes'),
	passion_guard('sync_commits');
CREATE POLICY sync_feeds_writer ON sync_feeds TO CURRENT_USER
	USING (true) WITH CHECK (true);
CREATE POLICY sync_changes_writer ON sync_changes TO CURRENT_USER
	USING (true) WITH CHECK (true);
CREATE POLICY sync_commits_writer ON sync_commits TO CURRENT_USER
	USING (true) WITH CHECK (true);
GRANT SELECT, DELETE ON sync_changes TO passion_app;
GRANT SELECT, UPDATE ON sync_feeds TO passion_app;
GRANT SELECT, DELETE ON sync_commits TO passion_app;
GRANT SELECT ON sync_epoch TO passion_app;

-- The rows a statement wrote (n) or deleted (o), noted under kind
-- (TG_ARGV[0]); TG_ARGV[1] = 'single' for a user's one row (no id). A
-- row names its transaction, which the user's sync_commits row numbers
-- at COMMIT. Rows of a user being deleted (an account's cascade) are
-- not noted: their feed goes with them.
CREATE FUNCTION sync_note() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
	x xid8 := pg_current_xact_id();
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO sync_commits (user_id, xid) SELECT DISTINCT
		    o.user_id, x FROM o JOIN users u ON u.id = o.user_id
		    ON CONFLICT DO NOTHING;
	ELSE
		INSERT INTO sync_commits (user_id, xid) SELECT DISTINCT
		    n.user_id, x FROM n ON CONFLICT DO NOTHING;
	END IF;
	IF TG_OP = 'DELETE' AND TG_ARGV[1] IS NULL THEN
		INSERT INTO sync_changes AS c (user_id, kind, id, xid, seq,
		    deleted) SELECT o.user_id, TG_ARGV[0], o.id::text, x,
		    nextval('sync_seq'), true FROM o JOIN users u ON u.id =
		    o.user_id ON CONFLICT (user_id, kind, id) DO UPDATE SET
		    xid = x, seq = excluded.seq, deleted = true,
		    changed_at = now();
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO sync_changes AS c (user_id, kind, id, xid, seq,
		    deleted) SELECT o.user_id, TG_ARGV[0], '', x,
		    nextval('sync_seq'), true FROM o JOIN users u ON u.id =
		    o.user_id ON CONFLICT (user_id, kind, id) DO UPDATE SET
		    xid = x, seq = excluded.seq, deleted = true,
		    changed_at = now();
	ELSIF TG_ARGV[1] IS NULL THEN
		INSERT INTO sync_changes AS c (user_id, kind, id, xid, seq)
		    SELECT n.user_id, TG_ARGV[0], n.id::text, x,
		    nextval('sync_seq') FROM n ON CONFLICT (user_id, kind, id)
		    DO UPDATE SET xid = x, seq = excluded.seq, deleted = false,
		    changed_at = now();
	ELSE
		INSERT INTO sync_changes AS c (user_id, kind, id, xid, seq)
		    SELECT n.user_id, TG_ARGV[0], '', x, nextval('sync_seq')
		    FROM n ON CONFLICT (user_id, kind, id) DO UPDATE SET
		    xid = x, seq = excluded.seq, deleted = false,
		    changed_at = now();
	END IF;
	RETURN NULL;
END
$$;

-- At COMMIT (the deferred trigger of the transaction's sync_commits row
-- of a user): lock the user's counter row, and number the commit with
-- it. The lock is held from here to the end of COMMIT only: no round
-- trip of the client's. Rows the transaction writes after this (SET
-- CONSTRAINTS … IMMEDIATE) are of the same commit, still before any
-- later one of the user's, as the lock is still held.
CREATE FUNCTION sync_seal() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	-- The account went in this transaction, and its feed with it.
	IF NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id) THEN
		RETURN NULL;
	END IF;
	INSERT INTO sync_feeds AS f (user_id, writes) VALUES (NEW.user_id, 1)
	    ON CONFLICT (user_id) DO UPDATE SET writes = f.writes + 1
	    RETURNING writes INTO n;
	UPDATE sync_commits SET no = n WHERE user_id = NEW.user_id AND
	    xid = NEW.xid;
	RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER sync_commits_seal AFTER INSERT ON sync_commits
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION sync_seal();

-- An account's feed goes with it (sync_changes has no foreign key).
CREATE FUNCTION sync_forget() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
	DELETE FROM sync_changes WHERE user_id IN (SELECT id FROM o);
	RETURN NULL;
END
$$;
CREATE TRIGGER users_sync_forget AFTER DELETE ON users
	REFERENCING OLD TABLE AS o FOR EACH STATEMENT
	EXECUTE FUNCTION sync_forget();

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
		    'xid, seq) SELECT user_id, %L, %s, pg_current_xact_id(), '
		    'nextval(''sync_seq'') FROM %I ORDER BY %s', e.kind,
		    CASE WHEN e.single IS NULL THEN 'id::text' ELSE '''''' END,
		    e.tbl, e.age);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY',
		    e.tbl);
	END LOOP;
END
$$;
-- What is there is each user's first commit (numbered at this COMMIT).
INSERT INTO sync_commits (user_id, xid) SELECT id, pg_current_xact_id()
	FROM users;
