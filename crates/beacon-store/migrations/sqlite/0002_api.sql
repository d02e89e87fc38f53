-- REST API: tokens, seed-002 check fields (webhook_url), and the last result's error kind (for last_status).

ALTER TABLE endpoints ADD COLUMN webhook_url TEXT;
ALTER TABLE endpoints ADD COLUMN last_error_kind INTEGER;

CREATE TABLE api_tokens (
    pk          INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    bootstrap   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
-- At most one bootstrap token, ever: two servers starting on an empty database cannot both create one.
CREATE UNIQUE INDEX api_tokens_one_bootstrap ON api_tokens (bootstrap) WHERE bootstrap;
