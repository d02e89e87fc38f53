//! Values the store returns and accepts. Public ids are UUIDs; `*_pk` fields are internal integer keys that never
//! leave the process.

use beacon_core::Millis;
use beacon_core::endpoint::{CheckUrl, EndpointSpec, Header};
use beacon_core::event::{EventKind, Payload};
use beacon_core::heartbeat::{HbState, HbStatus, HeartbeatSpec, PingKind};
use beacon_core::incident::Status;
use beacon_core::ping::{ErrorKind, Observation, PingRecord};
use beacon_core::token::Scope;
use beacon_core::webhook::WebhookSecret;
use uuid::Uuid;

mod channels;
mod kubernetes;
pub use channels::*;
pub use kubernetes::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Reminders while an incident of its stays open and unacknowledged.
    pub reminders: Option<Reminders>,
    /// Its escalation policy: later steps reach more channels while an incident stays unacknowledged.
    pub escalation_policy_id: Option<Uuid>,
    /// Its own flap rule for its monitors (`None`: the default).
    pub flap_rule: Option<beacon_core::flapping::FlapRule>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: Uuid,
    pub service_id: Uuid,
    pub spec: EndpointSpec,
    pub status: Status,
    pub last_checked_at: Option<Millis>,
    /// Error kind of the last result; `None` if it succeeded (or there was none).
    pub last_error_kind: Option<ErrorKind>,
    pub consecutive_failures: u32,
    /// When the next check is due in the default region.
    pub next_check_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    pub endpoint_id: Uuid,
    pub region: String,
    pub scheduled_at: Millis,
    pub started_at: Millis,
    pub observation: Observation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentStatus {
    Open,
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolvedBy {
    /// The monitor recovered.
    Auto,
    /// Someone resolved it by hand.
    Manual,
    /// The monitor was paused while the incident was open.
    Paused,
}

impl ResolvedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Manual => "manual",
            Self::Paused => "paused",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "manual" => Some(Self::Manual),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: Uuid,
    /// Exactly one of `endpoint_id` and `heartbeat_id` is set: what the incident is about.
    pub endpoint_id: Option<Uuid>,
    pub heartbeat_id: Option<Uuid>,
    pub status: IncidentStatus,
    pub started_at: Millis,
    pub resolved_at: Option<Millis>,
    pub cause: String,
    pub failure_count: u32,
    pub resolved_by: Option<ResolvedBy>,
    /// Set when someone took it: no reminders and no later escalation steps follow.
    pub acknowledged_at: Option<Millis>,
    pub acknowledged_by: Option<String>,
    pub ack_note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub status: Option<IncidentStatus>,
    pub endpoint_id: Option<Uuid>,
    pub heartbeat_id: Option<Uuid>,
}

/// An outbox row; its kind is its payload's.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub pk: i64,
    pub id: Uuid,
    pub payload: Payload,
    pub created_at: Millis,
}

/// Parameters of one lease claim.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    pub owner: &'a str,
    pub region_pk: i32,
    pub now: Millis,
    pub horizon: Millis,
    pub limit: u32,
    pub lease_margin_ms: i64,
}

/// A leased slot, with the endpoint's configuration as it is now in the database.
#[derive(Debug, Clone)]
pub struct ClaimedSlot {
    pub schedule_pk: i64,
    pub endpoint_pk: i64,
    pub endpoint_id: Uuid,
    pub slot: Millis,
    pub spec: EndpointSpec,
}

/// The end of one leased slot: its result (`None` when the slot was skipped as missed) and where the schedule
/// goes next.
#[derive(Debug, Clone)]
pub struct Completion {
    pub schedule_pk: i64,
    pub endpoint_pk: i64,
    pub slot: Millis,
    pub next_slot: Millis,
    pub ping: Option<PingRecord>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompleteReport {
    /// Results stored now.
    pub inserted: usize,
    /// Results already stored for that (endpoint, region, slot), ignored.
    pub duplicates: usize,
    pub incidents_opened: usize,
    pub incidents_resolved: usize,
}

/// Keyset pagination: items after the cursor `after` (as returned in `Paged::next`), at most `limit`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

/// One page of results; `next` is the cursor for the following page, `None` on the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next: Option<i64>,
}

/// Which pings to list: newest first, at most `limit`, only those scheduled before `before` if given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingQuery {
    pub limit: u32,
    pub failed_only: bool,
    pub before: Option<Millis>,
}

/// A region checks run from, and how many endpoints it checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub endpoints: i64,
}

/// One region's view of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionState {
    pub region: String,
    /// `down` when this region has seen `alert_threshold` failures in a row (and not recovered since).
    pub status: Status,
    pub consecutive_failures: u32,
    pub last_checked_at: Option<Millis>,
    pub last_error_kind: Option<ErrorKind>,
    pub next_check_at: Millis,
}

/// A client certificate issued to a worker: its SHA-256 (of the DER) maps a TLS connection to the worker's
/// name and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCert {
    pub fingerprint: [u8; 32],
    pub name: String,
    pub region: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// A worker process as it reported itself on its last claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerReport {
    /// The process's lease owner, unique per run.
    pub instance: String,
    pub name: String,
    pub region: String,
    pub version: String,
    pub address: String,
    pub connected_at: Millis,
    pub last_seen_at: Millis,
    pub in_flight: u32,
    pub checks_per_minute: u32,
    pub pending: u32,
}

