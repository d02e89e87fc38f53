-- Core schema: services, endpoints, per-region schedules with leases, compact pings, incidents, event outbox.
-- Times are integer milliseconds since the Unix epoch (UTC). Internal keys are integers; UUIDs are the public ids.

CREATE TABLE regions (
    pk   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO regions (pk, name) VALUES (1, 'default');

CREATE TABLE services (
    pk          INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE endpoints (
    pk                    INTEGER PRIMARY KEY,
    id                    BLOB NOT NULL UNIQUE,
    service_pk            INTEGER NOT NULL REFERENCES services (pk),
    name                  TEXT NOT NULL,
    url                   TEXT NOT NULL,
    method                TEXT NOT NULL,
    interval_seconds      INTEGER NOT NULL,
    timeout_ms            INTEGER NOT NULL,
    expected_status       TEXT NOT NULL,
    headers               TEXT NOT NULL,
    body                  TEXT,
    alert_threshold       INTEGER NOT NULL,
    recovery_threshold    INTEGER NOT NULL,
    expect_body_contains  TEXT,
    follow_redirects      BOOLEAN NOT NULL,
    enabled               BOOLEAN NOT NULL,
    status                TEXT NOT NULL DEFAULT 'unknown',
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    consecutive_successes INTEGER NOT NULL DEFAULT 0,
    last_checked_at       INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX endpoints_by_service ON endpoints (service_pk);

-- One row per (endpoint, region): the next slot due and who holds it. Claimed through leases.
CREATE TABLE schedules (
    pk               INTEGER PRIMARY KEY,
    endpoint_pk      INTEGER NOT NULL REFERENCES endpoints (pk) ON DELETE CASCADE,
    region_pk        INTEGER NOT NULL REFERENCES regions (pk),
    next_slot_at     INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    UNIQUE (endpoint_pk, region_pk)
);
CREATE INDEX schedules_due ON schedules (region_pk, next_slot_at);

-- One row per (endpoint, slot, region): the key makes a second write of the same result a no-op.
CREATE TABLE pings (
    endpoint_pk   INTEGER NOT NULL,
    slot          INTEGER NOT NULL,
    region_pk     INTEGER NOT NULL,
    start_delay   INTEGER NOT NULL, -- started_at - slot, ms
    success       BOOLEAN NOT NULL,
    status_code   INTEGER,
    error_kind    INTEGER,
    error         TEXT,
    dns_us        INTEGER,
    connect_us    INTEGER,
    tls_us        INTEGER,
    first_byte_us INTEGER,
    total_us      INTEGER NOT NULL,
    PRIMARY KEY (endpoint_pk, slot, region_pk)
) WITHOUT ROWID;

CREATE TABLE incidents (
    pk            INTEGER PRIMARY KEY,
    id            BLOB NOT NULL UNIQUE,
    endpoint_pk   INTEGER NOT NULL REFERENCES endpoints (pk) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    resolved_at   INTEGER,
    cause         TEXT NOT NULL,
    failure_count INTEGER NOT NULL,
    resolved_by   TEXT
);
CREATE UNIQUE INDEX incidents_one_open ON incidents (endpoint_pk) WHERE status = 'open';
CREATE INDEX incidents_by_endpoint ON incidents (endpoint_pk, started_at);

-- Transactional outbox: written in the same transaction as the state change it reports.
CREATE TABLE events (
    pk         INTEGER PRIMARY KEY,
    id         BLOB NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
