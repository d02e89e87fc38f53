//! Endpoints: the view, pings, statistics and uptime, and the create/patch bodies.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct EndpointView {
    pub id: Uuid,
    pub service_id: Uuid,
    pub name: String,
    /// http, tcp, dns or tls.
    pub kind: String,
    /// What it checks: an http check's URL; `tcp://host:port`, `tls://host:port`, `dns:name?type=A` otherwise.
    pub url: String,
    /// http only (as are the fields to follow_redirects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub interval_seconds: u32,
    pub timeout_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_status: Option<String>,
    /// Request headers; values read `********` in lists and to tokens that cannot change the endpoint.
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub alert_threshold: u32,
    pub recovery_threshold: u32,
    pub expect_body_contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Whether the check speaks HTTP/2 (negotiated by ALPN; https only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http2: Option<bool>,
    /// tcp and tls: host:port; dns: the name looked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// dns only (with dns_server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_server: Option<String>,
    /// dns: expected answers; tcp: expected text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<String>,
    /// tcp only (with tls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// tls only (with cert_fail_days and cert_warn_days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_fail_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_warn_days: Option<u32>,
    /// Conditions every result must meet.
    pub conditions: Vec<String>,
    /// A passing check slower than this is degraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_above_ms: Option<u32>,
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
    /// Percent of successful checks (degraded ones count as up); null without checks.
    pub uptime: Option<f64>,
    /// Successful checks with a warning (slow, a certificate expiring soon), and their share of all checks:
    /// the share of the bucket's time the endpoint was degraded.
    pub degraded: u64,
    pub degraded_percent: Option<f64>,
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
            degraded: b.degraded,
            degraded_percent: (b.count > 0).then(|| b.degraded as f64 * 100.0 / b.count as f64),
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
        let mut v = Self {
            id: e.id,
            service_id: e.service_id,
            name: s.name.clone(),
            kind: s.check.kind().as_str().to_owned(),
            url: s.check.target(),
            method: None,
            interval_seconds: s.interval_seconds,
            timeout_seconds: f64::from(s.timeout_ms) / 1000.0,
            expected_status: None,
            headers: BTreeMap::new(),
            body: None,
            alert_threshold: s.alert_threshold,
            recovery_threshold: s.recovery_threshold,
            expect_body_contains: None,
            follow_redirects: None,
            http2: None,
            target: None,
            record_type: None,
            dns_server: None,
            expect: Vec::new(),
            send: None,
            tls: None,
            sni: None,
            cert_fail_days: None,
            cert_warn_days: None,
            conditions: s.conditions.iter().map(ToString::to_string).collect(),
            degraded_above_ms: s.degraded_above_ms,
            enabled: s.enabled,
            webhook_url: s.webhook_url.as_ref().map(|u| u.as_str().to_owned()),
            // A paused (disabled) endpoint is not checked: its last health is not its status.
            status: shown_status(e).to_owned(),
            last_checked_at: opt_rfc3339(e.last_checked_at),
            last_error: e
                .last_error_kind
                .filter(|k| *k != beacon_core::ping::ErrorKind::Degraded)
                .map(|k| k.as_str().to_owned()),
            consecutive_failures: e.consecutive_failures,
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
            regions: s.regions.clone(),
            alert_regions: s.alert_regions,
            stats: None,
            region_status: None,
        };
        match &s.check {
            CheckSpec::Http(h) => {
                v.method = Some(h.method.as_str().to_owned());
                v.expected_status = Some(h.expected_status.to_string());
                v.headers = h
                    .headers
                    .iter()
                    .map(|hd| (hd.name.clone(), hd.value.clone()))
                    .collect();
                v.body = h.body.clone();
                v.expect_body_contains = h.expect_body_contains.clone();
                v.follow_redirects = Some(h.follow_redirects);
                v.http2 = Some(h.http2);
            }
            CheckSpec::Tcp(t) => {
                v.target = Some(t.target.to_string());
                v.expect = t.expect.clone();
                v.send = t.send.clone();
                v.tls = Some(t.tls);
            }
            CheckSpec::Dns(d) => {
                v.target = Some(d.name.clone());
                v.record_type = Some(d.record_type.as_str().to_owned());
                v.dns_server = d.server.as_ref().map(ToString::to_string);
                v.expect = d.expect.clone();
            }
            CheckSpec::Tls(t) => {
                v.target = Some(t.target.to_string());
                v.sni = t.sni.clone();
                v.cert_fail_days = Some(t.fail_days);
                v.cert_warn_days = Some(t.warn_days);
            }
        }
        v
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

impl From<&beacon_core::ping::Timings> for TimingsView {
    fn from(t: &beacon_core::ping::Timings) -> Self {
        TimingsView {
            dns_ms: t.dns_us.map(ms),
            connect_ms: t.connect_us.map(ms),
            tls_ms: t.tls_us.map(ms),
            first_byte_ms: t.first_byte_us.map(ms),
            total_ms: ms(t.total_us),
        }
    }
}

/// One condition's outcome in a check run now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ConditionOutcomeView {
    /// The condition with the observed values: `[STATUS] (503) == 200`.
    pub condition: String,
    pub ok: bool,
}