/// A public status page as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPage {
    pub id: Uuid,
    pub spec: beacon_core::status_page::StatusPageSpec,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What a badge key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeMonitor {
    Endpoint(Uuid),
    Heartbeat(Uuid),
}

/// A person who signs in to the dashboard (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: beacon_core::user::Role,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Changes to a user; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<beacon_core::user::Role>,
}

/// A signed-in session: whose, and the CSRF token its forms must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub user: User,
    pub csrf: String,
}

/// A stored API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
    /// The user who made it in the dashboard (None: made with an admin token, or at first start).
    pub owner: Option<Uuid>,
    /// A worker token's region.
    pub region: Option<String>,
}

/// What authentication needs to know about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCredentials {
    pub scope: Scope,
    /// The owner's role now, for a token a user made: it caps the scope.
    pub owner_role: Option<beacon_core::user::Role>,
    pub secret_hash: Vec<u8>,
    pub revoked: bool,
    /// A worker token's region.
    pub region: Option<String>,
}

/// A webhook's settings: where to send, which event kinds, how to sign, extra headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSpec {
    pub url: CheckUrl,
    /// Event kinds, e.g. `incident_start`; each a bare word without commas.
    pub events: Vec<String>,
    pub secret: WebhookSecret,
    pub headers: Vec<Header>,
}

/// The body a webhook receives: Standard Webhooks' `{type, timestamp, data}`, or seed 002's flat alert body
/// (`{check_id, check_name, type: failure|recovery, status, error, timestamp}`) for a check's `webhook_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    Standard,
    Pulse,
    /// CloudEvents 1.0 structured mode, as seed 001 sends Kubernetes object events.
    CloudEvents,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Standard => "standard",
            WebhookFormat::Pulse => "pulse",
            WebhookFormat::CloudEvents => "cloudevents",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "standard" => Some(WebhookFormat::Standard),
            "pulse" => Some(WebhookFormat::Pulse),
            "cloudevents" => Some(WebhookFormat::CloudEvents),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    /// The service it was made for; `None` for a webhook channel made on its own (`channels create`).
    pub service_id: Option<Uuid>,
    /// Set for the webhook that carries an endpoint's `webhook_url`: it is managed through the endpoint, receives
    /// only that endpoint's events, and cannot be changed or deleted on its own.
    pub endpoint_id: Option<Uuid>,
    pub format: WebhookFormat,
    pub spec: WebhookSpec,
    pub options: WebhookOptions,
    /// Failed attempts since the last successful one (0: the receiver is up).
    pub consecutive_failures: u32,
    pub last_attempt_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Changes to a webhook; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<CheckUrl>,
    pub events: Option<Vec<String>>,
    pub secret: Option<WebhookSecret>,
    pub headers: Option<Vec<Header>>,
}

/// An event about one endpoint (an alert, in seed 002's words), with when it was first delivered to the
/// endpoint's own webhook, if it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointEvent {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub payload: Payload,
    pub created_at: Millis,
    pub sent_at: Option<Millis>,
}

/// One delivery attempt of an endpoint's event, for seed 002's per-check webhook log.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointAttempt {
    pub id: Uuid,
    pub event_id: Uuid,
    pub endpoint_id: Uuid,
    pub number: u32,
    pub record: AttemptRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    /// A reminder not sent: its incident was acknowledged or resolved first.
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// One event to one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub event_kind: EventKind,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Millis,
    pub created_at: Millis,
}

/// A leased delivery with everything needed to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub pk: i64,
    pub id: Uuid,
    /// Tries so far.
    pub attempts: u32,
    pub created_at: Millis,
    pub event_id: Uuid,
    pub event: Payload,
    pub event_at: Millis,
    pub webhook_id: Uuid,
    pub format: WebhookFormat,
    /// A webhook's URL (`None` for other kinds: their settings say where they send).
    pub url: Option<CheckUrl>,
    pub secret: WebhookSecret,
    pub headers: Vec<Header>,
    pub options: WebhookOptions,
    /// The channel's kind and settings; `ChannelSpec::Webhook` for a webhook (then `format`, `url`, `secret`,
    /// `headers` and `options` say how to send).
    pub channel: beacon_core::channel::ChannelSpec,
}

/// Settings of a webhook beyond its spec, stored as JSON (`webhooks.options`): the HTTP method, the
/// `User-Agent`, and the CloudEvents format's source, type prefix and payload filters. Empty for webhooks made
/// with `webhooks create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebhookOptions {
    /// POST unless set (PUT and PATCH are the others allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Replaces `beacon/<version>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_events: Option<CloudEventsOptions>,
}

/// Seed 001's `cloudEvents` and `payload` settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CloudEventsOptions {
    /// The event's `source` is `{source}/{namespace}/{kind}`.
    pub source: String,
    /// The event's `type` is `{type_prefix}.created` or `.deleted`.
    pub type_prefix: String,
    /// Annotation keys copied into `data.metadata.annotations` (none when empty).
    #[serde(default)]
    pub annotations: Vec<String>,
    /// Label keys copied into `data.metadata.labels` (all when empty).
    #[serde(default)]
    pub labels: Vec<String>,
}

