//! Status pages and badges: the views, the create/patch bodies, and what a public page shows.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct StatusPageView {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Whether the public page shows the checked URLs (scheme, host and path only).
    pub show_urls: bool,
    /// The services it shows, in order.
    pub services: Vec<Uuid>,
    /// Its public address.
    pub url: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPageCreate {
    /// `/status/<slug>`: 1-64 of a-z, 0-9, '-', '_', '.'.
    #[schema(pattern = "^[a-z0-9][a-z0-9._-]{0,63}$")]
    pub slug: String,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_urls: Option<bool>,
    /// Service ids, in the order shown (1..50).
    pub services: Vec<Uuid>,
}

/// Changes to a status page; absent fields stay. `services` replaces the list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPagePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_urls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<Uuid>>,
}

list_type!(StatusPageList, StatusPageView);

/// What `GET /status/<slug>.json` answers, without sign-in: only the monitors of the page's services, no ids.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PublicStatus {
    pub title: String,
    pub description: String,
    /// operational, degraded or outage.
    pub status: String,
    /// The status in words.
    pub summary: String,
    /// When this was read (it is served from a cache for a few seconds).
    pub updated_at: String,
    pub services: Vec<PublicService>,
    pub open_incidents: Vec<PublicIncident>,
    /// Resolved incidents of the last 30 days, newest first.
    pub history: Vec<PublicIncident>,
    /// Maintenance of the page's services and monitors: in force now, or starting within 7 days; soonest first.
    pub maintenance: Vec<PublicMaintenance>,
}

/// A maintenance window as a status page announces it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PublicMaintenance {
    /// The service or monitor it covers, by name.
    pub about: String,
    /// The window's reason, as its maker wrote it.
    pub reason: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    /// In force now (else scheduled).
    pub ongoing: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PublicService {
    pub name: String,
    pub monitors: Vec<PublicMonitor>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PublicMonitor {
    pub name: String,
    /// http or heartbeat.
    pub kind: String,
    /// up, down, degraded, paused or unknown.
    pub status: String,
    /// Percent over 90 days (endpoints; null without checks or for heartbeats).
    pub uptime_90d: Option<f64>,
    /// Uptime of each of the last 90 UTC days, oldest first (null: no checks).
    pub days: Vec<Option<f64>>,
    /// The checked URL (scheme, host, path), when the page shows URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PublicIncident {
    pub monitor: String,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub duration_seconds: i64,
}

/// A monitor's badge key and the badge addresses it makes (public, cacheable).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct BadgeView {
    pub key: String,
    pub status_url: String,
    /// Add `?window=24h|7d|30d|90d` (default 30d).
    pub uptime_url: String,
    pub latency_url: String,
    /// Ready to paste into a README.
    pub markdown: String,
}
