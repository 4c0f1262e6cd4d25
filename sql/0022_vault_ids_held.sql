-- 0022_vault_ids_held: an import asks which of its ids are held, and
-- whether by the user, in one statement a batch, found by the id alone.
-- It asked as passion_app, "user_id = $1 AND id = ANY($2)", and the
-- planner, whose statistics said the user had next to no rows (an
-- import's user, before autovacuum's ANALYZE), read every row of the
-- user through an index on user_id against each batch's 5 000 ids: a
-- million entities after 100 000 took 303 s, not 42 s. Row-level
-- security's own condition on user_id is indexable too, so no statement
-- of passion_app can leave the planner only the id. This function, run
-- as the owner (whose id-probe policies, 0007 and 0008, read every row),
-- has the id as its only condition; whose row it is comes back as a
-- column. An id is its table's primary key: one row at most. (0008's
-- vault_ids_taken, the other users' half, stays for the release before.)
CREATE FUNCTION vault_ids_held(tbl text, ids anyarray)
    RETURNS TABLE (id text, mine boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
	-- An entity's table only: those are the ones with an id probe.
	IF NOT EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname =
	    'public' AND p.tablename = tbl AND
	    p.policyname = tbl || '_id_probe') THEN
		RAISE EXCEPTION 'vault_ids_held: no table %', tbl;
	END IF;
	-- ids are of the table's id type (the caller's cast); a one-shot
	-- plan (EXECUTE) for these ids and the table as it is.
	RETURN QUERY EXECUTE format('SELECT id::text, user_id IS NOT '
	    'DISTINCT FROM nullif(current_setting(''passion.user_id'', '
	    'true), '''')::uuid FROM %I WHERE id = ANY($1)', tbl) USING ids;
END
$$;
REVOKE ALL ON FUNCTION vault_ids_held(text, anyarray) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vault_ids_held(text, anyarray) TO passion_app;
