//! Workers: the protocol between `beacon worker` and the server (claims, results, release — not in the OpenAPI
//! document: both ends are this same program, and `protocol` says which version each speaks), and the view of
//! `workers list`.

use super::*;

/// The version of the worker protocol this build speaks; a server refuses a worker speaking another.
pub const WORKER_PROTOCOL: u32 = 1;

/// At most this many slots per claim, and results per push.
pub const WORKER_BATCH_MAX: u32 = 2_000;

/// How long a claim may wait for due slots (long poll), at most.
pub const WORKER_MAX_WAIT_MS: u32 = 10_000;

/// How far ahead a claim may look, at most.
pub const WORKER_MAX_LOOKAHEAD_MS: u32 = 10_000;

/// Who asks: every worker request carries these.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkerHello {
    /// `WORKER_PROTOCOL` of the worker's build.
    pub protocol: u32,
    /// This worker process, unique per run (its leases are held under it).
    pub instance: String,
    /// The worker's name (`--name`, default the host name).
    pub name: String,
    /// The worker's version.
    pub version: String,
    /// The region it runs for: must be its token's (or certificate's) region; required with an admin token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `POST /api/v1/worker/claims`: lease due slots of the worker's region, waiting up to `wait_ms` for some.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClaimRequest {
    #[serde(flatten)]
    pub hello: WorkerHello,
    /// Slots at most (1..2000).
    pub limit: u32,
    /// Slots due up to this far ahead are leased too (ms, at most 10,000).
    #[serde(default)]
    pub lookahead_ms: u32,
    /// Wait this long for due slots when there are none (ms, at most 10,000).
    #[serde(default)]
    pub wait_ms: u32,
    /// Checks the worker runs now, results it holds unacknowledged, checks it finished in the last minute.
    #[serde(default)]
    pub in_flight: u32,
    #[serde(default)]
    pub pending: u32,
    #[serde(default)]
    pub checks_per_minute: u32,
}

/// One leased slot: run `check` at `slot`, push the result with the keys given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LeasedSlot {
    pub schedule_key: i64,
    pub endpoint_key: i64,
    pub endpoint_id: Uuid,
    /// RFC 3339.
    pub slot: String,
    /// The check, every field as `endpoints create` takes it.
    pub check: EndpointPatch,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClaimResponse {
    pub region: String,
    /// The server's clock when it answered (RFC 3339): the worker runs slots on the server's time.
    pub server_time: String,
    pub slots: Vec<LeasedSlot>,
}

/// One finished (or skipped) slot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SlotResult {
    pub schedule_key: i64,
    pub endpoint_key: i64,
    pub slot: String,
    /// Where the schedule goes next (RFC 3339).
    pub next_slot: String,
    /// None: the slot was skipped as missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping: Option<PingResult>,
}

/// A check's result as a worker observed it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PingResult {
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why it failed (dns, connect, tls, timeout, status, body, other); absent on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_us: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_us: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_us: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_byte_us: Option<u32>,
    pub total_us: u32,
    /// What the check saw besides status and timings (kept within bounds: 16 answers of 255 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<DetailsView>,
}

/// `POST /api/v1/worker/results`: store finished slots (idempotent: a result is stored once per endpoint, region
/// and slot, so a push repeated after a lost answer has no effect).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResultsRequest {
    #[serde(flatten)]
    pub hello: WorkerHello,
    pub results: Vec<SlotResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResultsResponse {
    /// Stored now.
    pub stored: u64,
    /// Already stored (a repeat), ignored.
    pub duplicates: u64,
    /// Not of this worker's region (or no longer scheduled there), not stored.
    pub refused: u64,
}

/// `POST /api/v1/worker/release`: give back every lease the worker holds (on shutdown).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReleaseRequest {
    #[serde(flatten)]
    pub hello: WorkerHello,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReleaseResponse {
    pub released: u64,
}

/// A worker as it last reported itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct WorkerView {
    pub name: String,
    pub region: String,
    pub version: String,
    /// The address its requests came from.
    pub address: String,
    pub connected_since: String,
    pub last_seen_at: String,
    /// Checks running when it last claimed.
    pub in_flight: u32,
    /// Checks it finished per second, over the last minute.
    pub checks_per_second: f64,
    /// Results it held, not yet acknowledged by a server.
    pub results_pending: u32,
    /// Whether it claimed within the last 30 s.
    pub connected: bool,
}

list_type!(WorkerList, WorkerView);

/// A time of the worker protocol (RFC 3339), as milliseconds.
pub fn parse_time(field: &'static str, s: &str) -> Result<Millis, beacon_core::ValidationError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp_millis())
        .map_err(|e| {
            beacon_core::ValidationError::new(field, format!("{s:?} is not an RFC 3339 time ({e})"))
        })
}

impl From<&beacon_core::endpoint::EndpointSpec> for EndpointPatch {
    /// The whole check as the fields `endpoints create` takes (header values in clear: the worker sends them).
    fn from(s: &beacon_core::endpoint::EndpointSpec) -> Self {
        let mut p = EndpointPatch {
            name: Some(s.name.clone()),
            kind: Some(s.check.kind().as_str().to_owned()),
            interval_seconds: Some(i64::from(s.interval_seconds)),
            timeout_seconds: Some(f64::from(s.timeout_ms) / 1000.0),
            alert_threshold: Some(i64::from(s.alert_threshold)),
            recovery_threshold: Some(i64::from(s.recovery_threshold)),
            enabled: Some(s.enabled),
            conditions: (!s.conditions.is_empty())
                .then(|| s.conditions.iter().map(ToString::to_string).collect()),
            degraded_above_ms: s.degraded_above_ms.map(i64::from),
            ..EndpointPatch::default()
        };
        match &s.check {
            CheckSpec::Http(h) => {
                p.url = Some(h.url.as_str().to_owned());
                p.method = Some(h.method.as_str().to_owned());
                p.expected_status = Some(h.expected_status.to_string());
                p.headers = Some(
                    h.headers
                        .iter()
                        .map(|hd| (hd.name.clone(), hd.value.clone()))
                        .collect(),
                );
                p.body = h.body.clone();
                p.expect_body_contains = h.expect_body_contains.clone();
                p.follow_redirects = Some(h.follow_redirects);
                // Sent only when on, so a worker of a version before HTTP/2 probing still reads other checks.
                p.http2 = h.http2.then_some(true);
            }
            CheckSpec::Tcp(t) => {
                p.target = Some(t.target.to_string());
                p.tls = Some(t.tls);
                p.send = t.send.clone();
                p.expect = Some(t.expect.clone());
            }
            CheckSpec::Dns(d) => {
                p.target = Some(d.name.clone());
                p.record_type = Some(d.record_type.as_str().to_owned());
                p.dns_server = d.server.as_ref().map(ToString::to_string);
                p.expect = Some(d.expect.clone());
            }
            CheckSpec::Tls(t) => {
                p.target = Some(t.target.to_string());
                p.sni = t.sni.clone();
                p.cert_fail_days = Some(i64::from(t.fail_days));
                p.cert_warn_days = Some(i64::from(t.warn_days));
            }
        }
        p
    }
}
