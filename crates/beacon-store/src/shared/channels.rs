//! Notification channels (`Channels`): rows of `webhooks` of every kind, with their subscriptions — a webhook's
//! own service's in `webhooks.events`, every other in `channel_routes`.

use super::*;
use beacon_core::channel::{ChannelInput, ChannelKind, ChannelSpec};

macro_rules! channel_select {
    () => {
        "SELECT w.pk, w.id, w.kind, w.name, w.url, w.secret, w.headers, w.settings, w.events, \
     s.id AS service_id, e.id AS endpoint_id, w.managed_by, w.consecutive_failures, w.last_attempt_at, \
     w.created_at, w.updated_at FROM webhooks w LEFT JOIN services s ON s.pk = w.service_pk \
         LEFT JOIN endpoints e ON e.pk = w.endpoint_pk"
    };
}

/// `,a,b,` → `[a, b]`.
pub(crate) fn event_list(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

fn stored_events(events: &[String]) -> String {
    format!(",{},", events.join(","))
}

/// A channel's kind and settings from its row's columns.
pub(crate) fn channel_spec(kind: &str, settings: Option<&str>) -> Result<ChannelSpec> {
    let kind = ChannelKind::parse(kind).map_err(corrupt)?;
    let input: ChannelInput = match settings {
        Some(s) => serde_json::from_str(s).map_err(corrupt)?,
        None => ChannelInput::default(),
    };
    ChannelSpec::create(kind, &input).map_err(|e| corrupt(format!("channel settings: {e}")))
}

fn name_taken(e: sqlx::Error, name: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("a channel named {name:?} exists"))
        }
        _ => e.into(),
    }
}

fn settings_json(spec: &ChannelSpec) -> Result<Option<String>> {
    Ok(match spec {
        ChannelSpec::Webhook => None,
        other => Some(serde_json::to_string(&other.to_input()).map_err(corrupt)?),
    })
}

