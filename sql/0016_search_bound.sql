-- 0016_search_bound: an entry the API takes is always stored. A text
-- search vector is at most 1 MB: 500 000 characters of two-character
-- CJK words (each a lexeme of its own) passed it, and the insert failed
-- (500). The vector is now made by one function that falls back, past
-- that limit, to the vector of the content's first 100 000 characters
-- (at most about 550 kB whatever they are: one-character words, one
-- position each); such an entry is found by those words and its title.
CREATE FUNCTION infobase_vector(title text, content text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	RETURN setweight(to_tsvector('english', title), 'A') ||
	    setweight(to_tsvector('english', content), 'B');
EXCEPTION WHEN program_limit_exceeded THEN
	RETURN setweight(to_tsvector('english', title), 'A') ||
	    setweight(to_tsvector('english', left(content, 100000)), 'B');
END
$$;

-- The column made again from it (its GIN index, 0012, with it).
ALTER TABLE infobase_entries DROP COLUMN search;
ALTER TABLE infobase_entries ADD COLUMN search tsvector
	GENERATED ALWAYS AS (infobase_vector(title, content)) STORED;
CREATE INDEX idx_infobase_entries_search ON infobase_entries
	USING gin (user_id, search);
