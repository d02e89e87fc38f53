//! Heartbeats: create, list, read, change, delete, pause, rotate keys; their pings; ping intake.

use super::*;

#[async_trait]
pub trait HeartbeatOps: Send + Sync {
    async fn create_heartbeat(
        &self,
        body: HeartbeatCreate,
    ) -> Result<CreatedHeartbeatView, ApiError>;
    async fn list_heartbeats(&self, params: ByServiceParams) -> Result<HeartbeatList, ApiError>;
    async fn get_heartbeat(&self, id: Uuid) -> Result<HeartbeatView, ApiError>;
    async fn update_heartbeat(
        &self,
        id: Uuid,
        body: HeartbeatPatch,
    ) -> Result<HeartbeatView, ApiError>;
    async fn delete_heartbeat(&self, id: Uuid) -> Result<(), ApiError>;
    async fn set_heartbeat_paused(&self, id: Uuid, paused: bool)
    -> Result<HeartbeatView, ApiError>;
    /// A new key and ping URL; the old ones keep working for `grace_seconds`.
    async fn rotate_heartbeat_key(
        &self,
        id: Uuid,
        params: RotateKeyParams,
    ) -> Result<CreatedHeartbeatView, ApiError>;
    async fn list_heartbeat_pings(
        &self,
        id: Uuid,
        limit: Option<u32>,
    ) -> Result<HeartbeatPingList, ApiError>;
}

impl App {
    /// A heartbeat as shown: status evaluated now, ping URL on this server.
    pub fn heartbeat_view(&self, h: &Heartbeat) -> HeartbeatView {
        let (kind, period, cron, tz) = match &h.spec.schedule {
            Schedule::Period { seconds } => ("period", Some(*seconds), None, None),
            Schedule::Cron(c) => (
                "cron",
                None,
                Some(c.expr().to_owned()),
                Some(c.tz().to_owned()),
            ),
        };
        HeartbeatView {
            id: h.id,
            service_id: h.service_id,
            slug: h.slug.clone(),
            name: h.spec.name.clone(),
            kind: kind.into(),
            period_seconds: period,
            cron,
            tz,
            grace_seconds: h.spec.grace_seconds,
            status: heartbeat::evaluate(&h.spec, &h.state, self.now())
                .as_str()
                .into(),
            last_ping_at: h.last_ping_at.map(rfc3339),
            next_expected_at: h
                .state
                .last_result
                .filter(|_| !h.state.paused)
                .map(|(at, _)| rfc3339(h.spec.due_after(at))),
            ping_url: format!("{}/ping/{}", self.public_url, h.ping_secret),
            key_ping_url: format!("{}/ping/{}", self.public_url, h.id),
            created_at: rfc3339(h.created_at),
            updated_at: rfc3339(h.updated_at),
        }
    }

    /// The heartbeat a secret ping URL names (its current one, or the previous within the rotation grace).
    pub async fn heartbeat_for_ping_url(&self, secret: Uuid) -> Result<Option<Uuid>, ApiError> {
        Ok(self
            .store
            .heartbeat_for_ping_url(secret, self.now())
            .await?)
    }

    /// `/ping/<ping_key>/<slug>`: the heartbeat, created on first ping when `create` (a period of a day and an
    /// hour of grace, as Healthchecks does). None when the ping key is unknown, or the slug is and not `create`.
    pub async fn heartbeat_for_ping_slug(
        &self,
        ping_key: &str,
        slug: &str,
        create: bool,
    ) -> Result<Option<(Uuid, bool)>, ApiError> {
        let Some((service_id, found)) = self.store.heartbeat_for_ping_slug(ping_key, slug).await?
        else {
            return Ok(None);
        };
        match found {
            Some(id) => Ok(Some((id, false))),
            None if create => {
                let slug = heartbeat::validate_slug(slug)?;
                let spec = HeartbeatSpec::create(HeartbeatInput {
                    name: Some(slug.clone()),
                    period_seconds: Some(86_400),
                    grace_seconds: Some(3_600),
                    ..HeartbeatInput::default()
                })?;
                let (_, hash) = token::generate_ping_key(rand::random());
                let h = self
                    .store
                    .create_heartbeat(service_id, &slug, &spec, &hash, self.now())
                    .await?;
                Ok(Some((h.id, true)))
            }
            None => Ok(None),
        }
    }

