//! Maintenance windows: make one (a span or a recurrence, for a service or one monitor), list, read, end; and
//! which endpoints are in one now (their status reads `maintenance`).

use super::*;
use beacon_core::maintenance::{WindowInput, WindowSchedule};
use beacon_store::{NewWindow, WindowTarget};

#[async_trait]
pub trait MaintenanceOps: Send + Sync {
    async fn create_maintenance(
        &self,
        body: MaintenanceCreate,
    ) -> Result<MaintenanceView, ApiError>;
    async fn list_maintenance(&self) -> Result<MaintenanceList, ApiError>;
    async fn get_maintenance(&self, id: Uuid) -> Result<MaintenanceView, ApiError>;
    /// End it now.
    async fn end_maintenance(&self, id: Uuid) -> Result<MaintenanceView, ApiError>;
}

/// An RFC 3339 time as milliseconds, the field named when it is not one.
fn time(field: &'static str, s: &str) -> Result<Millis, ValidationError> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.timestamp_millis())
        .map_err(|_| ValidationError::new(field, format!("{s:?} is not an RFC 3339 time")))
}

impl App {
    /// Endpoint views in a window now read `maintenance` (unless paused).
    pub(crate) async fn mark_maintenance(
        &self,
        views: &mut [EndpointView],
    ) -> Result<(), ApiError> {
        let ids: Vec<Uuid> = views.iter().map(|v| v.id).collect();
        let inside = self.store.monitors_in_maintenance(&ids, self.now()).await?;
        for v in views.iter_mut() {
            if inside.contains_key(&v.id) && v.status != "paused" {
                v.status = "maintenance".into();
            }
        }
        Ok(())
    }
}

#[async_trait]
impl MaintenanceOps for App {
    async fn create_maintenance(
        &self,
        body: MaintenanceCreate,
    ) -> Result<MaintenanceView, ApiError> {
        let target = match (body.service_id, body.monitor_id) {
            (Some(s), None) => WindowTarget::Service(s),
            (None, Some(m)) => WindowTarget::Monitor(m),
            _ => {
                return Err(ValidationError::new(
                    "service_id",
                    "name either a service (service_id) or a monitor (monitor_id)",
                )
                .into());
            }
        };
        if body
            .reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > 500)
        {
            return Err(ValidationError::new("reason", "at most 500 characters").into());
        }
        let input = WindowInput {
            start: body
                .start
                .as_deref()
                .map(|s| time("start", s))
                .transpose()?,
            end: body.end.as_deref().map(|s| time("end", s)).transpose()?,
            duration_ms: body
                .duration
                .as_deref()
                .map(|d| {
                    rollup::parse_span(d).map_err(|_| {
                        ValidationError::new(
                            "duration",
                            format!("{d:?} is not a span like 30m, 2h or 1d"),
                        )
                    })
                })
                .transpose()?,
            cron: body.cron.clone(),
            tz: body.tz.clone(),
        };
        let now = self.now();
        let schedule = WindowSchedule::parse(&input, now)?;
        let new = NewWindow {
            target,
            reason: body
                .reason
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty()),
            schedule,
        };
        let w = self.store.create_window(&new, now).await?;
        Ok(MaintenanceView::new(&w, now))
    }

    async fn list_maintenance(&self) -> Result<MaintenanceList, ApiError> {
        let now = self.now();
        Ok(MaintenanceList {
            data: self
                .store
                .list_windows()
                .await?
                .iter()
                .map(|w| MaintenanceView::new(w, now))
                .collect(),
            next_cursor: None,
        })
    }

    async fn get_maintenance(&self, id: Uuid) -> Result<MaintenanceView, ApiError> {
        Ok(MaintenanceView::new(
            &self.store.get_window(id).await?,
            self.now(),
        ))
    }

    async fn end_maintenance(&self, id: Uuid) -> Result<MaintenanceView, ApiError> {
        let now = self.now();
        Ok(MaintenanceView::new(
            &self.store.end_window(id, now).await?,
            now,
        ))
    }
}
