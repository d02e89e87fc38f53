//! The application layer: every operation of the API as a method of `App` — validate input, call the store,
//! shape the answer as wire views, report failures as `ApiError`. HTTP handlers (`/api/v1` and the
//! seed-compatible routes) are thin wrappers around it, and the CLI calls it directly when it works on the
//! database, so all paths behave the same by construction. One file per resource, each with its trait
//! (`ServiceOps`, `EndpointOps`, ...); `Operations` is their union, implemented here and by the CLI's HTTP
//! client. The store is private to this module: nothing outside it reaches past `App`.

mod channels;
mod compat;
mod endpoints;
mod escalations;
mod heartbeats;
mod incidents;
mod kubernetes;
mod maintenance;
mod monitors;
mod overview;
mod regions;
mod services;
mod status_pages;
mod tokens;
mod users;
mod webhooks;
mod workers;

pub use channels::ChannelOps;
pub use endpoints::endpoint_input;
pub use endpoints::{EndpointOps, PingParams, StatsParams};
pub use escalations::EscalationOps;
pub use heartbeats::HeartbeatOps;
pub use incidents::{IncidentOps, IncidentParams, ack_key};
pub use kubernetes::KubernetesOps;
pub use maintenance::MaintenanceOps;
pub use overview::{
    MonitorRow, OVERVIEW_PAGE, Overview, OverviewQuery, Recent, SORTS, STATUS_GROUPS,
};
pub use regions::RegionOps;
pub use services::ServiceOps;
pub use status_pages::{BadgeFigures, StatusPageOps};
pub use tokens::TokenOps;
pub use users::{NewSession, SignInLimiter, UserOps};
pub use webhooks::WebhookOps;
pub use workers::WorkerOps;

use crate::error::ApiError;
use crate::wire::*;
use async_trait::async_trait;
use beacon_core::clock::Clock;
use beacon_core::endpoint::{CheckUrl, EndpointInput, EndpointSpec, Header};
use beacon_core::event::EventKind;
use beacon_core::heartbeat::{self, HeartbeatInput, HeartbeatSpec, Schedule};
use beacon_core::rollup::{self, Resolution};
use beacon_core::token::{self, Scope};
use beacon_core::webhook::WebhookSecret;
use beacon_core::{Millis, ValidationError};
use beacon_runtime::delivery::{DeliveryConfig, Sender};
use beacon_runtime::heartbeats::Intake;
use beacon_store::{
    Heartbeat, HeartbeatRef, IncidentFilter, IncidentStatus, IncomingPing, Page, PingOutcome,
    PingQuery, Store, WebhookPatch,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::IntoParams;
use uuid::Uuid;

pub const DEFAULT_PAGE: u32 = 100;

pub const MAX_PAGE: u32 = 1_000;

/// `limit` and `cursor` of a list request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Items per page, 1..1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
/// A list of a service's monitors (endpoints, heartbeats): `service_id`, `limit` and `cursor`.
pub struct ByServiceParams {
    /// Only those of this service.
    pub service_id: Option<Uuid>,
    /// Items per page, 1..1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// How long a verified token is trusted without asking the database again. Revocation through this server takes
/// effect at once; through another process (the CLI on the database, another server) within this time.
const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Verified tokens: id → (what it grants, SHA-256 of the secret, when verified). Guarded by a plain mutex: held
/// for a lookup or insert only, never across an await.
type TokenCache =
    std::sync::Mutex<std::collections::HashMap<Uuid, (Grant, [u8; 32], std::time::Instant)>>;

/// Verified worker certificates: SHA-256 → (what it grants, when verified).
type CertCache = std::sync::Mutex<std::collections::HashMap<[u8; 32], (Grant, std::time::Instant)>>;

/// What an authenticated caller may do: a scope, and for a worker its region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub scope: Scope,
    /// A worker's region (a worker token's, or a client certificate's).
    pub region: Option<String>,
    /// Who it is, as an acknowledgement records it (`token <id>`, `worker <name>`).
    pub who: String,
}

/// Every operation of the API. `App` implements it on the database; the CLI's client implements it over HTTP.
pub trait Operations:
    ServiceOps
    + EndpointOps
    + IncidentOps
    + TokenOps
    + WebhookOps
    + ChannelOps
    + EscalationOps
    + HeartbeatOps
    + UserOps
    + StatusPageOps
    + RegionOps
    + WorkerOps
    + KubernetesOps
    + MaintenanceOps
{
}

impl<T> Operations for T where
    T: ServiceOps
        + EndpointOps
        + IncidentOps
        + TokenOps
        + WebhookOps
        + ChannelOps
        + EscalationOps
        + HeartbeatOps
        + UserOps
        + StatusPageOps
        + RegionOps
        + WorkerOps
        + KubernetesOps
        + MaintenanceOps
{
}

/// The operations, on a store.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    tokens: Arc<TokenCache>,
    /// Sends `webhooks test` requests from this process, with the delivery engine's settings.
    sender: Option<Sender>,
    test_lease: std::time::Duration,
    deny_private_networks: bool,
    /// The heartbeat intake (group-commit writer); only a server has one.
    pub intake: Option<Intake>,
    /// Base of ping URLs, e.g. `https://beacon.example.com`.
    pub public_url: String,
    /// Failed sign-ins, for slowing down guessing.
    sign_ins: Arc<SignInLimiter>,
    /// The overview's last reading of every monitor.
    monitor_cache: Arc<overview::MonitorCache>,
    public_cache: Arc<status_pages::PublicCache>,
    /// Verified worker certificates: SHA-256 → (what it grants, when verified).
    certs: Arc<CertCache>,
    /// Region names to keys, as worker requests name them (regions are never renamed or deleted).
    region_keys: Arc<std::sync::Mutex<std::collections::HashMap<String, i32>>>,
    /// Runs checks tried now (`checks run`); the server's own probers, or Mozilla's roots by default.
    prober: Option<Arc<dyn beacon_probe::Prober>>,
}

