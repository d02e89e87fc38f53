//! JSON shapes of Beacon's objects, shared by CLI output (`-o json`) and, later, the REST API, so that both print
//! the same fields. Field names are part of the public contract: add, never rename.

use beacon_core::Millis;
use beacon_core::check::CheckSpec;
use beacon_core::rollup::BucketStats;
use beacon_store::{
    ApiToken, Delivery, DeliveryDetail, Endpoint, Incident, Ping, Service, StoredAttempt, Webhook,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// RFC 3339 in UTC with millisecond precision.
pub fn rfc3339(t: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(t)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn opt_rfc3339(t: Option<Millis>) -> Option<String> {
    t.map(rfc3339)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServiceView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Service> for ServiceView {
    fn from(s: &Service) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            description: s.description.clone(),
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct EndpointView {
    pub id: Uuid,
    pub service_id: Uuid,
    pub name: String,
    pub url: String,
    pub method: String,
    pub interval_seconds: u32,
    pub timeout_seconds: f64,
    pub expected_status: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub alert_threshold: u32,
    pub recovery_threshold: u32,
    pub expect_body_contains: Option<String>,
    pub follow_redirects: bool,
    pub enabled: bool,
    pub webhook_url: Option<String>,
    /// up, down or unknown.
    pub status: String,
    pub last_checked_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Uptime over trailing periods and p95 latency over 24 h (on `get` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<UptimeView>,
}

/// Uptime (percent of successful checks; null without checks) over trailing periods, from hourly rollups.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct UptimeView {
    pub uptime_24h: Option<f64>,
    pub uptime_7d: Option<f64>,
    pub uptime_30d: Option<f64>,
    pub uptime_90d: Option<f64>,
    /// 95th percentile latency of successful checks over 24 h, ms.
    pub p95_24h_ms: Option<f64>,
    /// Checks over 24 h.
    pub checks_24h: u64,
}

/// One bucket of a stats range, or the summary over all of it. Latencies are of successful checks, in ms.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct StatsBucket {
    pub start: String,
    pub end: String,
    pub count: u64,
    pub successes: u64,
    pub failures: u64,
    /// Percent of successful checks; null without checks.
    pub uptime: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl From<&BucketStats> for StatsBucket {
    fn from(b: &BucketStats) -> Self {
        Self {
            start: rfc3339(b.start),
            end: rfc3339(b.end),
            count: b.count,
            successes: b.successes,
            failures: b.failures,
            uptime: b.uptime,
            p50_ms: b.p50_ms,
            p95_ms: b.p95_ms,
            p99_ms: b.p99_ms,
            min_ms: b.min_ms,
            max_ms: b.max_ms,
        }
    }
}

/// `beacon stats`: buckets with checks (empty ones are left out), oldest first, and the summary of the range.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct StatsView {
    pub summary: StatsBucket,
    pub buckets: Vec<StatsBucket>,
}

impl From<&Endpoint> for EndpointView {
    fn from(e: &Endpoint) -> Self {
        let s = &e.spec;
        // The only kind so far; the next kinds make these fields optional (a compile error here says so).
        let CheckSpec::Http(h) = &s.check;
        Self {
            id: e.id,
            service_id: e.service_id,
            name: s.name.clone(),
            url: h.url.as_str().to_owned(),
            method: h.method.as_str().to_owned(),
            interval_seconds: s.interval_seconds,
            timeout_seconds: f64::from(s.timeout_ms) / 1000.0,
            expected_status: h.expected_status.to_string(),
            headers: h
                .headers
                .iter()
                .map(|hd| (hd.name.clone(), hd.value.clone()))
                .collect(),
            body: h.body.clone(),
            alert_threshold: s.alert_threshold,
            recovery_threshold: s.recovery_threshold,
            expect_body_contains: h.expect_body_contains.clone(),
            follow_redirects: h.follow_redirects,
            enabled: s.enabled,
            webhook_url: s.webhook_url.as_ref().map(|u| u.as_str().to_owned()),
            status: e.status.as_str().to_owned(),
            last_checked_at: opt_rfc3339(e.last_checked_at),
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
            stats: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct TimingsView {
    pub dns_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    pub tls_ms: Option<f64>,
    pub first_byte_ms: Option<f64>,
    pub total_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PingView {
    pub endpoint_id: Uuid,
    pub scheduled_at: String,
    pub started_at: String,
    pub success: bool,
    pub status_code: Option<u16>,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub timings: TimingsView,
    pub region: String,
}

fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

impl From<&Ping> for PingView {
    fn from(p: &Ping) -> Self {
        let o = &p.observation;
        let t = &o.timings;
        Self {
            endpoint_id: p.endpoint_id,
            scheduled_at: rfc3339(p.scheduled_at),
            started_at: rfc3339(p.started_at),
            success: o.success(),
            status_code: o.status_code,
            error_kind: o.failure.as_ref().map(|(k, _)| k.as_str().to_owned()),
            error: o.failure.as_ref().map(|(_, m)| m.clone()),
            timings: TimingsView {
                dns_ms: t.dns_us.map(ms),
                connect_ms: t.connect_us.map(ms),
                tls_ms: t.tls_us.map(ms),
                first_byte_ms: t.first_byte_us.map(ms),
                total_ms: ms(t.total_us),
            },
            region: p.region.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct IncidentView {
    pub id: Uuid,
    /// The endpoint the incident is about; null for a heartbeat's incident.
    pub endpoint_id: Option<Uuid>,
    /// The heartbeat the incident is about; null for an endpoint's incident.
    pub heartbeat_id: Option<Uuid>,
    pub status: String,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub cause: String,
    pub failure_count: u32,
    pub resolved_by: Option<String>,
}

impl From<&Incident> for IncidentView {
    fn from(i: &Incident) -> Self {
        Self {
            id: i.id,
            endpoint_id: i.endpoint_id,
            heartbeat_id: i.heartbeat_id,
            status: i.status.as_str().to_owned(),
            started_at: rfc3339(i.started_at),
            resolved_at: opt_rfc3339(i.resolved_at),
            cause: i.cause.clone(),
            failure_count: i.failure_count,
            resolved_by: i.resolved_by.map(|r| r.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// read, write or admin.
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<&ApiToken> for TokenView {
    fn from(t: &ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            scope: t.scope.as_str().to_owned(),
            created_at: rfc3339(t.created_at),
            revoked_at: opt_rfc3339(t.revoked_at),
        }
    }
}

/// A token just created: the only time its secret text is shown.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CreatedTokenView {
    pub id: Uuid,
    pub name: String,
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    pub token: String,
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
}

/// Fields of an endpoint a client may set; absent fields take defaults on create and stay unchanged on update.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// 1..86400, default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 86400)]
    pub interval_seconds: Option<i64>,
    /// Decimals allowed; default the smaller of 10 and the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0.0, maximum = 86400.0)]
    pub timeout_seconds: Option<f64>,
    /// e.g. 200, 200-299, 200,201; default 200-299.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_status: Option<String>,
    /// Replaces all request headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10000)]
    pub alert_threshold: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10000)]
    pub recovery_threshold: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_body_contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Empty string clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointCreate {
    pub service_id: Uuid,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 86400)]
    pub interval_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0.0, maximum = 86400.0)]
    pub timeout_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10000)]
    pub alert_threshold: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10000)]
    pub recovery_threshold: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_body_contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

impl EndpointCreate {
    /// The create request for `service_id` with these fields (name and URL are required; empty if absent, which
    /// validation then reports).
    pub fn new(service_id: Uuid, p: EndpointPatch) -> Self {
        Self {
            service_id,
            name: p.name.unwrap_or_default(),
            url: p.url.unwrap_or_default(),
            method: p.method,
            interval_seconds: p.interval_seconds,
            timeout_seconds: p.timeout_seconds,
            expected_status: p.expected_status,
            headers: p.headers,
            body: p.body,
            alert_threshold: p.alert_threshold,
            recovery_threshold: p.recovery_threshold,
            expect_body_contains: p.expect_body_contains,
            follow_redirects: p.follow_redirects,
            enabled: p.enabled,
            webhook_url: p.webhook_url,
        }
    }

    /// Split into the service and the settable fields.
    pub fn split(self) -> (Uuid, EndpointPatch) {
        let patch = EndpointPatch {
            name: Some(self.name),
            url: Some(self.url),
            method: self.method,
            interval_seconds: self.interval_seconds,
            timeout_seconds: self.timeout_seconds,
            expected_status: self.expected_status,
            headers: self.headers,
            body: self.body,
            alert_threshold: self.alert_threshold,
            recovery_threshold: self.recovery_threshold,
            expect_body_contains: self.expect_body_contains,
            follow_redirects: self.follow_redirects,
            enabled: self.enabled,
            webhook_url: self.webhook_url,
        };
        (self.service_id, patch)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// read, write (default) or admin.
    #[serde(default)]
    pub scope: Option<String>,
}

/// A webhook as listed: its secret is never shown after creation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub service_id: Uuid,
    /// Set when this webhook carries an endpoint's `webhook_url`: it receives only that endpoint's events, in
    /// seed 002's alert format, and is changed through the endpoint.
    pub endpoint_id: Option<Uuid>,
    /// Body format: `standard` (Standard Webhooks `{type, timestamp, data}`) or `pulse` (seed 002 alerts).
    pub format: String,
    pub url: String,
    /// Event kinds it receives: incident_start, incident_resolved, heartbeat_down, heartbeat_up.
    pub events: Vec<String>,
    pub headers: BTreeMap<String, String>,
    /// Failed attempts since the last successful one; 0 means the receiver is up.
    pub consecutive_failures: u32,
    pub last_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Webhook> for WebhookView {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id,
            service_id: w.service_id,
            endpoint_id: w.endpoint_id,
            format: w.format.as_str().to_owned(),
            url: w.spec.url.as_str().to_owned(),
            events: w.spec.events.clone(),
            headers: w
                .spec
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            consecutive_failures: w.consecutive_failures,
            last_attempt_at: w.last_attempt_at.map(rfc3339),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// A webhook just created, with its signing secret (`whsec_...`), shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CreatedWebhookView {
    #[serde(flatten)]
    pub webhook: WebhookView,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    pub service_id: Uuid,
    pub url: String,
    /// Event kinds: incident_start, incident_resolved, heartbeat_down, heartbeat_up.
    pub events: Vec<String>,
    /// `whsec_` + base64 of 24..64 bytes; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// Changes to a webhook; absent fields keep their value. `headers` replaces the whole set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub event: String,
    /// pending, delivered or failed.
    pub status: String,
    /// Tries so far (a delivery's detail lists them under `attempts`).
    pub attempt_count: u32,
    pub next_attempt_at: String,
    pub created_at: String,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            event_id: d.event_id,
            event: d.event_kind.as_str().to_owned(),
            status: d.status.as_str().to_owned(),
            attempt_count: d.attempts,
            next_attempt_at: rfc3339(d.next_attempt_at),
            created_at: rfc3339(d.created_at),
        }
    }
}

/// One try of a delivery: what was sent (secrets redacted) and what came back (body cut at 64 KiB).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct AttemptView {
    pub number: u32,
    pub started_at: String,
    pub request_url: String,
    pub request_headers: serde_json::Value,
    pub request_body: String,
    pub response_status: Option<u16>,
    pub response_headers: Option<serde_json::Value>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub latency_ms: f64,
    pub timed_out: bool,
}

impl From<&StoredAttempt> for AttemptView {
    fn from(a: &StoredAttempt) -> Self {
        let r = &a.record;
        let parse =
            |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::String(s.to_owned()));
        Self {
            number: a.number,
            started_at: rfc3339(r.started_at),
            request_url: r.request_url.clone(),
            request_headers: parse(&r.request_headers),
            request_body: r.request_body.clone(),
            response_status: r.response_status,
            response_headers: r.response_headers.as_deref().map(parse),
            response_body: r.response_body.clone(),
            error: r.error.clone(),
            latency_ms: r.latency_us as f64 / 1000.0,
            timed_out: r.timed_out,
        }
    }
}

