-- 0021_sync_commits: the change feed numbers each commit once (0019
-- numbered each row). 0019 noted a row pending and its deferred trigger
-- rewrote every pending row with its number at COMMIT: an import's
-- million rows were written twice (non-HOT: seq is indexed), and each
-- checked its foreign key at COMMIT — 100 000 entities 2.6 s → 5.0 s,
-- a million 50 s → 288 s. Now a noted row names its transaction (xid),
-- and the transaction has one row per user in sync_commits, numbered at
-- COMMIT from the user's counter (sync_feeds.writes) while its row is
-- locked: the order between a user's commits is exact, as before (a
-- snapshot that holds one holds every earlier one), and within a commit
-- rows go by seq, which only orders one transaction's rows. Cursors
-- given out before this are refused (a new epoch); the feed starts over
-- from one commit per user holding what is there.

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
SELECT passion_guard('sync_commits');
CREATE POLICY sync_commits_writer ON sync_commits TO CURRENT_USER
	USING (true) WITH CHECK (true);
GRANT SELECT, DELETE ON sync_commits TO passion_app;

DROP TABLE sync_pending;		-- and its trigger, sync_pending_seal

-- A row's place: its commit's transaction, and seq within it. No
-- foreign key: a million rows' checks would cost an import a tenth of
-- its time; an account's rows go with it by sync_forget (below).
ALTER TABLE sync_changes DROP CONSTRAINT sync_changes_user_id_fkey,
	ADD COLUMN xid xid8;
UPDATE sync_changes SET xid = pg_current_xact_id();
ALTER TABLE sync_changes ALTER COLUMN xid SET NOT NULL,
	ALTER COLUMN seq SET NOT NULL;
DROP INDEX idx_sync_changes_seq, idx_sync_changes_pending;
CREATE INDEX idx_sync_changes_commit ON sync_changes (user_id, xid, seq);
-- sync_feeds.writes is now the number of the user's last commit (its
-- update still the lock); floor, the greatest commit of the tombstones
-- swept.

-- The rows a statement wrote (n) or deleted (o), noted under kind
-- (TG_ARGV[0]); TG_ARGV[1] = 'single' for a user's one row (no id). A
-- row names its transaction, which the user's sync_commits row numbers
-- at COMMIT. Rows of a user being deleted (an account's cascade) are
-- not noted: their feed goes with them.
CREATE OR REPLACE FUNCTION sync_note() RETURNS trigger
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
CREATE OR REPLACE FUNCTION sync_seal() RETURNS trigger
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

-- What is there is each user's first commit (numbered at this COMMIT),
-- and no cursor of before is good.
UPDATE sync_feeds SET writes = 0, floor = 0;
INSERT INTO sync_commits (user_id, xid) SELECT DISTINCT user_id,
	pg_current_xact_id() FROM sync_changes;
UPDATE sync_epoch SET epoch = gen_random_uuid();
