//! Webhook configuration and the record of deliveries (`Webhooks`).

use super::*;

impl This {
    /// Keep the webhook that carries an endpoint's `webhook_url` (seed 002) in step with it, in the
    /// endpoint's transaction: created when a URL is set, moved when it changes, removed when cleared.
    pub(crate) async fn sync_endpoint_webhook(
        tx: &mut sqlx::Transaction<'static, Db>,
        endpoint_pk: i64,
        url: Option<&CheckUrl>,
        now: Millis,
    ) -> Result<()> {
        let Some(url) = url else {
            sqlx::query("DELETE FROM webhooks WHERE endpoint_pk = $1")
                .bind(endpoint_pk)
                .execute(&mut **tx)
                .await?;
            return Ok(());
        };
        let moved = sqlx::query(
            "UPDATE webhooks SET url = $2, updated_at = $3 WHERE endpoint_pk = $1 AND url <> $2",
        )
        .bind(endpoint_pk)
        .bind(url.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if moved.rows_affected() > 0 {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO webhooks (id, service_pk, endpoint_pk, format, url, events, secret, headers, \
             created_at, updated_at) \
             SELECT $1, e.service_pk, e.pk, 'pulse', $2, $3, $4, '[]', $5, $5 FROM endpoints e \
             WHERE e.pk = $6 AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.endpoint_pk = e.pk)",
        )
        .bind(Uuid::new_v4())
        .bind(url.as_str())
        .bind(ENDPOINT_WEBHOOK_EVENTS)
        .bind(new_secret().expose())
        .bind(now)
        .bind(endpoint_pk)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Webhooks for This {
    async fn list_events(&self, after_pk: i64, limit: u32) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT pk, id, kind, payload, created_at FROM events WHERE pk > $1 ORDER BY pk LIMIT $2",
        )
        .bind(after_pk)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let payload: String = row.try_get("payload")?;
                Ok(Event {
                    pk: row.try_get("pk")?,
                    id: row.try_get("id")?,
                    payload: events::from_columns(row.try_get("kind")?, &payload)?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn create_webhook(
        &self,
        service_id: Uuid,
        spec: &WebhookSpec,
        now: Millis,
    ) -> Result<Webhook> {
        let service_pk = self.service_pk(service_id).await?;
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO webhooks (id, service_pk, url, events, secret, headers, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id)
        .bind(service_pk)
        .bind(spec.url.as_str())
        .bind(format!(",{},", spec.events.join(",")))
        .bind(spec.secret.expose())
        .bind(serde_json::to_string(&spec.headers).map_err(corrupt)?)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Webhook {
            id,
            service_id: Some(service_id),
            endpoint_id: None,
            format: WebhookFormat::Standard,
            spec: spec.clone(),
            options: WebhookOptions::default(),
            consecutive_failures: 0,
            last_attempt_at: None,
            created_at: now,
            updated_at: now,
        })
    }

    async fn list_webhooks(&self, service_id: Option<Uuid>) -> Result<Vec<Webhook>> {
        let mut qb =
            QueryBuilder::<Db>::new(concat!(webhook_select!(), " WHERE w.kind = 'webhook'"));
        if let Some(sid) = service_id {
            let service_pk = self.service_pk(sid).await?;
            qb.push(" AND w.service_pk = ").push_bind(service_pk);
        }
        qb.push(" ORDER BY w.pk");
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(webhook_from_row)
            .collect()
    }

    async fn get_webhook(&self, id: Uuid) -> Result<Webhook> {
        let row = sqlx::query(concat!(
            webhook_select!(),
            " WHERE w.id = $1 AND w.kind = 'webhook'"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            kind: "webhook",
            id,
        })?;
        webhook_from_row(&row)
    }

    async fn update_webhook(&self, id: Uuid, patch: WebhookPatch, now: Millis) -> Result<Webhook> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let row = sqlx::query(concat!(
            webhook_select!(),
            " WHERE w.id = $1 AND w.kind = 'webhook'"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            kind: "webhook",
            id,
        })?;
        let current = webhook_from_row(&row)?;
        if let Some(endpoint) = current.endpoint_id {
            return Err(StoreError::Conflict(format!(
                "webhook {id} carries endpoint {endpoint}'s webhook_url; change the endpoint instead"
            )));
        }
        let spec = WebhookSpec {
            url: patch.url.unwrap_or(current.spec.url),
            events: patch.events.unwrap_or(current.spec.events),
            secret: patch.secret.unwrap_or(current.spec.secret),
            headers: patch.headers.unwrap_or(current.spec.headers),
        };
        sqlx::query(
            "UPDATE webhooks SET url = $2, events = $3, secret = $4, headers = $5, updated_at = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(spec.url.as_str())
        .bind(format!(",{},", spec.events.join(",")))
        .bind(spec.secret.expose())
        .bind(serde_json::to_string(&spec.headers).map_err(corrupt)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Webhook {
            spec,
            updated_at: now,
            ..current
        })
    }

    async fn delete_webhook(&self, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let row = sqlx::query("SELECT pk, endpoint_pk FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound {
                kind: "webhook",
                id,
            })?;
        if row.try_get::<Option<i64>, _>("endpoint_pk")?.is_some() {
            return Err(StoreError::Conflict(format!(
                "webhook {id} carries an endpoint's webhook_url; clear the endpoint's webhook_url instead"
            )));
        }
        let pk: i64 = row.try_get("pk")?;
        sqlx::query("DELETE FROM webhooks WHERE pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_endpoint_events(
        &self,
        endpoint_id: Uuid,
        limit: u32,
    ) -> Result<Vec<EndpointEvent>> {
        let endpoint_pk = self.endpoint_pk(endpoint_id).await?;
        let rows = sqlx::query(
            "SELECT ev.id, ev.kind, ev.payload, ev.created_at, \
             (SELECT MIN(d.finished_at) FROM deliveries d JOIN webhooks w ON w.pk = d.webhook_pk \
              WHERE d.event_pk = ev.pk AND d.status = 'delivered' AND w.endpoint_pk = ev.endpoint_pk) AS sent_at \
             FROM events ev WHERE ev.endpoint_pk = $1 ORDER BY ev.pk DESC LIMIT $2",
        )
        .bind(endpoint_pk)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(EndpointEvent {
                    id: r.try_get("id")?,
                    endpoint_id,
                    payload: events::from_columns(r.try_get("kind")?, &payload)?,
                    created_at: r.try_get("created_at")?,
                    sent_at: r.try_get("sent_at")?,
                })
            })
            .collect()
    }

