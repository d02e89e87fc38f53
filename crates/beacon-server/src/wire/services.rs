//! Services: the view and the create/patch bodies.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServiceView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Names its heartbeats in ping URLs without a header: `/ping/<ping_key>/<slug>` (Healthchecks' slug URLs);
    /// on create and get only, to tokens that may write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_key: Option<String>,
    /// While an incident of this service stays open and unacknowledged, a `reminder` every this long (`30m`),
    /// at most `remind_max` times; null: no reminders.
    pub remind_every: Option<String>,
    pub remind_max: Option<u32>,
    /// The escalation policy its incidents follow.
    pub escalation_policy_id: Option<Uuid>,
    /// Its monitors flap after more than this many state changes (0: never) within `flap_window` (`30m`).
    pub flap_changes: u32,
    pub flap_window: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Service> for ServiceView {
    fn from(s: &Service) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            description: s.description.clone(),
            ping_key: None,
            remind_every: s.reminders.map(|r| span(r.every_ms)),
            remind_max: s.reminders.map(|r| r.max),
            escalation_policy_id: s.escalation_policy_id,
            flap_changes: s.flap_rule.unwrap_or_default().changes,
            flap_window: span(s.flap_rule.unwrap_or_default().window_ms),
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceCreate {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Reminder cadence: a span from 10s to 7d (`30m`, `2h`), or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_every: Option<String>,
    /// At most this many reminders per incident, 1..100 (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_max: Option<u32>,
    /// The escalation policy its incidents follow, by id or name, or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_policy: Option<String>,
    /// Its monitors flap after more than this many state changes within `flap_window`: 2..100, or 0 for never
    /// (default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 100)]
    pub flap_changes: Option<u32>,
    /// The flap window, 1m..1d (default `30m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flap_window: Option<String>,
}

/// A span as people write it: `0m`, `90s`, `30m`, `2h`, `1d`.
pub fn span(ms: i64) -> String {
    if ms == 0 {
        return "0m".to_owned();
    }
    match ms {
        ms if ms % 86_400_000 == 0 => format!("{}d", ms / 86_400_000),
        ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        ms => format!("{}s", ms / 1000),
    }
}

list_type!(ServiceList, ServiceView);
