-- 0015_storage_used: everything of a user's in the store counts against
-- storage_quota. An import's bundle (up to 2 GiB, a presigned PUT) was
-- outside it: a user at the quota could still be handed twenty more.
-- Now a bundle counts while it is kept (uploading, queued, running, or
-- failed in a way a second start can mend: docs/vault.md), and a user
-- has at most three such imports; maintain removes those left waiting
-- past vault_import_age (0009). Exports are the server's own, made at
-- most three at a time and removed after vault_export_age: they do not
-- count, so that a user at the quota can still take a backup.

-- Is an import's bundle in the store? (0009: bad_passphrase and internal
-- keep it for a second start; every other failure removes it.)
CREATE FUNCTION vault_bundle_kept(state text, error_code text)
    RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$
	SELECT state IN ('uploading', 'queued', 'running') OR
	    (state = 'failed' AND error_code IN ('bad_passphrase', 'internal'))
$$;

-- The bytes user has in the store: blobs, and bundles kept.
CREATE FUNCTION storage_used(u uuid) RETURNS bigint LANGUAGE sql STABLE
AS $$
	SELECT (SELECT coalesce(sum(size_bytes), 0) FROM blobs
	    WHERE user_id = u) + (SELECT coalesce(sum(size_bytes), 0)
	    FROM vault_imports WHERE user_id = u AND
	    vault_bundle_kept(state, error_code))
$$;

-- Three imports with a bundle kept, at most, made through the API
-- (passionctl import's are the operator's). Counted under a lock of the
-- user's; HINT imports_full, answered 409 too_many_imports.
CREATE FUNCTION vault_imports_open_check() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(hashtextextended(NEW.user_id::text, 15));
	IF (SELECT count(*) FROM vault_imports WHERE user_id = NEW.user_id AND
	    vault_bundle_kept(state, error_code)) >= 3 THEN
		RAISE EXCEPTION 'three imports of this user hold a bundle'
		    USING ERRCODE = '54000', HINT = 'imports_full';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER vault_imports_open BEFORE INSERT ON vault_imports
	FOR EACH ROW WHEN (NEW.state = 'uploading')
	EXECUTE FUNCTION vault_imports_open_check();
