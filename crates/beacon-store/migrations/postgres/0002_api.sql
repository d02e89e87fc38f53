-- REST API: tokens, seed-002 check fields (webhook_url), and the last result's error kind (for last_status).

ALTER TABLE endpoints ADD COLUMN webhook_url TEXT;
ALTER TABLE endpoints ADD COLUMN last_error_kind INTEGER;

CREATE TABLE api_tokens (
    pk          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          UUID NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    secret_hash BYTEA NOT NULL,
    bootstrap   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE UNIQUE INDEX api_tokens_one_bootstrap ON api_tokens (bootstrap) WHERE bootstrap;
