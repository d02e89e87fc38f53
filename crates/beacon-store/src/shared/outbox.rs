//! The transactional outbox (`Outbox`): events and their deliveries are written with the change they report;
//! the delivery engine leases due deliveries, records attempts, and gives leases back.

use super::*;
use beacon_core::channel::ChannelSpec;
use beacon_core::event::FollowUp;
use sqlx::AssertSqlSafe;

/// Delivery order keys of Kubernetes objects: their own range, so an object's events never queue behind an
/// endpoint's (endpoints use their pk, heartbeats its negative).
const KUBE_ORDER_BASE: i64 = 1 << 48;

impl This {
    /// Write an event about an endpoint or a heartbeat and, in the same transaction, one pending delivery
    /// for each webhook of its service that subscribes to the event's kind (the transactional outbox), and
    /// for the endpoint's own webhook when `to_endpoint_webhook`.
    pub(crate) async fn insert_event(
        tx: &mut sqlx::Transaction<'static, Db>,
        owner: Owner,
        payload: &Payload,
        now: Millis,
        to_endpoint_webhook: bool,
    ) -> Result<Uuid> {
        let (sql, owner_pk, order_key) = match owner {
            Owner::Endpoint(pk) => (
                "INSERT INTO events (id, kind, payload, created_at, endpoint_pk, service_pk, incident_pk) \
                 VALUES ($1, $2, $3, $4, $5, (SELECT service_pk FROM endpoints WHERE pk = $5), \
                 (SELECT pk FROM incidents WHERE id = $6)) RETURNING pk, service_pk, incident_pk",
                pk,
                pk,
            ),
            // Negative order keys keep heartbeats' delivery order groups apart from endpoints'.
            Owner::Heartbeat(pk) => (
                "INSERT INTO events (id, kind, payload, created_at, heartbeat_pk, service_pk, incident_pk) \
                 VALUES ($1, $2, $3, $4, $5, (SELECT service_pk FROM heartbeats WHERE pk = $5), \
                 (SELECT pk FROM incidents WHERE id = $6)) RETURNING pk, service_pk, incident_pk",
                pk,
                -pk,
            ),
            // Kubernetes objects' order keys sit above any endpoint's.
            Owner::KubeObject(pk) => (
                "INSERT INTO events (id, kind, payload, created_at, kube_object_pk, service_pk, incident_pk) \
                 VALUES ($1, $2, $3, $4, $5, (SELECT service_pk FROM kube_objects WHERE pk = $5), \
                 (SELECT pk FROM incidents WHERE id = $6)) RETURNING pk, service_pk, incident_pk",
                pk,
                KUBE_ORDER_BASE + pk,
            ),
        };
        log_event(payload);
        let typed = payload;
        let (kind, payload) = events::to_columns(payload)?;
        let event_id = Uuid::new_v4();
        let row = sqlx::query(sql)
            .bind(event_id)
            .bind(kind)
            .bind(payload)
            .bind(now)
            .bind(owner_pk)
            // An incident's events name it: its follow-ups are found (and cancelled) by it.
            .bind(incident_of(typed))
            .fetch_one(&mut **tx)
            .await?;
        let (event_pk, service_pk, incident_pk): (i64, Option<i64>, Option<i64>) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if let (Some(incident_pk), true) = (incident_pk, ends_incident(typed)) {
            Self::cancel_follow_ups(tx, incident_pk, now).await?;
        }
        // A flapping monitor's incidents are recorded, but their notifications are held back.
        let held = match (owner, typed) {
            (
                Owner::Endpoint(_) | Owner::Heartbeat(_),
                Payload::IncidentStart(_)
                | Payload::IncidentResolved(_)
                | Payload::HeartbeatDown(_)
                | Payload::HeartbeatUp(_),
            ) => Self::flap_check(tx, owner, typed, now).await?,
            _ => false,
        };
        if let (Some(service_pk), false) = (service_pk, held) {
            sqlx::query(sql::FAN_OUT)
                .bind(event_pk)
                .bind(now)
                .bind(service_pk)
                .bind(kind)
                .bind(order_key)
                .bind(to_endpoint_webhook && matches!(owner, Owner::Endpoint(_)))
                .bind(owner.endpoint_pk())
                .bind(owner.heartbeat_pk())
                .execute(&mut **tx)
                .await?;
            if let (Some(incident_pk), Some(first)) = (incident_pk, follow_up_of(typed)) {
                Self::schedule_follow_ups(tx, owner, service_pk, incident_pk, first, now).await?;
            }
            if let (Some(incident_pk), Payload::IncidentAcknowledged(_)) = (incident_pk, typed) {
                // Whoever was told of the incident hears that someone is on it.
                sqlx::query(sql::FAN_OUT_TOLD)
                    .bind(event_pk)
                    .bind(now)
                    .bind(order_key)
                    .bind(incident_pk)
                    .execute(&mut **tx)
                    .await?;
            }
            if let (Some(incident_pk), true) = (incident_pk, ends_incident(typed)) {
                // Whoever an escalation step reached hears of the resolution too.
                sqlx::query(sql::FAN_OUT_ESCALATED)
                    .bind(event_pk)
                    .bind(now)
                    .bind(order_key)
                    .bind(incident_pk)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(event_id)
    }

    /// An opening incident's follow-ups: its reminders, if its service sets a cadence (one `reminder` event per
    /// reminder, with deliveries to the channels subscribed to reminders), and its escalation steps, if the
    /// service has a policy (one `escalation` event per step and round, with deliveries to the step's channels),
    /// each delivery delayed until due. Follow-ups have no order key: a pending one never holds up another
    /// delivery (the incident's resolution cancels what is left of them).
    async fn schedule_follow_ups(
        tx: &mut sqlx::Transaction<'static, Db>,
        owner: Owner,
        service_pk: i64,
        incident_pk: i64,
        first: FollowUp,
        now: Millis,
    ) -> Result<()> {
        let (owner_column, owner_pk) = match owner {
            Owner::Endpoint(pk) => ("endpoint_pk", pk),
            Owner::Heartbeat(pk) => ("heartbeat_pk", pk),
            Owner::KubeObject(_) => return Ok(()),
        };
        // The monitor's own reminders and policy where it has them, else its service's.
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT CASE WHEN f.remind_own THEN f.remind_every_ms ELSE s.remind_every_ms END, \
             CASE WHEN f.remind_own THEN f.remind_max ELSE s.remind_max END, p.steps, p.repeat FROM services s \
             LEFT JOIN monitor_follow_ups f ON f.{owner_column} = $2 \
             LEFT JOIN escalation_policies p ON p.pk = \
               CASE WHEN f.escalation_own THEN f.escalation_policy_pk ELSE s.escalation_policy_pk END \
             WHERE s.pk = $1"
        )))
        .bind(service_pk)
        .bind(owner_pk)
        .fetch_one(&mut **tx)
        .await?;
        let (every, max): (Option<i64>, Option<i32>) = (row.try_get(0)?, row.try_get(1)?);
        let (steps, repeat): (Option<String>, Option<i32>) = (row.try_get(2)?, row.try_get(3)?);
        let mut write = async |payload: Payload,
                               due: Millis,
                               channels: Option<&[i64]>|
               -> Result<()> {
            let (kind, payload) = events::to_columns(&payload)?;
            let event_pk: i64 = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO events (id, kind, payload, created_at, {owner_column}, service_pk, incident_pk, follow_up) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE) RETURNING pk"
            )))
            .bind(Uuid::new_v4())
            .bind(kind)
            .bind(payload)
            .bind(now)
            .bind(owner_pk)
            .bind(service_pk)
            .bind(incident_pk)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
            match channels {
                None => {
                    sqlx::query(sql::FAN_OUT)
                        .bind(event_pk)
                        .bind(due)
                        .bind(service_pk)
                        .bind(kind)
                        .bind(None::<i64>)
                        .bind(false)
                        .bind(owner.endpoint_pk())
                        .bind(owner.heartbeat_pk())
                        .execute(&mut **tx)
                        .await?;
                }
                Some(channels) => {
                    for channel in channels {
                        sqlx::query(sql::DELIVERY_TO)
                            .bind(channel)
                            .bind(event_pk)
                            .bind(due)
                            .execute(&mut **tx)
                            .await?;
                    }
                }
            }
            Ok(())
        };
        if let (Some(every), Some(max)) = (every.filter(|e| *e > 0), max.filter(|m| *m > 0)) {
            let of = u32::try_from(max).unwrap_or(0);
            for n in 1..=of {
                let due = now.saturating_add(every.saturating_mul(i64::from(n)));
                let reminder = FollowUp {
                    number: n,
                    of,
                    due_at: due,
                    ..first.clone()
                };
                write(Payload::Reminder(reminder), due, None).await?;
            }
        }
        if let (Some(steps), Some(repeat)) = (steps, repeat) {
            let steps: Vec<StoredStep> = serde_json::from_str(&steps).map_err(corrupt)?;
            let delays: Vec<Millis> = steps.iter().map(|s| s.delay_ms).collect();
            let plan =
                beacon_core::escalation::schedule(&delays, u32::try_from(repeat).unwrap_or(0));
            let of = u32::try_from(plan.len()).unwrap_or(u32::MAX);
            for (n, (step, _round, offset)) in (1..).zip(plan) {
                let due = now.saturating_add(offset);
                let escalation = FollowUp {
                    number: n,
                    of,
                    due_at: first.started_at.saturating_add(offset),
                    ..first.clone()
                };
                write(
                    Payload::Escalation(escalation),
                    due,
                    Some(&steps[step].channels),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// An escalation policy's step as stored (`escalation_policies.steps`): its delay and its channels' pks.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredStep {
    pub delay_ms: Millis,
    pub channels: Vec<i64>,
}

/// The incident an event is about, if any.
fn incident_of(p: &Payload) -> Option<Uuid> {
    match p {
        Payload::IncidentStart(e) => Some(e.incident_id),
        Payload::IncidentResolved(e) => Some(e.incident_id),
        Payload::HeartbeatDown(e) | Payload::HeartbeatUp(e) => Some(e.incident_id),
        Payload::Reminder(r) | Payload::Escalation(r) => Some(r.incident_id),
        Payload::IncidentAcknowledged(a) => Some(a.incident_id),
        Payload::Test(_)
        | Payload::KubernetesCreated(_)
        | Payload::KubernetesDeleted(_)
        | Payload::Flapping(_)
        | Payload::DegradedStart(_)
        | Payload::DegradedEnd(_) => None,
    }
}

/// Whether the event ends its incident (its follow-ups are cancelled).
fn ends_incident(p: &Payload) -> bool {
    matches!(p, Payload::IncidentResolved(_) | Payload::HeartbeatUp(_))
}

/// For an incident opening, the reminder its follow-ups are made from (numbered later).
pub(crate) fn follow_up_of(p: &Payload) -> Option<FollowUp> {
    let (incident_id, subject, path, started_at, cause) = match p {
        Payload::IncidentStart(e) => (
            e.incident_id,
            beacon_core::notify::named(
                e.monitor.service_name.as_deref(),
                e.monitor.endpoint_name.as_deref(),
                "endpoint",
            ),
            format!("/endpoints/{}", e.monitor.endpoint_id),
            e.started_at,
            e.cause.clone(),
        ),
        Payload::HeartbeatDown(e) => (
            e.incident_id,
            e.name
                .clone()
                .or_else(|| e.slug.clone())
                .unwrap_or_else(|| "heartbeat".to_owned()),
            format!("/heartbeats/{}", e.heartbeat_id),
            e.started_at,
            e.cause.clone(),
        ),
        _ => return None,
    };
    Some(FollowUp {
        incident_id,
        subject,
        path,
        started_at,
        cause,
        number: 0,
        of: 0,
        due_at: started_at,
    })
}

/// Incidents opening and closing are logged at info level as they are recorded (the transaction that records
/// them commits right after; a failed one is logged as a warning by its caller).
pub(crate) fn log_event(payload: &Payload) {
    match payload {
        Payload::IncidentStart(e) => tracing::info!(
            incident = %e.incident_id,
            endpoint = %e.monitor.endpoint_id,
            name = e.monitor.endpoint_name.as_deref().unwrap_or(""),
            cause = %e.cause,
            "incident opened"
        ),
        Payload::IncidentResolved(e) => tracing::info!(
            incident = %e.incident_id,
            endpoint = %e.monitor.endpoint_id,
            name = e.monitor.endpoint_name.as_deref().unwrap_or(""),
            resolved_by = %e.resolved_by,
            "incident resolved"
        ),
        Payload::HeartbeatDown(e) => tracing::info!(
            incident = ?e.incident_id,
            heartbeat = %e.heartbeat_id,
            name = e.name.as_deref().unwrap_or(""),
            "incident opened: heartbeat down"
        ),
        Payload::HeartbeatUp(e) => tracing::info!(
            incident = ?e.incident_id,
            heartbeat = %e.heartbeat_id,
            name = e.name.as_deref().unwrap_or(""),
            "incident resolved: heartbeat up"
        ),
        Payload::Test(_) | Payload::Reminder(_) | Payload::Escalation(_) => {}
        Payload::IncidentAcknowledged(a) => tracing::info!(
            incident = %a.incident_id,
            by = %a.by,
            "incident acknowledged"
        ),
        Payload::Flapping(f) => tracing::info!(
            monitor = %f.monitor.name(),
            state = %f.state,
            "{}",
            if f.started { "monitor is flapping: notifications held back" } else { "monitor is stable again" }
        ),
        Payload::DegradedStart(d) | Payload::DegradedEnd(d) => tracing::info!(
            endpoint = %d.monitor.endpoint_id,
            reason = %d.reason,
            "{}",
            if matches!(payload, Payload::DegradedStart(_)) { "endpoint degraded" } else { "endpoint no longer degraded" }
        ),
        Payload::KubernetesCreated(e) | Payload::KubernetesDeleted(e) => tracing::info!(
            uid = %e.object.uid,
            kind = %e.object.kind,
            namespace = e.object.namespace.as_deref().unwrap_or(""),
            name = %e.object.name,
            reason = e.reason.as_str(),
            "kubernetes object {}",
            if matches!(payload, Payload::KubernetesCreated(_)) { "created" } else { "deleted" }
        ),
    }
}

#[async_trait]
impl Outbox for This {
    async fn create_test_delivery(
        &self,
        webhook_id: Uuid,
        owner: &str,
        lease_ms: i64,
        now: Millis,
    ) -> Result<ClaimedDelivery> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let row = sqlx::query(concat!(webhook_select!(), " WHERE w.id = $1"))
            .bind(webhook_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound {
                kind: "channel",
                id: webhook_id,
            })?;
        let channel = super::channels::channel_spec(
            &row.try_get::<String, _>("kind")?,
            row.try_get::<Option<String>, _>("settings")?.as_deref(),
        )?;
        let url: String = row.try_get("url")?;
        let url = match channel {
            ChannelSpec::Webhook => Some(CheckUrl::parse(&url).map_err(corrupt)?),
            _ => None,
        };
        let format: String = row.try_get("format")?;
        let secret: String = row.try_get("secret")?;
        let headers: String = row.try_get("headers")?;
        let service_id: Option<Uuid> = row.try_get("service_id")?;
        let endpoint_id: Option<Uuid> = row.try_get("endpoint_id")?;
        let (event_id, id) = (Uuid::new_v4(), Uuid::new_v4());
        let event = Payload::Test(TestMessage {
            webhook_id,
            service_id,
            endpoint_id,
            message: "This is a test event sent by `beacon channels test`.".to_owned(),
        });
        let (kind, payload) = events::to_columns(&event)?;
        let event_pk: i64 = sqlx::query(
            "INSERT INTO events (id, kind, payload, created_at, service_pk) \
             VALUES ($1, $2, $3, $4, (SELECT service_pk FROM webhooks WHERE id = $5)) RETURNING pk",
        )
        .bind(event_id)
        .bind(kind)
        .bind(payload)
        .bind(now)
        .bind(webhook_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let pk: i64 = sqlx::query(
            "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, \
             lease_owner, lease_expires_at) \
             VALUES ($1, (SELECT pk FROM webhooks WHERE id = $2), $3, 'pending', $4, $4, $5, $6) RETURNING pk",
        )
        .bind(id)
        .bind(webhook_id)
        .bind(event_pk)
        .bind(now)
        .bind(owner)
        .bind(now.saturating_add(lease_ms))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(ClaimedDelivery {
            pk,
            id,
            attempts: 0,
            created_at: now,
            event_id,
            event,
            event_at: now,
            webhook_id,
            format: WebhookFormat::parse(&format)
                .ok_or_else(|| corrupt(format!("webhook format {format:?}")))?,
            url,
            secret: WebhookSecret::parse(&secret).map_err(corrupt)?,
            headers: serde_json::from_str(&headers).map_err(corrupt)?,
            options: webhook_options(row.try_get("options")?)?,
            channel,
        })
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Millis,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>> {
        let pks: Vec<i64> = sqlx::query(sql::CLAIM_DELIVERIES)
            .bind(owner)
            .bind(now)
            .bind(lease_ms)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        if pks.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT d.pk, d.id, d.attempts, d.created_at, ev.id AS event_id, ev.kind, ev.payload, \
             ev.created_at AS event_at, w.id AS webhook_id, w.format, w.url, w.secret, w.headers, w.options, \
             w.kind AS channel_kind, w.settings \
             FROM deliveries d JOIN events ev ON ev.pk = d.event_pk JOIN webhooks w ON w.pk = d.webhook_pk \
             WHERE d.pk IN (",
        );
        let mut list = qb.separated(", ");
        for pk in &pks {
            list.push_bind(*pk);
        }
        qb.push(") ORDER BY d.pk");
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let payload: String = row.try_get("payload")?;
                let url: String = row.try_get("url")?;
                let channel = super::channels::channel_spec(
                    &row.try_get::<String, _>("channel_kind")?,
                    row.try_get::<Option<String>, _>("settings")?.as_deref(),
                )?;
                let secret: String = row.try_get("secret")?;
                let headers: String = row.try_get("headers")?;
                let format: String = row.try_get("format")?;
                Ok(ClaimedDelivery {
                    pk: row.try_get("pk")?,
                    id: row.try_get("id")?,
                    attempts: to_u32(row.try_get("attempts")?, "attempts")?,
                    created_at: row.try_get("created_at")?,
                    event_id: row.try_get("event_id")?,
                    event: events::from_columns(row.try_get("kind")?, &payload)?,
                    event_at: row.try_get("event_at")?,
                    webhook_id: row.try_get("webhook_id")?,
                    format: WebhookFormat::parse(&format)
                        .ok_or_else(|| corrupt(format!("webhook format {format:?}")))?,
                    url: match channel {
                        ChannelSpec::Webhook => Some(CheckUrl::parse(&url).map_err(corrupt)?),
                        _ => None,
                    },
                    secret: WebhookSecret::parse(&secret).map_err(corrupt)?,
                    headers: serde_json::from_str(&headers).map_err(corrupt)?,
                    options: webhook_options(row.try_get("options")?)?,
                    channel,
                })
            })
            .collect()
    }

    async fn finish_attempt(&self, owner: &str, done: &FinishedAttempt) -> Result<bool> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let status = done.next.status();
        let next_at = match done.next {
            NextStep::Retry { at } => at,
            _ => done.attempt.started_at,
        };
        let finished =
            (!matches!(done.next, NextStep::Retry { .. })).then_some(done.attempt.started_at);
        let updated = sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, status = $3, next_attempt_at = $4, \
             finished_at = $5, last_error = $6, lease_owner = NULL, lease_expires_at = NULL \
             WHERE pk = $1 AND lease_owner = $2 RETURNING attempts, webhook_pk",
        )
        .bind(done.delivery_pk)
        .bind(owner)
        .bind(status.as_str())
        .bind(next_at)
        .bind(finished)
        .bind(&done.attempt.error)
        .fetch_optional(&mut *tx)
        .await?;
        // The lease expired and another node took the delivery: its attempt is the one that counts.
        let Some(row) = updated else { return Ok(false) };
        let number: i32 = row.try_get(0)?;
        let webhook_pk: i64 = row.try_get(1)?;
        let a = &done.attempt;
        // Webhook health: a delivered attempt resets the run of failures; any other attempt extends it.
        sqlx::query(
            "UPDATE webhooks SET last_attempt_at = $2, \
             consecutive_failures = CASE WHEN $3 THEN 0 ELSE consecutive_failures + 1 END WHERE pk = $1",
        )
        .bind(webhook_pk)
        .bind(a.started_at)
        .bind(matches!(done.next, NextStep::Delivered))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO delivery_attempts (delivery_pk, number, started_at, request_url, request_headers, \
             request_body, response_status, response_headers, response_body, error, latency_us, timed_out, id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(done.delivery_pk)
        .bind(number)
        .bind(a.started_at)
        .bind(&a.request_url)
        .bind(&a.request_headers)
        .bind(&a.request_body)
        .bind(a.response_status.map(i32::from))
        .bind(&a.response_headers)
        .bind(&a.response_body)
        .bind(&a.error)
        .bind(a.latency_us)
        .bind(a.timed_out)
        .bind(Uuid::new_v4())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn release_deliveries(&self, owner: &str) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn count_pending_deliveries(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
    }
}
