-- Heartbeat pings become an append-only log that is the record of each heartbeat's state.
--
-- A ping no longer writes its heartbeat's row at once: the intake keeps the state of recently pinged heartbeats
-- in memory and writes rows in bulk about once a second (at once when the status changes). Every ping up to
-- `heartbeat_intake.applied_through` is reflected in its heartbeat's row; a ping after it is applied on read
-- when its pk is above the row's `last_ping_pk`. Each row carries `row_version`, bumped by every write, so the
-- intake notices rows changed by anyone else.
--
-- Pings of one heartbeat form a chain (`prev_pk`) from the row's `last_ping_pk`, and carry their ordinal
-- (`seq`, against the row's `ping_count`) for retention. The (heartbeat_pk, pk) index is gone: it cost a random
-- page write per ping. So is the foreign key (its cascade would scan the table); pings of a deleted heartbeat are
-- removed by the pruning sweep.

CREATE TABLE heartbeat_pings_new (
    pk            INTEGER PRIMARY KEY,
    heartbeat_pk  INTEGER NOT NULL,
    prev_pk       INTEGER,
    seq           INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    exit_status   INTEGER,
    rid           TEXT,
    duration_ms   INTEGER,
    client_status TEXT,
    body          TEXT,
    metadata      TEXT
);
INSERT INTO heartbeat_pings_new (pk, heartbeat_pk, prev_pk, seq, received_at, kind, exit_status, rid, duration_ms,
                                 client_status, body, metadata)
    SELECT pk, heartbeat_pk, LAG(pk) OVER (PARTITION BY heartbeat_pk ORDER BY pk),
           ROW_NUMBER() OVER (PARTITION BY heartbeat_pk ORDER BY pk), received_at, kind, exit_status, rid,
           duration_ms, client_status, body, metadata
    FROM heartbeat_pings;
DROP TABLE heartbeat_pings;
ALTER TABLE heartbeat_pings_new RENAME TO heartbeat_pings;

ALTER TABLE heartbeats ADD COLUMN last_ping_pk INTEGER;
ALTER TABLE heartbeats ADD COLUMN ping_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE heartbeats ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0;
UPDATE heartbeats SET
    last_ping_pk = (SELECT MAX(p.pk) FROM heartbeat_pings p WHERE p.heartbeat_pk = heartbeats.pk),
    ping_count = (SELECT COALESCE(MAX(p.seq), 0) FROM heartbeat_pings p WHERE p.heartbeat_pk = heartbeats.pk);

CREATE TABLE heartbeat_intake (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    applied_through  INTEGER NOT NULL
);
INSERT INTO heartbeat_intake (id, applied_through) SELECT 1, COALESCE(MAX(pk), 0) FROM heartbeat_pings;