    async fn list_endpoint_attempts(
        &self,
        endpoint_id: Uuid,
        limit: u32,
    ) -> Result<Vec<EndpointAttempt>> {
        let endpoint_pk = self.endpoint_pk(endpoint_id).await?;
        let rows = sqlx::query(
            "SELECT a.id, ev.id AS event_id, a.number, a.started_at, a.request_url, a.request_headers, \
             a.request_body, a.response_status, a.response_headers, a.response_body, a.error, a.latency_us, \
             a.timed_out FROM events ev JOIN deliveries d ON d.event_pk = ev.pk \
             JOIN delivery_attempts a ON a.delivery_pk = d.pk \
             WHERE ev.endpoint_pk = $1 ORDER BY a.started_at DESC, a.pk DESC LIMIT $2",
        )
        .bind(endpoint_pk)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EndpointAttempt {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_id")?,
                    endpoint_id,
                    number: to_u32(r.try_get("number")?, "number")?,
                    record: attempt_from_row(r)?,
                })
            })
            .collect()
    }

    async fn list_deliveries(
        &self,
        webhook_id: Option<Uuid>,
        status: Option<DeliveryStatus>,
    ) -> Result<Vec<Delivery>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT d.id, w.id AS webhook_id, ev.id AS event_id, ev.kind, d.status, d.attempts, \
             d.next_attempt_at, d.created_at FROM deliveries d JOIN webhooks w ON w.pk = d.webhook_pk \
             JOIN events ev ON ev.pk = d.event_pk",
        );
        qb.push(" WHERE 1 = 1");
        if let Some(wid) = webhook_id {
            qb.push(" AND w.id = ").push_bind(wid);
        }
        if let Some(st) = status {
            qb.push(" AND d.status = ").push_bind(st.as_str());
        }
        qb.push(" ORDER BY d.pk");
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(delivery_from_row)
            .collect()
    }

    async fn get_delivery(&self, id: Uuid) -> Result<DeliveryDetail> {
        let row = sqlx::query(
            "SELECT d.pk, d.id, w.id AS webhook_id, ev.id AS event_id, ev.kind, d.status, d.attempts, \
             d.next_attempt_at, d.created_at, d.last_error, d.finished_at FROM deliveries d \
             JOIN webhooks w ON w.pk = d.webhook_pk JOIN events ev ON ev.pk = d.event_pk WHERE d.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { kind: "delivery", id })?;
        let pk: i64 = row.try_get("pk")?;
        let attempts = sqlx::query(
            "SELECT number, started_at, request_url, request_headers, request_body, response_status, \
             response_headers, response_body, error, latency_us, timed_out FROM delivery_attempts \
             WHERE delivery_pk = $1 ORDER BY number",
        )
        .bind(pk)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|a| {
            Ok(StoredAttempt {
                number: to_u32(a.try_get("number")?, "number")?,
                record: attempt_from_row(a)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(DeliveryDetail {
            delivery: delivery_from_row(&row)?,
            last_error: row.try_get("last_error")?,
            finished_at: row.try_get("finished_at")?,
            attempts,
        })
    }

    async fn retry_delivery(&self, id: Uuid, now: Millis) -> Result<Delivery> {
        let updated = sqlx::query(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $2, finished_at = NULL \
             WHERE id = $1 AND status <> 'pending' RETURNING pk",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if updated.is_none() {
            // Unknown, or still pending: tell which.
            let detail = self.get_delivery(id).await?;
            return Err(StoreError::Conflict(format!(
                "delivery {id} is {}; only failed or delivered deliveries can be sent again",
                detail.delivery.status.as_str()
            )));
        }
        Ok(self.get_delivery(id).await?.delivery)
    }
}