impl This {
    /// Channels with their routes; `id` narrows to one.
    async fn read_channels<'e, E>(ex: E, id: Option<Uuid>) -> Result<Vec<Channel>>
    where
        E: sqlx::Executor<'e, Database = Db> + Copy,
    {
        let rows = match id {
            Some(id) => {
                sqlx::query(concat!(channel_select!(), " WHERE w.id = $1"))
                    .bind(id)
                    .fetch_all(ex)
                    .await?
            }
            None => {
                sqlx::query(concat!(channel_select!(), " ORDER BY w.pk"))
                    .fetch_all(ex)
                    .await?
            }
        };
        let route_rows = match id {
            Some(id) => {
                sqlx::query(
                    "SELECT r.channel_pk, s.id, r.events FROM channel_routes r JOIN services s ON s.pk = r.service_pk \
                     WHERE r.channel_pk = (SELECT pk FROM webhooks WHERE id = $1) ORDER BY r.pk",
                )
                .bind(id)
                .fetch_all(ex)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT r.channel_pk, s.id, r.events FROM channel_routes r JOIN services s ON s.pk = r.service_pk \
                     ORDER BY r.pk",
                )
                .fetch_all(ex)
                .await?
            }
        };
        let mut monitors = Self::read_monitor_routes(ex, id).await?;
        let mut routes: HashMap<i64, Vec<Route>> = HashMap::new();
        for r in &route_rows {
            let events: String = r.try_get(2)?;
            routes.entry(r.try_get(0)?).or_default().push(Route {
                service_id: r.try_get(1)?,
                events: event_list(&events),
            });
        }
        rows.iter()
            .map(|row| {
                let pk: i64 = row.try_get("pk")?;
                let kind: String = row.try_get("kind")?;
                let settings: Option<String> = row.try_get("settings")?;
                let spec = channel_spec(&kind, settings.as_deref())?;
                let service_id: Option<Uuid> = row.try_get("service_id")?;
                let endpoint_id: Option<Uuid> = row.try_get("endpoint_id")?;
                let events: String = row.try_get("events")?;
                let mut all = Vec::new();
                if let (Some(sid), None) = (service_id, endpoint_id)
                    && !event_list(&events).is_empty()
                {
                    all.push(Route {
                        service_id: sid,
                        events: event_list(&events),
                    });
                }
                all.extend(routes.remove(&pk).unwrap_or_default());
                let webhook = if matches!(spec, ChannelSpec::Webhook) {
                    let url: String = row.try_get("url")?;
                    let secret: String = row.try_get("secret")?;
                    let headers: String = row.try_get("headers")?;
                    Some(WebhookTarget {
                        url: CheckUrl::parse(&url).map_err(corrupt)?,
                        secret: WebhookSecret::parse(&secret).map_err(corrupt)?,
                        headers: serde_json::from_str(&headers).map_err(corrupt)?,
                    })
                } else {
                    None
                };
                Ok(Channel {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    spec,
                    webhook,
                    service_id,
                    endpoint_id,
                    managed_by: row.try_get("managed_by")?,
                    routes: all,
                    monitors: monitors.remove(&pk).unwrap_or_default(),
                    consecutive_failures: to_u32(
                        row.try_get("consecutive_failures")?,
                        "consecutive_failures",
                    )?,
                    last_attempt_at: row.try_get("last_attempt_at")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }

    async fn one_channel(&self, id: Uuid) -> Result<Channel> {
        Self::read_channels(&self.pool, Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound {
                kind: "channel",
                id,
            })
    }

    /// Subscribe in a transaction: the webhook's own service's list, or a route row.
    async fn put_route(
        tx: &mut sqlx::Transaction<'static, Db>,
        channel_pk: i64,
        route: &Route,
        now: Millis,
    ) -> Result<()> {
        let service_pk = Self::service_pk_of(tx, route.service_id).await?;
        let own = sqlx::query(
            "UPDATE webhooks SET events = $3, updated_at = $4 WHERE pk = $1 AND service_pk = $2 AND endpoint_pk IS NULL",
        )
        .bind(channel_pk)
        .bind(service_pk)
        .bind(stored_events(&route.events))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if own.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO channel_routes (channel_pk, service_pk, events, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (channel_pk, service_pk) DO UPDATE SET events = excluded.events",
            )
            .bind(channel_pk)
            .bind(service_pk)
            .bind(stored_events(&route.events))
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The channel's pk, refusing an endpoint's own webhook (it changes with its endpoint).
    async fn changeable_channel(tx: &mut sqlx::Transaction<'static, Db>, id: Uuid) -> Result<i64> {
        let row = sqlx::query("SELECT pk, endpoint_pk FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound {
                kind: "channel",
                id,
            })?;
        if row.try_get::<Option<i64>, _>("endpoint_pk")?.is_some() {
            return Err(StoreError::Conflict(format!(
                "channel {id} carries an endpoint's webhook_url; change the endpoint instead"
            )));
        }
        Ok(row.try_get("pk")?)
    }
}

#[async_trait]
impl Channels for This {
    async fn create_channel(&self, new: &NewChannel, now: Millis) -> Result<Channel> {
        let id = Uuid::new_v4();
        let (url, secret, headers) = match (&new.spec, &new.webhook) {
            (ChannelSpec::Webhook, Some(w)) => (
                w.url.as_str().to_owned(),
                w.secret.expose().to_owned(),
                serde_json::to_string(&w.headers).map_err(corrupt)?,
            ),
            (ChannelSpec::Webhook, None) => {
                return Err(StoreError::Invalid(beacon_core::ValidationError::new(
                    "url",
                    "a webhook channel needs url",
                )));
            }
            // Other kinds send where their settings say; the columns hold what a list may show.
            (spec, _) => (
                spec.target(),
                new_secret().expose().to_owned(),
                "[]".to_owned(),
            ),
        };
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk: i64 = sqlx::query(
            "INSERT INTO webhooks (id, kind, name, url, events, secret, headers, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, ',', $5, $6, $7, $8, $8) RETURNING pk",
        )
        .bind(id)
        .bind(new.spec.kind().as_str())
        .bind(&new.name)
        .bind(url)
        .bind(secret)
        .bind(headers)
        .bind(settings_json(&new.spec)?)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| name_taken(e, &new.name))?
        .try_get(0)?;
        if let Some(route) = &new.route {
            Self::put_route(&mut tx, pk, route, now).await?;
        }
        tx.commit().await?;
        self.one_channel(id).await
    }

    async fn list_channels(&self) -> Result<Vec<Channel>> {
        Self::read_channels(&self.pool, None).await
    }

    async fn get_channel(&self, id: Uuid) -> Result<Channel> {
        self.one_channel(id).await
    }

    async fn update_channel(&self, id: Uuid, patch: ChannelPatch, now: Millis) -> Result<Channel> {
        let current = self.one_channel(id).await?;
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk = Self::changeable_channel(&mut tx, id).await?;
        let spec = patch.spec.unwrap_or_else(|| current.spec.clone());
        if spec.kind() != current.kind() {
            return Err(StoreError::Conflict(format!(
                "channel {id} is of kind {}; make a new channel for another kind",
                current.kind()
            )));
        }
        let name = patch.name.or(current.name.clone());
        let (url, headers) = match &current.webhook {
            Some(w) => (
                patch
                    .url
                    .unwrap_or_else(|| w.url.clone())
                    .as_str()
                    .to_owned(),
                serde_json::to_string(&patch.headers.unwrap_or_else(|| w.headers.clone()))
                    .map_err(corrupt)?,
            ),
            None => (spec.target(), "[]".to_owned()),
        };
        sqlx::query(
            "UPDATE webhooks SET name = $2, url = $3, headers = $4, settings = $5, updated_at = $6 WHERE pk = $1",
        )
        .bind(pk)
        .bind(&name)
        .bind(url)
        .bind(headers)
        .bind(settings_json(&spec)?)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| name_taken(e, name.as_deref().unwrap_or("")))?;
        tx.commit().await?;
        self.one_channel(id).await
    }

    async fn delete_channel(&self, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk = Self::changeable_channel(&mut tx, id).await?;
        sqlx::query("DELETE FROM webhooks WHERE pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn subscribe_channel(&self, id: Uuid, route: &Route, now: Millis) -> Result<Channel> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk = Self::changeable_channel(&mut tx, id).await?;
        Self::put_route(&mut tx, pk, route, now).await?;
        tx.commit().await?;
        self.one_channel(id).await
    }

    async fn unsubscribe_channel(&self, id: Uuid, target: Uuid, now: Millis) -> Result<Channel> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk = Self::changeable_channel(&mut tx, id).await?;
        let service_pk: Option<i64> = sqlx::query("SELECT pk FROM services WHERE id = $1")
            .bind(target)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let removed = match service_pk {
            Some(service_pk) => {
                let own = sqlx::query(
                    "UPDATE webhooks SET events = ',', updated_at = $3 WHERE pk = $1 AND service_pk = $2 AND events <> ','",
                )
                .bind(pk)
                .bind(service_pk)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let routed = sqlx::query(
                    "DELETE FROM channel_routes WHERE channel_pk = $1 AND service_pk = $2",
                )
                .bind(pk)
                .bind(service_pk)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                own + routed > 0
            }
            None => {
                let monitor =
                    Self::monitor_pk(&mut *tx, target)
                        .await
                        .map_err(|_| StoreError::NotFound {
                            kind: "service or monitor",
                            id: target,
                        })?;
                Self::drop_monitor_route(&mut tx, pk, monitor, false).await?
            }
        };
        if !removed {
            return Err(StoreError::NotFound {
                kind: "subscription of the channel to",
                id: target,
            });
        }
        tx.commit().await?;
        self.one_channel(id).await
    }

    async fn route_monitor(
        &self,
        id: Uuid,
        monitor_id: Uuid,
        events: Option<&[String]>,
        now: Millis,
    ) -> Result<Channel> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk = Self::changeable_channel(&mut tx, id).await?;
        let monitor = Self::monitor_pk(&mut *tx, monitor_id).await?;
        Self::put_monitor_route(&mut tx, pk, monitor, events, now).await?;
        tx.commit().await?;
        self.one_channel(id).await
    }

    async fn unmute_channel(&self, id: Uuid, monitor_id: Uuid, _now: Millis) -> Result<Channel> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk = Self::changeable_channel(&mut tx, id).await?;
        let monitor = Self::monitor_pk(&mut *tx, monitor_id).await?;
        if !Self::drop_monitor_route(&mut tx, pk, monitor, true).await? {
            return Err(StoreError::NotFound {
                kind: "mute of the channel on monitor",
                id: monitor_id,
            });
        }
        tx.commit().await?;
        self.one_channel(id).await
    }
}