/// A check run now and not stored (`beacon checks run`, `POST /api/v1/endpoints/try`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct TriedView {
    pub kind: String,
    /// What it checked.
    pub target: String,
    pub success: bool,
    pub status_code: Option<u16>,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub timings: TimingsView,
    /// Each condition's outcome, in order (none when the check failed before they were judged).
    pub conditions: Vec<ConditionOutcomeView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<DetailsView>,
}

/// What a check saw besides its status and timings, by kind; a field is absent when it was not seen.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DetailsView {
    /// When the leaf certificate expires (https, tls, and tcp with TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_expires_at: Option<String>,
    /// The HTTP protocol when it is not HTTP/1.1 (`HTTP/2`, `HTTP/1.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// A DNS response code (`NOERROR`, `NXDOMAIN`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcode: Option<String>,
    /// A DNS response's answers of the asked type, as text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
}

impl DetailsView {
    /// The view of `d`; `None` when nothing was seen.
    pub fn of(d: &Details) -> Option<Self> {
        (!d.is_empty()).then(|| Self {
            certificate_expires_at: d.certificate_expires_at.map(rfc3339),
            protocol: d.protocol.clone(),
            rcode: d.rcode.clone(),
            answers: d.answers.clone(),
        })
    }

    /// One short line for a person: `HTTP/2 · certificate until 2027-01-18 · NOERROR: 10.0.0.1, 10.0.0.2`
    /// (at most three answers, then how many more).
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.protocol.clone());
        if let Some(at) = &self.certificate_expires_at {
            parts.push(format!("certificate until {}", at.get(..10).unwrap_or(at)));
        }
        if let Some(rcode) = &self.rcode {
            let mut shown = self
                .answers
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if self.answers.len() > 3 {
                shown.push_str(&format!(" and {} more", self.answers.len() - 3));
            }
            parts.push(if shown.is_empty() {
                rcode.clone()
            } else {
                format!("{rcode}: {shown}")
            });
        }
        parts.join(" · ")
    }
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<DetailsView>,
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
            timings: TimingsView::from(t),
            region: p.region.clone(),
            details: DetailsView::of(&o.details),
        }
    }
}

