-- Heartbeats: push monitors. A heartbeat's state (last result, run in progress, pause) is kept on its row with
-- the computed status and `next_check_at`, the next time the status can change without a ping: the evaluator
-- only evaluates rows whose time has come. Pings are kept (last N per heartbeat) with their diagnostics;
-- `heartbeat_log` keeps every status transition.

CREATE TABLE heartbeats (
    pk             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             UUID NOT NULL UNIQUE,
    service_pk     BIGINT NOT NULL REFERENCES services (pk) ON DELETE CASCADE,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    period_seconds INTEGER,
    cron           TEXT,
    tz             TEXT,
    grace_seconds  INTEGER NOT NULL,
    key_hash       BYTEA NOT NULL,
    paused         BOOLEAN NOT NULL DEFAULT FALSE,
    status         TEXT NOT NULL,
    last_result_at BIGINT,
    last_result_ok BOOLEAN,
    started_at     BIGINT,
    last_ping_at   BIGINT,
    next_check_at  BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX heartbeats_by_service ON heartbeats (service_pk);
-- No index on next_check_at: every ping moves it, and an index would double the pages each batch writes;
-- the evaluator's scan of this small table is cheaper than that.

CREATE TABLE heartbeat_pings (
    pk            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    heartbeat_pk  BIGINT NOT NULL REFERENCES heartbeats (pk) ON DELETE CASCADE,
    received_at   BIGINT NOT NULL,
    kind          TEXT NOT NULL,          -- success | start | fail | log
    exit_status   INTEGER,
    rid           TEXT,
    duration_ms   BIGINT,
    client_status TEXT,                   -- seed 003's `status`, kept but not decisive
    body          TEXT,                   -- message or POST body, at most 10,000 bytes
    metadata      TEXT                    -- seed 003's `metadata` (JSON)
);
CREATE INDEX heartbeat_pings_by_heartbeat ON heartbeat_pings (heartbeat_pk, pk);

CREATE TABLE heartbeat_log (
    pk           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    heartbeat_pk BIGINT NOT NULL REFERENCES heartbeats (pk) ON DELETE CASCADE,
    at           BIGINT NOT NULL,
    status_from  TEXT NOT NULL,
    status_to    TEXT NOT NULL,
    last_ping_at BIGINT
);
CREATE INDEX heartbeat_log_by_heartbeat ON heartbeat_log (heartbeat_pk, pk);

-- Incidents now belong to an endpoint or to a heartbeat.
ALTER TABLE incidents ALTER COLUMN endpoint_pk DROP NOT NULL;
ALTER TABLE incidents ADD COLUMN heartbeat_pk BIGINT REFERENCES heartbeats (pk) ON DELETE CASCADE;
ALTER TABLE incidents ADD CONSTRAINT incidents_one_owner CHECK ((endpoint_pk IS NULL) <> (heartbeat_pk IS NULL));
CREATE UNIQUE INDEX incidents_one_open_heartbeat ON incidents (heartbeat_pk)
    WHERE status = 'open' AND heartbeat_pk IS NOT NULL;
CREATE INDEX incidents_by_heartbeat ON incidents (heartbeat_pk, started_at);

ALTER TABLE events ADD COLUMN heartbeat_pk BIGINT;
