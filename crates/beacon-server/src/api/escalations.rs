//! Escalation policies: create (steps naming channels by name or id), list, read, delete; which service follows
//! which is set with the service (`ServicePatch::escalation_policy`).

use super::*;
use beacon_core::escalation;
use beacon_store::{MonitorNotifications, PolicyStep, Reminders, Setting};
use std::collections::HashMap;

/// A change of reminders as asked: `every` a span from 10s to 7d, `off`, or (`inherit_ok`, for monitors)
/// `inherit`; `max` 1..100. `None` when neither is given; a new `max` alone keeps `current`'s cadence.
pub(crate) fn reminder_change(
    every: Option<&str>,
    max: Option<u32>,
    current: Option<Reminders>,
    inherit_ok: bool,
) -> Result<Option<Setting<Reminders>>, ApiError> {
    if every.is_none() && max.is_none() {
        return Ok(None);
    }
    if max.is_some_and(|m| !(1..=100).contains(&m)) {
        return Err(ValidationError::new("remind_max", "must be 1..100").into());
    }
    let every_ms = match every.map(str::trim) {
        Some("off") => None,
        Some("inherit") if inherit_ok => return Ok(Some(Setting::Inherit)),
        Some(e) => {
            let ms = rollup::parse_span(e).map_err(|_| {
                let also = if inherit_ok {
                    ", off or inherit"
                } else {
                    " nor off"
                };
                ValidationError::new(
                    "remind_every",
                    format!("{e:?} is not a span like 30m, 2h or 1d{also}"),
                )
            })?;
            if !(10_000..=7 * 86_400_000).contains(&ms) {
                return Err(ValidationError::new("remind_every", "must be from 10s to 7d").into());
            }
            Some(ms)
        }
        None => match current {
            Some(c) => Some(c.every_ms),
            None => {
                return Err(
                    ValidationError::new("remind_every", "give the cadence too, e.g. 30m").into(),
                );
            }
        },
    };
    Ok(Some(Setting::Own(every_ms.map(|every_ms| Reminders {
        every_ms,
        max: max.or(current.map(|c| c.max)).unwrap_or(10),
    }))))
}

fn from(own: bool) -> String {
    if own { "monitor" } else { "service" }.to_owned()
}

#[async_trait]
pub trait EscalationOps: Send + Sync {
    async fn create_policy(&self, body: EscalationCreate)
    -> Result<EscalationPolicyView, ApiError>;
    async fn list_policies(&self) -> Result<EscalationPolicyList, ApiError>;
    async fn get_policy(&self, id: Uuid) -> Result<EscalationPolicyView, ApiError>;
    async fn delete_policy(&self, id: Uuid) -> Result<(), ApiError>;
    /// What follows a monitor's incidents, its own or its service's, and the channels it adds or mutes.
    async fn monitor_notifications(&self, id: Uuid) -> Result<MonitorNotificationsView, ApiError>;
    async fn update_monitor_notifications(
        &self,
        id: Uuid,
        body: MonitorNotificationsPatch,
    ) -> Result<MonitorNotificationsView, ApiError>;
}

impl App {
    /// A monitor's notifications as shown: its own settings, or its service's where it follows the service.
    async fn notifications_view(
        &self,
        id: Uuid,
        n: MonitorNotifications,
    ) -> Result<MonitorNotificationsView, ApiError> {
        let service_id = match self.store.get_endpoint(id).await {
            Ok(e) => e.service_id,
            Err(_) => {
                self.store
                    .get_heartbeat(&beacon_store::HeartbeatRef::Id(id))
                    .await?
                    .service_id
            }
        };
        let service = match (n.reminders, n.escalation) {
            (Setting::Own(_), Setting::Own(_)) => None,
            _ => Some(self.store.get_service(service_id).await?),
        };
        let reminders = match n.reminders {
            Setting::Own(r) => r,
            Setting::Inherit => service.as_ref().and_then(|s| s.reminders),
        };
        let escalation = match n.escalation {
            Setting::Own(p) => p,
            Setting::Inherit => service.as_ref().and_then(|s| s.escalation_policy_id),
        };
        Ok(MonitorNotificationsView {
            monitor_id: id,
            remind_every: reminders.map(|r| span(r.every_ms)),
            remind_max: reminders.map(|r| r.max),
            reminders_from: from(matches!(n.reminders, Setting::Own(_))),
            escalation_policy_id: escalation,
            escalation_from: from(matches!(n.escalation, Setting::Own(_))),
            channels: n
                .channels
                .into_iter()
                .map(|(channel_id, name, r)| MonitorChannelView {
                    channel_id,
                    name,
                    events: r.events,
                    muted: r.muted,
                })
                .collect(),
        })
    }