/// A delivery with every attempt, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DeliveryDetailView {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    pub last_error: Option<String>,
    pub finished_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

impl From<&DeliveryDetail> for DeliveryDetailView {
    fn from(d: &DeliveryDetail) -> Self {
        Self {
            delivery: (&d.delivery).into(),
            last_error: d.last_error.clone(),
            finished_at: opt_rfc3339(d.finished_at),
            attempts: d.attempts.iter().map(Into::into).collect(),
        }
    }
}

macro_rules! list_type {
    ($name:ident, $item:ty) => {
        /// One page of results; pass `next_cursor` as `cursor` to get the next page (null on the last one).
        #[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            pub next_cursor: Option<String>,
        }
    };
}

list_type!(ServiceList, ServiceView);
list_type!(EndpointList, EndpointView);
list_type!(PingList, PingView);
list_type!(IncidentList, IncidentView);
list_type!(TokenList, TokenView);
list_type!(WebhookList, WebhookView);
list_type!(DeliveryList, DeliveryView);

/// A heartbeat (push monitor). `status` is evaluated when read: new, up, late, down, paused or started.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct HeartbeatView {
    pub id: Uuid,
    pub service_id: Uuid,
    /// Seed 003's `serviceId`.
    pub slug: String,
    pub name: String,
    /// period or cron.
    pub kind: String,
    pub period_seconds: Option<u32>,
    pub cron: Option<String>,
    pub tz: Option<String>,
    pub grace_seconds: u32,
    pub status: String,
    pub last_ping_at: Option<String>,
    /// Where jobs send pings (`Authorization: Bearer <key>` or `?key=`); `/start`, `/fail`, `/log`, `/<exit status>`
    /// may be appended.
    pub ping_url: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A heartbeat with its ping key (`hbk_...`), shown on create and rotate-key only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CreatedHeartbeatView {
    #[serde(flatten)]
    pub heartbeat: HeartbeatView,
    pub key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatCreate {
    pub service_id: Uuid,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Derived from the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Give either a period or a cron expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// IANA time zone of the cron expression (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    /// Default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<i64>,
}

/// Changes to a heartbeat; absent fields keep their value. A period switches to a period schedule, a cron
/// expression to a cron schedule.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<i64>,
}

/// A ping as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct HeartbeatPingView {
    pub received_at: String,
    /// success, start, fail or log.
    pub kind: String,
    pub exit_status: Option<u8>,
    pub rid: Option<String>,
    /// For a finished run whose start was seen.
    pub duration_ms: Option<i64>,
    /// Seed 003's client-reported status (kept, not decisive).
    pub client_status: Option<String>,
    /// Message or request body, at most 10,000 bytes.
    pub body: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

impl From<&beacon_store::HeartbeatPing> for HeartbeatPingView {
    fn from(p: &beacon_store::HeartbeatPing) -> Self {
        Self {
            received_at: rfc3339(p.received_at),
            kind: p.kind.clone(),
            exit_status: p.exit_status,
            rid: p.rid.clone(),
            duration_ms: p.duration_ms,
            client_status: p.client_status.clone(),
            body: p.body.clone(),
            metadata: p
                .metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
        }
    }
}

list_type!(HeartbeatList, HeartbeatView);
list_type!(HeartbeatPingList, HeartbeatPingView);
