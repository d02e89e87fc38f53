-- Degraded: an endpoint whose checks pass with a warning (slow, a certificate expiring soon) since when, and why;
-- rollup windows count their degraded results (uptime counts them as up; stats show how many).
ALTER TABLE endpoints ADD COLUMN degraded_since BIGINT;
ALTER TABLE endpoints ADD COLUMN degraded_reason TEXT;
ALTER TABLE rollups ADD COLUMN degraded BIGINT NOT NULL DEFAULT 0;
