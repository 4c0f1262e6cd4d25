-- 0023_search_lz4: ranking a search's matches costs what reading their
-- vectors costs. An entry's vector (about 2.4 kB for 150 words) is
-- compressed, and pglz's decompression was more than half of a search
-- of two common words over 50 000 entries: ts_rank over 1 000 matches
-- took 8.5 ms of 15. lz4 decompresses several times faster: the same
-- ranking took about 2.5 ms. Vectors written from now on (a new entry,
-- an edited one) are lz4; those stored keep pglz until their entry is
-- written again (rewriting them here would send every entry down every
-- client's change feed, 0019, and lock each for the rewrite's length;
-- VACUUM FULL keeps values as they are compressed). A server built
-- without lz4 keeps pglz: searches cost what they did.
DO $$
BEGIN
	ALTER TABLE infobase_entries ALTER COLUMN search SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'this server has no lz4: search vectors stay pglz';
END
$$;