/// The create and patch bodies of an endpoint share every field but the service and the name; the list is
/// written once here.
macro_rules! endpoint_bodies {
    ($( $(#[$attr:meta])* $field:ident : $ty:ty ),* $(,)?) => {
        /// Fields of an endpoint a client may set; absent fields take defaults on create and stay unchanged on
        /// update. Fields of another kind of check than the endpoint's are refused by name.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct EndpointPatch {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[schema(min_length = 1, max_length = 200)]
            pub name: Option<String>,
            $( $(#[$attr])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>, )*
        }

        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct EndpointCreate {
            pub service_id: Uuid,
            #[schema(min_length = 1, max_length = 200)]
            pub name: String,
            $( $(#[$attr])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>, )*
        }

        impl EndpointCreate {
            /// The create request for `service_id` with these fields (the name is required: empty if absent,
            /// which validation then reports).
            pub fn new(service_id: Uuid, p: EndpointPatch) -> Self {
                Self { service_id, name: p.name.unwrap_or_default(), $( $field: p.$field, )* }
            }

            /// Split into the service and the settable fields.
            pub fn split(self) -> (Uuid, EndpointPatch) {
                (self.service_id, EndpointPatch { name: Some(self.name), $( $field: self.$field, )* })
            }
        }
    };
}

endpoint_bodies! {
    /// The URL of an http check (required for http).
    url: String,
    method: String,
    /// 1..86400, default 60.
    #[schema(minimum = 1, maximum = 86400)]
    interval_seconds: i64,
    /// Decimals allowed; default the smaller of 10 and the interval.
    #[schema(exclusive_minimum = 0.0, maximum = 86400.0)]
    timeout_seconds: f64,
    /// e.g. 200, 200-299, 200,201; default 200-299.
    expected_status: String,
    /// Replaces all request headers.
    headers: BTreeMap<String, String>,
    body: String,
    #[schema(minimum = 1, maximum = 10000)]
    alert_threshold: i64,
    #[schema(minimum = 1, maximum = 10000)]
    recovery_threshold: i64,
    expect_body_contains: String,
    follow_redirects: bool,
    /// http: speak HTTP/2, negotiated by ALPN (https URLs only); a server that does not offer it fails.
    http2: bool,
    enabled: bool,
    /// Empty string clears it.
    webhook_url: String,
    /// Regions to check from (names made with `regions create`); default `default`. Each region is its own
    /// stream of checks.
    #[schema(max_items = 16)]
    regions: Vec<String>,
    /// How many regions must see the endpoint down to open an incident (default 1; at most the number of
    /// regions).
    #[schema(minimum = 1, maximum = 16)]
    alert_regions: i64,
    /// http (default), tcp, dns or tls; fixed once made.
    kind: String,
    /// host:port for tcp and tls checks (tls: port 443 if left out); the name looked up for dns checks.
    target: String,
    /// dns: A (default), AAAA, CNAME, MX, TXT, NS or SOA.
    record_type: String,
    /// dns: the server asked, host[:port] (default port 53); empty: the system's resolver.
    dns_server: String,
    /// dns: answers that must all be among the records (`any`: any answer); tcp: text the target must send
    /// back.
    #[schema(max_items = 20)]
    expect: Vec<String>,
    /// tcp: text sent after connecting (`\r\n`, `\xNN` escapes).
    send: String,
    /// tcp: complete a TLS handshake after connecting.
    tls: bool,
    /// tls: the name asked for and matched, when it is not the target's host.
    sni: String,
    /// tls: fail when the certificate expires within this many days (default 14).
    #[schema(minimum = 0, maximum = 3650)]
    cert_fail_days: i64,
    /// tls: warn (degraded) when it expires within this many days (default 30).
    #[schema(minimum = 0, maximum = 3650)]
    cert_warn_days: i64,
    /// Conditions every result must meet, e.g. `[STATUS] == 200`, `[BODY].status == UP`,
    /// `[RESPONSE_TIME] < 300`; replaces the list (empty clears it).
    #[schema(max_items = 20)]
    conditions: Vec<String>,
    /// http: `$.path` into a JSON body that must equal `equals` (added as a condition).
    expect_json_path: String,
    equals: String,
    /// A check that passes but takes longer than this many milliseconds is degraded; 0 clears it.
    #[schema(minimum = 0, maximum = 86400000)]
    degraded_above_ms: i64,
}

list_type!(EndpointList, EndpointView);

list_type!(PingList, PingView);
