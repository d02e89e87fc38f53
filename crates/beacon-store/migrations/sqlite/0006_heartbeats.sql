-- Heartbeats: push monitors. A heartbeat's state (last result, run in progress, pause) is kept on its row with
-- the computed status and `next_check_at`, the next time the status can change without a ping: the evaluator
-- only evaluates rows whose time has come. Pings are kept (last N per heartbeat) with their diagnostics;
-- `heartbeat_log` keeps every status transition.

CREATE TABLE heartbeats (
    pk             INTEGER PRIMARY KEY,
    id             BLOB NOT NULL UNIQUE,
    service_pk     INTEGER NOT NULL REFERENCES services (pk) ON DELETE CASCADE,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    period_seconds INTEGER,
    cron           TEXT,
    tz             TEXT,
    grace_seconds  INTEGER NOT NULL,
    key_hash       BLOB NOT NULL,
    paused         BOOLEAN NOT NULL DEFAULT FALSE,
    status         TEXT NOT NULL,
    last_result_at INTEGER,
    last_result_ok BOOLEAN,
    started_at     INTEGER,
    last_ping_at   INTEGER,
    next_check_at  INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX heartbeats_by_service ON heartbeats (service_pk);
-- No index on next_check_at: every ping moves it, and an index would double the pages each batch writes;
-- the evaluator's scan of this small table is cheaper than that.

CREATE TABLE heartbeat_pings (
    pk            INTEGER PRIMARY KEY,
    heartbeat_pk  INTEGER NOT NULL REFERENCES heartbeats (pk) ON DELETE CASCADE,
    received_at   INTEGER NOT NULL,
    kind          TEXT NOT NULL,          -- success | start | fail | log
    exit_status   INTEGER,
    rid           TEXT,
    duration_ms   INTEGER,
    client_status TEXT,                   -- seed 003's `status`, kept but not decisive
    body          TEXT,                   -- message or POST body, at most 10,000 bytes
    metadata      TEXT                    -- seed 003's `metadata` (JSON)
);
CREATE INDEX heartbeat_pings_by_heartbeat ON heartbeat_pings (heartbeat_pk, pk);

CREATE TABLE heartbeat_log (
    pk           INTEGER PRIMARY KEY,
    heartbeat_pk INTEGER NOT NULL REFERENCES heartbeats (pk) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    status_from  TEXT NOT NULL,
    status_to    TEXT NOT NULL,
    last_ping_at INTEGER
);
CREATE INDEX heartbeat_log_by_heartbeat ON heartbeat_log (heartbeat_pk, pk);

-- Incidents now belong to an endpoint or to a heartbeat. SQLite cannot drop NOT NULL in place: rebuild.
CREATE TABLE incidents_new (
    pk            INTEGER PRIMARY KEY,
    id            BLOB NOT NULL UNIQUE,
    endpoint_pk   INTEGER REFERENCES endpoints (pk) ON DELETE CASCADE,
    heartbeat_pk  INTEGER REFERENCES heartbeats (pk) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    resolved_at   INTEGER,
    cause         TEXT NOT NULL,
    failure_count INTEGER NOT NULL,
    resolved_by   TEXT,
    CHECK ((endpoint_pk IS NULL) <> (heartbeat_pk IS NULL))
);
INSERT INTO incidents_new (pk, id, endpoint_pk, status, started_at, resolved_at, cause, failure_count, resolved_by)
    SELECT pk, id, endpoint_pk, status, started_at, resolved_at, cause, failure_count, resolved_by FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
CREATE UNIQUE INDEX incidents_one_open ON incidents (endpoint_pk) WHERE status = 'open' AND endpoint_pk IS NOT NULL;
CREATE UNIQUE INDEX incidents_one_open_heartbeat ON incidents (heartbeat_pk)
    WHERE status = 'open' AND heartbeat_pk IS NOT NULL;
CREATE INDEX incidents_by_endpoint ON incidents (endpoint_pk, started_at);
CREATE INDEX incidents_by_heartbeat ON incidents (heartbeat_pk, started_at);

ALTER TABLE events ADD COLUMN heartbeat_pk INTEGER;
