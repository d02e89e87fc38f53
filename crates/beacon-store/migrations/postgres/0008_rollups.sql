-- Rollup windows (see the SQLite migration of the same name).
CREATE TABLE rollups (
    endpoint_pk BIGINT NOT NULL REFERENCES endpoints (pk) ON DELETE CASCADE,
    resolution  INTEGER NOT NULL,
    start       BIGINT NOT NULL,
    region_pk   INTEGER NOT NULL,
    count       BIGINT NOT NULL,
    successes   BIGINT NOT NULL,
    min_us      BIGINT,
    max_us      BIGINT,
    sum_us      BIGINT NOT NULL,
    sketch      BYTEA NOT NULL,
    PRIMARY KEY (endpoint_pk, resolution, start, region_pk)
);
