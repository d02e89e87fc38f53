//! SQL fragments both dialects build statements from (`concat!` needs macros, not constants): the column lists
//! of JSON pages and the filters of the claim queries.

/// The endpoint columns of a JSON page, in `EndpointJson`'s field order; `$eid`/`$sid` render a UUID column as
/// JSON text, `$regions` is the endpoint's region names joined by commas in region order. `config` comes as a
/// string (parsed once, straight into the kind's stored shape: asking the database to embed it as JSON costs it
/// a parse and a print per row). `next_slot_at` is the earliest of its regions' next slots.
macro_rules! endpoint_json {
    ($eid:literal, $sid:literal, $regions:literal) => {
        concat!(
            "e.pk, ", $eid, ", ", $sid, ", e.name, e.kind, e.config, e.interval_seconds, e.timeout_ms, \
             e.alert_threshold, e.recovery_threshold, e.enabled, e.status, e.last_checked_at, e.created_at, \
             e.updated_at, e.webhook_url, e.last_error_kind, e.consecutive_failures, \
             (SELECT MIN(sc.next_slot_at) FROM schedules sc WHERE sc.endpoint_pk = e.pk), e.alert_regions, ",
            $regions,
            ") AS j FROM endpoints e JOIN services s ON s.pk = e.service_pk"
        )
    };
}

macro_rules! heartbeat_json {
    ($hid:literal, $sid:literal, $key:literal, $prev_key:literal) => {
        concat!(
            "h.pk, ", $hid, ", ", $sid, ", h.slug, h.name, h.period_seconds, h.cron, h.tz, h.grace_seconds, ", $key,
            ", h.paused, h.status, h.last_result_at, CASE WHEN h.last_result_ok THEN 1 WHEN NOT h.last_result_ok THEN 0 END, \
             h.started_at, h.last_ping_at, h.next_check_at, h.created_at, h.updated_at, h.last_ping_pk, \
             h.ping_count, h.row_version, h.ping_secret, ", $prev_key, ", h.prev_valid_until) AS j \
             FROM heartbeats h JOIN services s ON s.pk = h.service_pk"
        )
    };
}

macro_rules! webhook_select {
    () => {
        "SELECT w.pk, w.id, s.id AS service_id, e.id AS endpoint_id, w.format, w.url, w.events, w.secret, w.headers, \
         w.consecutive_failures, w.last_attempt_at, w.created_at, w.updated_at, w.options, w.kind, w.settings FROM webhooks w \
         LEFT JOIN services s ON s.pk = w.service_pk LEFT JOIN endpoints e ON e.pk = w.endpoint_pk"
    };
}

macro_rules! incident_select {
    () => {
        "SELECT i.pk, i.id, e.id AS endpoint_id, h.id AS heartbeat_id, i.status, i.started_at, i.resolved_at, i.cause, \
         i.failure_count, i.resolved_by, i.acknowledged_at, i.acknowledged_by, i.ack_note FROM incidents i \
         LEFT JOIN endpoints e ON e.pk = i.endpoint_pk \
         LEFT JOIN heartbeats h ON h.pk = i.heartbeat_pk"
    };
}

/// Deliveries due now, not leased, and first in line for their webhook: events reach a webhook in order.
macro_rules! delivery_filter {
    () => {
        "d.status = 'pending' AND d.next_attempt_at <= $2 \
         AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $2) \
         AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.status = 'pending' AND e.webhook_pk = d.webhook_pk \
         AND e.order_key = d.order_key AND e.pk < d.pk)"
    };
}

macro_rules! claim_filter {
    () => {
        "s.region_pk = $3 AND s.next_slot_at <= $4 AND e.enabled \
         AND (s.lease_expires_at IS NULL OR s.lease_expires_at <= $2)"
    };
}
