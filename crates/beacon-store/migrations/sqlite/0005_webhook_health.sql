-- Per-check webhooks (seed 002's `webhook_url`), webhook health, and an id per delivery attempt.
--
-- A check's `webhook_url` is kept as a webhook row owned by its endpoint (endpoint_pk set, format 'pulse'): it
-- goes through the same outbox, leases, retries and attempt log as every other webhook, and is written in the
-- same transaction as the endpoint. Its events reach only that URL; service webhooks have endpoint_pk NULL.

ALTER TABLE webhooks ADD COLUMN endpoint_pk INTEGER REFERENCES endpoints (pk) ON DELETE CASCADE;
ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT 'standard';
-- Failed attempts since the last successful one; 0 means the receiver is up.
ALTER TABLE webhooks ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN last_attempt_at INTEGER;
CREATE UNIQUE INDEX webhooks_by_endpoint ON webhooks (endpoint_pk) WHERE endpoint_pk IS NOT NULL;

ALTER TABLE delivery_attempts ADD COLUMN id BLOB;
UPDATE delivery_attempts SET id = randomblob(16) WHERE id IS NULL;
CREATE INDEX events_by_endpoint ON events (endpoint_pk, pk);