    /// Store a ping through the intake.
    pub async fn submit_ping(&self, ping: IncomingPing) -> Result<PingOutcome, ApiError> {
        let intake = self.intake.as_ref().ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "this process does not accept pings",
            )
        })?;
        Ok(intake.submit(ping).await?)
    }
}

#[async_trait]
impl HeartbeatOps for App {
    async fn create_heartbeat(
        &self,
        body: HeartbeatCreate,
    ) -> Result<CreatedHeartbeatView, ApiError> {
        // Validated before the database is touched: nothing is written for bad input.
        let spec = HeartbeatSpec::create(HeartbeatInput {
            name: Some(body.name.clone()),
            period_seconds: body.period_seconds,
            cron: body.cron,
            tz: body.tz,
            grace_seconds: body.grace_seconds,
        })?;
        let slug = match &body.slug {
            Some(s) => heartbeat::validate_slug(s)?,
            None => heartbeat::slug_from_name(&spec.name),
        };
        let (key, hash) = token::generate_ping_key(rand::random());
        let h = self
            .store
            .create_heartbeat(body.service_id, &slug, &spec, &hash, self.now())
            .await?;
        Ok(CreatedHeartbeatView {
            heartbeat: self.heartbeat_view(&h),
            key,
        })
    }

    async fn list_heartbeats(&self, params: ByServiceParams) -> Result<HeartbeatList, ApiError> {
        let got = self
            .store
            .list_heartbeats(
                params.service_id,
                page(params.limit, params.cursor.as_deref())?,
            )
            .await?;
        Ok(HeartbeatList {
            data: got.items.iter().map(|h| self.heartbeat_view(h)).collect(),
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_heartbeat(&self, id: Uuid) -> Result<HeartbeatView, ApiError> {
        let h = self.store.get_heartbeat(&HeartbeatRef::Id(id)).await?;
        Ok(self.heartbeat_view(&h))
    }

    async fn update_heartbeat(
        &self,
        id: Uuid,
        body: HeartbeatPatch,
    ) -> Result<HeartbeatView, ApiError> {
        let input = HeartbeatInput {
            name: body.name,
            period_seconds: body.period_seconds,
            cron: body.cron,
            tz: body.tz,
            grace_seconds: body.grace_seconds,
        };
        let h = self.store.update_heartbeat(id, input, self.now()).await?;
        Ok(self.heartbeat_view(&h))
    }

    async fn delete_heartbeat(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_heartbeat(id).await?)
    }

    async fn set_heartbeat_paused(
        &self,
        id: Uuid,
        paused: bool,
    ) -> Result<HeartbeatView, ApiError> {
        let h = self
            .store
            .set_heartbeat_paused(id, paused, self.now())
            .await?;
        Ok(self.heartbeat_view(&h))
    }

    async fn rotate_heartbeat_key(
        &self,
        id: Uuid,
        params: RotateKeyParams,
    ) -> Result<CreatedHeartbeatView, ApiError> {
        let (key, hash) = token::generate_ping_key(rand::random());
        let now = self.now();
        let until = params
            .grace_seconds
            .filter(|g| *g > 0)
            .map(|g| now + i64::from(g) * 1000);
        let h = self.store.set_heartbeat_key(id, &hash, until, now).await?;
        Ok(CreatedHeartbeatView {
            heartbeat: self.heartbeat_view(&h),
            key,
        })
    }

    async fn list_heartbeat_pings(
        &self,
        id: Uuid,
        limit: Option<u32>,
    ) -> Result<HeartbeatPingList, ApiError> {
        let pings = self
            .store
            .list_heartbeat_pings(id, self::limit(limit)?)
            .await?;
        Ok(HeartbeatPingList {
            data: pings.iter().map(Into::into).collect(),
            next_cursor: None,
        })
    }
}
