//! Endpoints: the view, pings, statistics and uptime, and the create/patch bodies.

use super::*;

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
    /// Request headers; values read `********` in lists and to tokens that cannot change the endpoint.
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub alert_threshold: u32,
    pub recovery_threshold: u32,
    pub expect_body_contains: Option<String>,
    pub follow_redirects: bool,
    pub enabled: bool,
    pub webhook_url: Option<String>,
    /// up, down, failing (the last checks failed, fewer than alert_threshold so far: no incident yet), paused
    /// or unknown (not checked yet).
    pub status: String,
    pub last_checked_at: Option<String>,
    /// How the last check failed (an error kind: timeout, connect, status, ...); null when it succeeded.
    pub last_error: Option<String>,
    /// Failed checks in a row.
    pub consecutive_failures: u32,
    pub created_at: String,
    pub updated_at: String,
    /// Where it is checked from.
    pub regions: Vec<String>,
    /// How many regions must see it down to open an incident.
    pub alert_regions: u32,
    /// Uptime over trailing periods and p95 latency over 24 h (on `get` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<UptimeView>,
    /// Each region's own view (on `get` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_status: Option<Vec<RegionStatusView>>,
}

/// How one region sees an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct RegionStatusView {
    pub region: String,
    /// up, down (this region has seen alert_threshold failures in a row), unknown (not checked from there yet)
    /// or unavailable (no result from there for over three intervals: its workers are gone; it counts toward
    /// neither side of the quorum).
    pub status: String,
    pub consecutive_failures: u32,
    pub last_checked_at: Option<String>,
    pub last_error: Option<String>,
    pub next_check_at: String,
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

/// An endpoint's status as people see it: `paused` when disabled, `failing` when its last checks failed without
/// an incident yet, else its incident status (up, down, unknown).
pub fn shown_status(e: &Endpoint) -> &'static str {
    match (e.spec.enabled, e.status) {
        (false, _) => "paused",
        (true, Status::Up) if e.consecutive_failures > 0 => "failing",
        (true, status) => status.as_str(),
    }
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
            // A paused (disabled) endpoint is not checked: its last health is not its status.
            status: shown_status(e).to_owned(),
            last_checked_at: opt_rfc3339(e.last_checked_at),
            last_error: e.last_error_kind.map(|k| k.as_str().to_owned()),
            consecutive_failures: e.consecutive_failures,
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
            regions: s.regions.clone(),
            alert_regions: s.alert_regions,
            stats: None,
            region_status: None,
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

/// Fields of an endpoint a client may set; absent fields take defaults on create and stay unchanged on update.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
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
    /// Regions to check from (names made with `regions create`); default `default`. Each region is its own
    /// stream of checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 16)]
    pub regions: Option<Vec<String>>,
    /// How many regions must see the endpoint down to open an incident (default 1; at most the number of
    /// regions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 16)]
    pub alert_regions: Option<i64>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 16)]
    pub regions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 16)]
    pub alert_regions: Option<i64>,
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
            regions: p.regions,
            alert_regions: p.alert_regions,
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
            regions: self.regions,
            alert_regions: self.alert_regions,
        };
        (self.service_id, patch)
    }
}

list_type!(EndpointList, EndpointView);

list_type!(PingList, PingView);
