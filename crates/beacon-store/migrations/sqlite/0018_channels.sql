-- no-transaction
-- Channels: the `webhooks` table now holds notification channels of every kind (its name is from before there
-- were other kinds; `deliveries.webhook_pk` names a channel). A channel made on its own belongs to no service,
-- so `service_pk` becomes nullable — SQLite changes a column's constraint only by rebuilding the table, which
-- must run with foreign keys off (dropping the old table would otherwise cascade into `deliveries`).
--   kind      webhook | email | slack | discord | teams | google-chat | telegram | pagerduty | ntfy | gotify |
--             pushover | matrix
--   name      how people name it (unique; NULL for webhooks made before channels had names)
--   settings  the kind's settings as JSON (`beacon_core::channel::ChannelInput`; NULL for webhooks, whose URL,
--             secret and headers keep their columns)
-- `service_pk` + `events` stay a webhook's subscription to its own service (deleted with it); subscriptions to
-- further services, and every subscription of a channel made on its own, are rows of `channel_routes`.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE channels_new (
    pk                   INTEGER PRIMARY KEY,
    id                   BLOB NOT NULL UNIQUE,
    service_pk           INTEGER REFERENCES services (pk) ON DELETE CASCADE,
    kind                 TEXT NOT NULL DEFAULT 'webhook',
    name                 TEXT,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL,
    secret               TEXT NOT NULL,
    headers              TEXT NOT NULL,
    settings             TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    endpoint_pk          INTEGER REFERENCES endpoints (pk) ON DELETE CASCADE,
    format               TEXT NOT NULL DEFAULT 'standard',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_attempt_at      INTEGER,
    options              TEXT,
    managed_by           TEXT
);
INSERT INTO channels_new (pk, id, service_pk, url, events, secret, headers, created_at, updated_at, endpoint_pk,
                          format, consecutive_failures, last_attempt_at, options, managed_by)
    SELECT pk, id, service_pk, url, events, secret, headers, created_at, updated_at, endpoint_pk, format,
           consecutive_failures, last_attempt_at, options, managed_by
    FROM webhooks;
DROP TABLE webhooks;
ALTER TABLE channels_new RENAME TO webhooks;
CREATE INDEX webhooks_by_service ON webhooks (service_pk);
CREATE UNIQUE INDEX webhooks_by_endpoint ON webhooks (endpoint_pk) WHERE endpoint_pk IS NOT NULL;
CREATE UNIQUE INDEX channels_by_name ON webhooks (name) WHERE name IS NOT NULL;

CREATE TABLE channel_routes (
    pk         INTEGER PRIMARY KEY,
    channel_pk INTEGER NOT NULL REFERENCES webhooks (pk) ON DELETE CASCADE,
    service_pk INTEGER NOT NULL REFERENCES services (pk) ON DELETE CASCADE,
    -- Subscribed event kinds as ",kind1,kind2,", as webhooks.events.
    events     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (channel_pk, service_pk)
);
CREATE INDEX channel_routes_by_service ON channel_routes (service_pk);
COMMIT;
PRAGMA foreign_keys = ON;
