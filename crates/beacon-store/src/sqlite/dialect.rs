//! The statements that differ on sqlite: everything else is shared (see `shared`).

pub const CLAIM_DELIVERIES: &str = concat!(
    "UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2 + $3 WHERE pk IN \
     (SELECT d.pk FROM deliveries d WHERE ",
    delivery_filter!(),
    " ORDER BY d.next_attempt_at, d.pk LIMIT $4) RETURNING pk"
);
/// Fan an event out to the channels subscribed to its kind for its service (a webhook's own service, or a route),
/// to the channels its monitor (endpoint $7 or heartbeat $8) adds, and (unless $6 is false) to the endpoint's own
/// webhook, leaving out the channels the monitor mutes: one pending delivery each, once per channel.
pub const FAN_OUT: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
     SELECT randomblob(16), t.pk, $1, 'pending', $2, $2, $5 FROM (\
       SELECT w.pk FROM webhooks w WHERE w.events LIKE '%,' || $4 || ',%' \
         AND ((w.endpoint_pk IS NULL AND w.service_pk = $3) OR ($6 AND w.endpoint_pk = $7)) \
       UNION SELECT r.channel_pk FROM channel_routes r WHERE r.service_pk = $3 AND r.events LIKE '%,' || $4 || ',%' \
       UNION SELECT m.channel_pk FROM monitor_routes m WHERE (m.endpoint_pk = $7 OR m.heartbeat_pk = $8) \
         AND NOT m.muted AND m.events LIKE '%,' || $4 || ',%'\
     ) t WHERE NOT EXISTS (SELECT 1 FROM monitor_routes x WHERE x.channel_pk = t.pk AND x.muted \
       AND (x.endpoint_pk = $7 OR x.heartbeat_pk = $8)) ORDER BY t.pk";
/// A page of rows as one JSON array of arrays: sqlx hands SQLite rows over one at a time from a worker thread,
/// which costs more than the rows themselves; one value per page avoids that.
/// The resolution of incident $4 (event $1) to every channel one of its escalation steps reached that does not
/// have it yet. The incident's events lead (`events_by_incident`, then `deliveries_by_event`); `+d.status` keeps
/// SQLite from scanning every delivered delivery through `deliveries_due` instead.
pub const FAN_OUT_ESCALATED: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
     SELECT randomblob(16), x.webhook_pk, $1, 'pending', $2, $2, $3 FROM (SELECT DISTINCT d.webhook_pk FROM deliveries d \
       WHERE d.event_pk IN (SELECT e.pk FROM events e WHERE e.incident_pk = $4 AND e.kind = 'escalation') \
       AND +d.status = 'delivered') x \
     WHERE NOT EXISTS (SELECT 1 FROM deliveries y WHERE y.event_pk = $1 AND y.webhook_pk = x.webhook_pk) ORDER BY x.webhook_pk";
/// The acknowledgement of incident $4 (event $1) to every channel for people that was sent one of the incident's
/// events (its start, a reminder, an escalation step: delivered, or still on its way) and does not have it yet.
/// Webhooks (machines) and an endpoint's own alert webhook get it only by subscribing.
pub const FAN_OUT_TOLD: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
     SELECT randomblob(16), x.webhook_pk, $1, 'pending', $2, $2, $3 FROM (SELECT DISTINCT d.webhook_pk FROM deliveries d \
       JOIN webhooks w ON w.pk = d.webhook_pk \
       WHERE d.event_pk IN (SELECT e.pk FROM events e WHERE e.incident_pk = $4 AND e.pk <> $1) \
       AND +d.status IN ('delivered', 'pending') AND w.kind <> 'webhook' AND w.endpoint_pk IS NULL) x \
     WHERE NOT EXISTS (SELECT 1 FROM deliveries y WHERE y.event_pk = $1 AND y.webhook_pk = x.webhook_pk) ORDER BY x.webhook_pk";
