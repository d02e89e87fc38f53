-- Deliveries keep event order per (webhook, endpoint), not per webhook: an endpoint's events are its incidents'
-- start/resolve pairs, which must not overtake each other, while different endpoints' events go out in parallel.
-- The partial index makes "is an earlier delivery of this (webhook, endpoint) still pending?" one index probe.

ALTER TABLE events ADD COLUMN endpoint_pk INTEGER;
ALTER TABLE deliveries ADD COLUMN order_key INTEGER;
CREATE INDEX deliveries_pending_order ON deliveries (webhook_pk, order_key, pk) WHERE status = 'pending';
