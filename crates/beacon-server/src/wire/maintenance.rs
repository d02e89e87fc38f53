//! Maintenance windows: the view and the create body (a span, or a cron recurrence with a duration).

use super::*;
use beacon_core::maintenance::WindowSchedule;
use beacon_store::MaintenanceWindow;

/// A maintenance window of a service or of one monitor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct MaintenanceView {
    pub id: Uuid,
    /// The service it covers (all its monitors), or null for one monitor's.
    pub service_id: Option<Uuid>,
    pub monitor_id: Option<Uuid>,
    /// endpoint or heartbeat, for one monitor's.
    pub monitor_kind: Option<String>,
    pub reason: Option<String>,
    /// once or recurring.
    pub kind: String,
    /// A span's start and end.
    pub start: Option<String>,
    pub end: Option<String>,
    /// A recurrence: the cron expression, its time zone and how long each occurrence lasts.
    pub cron: Option<String>,
    pub tz: Option<String>,
    pub duration: Option<String>,
    /// When it was ended by hand.
    pub ended_at: Option<String>,
    pub created_at: String,
    /// Whether it is in force now, and until when.
    pub active: bool,
    pub active_until: Option<String>,
    /// The next span that starts later (a recurrence's next occurrence).
    pub next_start: Option<String>,
}

impl MaintenanceView {
    pub fn new(w: &MaintenanceWindow, now: beacon_core::Millis) -> Self {
        let (kind, start, end, cron, tz, duration) = match &w.schedule {
            WindowSchedule::Once { start, end } => (
                "once",
                Some(rfc3339(*start)),
                Some(rfc3339(*end)),
                None,
                None,
                None,
            ),
            WindowSchedule::Recurring { cron, duration_ms } => (
                "recurring",
                None,
                None,
                Some(cron.expr().to_owned()),
                Some(cron.tz().to_owned()),
                Some(span(*duration_ms)),
            ),
        };
        let active = w.active_at(now);
        let next = w
            .schedule
            .next_after(now)
            .filter(|(s, _)| w.ended_at.is_none_or(|e| *s < e));
        MaintenanceView {
            id: w.id,
            service_id: w.service_id,
            monitor_id: w.monitor_id,
            monitor_kind: w.monitor_kind.map(str::to_owned),
            reason: w.reason.clone(),
            kind: kind.to_owned(),
            start,
            end,
            cron,
            tz,
            duration,
            ended_at: opt_rfc3339(w.ended_at),
            created_at: rfc3339(w.created_at),
            active: active.is_some(),
            active_until: active.map(|(_, e)| rfc3339(e)),
            next_start: next.map(|(s, _)| rfc3339(s)),
        }
    }
}

list_type!(MaintenanceList, MaintenanceView);

/// A maintenance window: for a service or one monitor (exactly one), from `start` (default now) to `end` or for
/// `duration`; or recurring: `cron` (in `tz`, default UTC) for `duration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// A span: 30m, 2h, 1d.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Five-field cron expression of a recurring window, e.g. `0 2 * * SUN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// IANA time zone of `cron`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// `POST /api/v1/maintenance/start?service=ID&duration=30m`: a window from now, for a deploy script.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MaintenanceStartParams {
    /// The service's id (or give `monitor`).
    pub service: Option<Uuid>,
    /// The monitor's id (or give `service`).
    pub monitor: Option<Uuid>,
    /// How long, e.g. 30m (default 1h).
    pub duration: Option<String>,
    pub reason: Option<String>,
}
