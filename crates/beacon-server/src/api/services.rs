//! Services: create, list, read, change, delete (with `--cascade`).

use super::*;

#[async_trait]
pub trait ServiceOps: Send + Sync {
    async fn create_service(&self, body: ServiceCreate) -> Result<ServiceView, ApiError>;
    async fn list_services(&self, params: ListParams) -> Result<ServiceList, ApiError>;
    async fn get_service(&self, id: Uuid) -> Result<ServiceView, ApiError>;
    async fn update_service(&self, id: Uuid, body: ServicePatch) -> Result<ServiceView, ApiError>;
    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<(), ApiError>;
}

#[async_trait]
impl ServiceOps for App {
    async fn create_service(&self, body: ServiceCreate) -> Result<ServiceView, ApiError> {
        let s = self
            .store
            .create_service(
                &body.name,
                body.description.as_deref().unwrap_or(""),
                self.now(),
            )
            .await?;
        let mut view = ServiceView::from(&s);
        view.ping_key = Some(self.store.service_ping_key(s.id).await?);
        Ok(view)
    }

    async fn list_services(&self, params: ListParams) -> Result<ServiceList, ApiError> {
        let got = self
            .store
            .list_services(page(params.limit, params.cursor.as_deref())?)
            .await?;
        Ok(ServiceList {
            data: got.items.iter().map(Into::into).collect(),
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_service(&self, id: Uuid) -> Result<ServiceView, ApiError> {
        let mut view = ServiceView::from(&self.store.get_service(id).await?);
        view.ping_key = Some(self.store.service_ping_key(id).await?);
        Ok(view)
    }

    async fn update_service(&self, id: Uuid, body: ServicePatch) -> Result<ServiceView, ApiError> {
        // Validated before anything is written.
        if let Some(name) = &body.name {
            beacon_core::endpoint::validate_name(name)?;
        }
        let reminders = match (&body.remind_every, body.remind_max) {
            (None, None) => None,
            (every, max) => {
                if max.is_some_and(|m| !(1..=100).contains(&m)) {
                    return Err(ValidationError::new("remind_max", "must be 1..100").into());
                }
                let current = self.store.get_service(id).await?.reminders;
                let every_ms = match every.as_deref().map(str::trim) {
                    Some("off") => None,
                    Some(e) => {
                        let ms = rollup::parse_span(e).map_err(|_| {
                            ValidationError::new(
                                "remind_every",
                                format!("{e:?} is not a span like 30m, 2h or 1d, nor off"),
                            )
                        })?;
                        if !(10_000..=7 * 86_400_000).contains(&ms) {
                            return Err(ValidationError::new(
                                "remind_every",
                                "must be from 10s to 7d",
                            )
                            .into());
                        }
                        Some(ms)
                    }
                    None => match current {
                        Some(c) => Some(c.every_ms),
                        None => {
                            return Err(ValidationError::new(
                                "remind_every",
                                "give the cadence too, e.g. 30m",
                            )
                            .into());
                        }
                    },
                };
                Some(every_ms.map(|every_ms| beacon_store::Reminders {
                    every_ms,
                    max: max.or(current.map(|c| c.max)).unwrap_or(10),
                }))
            }
        };
        let policy = match body.escalation_policy.as_deref().map(str::trim) {
            None => None,
            Some("none") => Some(None),
            Some(given) => Some(Some(self.policy_id(given).await?)),
        };
        if let Some(p) = policy {
            self.store.set_service_policy(id, p, self.now()).await?;
        }
        if let Some(r) = reminders {
            self.store.set_service_reminders(id, r, self.now()).await?;
        }
        if body.name.is_none() && body.description.is_none() {
            return Ok((&self.store.get_service(id).await?).into());
        }
        let s = self
            .store
            .update_service(
                id,
                body.name.as_deref(),
                body.description.as_deref(),
                self.now(),
            )
            .await?;
        Ok((&s).into())
    }

    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<(), ApiError> {
        Ok(self.store.delete_service(id, cascade).await?)
    }
}
