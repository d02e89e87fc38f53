-- Notification targets and the delivery outbox. An event's deliveries are created in the same transaction as the
-- event (fan-out to the webhooks of its service that subscribe to its kind); the delivery engine works them off.

ALTER TABLE events ADD COLUMN service_pk BIGINT;

CREATE TABLE webhooks (
    pk         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         UUID NOT NULL UNIQUE,
    service_pk BIGINT NOT NULL REFERENCES services (pk) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    headers    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_by_service ON webhooks (service_pk);

CREATE TABLE deliveries (
    pk               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               UUID NOT NULL UNIQUE,
    webhook_pk       BIGINT NOT NULL REFERENCES webhooks (pk) ON DELETE CASCADE,
    event_pk         BIGINT NOT NULL REFERENCES events (pk),
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_pk, pk);

CREATE TABLE delivery_attempts (
    pk               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_pk      BIGINT NOT NULL REFERENCES deliveries (pk) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    started_at       BIGINT NOT NULL,
    request_url      TEXT NOT NULL,
    request_headers  TEXT NOT NULL,
    request_body     TEXT NOT NULL,
    response_status  INTEGER,
    response_headers TEXT,
    response_body    TEXT,
    error            TEXT,
    latency_us       BIGINT NOT NULL,
    timed_out        BOOLEAN NOT NULL,
    UNIQUE (delivery_pk, number)
);
