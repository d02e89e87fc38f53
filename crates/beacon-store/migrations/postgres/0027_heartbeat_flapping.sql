-- Heartbeats flap too: set while a heartbeat's down/up notifications are held back (its changes within the flap
-- window passed the rule), cleared by the heartbeat evaluator once it has been stable for a window. The partial
-- indexes find the (usually no) flapping heartbeats, a heartbeat's state changes by time (counted on each
-- change), and an incident's events (an acknowledgement tells whoever its events reached).
ALTER TABLE heartbeats ADD COLUMN flapping_since BIGINT;
CREATE INDEX heartbeats_flapping ON heartbeats (pk) WHERE flapping_since IS NOT NULL;
CREATE INDEX events_heartbeat_changes ON events (heartbeat_pk, created_at)
    WHERE kind IN ('heartbeat_down', 'heartbeat_up');
CREATE INDEX events_by_incident ON events (incident_pk) WHERE incident_pk IS NOT NULL;
-- A delivery by its event: a resolution's and an acknowledgement's fan-out look up who an incident's events
-- reached, and whether an event already has a delivery to a channel.
CREATE INDEX deliveries_by_event ON deliveries (event_pk);
