-- Flapping: set while an endpoint changes state too often (its incidents' notifications are held back), cleared
-- when it has been stable for a window. The partial index finds the (usually no) flapping endpoints at once.
ALTER TABLE endpoints ADD COLUMN flapping_since INTEGER;
CREATE INDEX endpoints_flapping ON endpoints (pk) WHERE flapping_since IS NOT NULL;
CREATE INDEX events_endpoint_changes ON events (endpoint_pk, created_at)
    WHERE kind IN ('incident_start', 'incident_resolved');
