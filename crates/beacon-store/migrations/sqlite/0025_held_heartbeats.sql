-- Heartbeats that went down inside a maintenance window: no incident opened then. The heartbeat evaluator opens
-- it when the window ends, if the heartbeat is still down, and forgets the row either way.
CREATE TABLE held_heartbeats (
    heartbeat_pk INTEGER PRIMARY KEY REFERENCES heartbeats (pk) ON DELETE CASCADE,
    since        INTEGER NOT NULL
);
