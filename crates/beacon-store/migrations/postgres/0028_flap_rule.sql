-- A service's own flap rule: more than flap_changes state changes (0: never) within flap_window_ms is flapping,
-- for its endpoints and heartbeats. NULL: the default rule (more than 6 within 30 minutes).
ALTER TABLE services ADD COLUMN flap_changes INTEGER;
ALTER TABLE services ADD COLUMN flap_window_ms BIGINT;