/// One delivery of event $2 to channel $1, due at $3, without an order key (a follow-up).
pub const DELIVERY_TO: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
     SELECT randomblob(16), w.pk, $2, 'pending', $3, $3, NULL FROM webhooks w WHERE w.pk = $1";
pub const JSON_PAGE_OPEN: &str = "SELECT json_group_array(json(j)) FROM (SELECT json_array(";
/// Take the write lock up front: a deferred transaction that reads and then writes can fail with SQLITE_BUSY
/// without waiting when another connection wrote in between.
pub const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
pub const HEX_SKETCH: &str = "hex(sketch)";
pub const ENDPOINT_PKS_AFTER: &str = "SELECT json_group_array(pk) FROM (SELECT pk FROM endpoints WHERE pk > $1 ORDER BY pk LIMIT $2)";
/// Bytes in use by the file (pages), and free pages inside it.
pub const STORAGE_USAGE: &str = "SELECT (SELECT page_count FROM pragma_page_count()) * \
     (SELECT page_size FROM pragma_page_size()), \
     (SELECT freelist_count FROM pragma_freelist_count()) * (SELECT page_size FROM pragma_page_size())";
pub const TABLE_ROWS: &str = "SELECT 'pings', COUNT(*) FROM pings UNION ALL SELECT 'rollups', COUNT(*) FROM rollups \
     UNION ALL SELECT 'heartbeat_pings', COUNT(*) FROM heartbeat_pings UNION ALL SELECT 'events', COUNT(*) FROM events \
     UNION ALL SELECT 'deliveries', COUNT(*) FROM deliveries UNION ALL SELECT 'incidents', COUNT(*) FROM incidents \
     UNION ALL SELECT 'heartbeat_log', COUNT(*) FROM heartbeat_log \
     UNION ALL SELECT 'kube_objects', COUNT(*) FROM kube_objects";
/// $1 new ping pks as a JSON array: the write lock is held, so the next ones after the maximum.
pub const NEXT_PING_PKS: &str = "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
     SELECT json_group_array((SELECT COALESCE(MAX(pk), 0) FROM heartbeat_pings) + i) FROM n";
pub const FOR_UPDATE: &str = "";
pub const HEARTBEAT_LOCK: &str = "";
/// Copy what it can of the WAL back into the database without blocking the writer (a quiet server's WAL
/// then shrinks to nothing; a busy one is checkpointed by its own commits).
pub const CHECKPOINT: &str = "PRAGMA wal_checkpoint(PASSIVE)";
pub const HEARTBEAT_LOCK_SKIP: &str = "";
pub const ENDPOINT_JSON: &str = endpoint_json!(
    "hex(e.id)",
    "hex(s.id)",
    "(SELECT group_concat(rn, ',') FROM (SELECT r.name AS rn FROM schedules sr JOIN regions r ON r.pk = sr.region_pk WHERE sr.endpoint_pk = e.pk ORDER BY r.pk))"
);
pub const HEARTBEAT_JSON: &str = heartbeat_json!(
    "hex(h.id)",
    "hex(s.id)",
    "hex(h.key_hash)",
    "hex(h.prev_key_hash)"
);
pub const INCIDENT_BY_ID_LOCKED: &str =
    "SELECT pk, endpoint_pk, heartbeat_pk, status FROM incidents WHERE id = $1";
/// The write lock makes this single statement atomic: no two claimers can take the same row.
pub const CLAIM: &str = concat!(
    "UPDATE schedules SET lease_owner = $1, lease_expires_at = MAX(next_slot_at, $2) + $5 \
       + (SELECT e.timeout_ms FROM endpoints e WHERE e.pk = schedules.endpoint_pk) \
     WHERE pk IN (SELECT s.pk FROM schedules s JOIN endpoints e ON e.pk = s.endpoint_pk WHERE ",
    claim_filter!(),
    " ORDER BY s.next_slot_at LIMIT $6) RETURNING pk, endpoint_pk, next_slot_at"
);
