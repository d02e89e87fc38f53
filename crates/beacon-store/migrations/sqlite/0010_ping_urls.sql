-- Ping URLs that are their own credential (as Healthchecks' are): each heartbeat gets a secret UUID, distinct
-- from its public id, and each service a ping key for `/ping/<ping_key>/<slug>`. Rotating a heartbeat's key may
-- leave the previous key and secret valid until `prev_valid_until`.
ALTER TABLE heartbeats ADD COLUMN ping_secret TEXT;
ALTER TABLE heartbeats ADD COLUMN prev_key_hash BLOB;
ALTER TABLE heartbeats ADD COLUMN prev_ping_secret TEXT;
ALTER TABLE heartbeats ADD COLUMN prev_valid_until INTEGER;
UPDATE heartbeats SET ping_secret = lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
    || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))
);
CREATE UNIQUE INDEX heartbeats_by_ping_secret ON heartbeats (ping_secret);
CREATE INDEX heartbeats_by_prev_ping_secret ON heartbeats (prev_ping_secret) WHERE prev_ping_secret IS NOT NULL;
ALTER TABLE services ADD COLUMN ping_key TEXT;
UPDATE services SET ping_key = lower(hex(randomblob(11)));
CREATE UNIQUE INDEX services_by_ping_key ON services (ping_key);
