-- Rollup windows per endpoint and region at 1 m, 5 m, 1 h and 1 d (`resolution` in seconds; `start` in ms,
-- UTC-aligned): counts, latency min/max/sum of successful checks in µs, and a mergeable latency sketch
-- (beacon_core::sketch, 1 % relative error). Maintained in the transaction that stores each new result, so a
-- result stored once is counted once. Statistics over any range merge windows and never scan raw pings.
CREATE TABLE rollups (
    endpoint_pk INTEGER NOT NULL REFERENCES endpoints (pk) ON DELETE CASCADE,
    resolution  INTEGER NOT NULL,
    start       INTEGER NOT NULL,
    region_pk   INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    successes   INTEGER NOT NULL,
    min_us      INTEGER,
    max_us      INTEGER,
    sum_us      INTEGER NOT NULL,
    sketch      BLOB NOT NULL,
    PRIMARY KEY (endpoint_pk, resolution, start, region_pk)
) WITHOUT ROWID;
-- Results stored before this migration are not rolled up (no release carried them).
