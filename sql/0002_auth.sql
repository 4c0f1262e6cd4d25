-- 0002_auth: what sign-in needs beyond the Auth.js tables of 0001.

-- A disabled user's sessions stop working at once (checked on every use).
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- Provider tokens are stored encrypted (AES-256-GCM, docs/security.md):
-- nonce || ciphertext || tag, never the clear token.
ALTER TABLE accounts
	ALTER COLUMN refresh_token TYPE bytea USING NULL,
	ALTER COLUMN access_token TYPE bytea USING NULL,
	ALTER COLUMN id_token TYPE bytea USING NULL;
ALTER TABLE accounts ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

-- Sessions: idle expiry (expires, rolled), absolute cap (created_at +
-- session_max_age), and what the session list shows.
ALTER TABLE sessions
	ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now(),
	ADD COLUMN user_agent text NOT NULL DEFAULT ''
	    CHECK (char_length(user_agent) <= 512),
	ADD CONSTRAINT sessions_token_is_hash
	    CHECK (session_token ~ '^[0-9a-f]{64}$');

-- Magic links: the token is stored as a hash; the callback URL rides along.
ALTER TABLE verification_tokens
	ADD COLUMN callback_url text NOT NULL DEFAULT '/',
	ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
	ADD CONSTRAINT verification_tokens_token_is_hash
	    CHECK (token ~ '^[0-9a-f]{64}$');

-- Fixed-window counters for rate limits ("email:<addr>", "ip:<addr>").
CREATE TABLE rate_limits (
	key		text PRIMARY KEY CHECK (char_length(key) <= 300),
	window_start	timestamptz NOT NULL,
	count		integer NOT NULL CHECK (count >= 0)
);
CREATE INDEX idx_rate_limits_window ON rate_limits (window_start);

GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits TO passion_app;
