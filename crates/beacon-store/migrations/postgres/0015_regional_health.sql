-- Each (endpoint, region) keeps its own health: the consecutive counts and whether that region sees the endpoint
-- down. The endpoint's own status is the quorum of its regions (`alert_regions` must be down to open an
-- incident). The default region's rows start from the endpoint's health as it was.
ALTER TABLE schedules ADD COLUMN status TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE schedules ADD COLUMN region_down BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE schedules ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE schedules ADD COLUMN consecutive_successes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE schedules ADD COLUMN last_checked_at BIGINT;
ALTER TABLE schedules ADD COLUMN last_error_kind INTEGER;
UPDATE schedules SET status = (SELECT e.status FROM endpoints e WHERE e.pk = schedules.endpoint_pk),
    region_down = (SELECT e.status = 'down' FROM endpoints e WHERE e.pk = schedules.endpoint_pk),
    consecutive_failures = (SELECT e.consecutive_failures FROM endpoints e WHERE e.pk = schedules.endpoint_pk),
    consecutive_successes = (SELECT e.consecutive_successes FROM endpoints e WHERE e.pk = schedules.endpoint_pk),
    last_checked_at = (SELECT e.last_checked_at FROM endpoints e WHERE e.pk = schedules.endpoint_pk),
    last_error_kind = (SELECT e.last_error_kind FROM endpoints e WHERE e.pk = schedules.endpoint_pk);
ALTER TABLE endpoints ADD COLUMN alert_regions INTEGER NOT NULL DEFAULT 1;

-- A worker token may take leases and store results of one region only.
ALTER TABLE api_tokens ADD COLUMN region_pk INTEGER REFERENCES regions (pk);

-- Workers as they last reported themselves on a claim (one row per worker process: `instance` is its lease
-- owner). Kept for `workers list`; rows not seen for a day are removed by cleanup.
CREATE TABLE workers (
    pk             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance       TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    region_pk      INTEGER NOT NULL REFERENCES regions (pk),
    version        TEXT NOT NULL,
    address        TEXT NOT NULL,
    connected_at   BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    in_flight      INTEGER NOT NULL DEFAULT 0,
    checks_per_minute INTEGER NOT NULL DEFAULT 0,
    pending        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX workers_by_region ON workers (region_pk, last_seen_at);
