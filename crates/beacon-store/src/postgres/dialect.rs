//! The statements that differ on postgres: everything else is shared (see `shared`).

pub const CLAIM_DELIVERIES: &str = concat!(
    "WITH due AS (SELECT d.pk FROM deliveries d WHERE ",
    delivery_filter!(),
    " ORDER BY d.next_attempt_at, d.pk LIMIT $4 FOR UPDATE OF d SKIP LOCKED) \
     UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2 + $3 FROM due \
     WHERE deliveries.pk = due.pk RETURNING deliveries.pk"
);
pub const FAN_OUT: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
     SELECT gen_random_uuid(), t.pk, $1, 'pending', $2, $2, $5 FROM (\
       SELECT w.pk FROM webhooks w WHERE w.events LIKE '%,' || $4 || ',%' \
         AND ((w.endpoint_pk IS NULL AND w.service_pk = $3) OR ($6 AND w.endpoint_pk = $7)) \
       UNION SELECT r.channel_pk FROM channel_routes r WHERE r.service_pk = $3 AND r.events LIKE '%,' || $4 || ',%' \
       UNION SELECT m.channel_pk FROM monitor_routes m WHERE (m.endpoint_pk = $7 OR m.heartbeat_pk = $8) \
         AND NOT m.muted AND m.events LIKE '%,' || $4 || ',%'\
     ) t WHERE NOT EXISTS (SELECT 1 FROM monitor_routes x WHERE x.channel_pk = t.pk AND x.muted \
       AND (x.endpoint_pk = $7 OR x.heartbeat_pk = $8)) ORDER BY t.pk";
/// The resolution of incident $4 (event $1) to every channel one of its escalation steps reached that does not
/// have it yet.
pub const FAN_OUT_ESCALATED: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
     SELECT gen_random_uuid(), x.webhook_pk, $1, 'pending', $2, $2, $3 FROM (SELECT DISTINCT d.webhook_pk FROM deliveries d \
       WHERE d.event_pk IN (SELECT e.pk FROM events e WHERE e.incident_pk = $4 AND e.kind = 'escalation') \
       AND d.status = 'delivered') x \
     WHERE NOT EXISTS (SELECT 1 FROM deliveries y WHERE y.event_pk = $1 AND y.webhook_pk = x.webhook_pk) ORDER BY x.webhook_pk";
/// The acknowledgement of incident $4 (event $1) to every channel for people that was sent one of the incident's
/// events (its start, a reminder, an escalation step: delivered, or still on its way) and does not have it yet.
/// Webhooks (machines) and an endpoint's own alert webhook get it only by subscribing.
pub const FAN_OUT_TOLD: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
     SELECT gen_random_uuid(), x.webhook_pk, $1, 'pending', $2, $2, $3 FROM (SELECT DISTINCT d.webhook_pk FROM deliveries d \
       JOIN webhooks w ON w.pk = d.webhook_pk \
       WHERE d.event_pk IN (SELECT e.pk FROM events e WHERE e.incident_pk = $4 AND e.pk <> $1) \
       AND d.status IN ('delivered', 'pending') AND w.kind <> 'webhook' AND w.endpoint_pk IS NULL) x \
     WHERE NOT EXISTS (SELECT 1 FROM deliveries y WHERE y.event_pk = $1 AND y.webhook_pk = x.webhook_pk) ORDER BY x.webhook_pk";
/// One delivery of event $2 to channel $1, due at $3, without an order key (a follow-up).
pub const DELIVERY_TO: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
     SELECT gen_random_uuid(), w.pk, $2, 'pending', $3, $3, NULL FROM webhooks w WHERE w.pk = $1";
pub const JSON_PAGE_OPEN: &str =
    "SELECT COALESCE(json_agg(j)::text, '[]') FROM (SELECT json_build_array(";
pub const BEGIN_WRITE: &str = "BEGIN";
pub const HEX_SKETCH: &str = "encode(sketch, 'hex')";
pub const ENDPOINT_PKS_AFTER: &str = "SELECT COALESCE(json_agg(pk)::text, '[]') FROM \
     (SELECT pk FROM endpoints WHERE pk > $1 ORDER BY pk LIMIT $2) AS step";
pub const STORAGE_USAGE: &str = "SELECT pg_database_size(current_database())::bigint, 0::bigint";
/// The planner's estimates (exact counts would scan the tables).
pub const TABLE_ROWS: &str = "SELECT c.relname::text, GREATEST(c.reltuples, 0)::bigint FROM pg_class c \
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'";
pub const NEXT_PING_PKS: &str = "SELECT json_agg(nextval(pg_get_serial_sequence('heartbeat_pings', 'pk')))::text \
     FROM generate_series(1, $1)";
pub const FOR_UPDATE: &str = " FOR UPDATE OF e";
pub const HEARTBEAT_LOCK: &str = " FOR UPDATE OF h";
pub const CHECKPOINT: &str = "";
pub const HEARTBEAT_LOCK_SKIP: &str = " FOR UPDATE OF h SKIP LOCKED";
pub const ENDPOINT_JSON: &str = endpoint_json!(
    "e.id",
    "s.id",
    "(SELECT string_agg(r.name, ',' ORDER BY r.pk) FROM schedules sr JOIN regions r ON r.pk = sr.region_pk WHERE sr.endpoint_pk = e.pk)"
);
pub const HEARTBEAT_JSON: &str = heartbeat_json!(
    "h.id",
    "s.id",
    "encode(h.key_hash, 'hex')",
    "encode(h.prev_key_hash, 'hex')"
);
pub const INCIDENT_BY_ID_LOCKED: &str =
    "SELECT pk, endpoint_pk, heartbeat_pk, status FROM incidents WHERE id = $1 FOR UPDATE";
/// SKIP LOCKED lets concurrent claimers take disjoint rows instead of queueing behind each other.
pub const CLAIM: &str = concat!(
    "WITH due AS (SELECT s.pk FROM schedules s JOIN endpoints e ON e.pk = s.endpoint_pk WHERE ",
    claim_filter!(),
    " ORDER BY s.next_slot_at LIMIT $6 FOR UPDATE OF s SKIP LOCKED) \
     UPDATE schedules SET lease_owner = $1, \
       lease_expires_at = GREATEST(schedules.next_slot_at, $2) + $5 + e.timeout_ms \
     FROM due, endpoints e WHERE schedules.pk = due.pk AND e.pk = schedules.endpoint_pk \
     RETURNING schedules.pk, schedules.endpoint_pk, schedules.next_slot_at"
);
