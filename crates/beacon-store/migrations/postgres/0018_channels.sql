-- Channels: the `webhooks` table now holds notification channels of every kind (its name is from before there
-- were other kinds; `deliveries.webhook_pk` names a channel). A channel made on its own belongs to no service.
--   kind      webhook | email | slack | discord | teams | google-chat | telegram | pagerduty | ntfy | gotify |
--             pushover | matrix
--   name      how people name it (unique; NULL for webhooks made before channels had names)
--   settings  the kind's settings as JSON (`beacon_core::channel::ChannelInput`; NULL for webhooks, whose URL,
--             secret and headers keep their columns)
-- `service_pk` + `events` stay a webhook's subscription to its own service (deleted with it); subscriptions to
-- further services, and every subscription of a channel made on its own, are rows of `channel_routes`.
ALTER TABLE webhooks ALTER COLUMN service_pk DROP NOT NULL;
ALTER TABLE webhooks ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook';
ALTER TABLE webhooks ADD COLUMN name TEXT;
ALTER TABLE webhooks ADD COLUMN settings TEXT;
CREATE UNIQUE INDEX channels_by_name ON webhooks (name) WHERE name IS NOT NULL;

CREATE TABLE channel_routes (
    pk         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_pk BIGINT NOT NULL REFERENCES webhooks (pk) ON DELETE CASCADE,
    service_pk BIGINT NOT NULL REFERENCES services (pk) ON DELETE CASCADE,
    events     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (channel_pk, service_pk)
);
CREATE INDEX channel_routes_by_service ON channel_routes (service_pk);
