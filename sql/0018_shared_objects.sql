-- 0018_shared_objects: an import stores a blob's bytes once. An old
-- app's bundle names its audio by SHA-256, and one file named by 200
-- tracks was put 200 times (200 MiB against a 100 MiB quota). Each track
-- still has a blob row of its own (a blob has one use, 0006), but the
-- rows an import makes of one content share its object: the object key
-- is no longer unique. It is the same user's (the key's prefix, 0001),
-- it counts once against the quota (storage_used), and it leaves the
-- store with the last row that holds it.
ALTER TABLE blobs DROP CONSTRAINT blobs_object_key_key;
CREATE INDEX idx_blobs_object ON blobs (user_id, object_key);

-- The bytes user has in the store: each object once, and bundles kept.
CREATE OR REPLACE FUNCTION storage_used(u uuid) RETURNS bigint
    LANGUAGE sql STABLE
AS $$
	SELECT (SELECT coalesce(sum(size_bytes), 0) FROM (SELECT DISTINCT ON
	    (object_key) size_bytes FROM blobs WHERE user_id = u ORDER BY
	    object_key) o) + (SELECT coalesce(sum(size_bytes), 0)
	    FROM vault_imports WHERE user_id = u AND
	    vault_bundle_kept(state, error_code))
$$;

-- A row deleted queues its object unless another row still holds it.
-- Two rows of one object deleted at once (two transactions) must not
-- both see the other and leave the object for ever: a key found held
-- is locked (in key order, so two such never deadlock) and asked again,
-- in a statement of its own, which in READ COMMITTED sees what the
-- other transaction committed while this one waited. Run as the owner,
-- who reads every user's rows (blobs_id_probe, 0008), so that what
-- holds an object is never hidden by passion.user_id (maintain, an
-- account's deletion); a trigger function cannot be called by itself.
CREATE OR REPLACE FUNCTION blobs_gone() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
	held	text[];
BEGIN
	SELECT array_agg(DISTINCT b.object_key) INTO held FROM gone g
	    JOIN blobs b ON b.user_id = g.user_id AND
	    b.object_key = g.object_key;
	IF held IS NOT NULL THEN
		PERFORM pg_advisory_xact_lock(hashtextextended(k, 18))
		    FROM (SELECT k FROM unnest(held) AS k ORDER BY k) s;
		SELECT array_agg(DISTINCT b.object_key) INTO held FROM gone g
		    JOIN blobs b ON b.user_id = g.user_id AND
		    b.object_key = g.object_key WHERE g.object_key = ANY (held);
	END IF;
	INSERT INTO blob_deletions (object_key, upload_id)
	    SELECT object_key, upload_id FROM gone WHERE object_key IS
	    DISTINCT FROM current_setting('passion.object_removed', true)
	    AND (held IS NULL OR object_key <> ALL (held))
	    ON CONFLICT (object_key) DO UPDATE SET upload_id =
	    coalesce(EXCLUDED.upload_id, blob_deletions.upload_id);
	IF FOUND AND NOT EXISTS (SELECT 1 FROM jobs WHERE kind =
	    'blob_delete' AND state = 'queued') THEN
		INSERT INTO jobs (kind, max_attempts) VALUES ('blob_delete', 20);
	END IF;
	RETURN NULL;
END
$$;
