-- 0012_search: the infobase's search costs what a page costs, not what
-- the matches cost. It read every entry of the user and ranked every
-- match: two common words over 50 000 entries took 5 s and held a
-- worker. Under row-level security no index on the search vector could
-- serve it (@@ is not leakproof: 0005), so the one function below, run
-- as this schema's owner, finds a user's matches by a GIN index that
-- leads with user_id and ranks at most 1 000 of them.
--
-- The owner reads the entity tables through its id-probe policies
-- (0007: SELECT, USING (true)), so the policy does not stand between the
-- index and @@ there; the function states the policy's own condition
-- itself, and returns only ids and ranks. The caller reads the entries
-- as itself, under row-level security and by its user_id.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX idx_infobase_entries_search ON infobase_entries
	USING gin (user_id, search);

-- Bitmap scans only: the matches come from the GIN index (a walk of the
-- user's rows filtered by @@ reads every entry when few match). The
-- first 1 000 matches the index yields are ranked, so that a search's
-- cost is bounded whatever it matches. A query of excluded words only
-- ("-word") has nothing for the index to look up: it is refused.
CREATE FUNCTION infobase_search(query text)
    RETURNS TABLE (id text, rank real)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    SET enable_seqscan = off SET enable_indexscan = off
AS $$
DECLARE
	q	tsquery := websearch_to_tsquery('english', query);
BEGIN
	IF querytree(q) = 'T' THEN
		RAISE EXCEPTION 'a search needs a word to look for'
		    USING ERRCODE = '22023', HINT = 'search_excluded_only';
	END IF;
	-- A one-shot plan (EXECUTE) with the query's own selectivity.
	RETURN QUERY EXECUTE 'SELECT e.id::text, ts_rank(e.search, $1) '
	    'FROM infobase_entries e WHERE e.user_id = nullif('
	    'current_setting(''passion.user_id'', true), '''')::uuid AND '
	    'e.search @@ $1 LIMIT 1000' USING q;
END
$$;
REVOKE ALL ON FUNCTION infobase_search(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION infobase_search(text) TO passion_app;
