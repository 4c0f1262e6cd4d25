-- 0020_idempotency: a create sent again after its answer was lost
-- (Idempotency-Key, docs/api.md "Retries") answers what the first one
-- answered, and writes nothing. The key is claimed by the create's own
-- transaction, first: a second request with the key waits on the row
-- until the first commits (then it reads the answer) or rolls back
-- (then it claims the key itself), so two at once make one row. The
-- answer is stored by the same transaction, just before its COMMIT: a
-- create that failed leaves no key behind. Kept a day (maintain).
CREATE TABLE idempotency_keys (
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key		text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
	-- SHA-256 of the method, the path and the body: the same key for
	-- another request is refused (422).
	request_hash	text NOT NULL,
	status		integer,
	location	text,
	body		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, key)
);
CREATE INDEX idx_idempotency_keys_age ON idempotency_keys (user_id,
	created_at);

SELECT passion_guard('idempotency_keys');
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO passion_app;
