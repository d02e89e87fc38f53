//! Services: create, list, read, change, delete (with `--cascade`).

use super::escalations::reminder_change;
use super::*;
use beacon_store::Setting;

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
        let current = match (&body.remind_every, body.remind_max) {
            (None, None) => None,
            _ => self.store.get_service(id).await?.reminders,
        };
        let reminders = reminder_change(
            body.remind_every.as_deref(),
            body.remind_max,
            current,
            false,
        )?
        .map(|r| match r {
            Setting::Own(r) => r,
            Setting::Inherit => None,
        });
        let flap_rule = match (body.flap_changes, body.flap_window.as_deref()) {
            (None, None) => None,
            (changes, window) => {
                let current = self
                    .store
                    .get_service(id)
                    .await?
                    .flap_rule
                    .unwrap_or_default();
                let window_ms = match window {
                    None => current.window_ms,
                    Some(w) => beacon_core::rollup::parse_span(w)
                        .map_err(|e| ValidationError::new("flap_window", e.message))?,
                };
                Some(beacon_core::flapping::FlapRule::new(
                    changes.unwrap_or(current.changes),
                    window_ms,
                )?)
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
        if let Some(rule) = flap_rule {
            self.store
                .set_service_flap_rule(id, Some(rule), self.now())
                .await?;
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