    async fn channel_names(&self) -> Result<HashMap<Uuid, Option<String>>, ApiError> {
        Ok(self
            .store
            .list_channels()
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect())
    }

    /// A policy by id or name.
    pub(crate) async fn policy_id(&self, given: &str) -> Result<Uuid, ApiError> {
        if let Ok(id) = Uuid::try_parse(given) {
            return Ok(id);
        }
        self.store
            .list_policies()
            .await?
            .into_iter()
            .find(|p| p.name == given)
            .map(|p| p.id)
            .ok_or_else(|| {
                ValidationError::new(
                    "escalation_policy",
                    format!("no escalation policy is named {given:?}"),
                )
                .into()
            })
    }
}

#[async_trait]
impl EscalationOps for App {
    async fn create_policy(
        &self,
        body: EscalationCreate,
    ) -> Result<EscalationPolicyView, ApiError> {
        let name = beacon_core::endpoint::validate_name(&body.name)?;
        let steps = body
            .steps
            .iter()
            .map(|s| escalation::parse_step(s))
            .collect::<Result<Vec<_>, _>>()?;
        let repeat = body.repeat.unwrap_or(0);
        escalation::validate(&steps, repeat)?;
        // Channels by id or name: every one must exist, or nothing is stored.
        let names = self.channel_names().await?;
        let resolve = |given: &str| -> Result<Uuid, ApiError> {
            if let Ok(id) = Uuid::try_parse(given)
                && names.contains_key(&id)
            {
                return Ok(id);
            }
            names
                .iter()
                .find(|(_, n)| n.as_deref() == Some(given))
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    ValidationError::new("step", format!("no channel is named {given:?}")).into()
                })
        };
        let steps = steps
            .iter()
            .map(|s| {
                Ok(PolicyStep {
                    delay_ms: s.delay_ms,
                    channels: s
                        .channels
                        .iter()
                        .map(|c| resolve(c))
                        .collect::<Result<_, ApiError>>()?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let p = self
            .store
            .create_policy(&name, &steps, repeat, self.now())
            .await?;
        Ok(EscalationPolicyView::new(&p, &names))
    }

    async fn list_policies(&self) -> Result<EscalationPolicyList, ApiError> {
        let names = self.channel_names().await?;
        Ok(EscalationPolicyList {
            data: self
                .store
                .list_policies()
                .await?
                .iter()
                .map(|p| EscalationPolicyView::new(p, &names))
                .collect(),
            next_cursor: None,
        })
    }

    async fn get_policy(&self, id: Uuid) -> Result<EscalationPolicyView, ApiError> {
        let names = self.channel_names().await?;
        Ok(EscalationPolicyView::new(
            &self.store.get_policy(id).await?,
            &names,
        ))
    }

    async fn delete_policy(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_policy(id).await?)
    }

    async fn monitor_notifications(&self, id: Uuid) -> Result<MonitorNotificationsView, ApiError> {
        let n = self.store.monitor_notifications(id).await?;
        self.notifications_view(id, n).await
    }

    async fn update_monitor_notifications(
        &self,
        id: Uuid,
        body: MonitorNotificationsPatch,
    ) -> Result<MonitorNotificationsView, ApiError> {
        // Validated before anything is written.
        let current = self.store.monitor_notifications(id).await?;
        let own = match current.reminders {
            Setting::Own(r) => r,
            Setting::Inherit => None,
        };
        let reminders = reminder_change(body.remind_every.as_deref(), body.remind_max, own, true)?;
        let escalation = match body.escalation_policy.as_deref().map(str::trim) {
            None => None,
            Some("inherit") => Some(Setting::Inherit),
            Some("none") => Some(Setting::Own(None)),
            Some(given) => Some(Setting::Own(Some(self.policy_id(given).await?))),
        };
        let n = self
            .store
            .set_monitor_follow_ups(id, reminders, escalation, self.now())
            .await?;
        self.notifications_view(id, n).await
    }
}
