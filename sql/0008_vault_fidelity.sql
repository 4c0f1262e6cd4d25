-- 0008_vault_fidelity: what a round trip through a vault export keeps
-- (docs/vault.md "What export writes"). A track's and a project's
-- contentHash stop depending on the account: they hash the blob's
-- SHA-256, copied here into the row by the trigger that copies its key,
-- instead of its id and key. Blob ids are kept by an import where they
-- are free, as entity ids are, so vault_ids_taken answers for blobs too
-- (and stops listing tables by name).

-- (A bounded repetition, {64}, costs PostgreSQL's regex engine some
-- microseconds a row; the same rule with a length is a tenth of it.)
ALTER TABLE reference_tracks ADD COLUMN blob_sha256 text
	CHECK (blob_sha256 ~ '^[0-9a-f]+$' AND length(blob_sha256) = 64);
ALTER TABLE projects ADD COLUMN cover_sha256 text
	CHECK (cover_sha256 ~ '^[0-9a-f]+$' AND length(cover_sha256) = 64);

-- As 0006's, with the blob's SHA-256 copied too (and a cover removed
-- takes its hash along), and the reason a blob will not do in the
-- error's HINT, for the API to say.
CREATE OR REPLACE FUNCTION blob_use_check() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
	col	text := TG_ARGV[0];
	wanted	uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
	b	blobs%ROWTYPE;
	mine	boolean;
BEGIN
	IF TG_OP = 'UPDATE' AND
	    wanted IS NOT DISTINCT FROM (to_jsonb(OLD) ->> col)::uuid THEN
		RETURN NEW;
	END IF;
	IF wanted IS NULL THEN
		IF TG_TABLE_NAME = 'projects' THEN
			NEW.cover_sha256 := NULL;
		END IF;
		RETURN NEW;
	END IF;
	-- FOR KEY SHARE: the blob cannot be deleted until this commits.
	-- The user's blob, whatever its kind and state: why it will not do
	-- goes in the HINT (blob_none: missing or another user's, which
	-- are not told apart; blob_kind, blob_pending, blob_used).
	SELECT * INTO b FROM blobs WHERE blobs.id = wanted AND
	    user_id = NEW.user_id FOR KEY SHARE;
	mine := FOUND;
	IF NOT mine OR b.kind <> TG_ARGV[1] OR b.state <> 'ready' OR
	    EXISTS (SELECT 1 FROM reference_tracks t WHERE
	    t.blob_id = b.id AND (TG_TABLE_NAME <> 'reference_tracks' OR
	    t.id <> NEW.id)) OR EXISTS (SELECT 1 FROM projects p WHERE
	    p.cover_blob_id = b.id AND (TG_TABLE_NAME <> 'projects' OR
	    p.id <> NEW.id)) THEN
		RAISE EXCEPTION 'no ready % blob % of the user that is free',
		    TG_ARGV[1], wanted USING ERRCODE = 'foreign_key_violation',
		    CONSTRAINT = TG_TABLE_NAME || '_' || col || '_fkey',
		    HINT = CASE WHEN NOT mine THEN 'blob_none'
			WHEN b.kind <> TG_ARGV[1] THEN 'blob_kind'
			WHEN b.state <> 'ready' THEN 'blob_pending'
			ELSE 'blob_used' END;
	END IF;
	IF TG_TABLE_NAME = 'reference_tracks' THEN
		NEW.blob_key := b.object_key;
		NEW.mime_type := b.mime_type;
		NEW.size_bytes := b.size_bytes;
		NEW.blob_sha256 := b.sha256;
	ELSIF TG_TABLE_NAME = 'projects' THEN
		NEW.cover_sha256 := b.sha256;
	END IF;
	RETURN NEW;
END
$$;

-- Blob ids are global keys too: an imported blob's id another user
-- holds is given a new one (vault_ids_taken, below, reads them as the
-- owner, as it reads the entities; so does the statement after this).
CREATE POLICY blobs_id_probe ON blobs FOR SELECT TO CURRENT_USER
	USING (true);

-- The rows there are: their blob's hash, and their contentHash blanked
-- for `passionctl migrate` to recompute in C (db/migrate.c, "rehash"),
-- by the one function that defines it. The owner is under row-level
-- security (FORCE) and has no policy to write: it is lifted for these
-- two statements only, inside this migration's transaction.
ALTER TABLE reference_tracks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE projects NO FORCE ROW LEVEL SECURITY;
UPDATE reference_tracks t SET blob_sha256 = b.sha256, content_hash = ''
	FROM blobs b WHERE b.id = t.blob_id;
UPDATE projects p SET cover_sha256 = b.sha256 FROM blobs b
	WHERE b.id = p.cover_blob_id;
UPDATE projects SET content_hash = '';
ALTER TABLE reference_tracks FORCE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;

-- vault_ids_taken no longer lists the tables: a table it may probe is
-- one the owner has an id-probe policy on (<table>_id_probe, which a new
-- entity's migration creates anyway), and the ids are compared as the
-- type of its id column (text, or a uuid for blobs), by its index.
CREATE OR REPLACE FUNCTION vault_ids_taken(tbl text, ids text[])
    RETURNS SETOF text LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
	idtype	text;
BEGIN
	-- A domain's base type (entity_id is text): casting the ids to the
	-- domain would check each against its rule first, for nothing.
	SELECT format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype
	    ELSE t.oid END, NULL) INTO idtype
	    FROM pg_policies p JOIN pg_attribute a ON
	    a.attrelid = format('public.%I', p.tablename)::regclass AND
	    a.attname = 'id' AND NOT a.attisdropped
	    JOIN pg_type t ON t.oid = a.atttypid
	    WHERE p.schemaname = 'public' AND p.tablename = tbl AND
	    p.policyname = tbl || '_id_probe';
	IF idtype IS NULL THEN
		RAISE EXCEPTION 'vault_ids_taken: no table %', tbl;
	END IF;
	RETURN QUERY EXECUTE format('SELECT id::text FROM %I WHERE id = '
	    'ANY($1::%s[]) AND user_id IS DISTINCT FROM nullif('
	    'current_setting(''passion.user_id'', true), '''')::uuid', tbl,
	    idtype) USING ids;
END
$$;
