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
    async fn rotate_heartbeat_key(&self, id: Uuid) -> Result<CreatedHeartbeatView, ApiError>;
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
            ping_url: format!("{}/ping/{}", self.public_url, h.id),
            created_at: rfc3339(h.created_at),
            updated_at: rfc3339(h.updated_at),
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

    async fn rotate_heartbeat_key(&self, id: Uuid) -> Result<CreatedHeartbeatView, ApiError> {
        let (key, hash) = token::generate_ping_key(rand::random());
        let h = self.store.set_heartbeat_key(id, &hash, self.now()).await?;
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