fn limit(l: Option<u32>) -> Result<u32, ApiError> {
    match l {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(
            ApiError::bad_request(format!("limit {n} is outside 1..{MAX_PAGE}"))
                .with_field("limit"),
        ),
    }
}

fn cursor(c: Option<&str>) -> Result<Option<i64>, ApiError> {
    c.filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                ApiError::bad_request(format!("invalid cursor {c:?}")).with_field("cursor")
            })
        })
        .transpose()
}

fn page(l: Option<u32>, c: Option<&str>) -> Result<Page, ApiError> {
    Ok(Page {
        after: cursor(c)?,
        limit: Some(limit(l)?),
    })
}

/// Headers arrive as a JSON object; each pair must form a valid `Name: value` header whose name is the key.
fn headers(map: Option<BTreeMap<String, String>>) -> Result<Option<Vec<String>>, ValidationError> {
    let Some(map) = map else { return Ok(None) };
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        let line = format!("{k}: {v}");
        let parsed: Header = line.parse()?;
        if parsed.name != k {
            return Err(ValidationError::new(
                "header",
                format!("malformed header name {k:?}"),
            ));
        }
        out.push(line);
    }
    Ok(Some(out))
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self::with_delivery(store, clock, &DeliveryConfig::default())
    }

    /// An App whose webhook tests and URL checks follow the delivery engine's configuration.
    pub fn with_delivery(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: &DeliveryConfig,
    ) -> Self {
        Self {
            store,
            clock,
            tokens: Arc::default(),
            sender: Sender::new(config).ok(),
            test_lease: config.request_timeout + config.lease_margin,
            deny_private_networks: config.deny_private_networks,
            sign_ins: Arc::default(),
            monitor_cache: Arc::default(),
            public_cache: Arc::default(),
            region_keys: Arc::default(),
            certs: Arc::default(),
            intake: None,
            public_url: "http://127.0.0.1:8080".into(),
            prober: beacon_probe::Probers::new()
                .ok()
                .map(|p| Arc::new(p) as Arc<dyn beacon_probe::Prober>),
        }
    }

    /// Checks tried now run with `prober` (the server's, with its trusted CAs and body limit).
    pub fn with_prober(mut self, prober: Arc<dyn beacon_probe::Prober>) -> Self {
        self.prober = Some(prober);
        self
    }

    /// Accept pings through `intake`.
    pub fn with_intake(mut self, intake: Intake) -> Self {
        self.intake = Some(intake);
        self
    }

    /// Ping URLs start with `url`.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').to_owned();
        self
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }
}
