-- Maintenance windows: a service's or one monitor's checks keep running and are stored, but incidents (and so
-- notifications) are held back while a window is in force. A window is one span (starts_at..ends_at) or a
-- recurrence (cron in tz, for duration_ms); ended_at closes it by hand (no occurrence after it).
CREATE TABLE maintenance_windows (
    pk           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           UUID NOT NULL UNIQUE,
    service_pk   BIGINT REFERENCES services (pk) ON DELETE CASCADE,
    endpoint_pk  BIGINT REFERENCES endpoints (pk) ON DELETE CASCADE,
    heartbeat_pk BIGINT REFERENCES heartbeats (pk) ON DELETE CASCADE,
    reason       TEXT,
    starts_at    BIGINT,
    ends_at      BIGINT,
    cron         TEXT,
    tz           TEXT,
    duration_ms  BIGINT,
    ended_at     BIGINT,
    created_at   BIGINT NOT NULL,
    CHECK ((service_pk IS NOT NULL)::int + (endpoint_pk IS NOT NULL)::int + (heartbeat_pk IS NOT NULL)::int = 1)
);
CREATE INDEX maintenance_by_service ON maintenance_windows (service_pk) WHERE service_pk IS NOT NULL;
CREATE INDEX maintenance_by_endpoint ON maintenance_windows (endpoint_pk) WHERE endpoint_pk IS NOT NULL;
CREATE INDEX maintenance_by_heartbeat ON maintenance_windows (heartbeat_pk) WHERE heartbeat_pk IS NOT NULL;