impl Default for CloudEventsOptions {
    fn default() -> Self {
        Self {
            source: "/beacon".to_owned(),
            type_prefix: "net.bakerapps.beacon.resource".to_owned(),
            annotations: Vec::new(),
            labels: Vec::new(),
        }
    }
}

/// The record of one try: what was sent and what came back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptRecord {
    pub started_at: Millis,
    pub request_url: String,
    /// JSON object, secrets redacted.
    pub request_headers: String,
    pub request_body: String,
    pub response_status: Option<u16>,
    pub response_headers: Option<String>,
    /// Truncated to 64 KiB.
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub latency_us: i64,
    pub timed_out: bool,
}

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    /// Permanent failure, or retries exhausted: kept for review and replay.
    Failed,
    Retry {
        at: Millis,
    },
}

impl NextStep {
    pub fn status(self) -> DeliveryStatus {
        match self {
            Self::Delivered => DeliveryStatus::Delivered,
            Self::Failed => DeliveryStatus::Failed,
            Self::Retry { .. } => DeliveryStatus::Pending,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FinishedAttempt {
    pub delivery_pk: i64,
    pub attempt: AttemptRecord,
    pub next: NextStep,
}

/// One try of a delivery, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttempt {
    pub number: u32,
    pub record: AttemptRecord,
}

/// A delivery with its event payload and every attempt, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryDetail {
    pub delivery: Delivery,
    pub last_error: Option<String>,
    pub finished_at: Option<Millis>,
    pub attempts: Vec<StoredAttempt>,
}

/// A push monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub id: Uuid,
    pub service_id: Uuid,
    pub slug: String,
    /// The secret in its ping URL (`/ping/<ping_secret>`), which needs no key; not the public id.
    pub ping_secret: Uuid,
    pub spec: HeartbeatSpec,
    /// Status as last evaluated (on a ping, a change, or when `next_check_at` came).
    pub status: HbStatus,
    pub state: HbState,
    /// Any ping, including `start` and `log`.
    pub last_ping_at: Option<Millis>,
    pub next_check_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// How a ping names its heartbeat: by id (ping URLs) or by slug (seed 003's `serviceId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeartbeatRef {
    Id(Uuid),
    Slug(String),
}

/// A ping as received, not yet checked against its heartbeat's key.
#[derive(Debug, Clone)]
pub struct IncomingPing {
    pub target: HeartbeatRef,
    /// SHA-256 of the presented key; `None` when none was presented.
    pub key_hash: Option<[u8; 32]>,
    pub kind: PingKind,
    pub rid: Option<String>,
    pub client_status: Option<String>,
    pub body: Option<String>,
    pub metadata: Option<String>,
    pub received_at: Millis,
    /// The ping came through a URL that is its own credential (checked by the caller): no key needed.
    pub url_authenticated: bool,
}

/// What became of one incoming ping. Nothing is stored for a rejected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingOutcome {
    Accepted,
    NotFound,
    Unauthorized,
}

/// A stored ping, newest first in lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatPing {
    pub received_at: Millis,
    /// success, start, fail or log.
    pub kind: String,
    pub exit_status: Option<u8>,
    pub rid: Option<String>,
    pub duration_ms: Option<Millis>,
    pub client_status: Option<String>,
    pub body: Option<String>,
    pub metadata: Option<String>,
}

/// A status transition of a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatLogEntry {
    pub at: Millis,
    pub from: String,
    pub to: String,
    pub last_ping_at: Option<Millis>,
}

/// What a retention cleanup deletes from: raw pings, or rollup windows of one resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expiring {
    RawPings,
    Rollups(beacon_core::rollup::Resolution),
}

impl Expiring {
    /// A label for metrics and reports: `pings`, `rollups_1m`, ...
    pub fn label(self) -> &'static str {
        use beacon_core::rollup::Resolution::*;
        match self {
            Expiring::RawPings => "pings",
            Expiring::Rollups(Minute) => "rollups_1m",
            Expiring::Rollups(FiveMinutes) => "rollups_5m",
            Expiring::Rollups(Hour) => "rollups_1h",
            Expiring::Rollups(Day) => "rollups_1d",
        }
    }
}

/// One step of a keyed sweep: rows deleted, and the last key covered — an endpoint pk for `delete_expired`, a
/// ping pk for `prune_heartbeat_pings` (`None`: the sweep is done; pass `last` as `after` to go on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupStep {
    pub deleted: u64,
    pub last: Option<i64>,
}

/// How much room the database takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageUsage {
    /// The database (on SQLite the main file; on PostgreSQL the database).
    pub db_bytes: u64,
    /// On SQLite the write-ahead log beside it.
    pub wal_bytes: u64,
    /// Pages inside the file that are free for reuse (SQLite).
    pub free_bytes: u64,
    /// The file, for the volume's free space and inodes (SQLite only).
    pub path: Option<std::path::PathBuf>,
}
