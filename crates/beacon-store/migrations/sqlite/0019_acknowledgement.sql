-- Acknowledgement: who took an open incident, when, with an optional note. An acknowledged incident gets no
-- reminders and no later escalation steps.
ALTER TABLE incidents ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE incidents ADD COLUMN acknowledged_by TEXT;
ALTER TABLE incidents ADD COLUMN ack_note TEXT;
-- Keys the servers share (one database, several servers): `ack_links` signs the one-click acknowledgement links
-- in messages. Made on first use.
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    secret     BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
-- Follow-ups: reminders of an open incident are events written when it opens, each with its delivery delayed to
-- when it is due (a delayed row in the outbox: a restart or a second server sends it once). `incident_pk` ties
-- an event to its incident; `follow_up` marks those that an acknowledgement or the resolution cancels.
ALTER TABLE events ADD COLUMN incident_pk INTEGER;
ALTER TABLE events ADD COLUMN follow_up BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX events_follow_ups ON events (incident_pk) WHERE follow_up;
-- A service's reminders: every `remind_every_ms` while an incident stays open and unacknowledged, at most
-- `remind_max` times (NULL: none).
ALTER TABLE services ADD COLUMN remind_every_ms INTEGER;
ALTER TABLE services ADD COLUMN remind_max INTEGER;
