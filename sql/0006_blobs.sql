-- 0006_blobs: blobs in the object store (docs/api.md "Blobs",
-- docs/operations.md "Object store"). A row is what authorises a URL;
-- the bytes never pass through passiond or nginx.

-- What the routes need of a blob: the file name it is downloaded as,
-- a multipart upload in progress (its id and part size), when it became
-- ready, and a list index newest first.
ALTER TABLE blobs
	ADD COLUMN name text NOT NULL DEFAULT '' CHECK (length(name) <= 255),
	ADD COLUMN upload_id text,
	ADD COLUMN part_size bigint CHECK (part_size > 0),
	ADD COLUMN ready_at timestamptz,
	ADD CONSTRAINT blobs_id_user UNIQUE (id, user_id);
ALTER TABLE blobs ALTER COLUMN name DROP DEFAULT;
CREATE INDEX idx_blobs_list ON blobs (user_id, created_at DESC, id DESC);

-- A reference track's audio and a project's cover are blobs of the same
-- user (the pair makes that a rule of the database), each used once. A
-- blob in use cannot be deleted on its own; deleting its track or
-- project takes it along.
ALTER TABLE reference_tracks
	ADD COLUMN blob_id uuid,
	ADD FOREIGN KEY (blob_id, user_id) REFERENCES blobs (id, user_id);
CREATE UNIQUE INDEX idx_reference_tracks_blob ON reference_tracks (blob_id);
ALTER TABLE projects
	ADD COLUMN cover_blob_id uuid,
	ADD FOREIGN KEY (cover_blob_id, user_id) REFERENCES blobs (id, user_id);
CREATE UNIQUE INDEX idx_projects_cover ON projects (cover_blob_id);

-- The blob a row names (column TG_ARGV[0]) must be a ready blob of the
-- user, of kind TG_ARGV[1], used by nothing else; a track takes its key,
-- type and size from it. Refused as a foreign-key violation on the
-- column, which the API answers 422 naming the field.
CREATE FUNCTION blob_use_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	col	text := TG_ARGV[0];
	wanted	uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
	b	blobs%ROWTYPE;
BEGIN
	IF wanted IS NULL OR (TG_OP = 'UPDATE' AND
	    wanted IS NOT DISTINCT FROM (to_jsonb(OLD) ->> col)::uuid) THEN
		RETURN NEW;
	END IF;
	-- FOR KEY SHARE: the blob cannot be deleted until this commits.
	SELECT * INTO b FROM blobs WHERE blobs.id = wanted AND
	    user_id = NEW.user_id AND kind = TG_ARGV[1] AND state = 'ready'
	    FOR KEY SHARE;
	IF NOT FOUND OR EXISTS (SELECT 1 FROM reference_tracks t WHERE
	    t.blob_id = b.id AND (TG_TABLE_NAME <> 'reference_tracks' OR
	    t.id <> NEW.id)) OR EXISTS (SELECT 1 FROM projects p WHERE
	    p.cover_blob_id = b.id AND (TG_TABLE_NAME <> 'projects' OR
	    p.id <> NEW.id)) THEN
		RAISE EXCEPTION 'no ready % blob % of the user that is free',
		    TG_ARGV[1], wanted USING ERRCODE = 'foreign_key_violation',
		    CONSTRAINT = TG_TABLE_NAME || '_' || col || '_fkey';
	END IF;
	IF TG_TABLE_NAME = 'reference_tracks' THEN
		NEW.blob_key := b.object_key;
		NEW.mime_type := b.mime_type;
		NEW.size_bytes := b.size_bytes;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER reference_tracks_blob BEFORE INSERT OR UPDATE OF blob_id
	ON reference_tracks FOR EACH ROW
	EXECUTE FUNCTION blob_use_check('blob_id', 'audio');
CREATE TRIGGER projects_cover_blob BEFORE INSERT OR UPDATE OF cover_blob_id
	ON projects FOR EACH ROW
	EXECUTE FUNCTION blob_use_check('cover_blob_id', 'image');

-- A track or a project deleted (by itself, with its library, with the
-- account) takes its blob along.
CREATE FUNCTION blob_owner_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM blobs WHERE id = (to_jsonb(OLD) ->> TG_ARGV[0])::uuid;
	RETURN NULL;
END
$$;
CREATE TRIGGER reference_tracks_blob_gone AFTER DELETE ON reference_tracks
	FOR EACH ROW WHEN (OLD.blob_id IS NOT NULL)
	EXECUTE FUNCTION blob_owner_gone('blob_id');
CREATE TRIGGER projects_cover_gone AFTER DELETE ON projects
	FOR EACH ROW WHEN (OLD.cover_blob_id IS NOT NULL)
	EXECUTE FUNCTION blob_owner_gone('cover_blob_id');

-- Objects to remove from the store: written in the transaction that
-- drops their rows (a track, a library, a project, an account), removed
-- by the jobs worker after commit (DeleteObjects in batches) and retried
-- by `passionctl maintain`. Not under row-level security: its rows
-- outlive their user (an account's deletion), and hold only keys.
CREATE TABLE blob_deletions (
	object_key	text PRIMARY KEY,
	upload_id	text,		-- a multipart upload to abort
	queued_at	timestamptz NOT NULL DEFAULT now(),
	attempts	integer NOT NULL DEFAULT 0,
	last_error	text
);
GRANT SELECT, INSERT, UPDATE, DELETE ON blob_deletions TO passion_app;

-- The jobs worker drains blob_deletions.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check
	CHECK (kind IN ('mail', 'blob_delete'));

-- Every blob row deleted queues its object (and its multipart upload),
-- in the same transaction, and one drain job if none is waiting; but
-- not the one object the request has removed from the store already
-- (passion.object_removed, transaction-local: DELETE /api/blobs/{id}).
CREATE FUNCTION blobs_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO blob_deletions (object_key, upload_id)
	    SELECT object_key, upload_id FROM gone WHERE object_key IS
	    DISTINCT FROM current_setting('passion.object_removed', true)
	    ON CONFLICT (object_key) DO UPDATE SET upload_id =
	    coalesce(EXCLUDED.upload_id, blob_deletions.upload_id);
	IF FOUND AND NOT EXISTS (SELECT 1 FROM jobs WHERE kind =
	    'blob_delete' AND state = 'queued') THEN
		INSERT INTO jobs (kind, max_attempts) VALUES ('blob_delete', 20);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER blobs_gone AFTER DELETE ON blobs
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
	EXECUTE FUNCTION blobs_gone();
