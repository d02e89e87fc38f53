//! The application layer: every operation of the API as a method of `App` — validate input, call the store,
//! shape the answer as wire views, report failures as `ApiError`. HTTP handlers are thin wrappers around it, and
//! the CLI calls it directly when it works on the database, so both paths behave the same by construction.
//! `Operations` is that set of operations as a trait, implemented here and by the CLI's HTTP client.

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

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PingParams {
    /// Items per page, 1..1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Only failed checks.
    pub failed: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// 1m, 5m, 1h or 1d (default: the finest giving at most 500 buckets).
    pub resolution: Option<String>,
    /// Start of the range, RFC 3339 (default: `to` minus `since`).
    pub from: Option<String>,
    /// End of the range, RFC 3339 (default: now).
    pub to: Option<String>,
    /// The range as a span back from `to`, e.g. 24h, 7d (default 24h; not with `from`).
    pub since: Option<String>,
    /// Only the checks run from this region (default: all regions).
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentParams {
    /// open or resolved.
    pub status: Option<String>,
    pub endpoint_id: Option<Uuid>,
    pub heartbeat_id: Option<Uuid>,
    /// Items per page, 1..1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Every operation of the API. `App` implements it on the database; the CLI's client implements it over HTTP.
#[async_trait]
pub trait Operations: Send + Sync {
    async fn create_service(&self, body: ServiceCreate) -> Result<ServiceView, ApiError>;
    async fn list_services(&self, params: ListParams) -> Result<ServiceList, ApiError>;
    async fn get_service(&self, id: Uuid) -> Result<ServiceView, ApiError>;
    async fn update_service(&self, id: Uuid, body: ServicePatch) -> Result<ServiceView, ApiError>;
    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<(), ApiError>;
    async fn create_endpoint(&self, body: EndpointCreate) -> Result<EndpointView, ApiError>;
    async fn list_endpoints(&self, params: ByServiceParams) -> Result<EndpointList, ApiError>;
    async fn get_endpoint(&self, id: Uuid) -> Result<EndpointView, ApiError>;
    async fn update_endpoint(
        &self,
        id: Uuid,
        body: EndpointPatch,
    ) -> Result<EndpointView, ApiError>;
    async fn delete_endpoint(&self, id: Uuid) -> Result<(), ApiError>;
    async fn list_pings(&self, endpoint_id: Uuid, params: PingParams)
    -> Result<PingList, ApiError>;
    /// Statistics of one endpoint over a range, from rollup windows.
    async fn endpoint_stats(&self, id: Uuid, params: StatsParams) -> Result<StatsView, ApiError>;
    async fn endpoint_uptime(&self, id: Uuid) -> Result<UptimeView, ApiError>;
    async fn list_incidents(&self, params: IncidentParams) -> Result<IncidentList, ApiError>;
    async fn get_incident(&self, id: Uuid) -> Result<IncidentView, ApiError>;
    async fn resolve_incident(&self, id: Uuid) -> Result<IncidentView, ApiError>;
    async fn create_token(&self, body: TokenCreate) -> Result<CreatedTokenView, ApiError>;
    async fn list_tokens(&self) -> Result<TokenList, ApiError>;
    async fn revoke_token(&self, id: Uuid) -> Result<TokenView, ApiError>;
    async fn create_webhook(&self, body: WebhookCreate) -> Result<CreatedWebhookView, ApiError>;
    async fn list_webhooks(&self, service_id: Option<Uuid>) -> Result<WebhookList, ApiError>;
    async fn get_webhook(&self, id: Uuid) -> Result<WebhookView, ApiError>;
    async fn update_webhook(
        &self,
        id: Uuid,
        body: WebhookPatchBody,
    ) -> Result<WebhookView, ApiError>;
    async fn delete_webhook(&self, id: Uuid) -> Result<(), ApiError>;
    /// Send a `test` event to the webhook now; the delivery with its one attempt.
    async fn test_webhook(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError>;
    async fn list_deliveries(
        &self,
        webhook_id: Option<Uuid>,
        status: Option<String>,
    ) -> Result<DeliveryList, ApiError>;
    async fn get_delivery(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError>;
    async fn retry_delivery(&self, id: Uuid) -> Result<DeliveryView, ApiError>;
    async fn create_heartbeat(
        &self,
        body: HeartbeatCreate,
    ) -> Result<CreatedHeartbeatView, ApiError>;
    async fn list_heartbeats(&self, params: ByServiceParams) -> Result<HeartbeatList, ApiError>;
    async fn get_heartbeat(&self, id: Uuid) -> Result<HeartbeatView, ApiError>;
    async fn update_heartbeat(
        &self,
        id: Uuid,
        body: HeartbeatPatch,
    ) -> Result<HeartbeatView, ApiError>;
    async fn delete_heartbeat(&self, id: Uuid) -> Result<(), ApiError>;
    async fn set_heartbeat_paused(&self, id: Uuid, paused: bool)
    -> Result<HeartbeatView, ApiError>;
    async fn rotate_heartbeat_key(&self, id: Uuid) -> Result<CreatedHeartbeatView, ApiError>;
    async fn list_heartbeat_pings(
        &self,
        id: Uuid,
        limit: Option<u32>,
    ) -> Result<HeartbeatPingList, ApiError>;
}

/// How long a verified token is trusted without asking the database again. Revocation through this server takes
/// effect at once; through another process (the CLI on the database, another server) within this time.
const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Verified tokens: id → (scope, SHA-256 of the secret, when verified). Guarded by a plain mutex: held for a
/// lookup or insert only, never across an await.
type TokenCache =
    std::sync::Mutex<std::collections::HashMap<Uuid, (Scope, [u8; 32], std::time::Instant)>>;

/// The operations, on a store.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
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

fn input(p: EndpointPatch) -> Result<EndpointInput, ValidationError> {
    Ok(EndpointInput {
        name: p.name,
        url: p.url,
        method: p.method,
        interval_seconds: p.interval_seconds,
        timeout_seconds: p.timeout_seconds,
        expected_status: p.expected_status,
        headers: headers(p.headers)?,
        body: p.body,
        alert_threshold: p.alert_threshold,
        recovery_threshold: p.recovery_threshold,
        expect_body_contains: p.expect_body_contains,
        follow_redirects: p.follow_redirects,
        enabled: p.enabled,
        webhook_url: p.webhook_url,
    })
}

fn check_events(events: &[String]) -> Result<(), ValidationError> {
    if events.is_empty() {
        return Err(ValidationError::new(
            "events",
            "name at least one event kind",
        ));
    }
    for e in events {
        if !EventKind::SUBSCRIBABLE.iter().any(|k| k.as_str() == e) {
            let known: Vec<&str> = EventKind::SUBSCRIBABLE.iter().map(|k| k.as_str()).collect();
            let known = known.join(", ");
            return Err(ValidationError::new(
                "events",
                format!("unknown event kind {e:?}: use {known}"),
            ));
        }
    }
    Ok(())
}

fn webhook_headers(
    map: Option<BTreeMap<String, String>>,
) -> Result<Option<Vec<Header>>, ValidationError> {
    headers(map)?
        .map(|lines| lines.iter().map(|h| h.parse()).collect())
        .transpose()
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
            intake: None,
            public_url: "http://127.0.0.1:8080".into(),
        }
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

    /// A heartbeat as shown: status evaluated now, ping URL on this server.
    pub fn heartbeat_view(&self, h: &Heartbeat) -> HeartbeatView {
        let (kind, period, cron, tz) = match &h.spec.schedule {
            Schedule::Period { seconds } => ("period", Some(*seconds), None, None),
            Schedule::Cron(c) => (
                "cron",
                None,
                Some(c.expr().to_owned()),
                Some(c.tz().to_owned()),
            ),
        };
        HeartbeatView {
            id: h.id,
            service_id: h.service_id,
            slug: h.slug.clone(),
            name: h.spec.name.clone(),
            kind: kind.into(),
            period_seconds: period,
            cron,
            tz,
            grace_seconds: h.spec.grace_seconds,
            status: heartbeat::evaluate(&h.spec, &h.state, self.now())
                .as_str()
                .into(),
            last_ping_at: h.last_ping_at.map(rfc3339),
            ping_url: format!("{}/ping/{}", self.public_url, h.id),
            created_at: rfc3339(h.created_at),
            updated_at: rfc3339(h.updated_at),
        }
    }

    /// Store a ping through the intake.
    pub async fn submit_ping(&self, ping: IncomingPing) -> Result<PingOutcome, ApiError> {
        let intake = self.intake.as_ref().ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "this process does not accept pings",
            )
        })?;
        Ok(intake.submit(ping).await?)
    }

    /// A webhook URL, parsed, and refused when the private-network deny-list is on and it points inside.
    async fn webhook_url(&self, url: &str) -> Result<CheckUrl, ApiError> {
        let url = CheckUrl::parse(url)?;
        if self.deny_private_networks
            && let Some(reason) = beacon_runtime::delivery::denied_destination(&url).await
        {
            return Err(ValidationError::new("url", reason).into());
        }
        Ok(url)
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }

    /// On first start with a database that has never had a token, create an admin token and return its text.
    pub async fn bootstrap_admin_token(&self) -> Result<Option<String>, ApiError> {
        let new = token::generate(Uuid::new_v4(), rand::random());
        Ok(self
            .store
            .create_bootstrap_token(&new, self.now())
            .await?
            .then_some(new.text))
    }

    /// Create an endpoint from settable fields (shared by `/api/v1/endpoints` and the `/checks` surface).
    pub async fn create_endpoint_fields(
        &self,
        service_id: Uuid,
        fields: EndpointPatch,
    ) -> Result<EndpointView, ApiError> {
        // Validated before the database is touched: nothing is written for bad input.
        let spec = EndpointSpec::create(input(fields)?)?;
        Ok((&self
            .store
            .create_endpoint(service_id, &spec, self.now())
            .await?)
            .into())
    }

    /// The scope a presented bearer token grants, or 401.
    pub async fn authenticate(&self, presented: &str) -> Result<Scope, ApiError> {
        let invalid = || ApiError::unauthorized("invalid or revoked API token");
        let (id, hash) = token::parse(presented).ok_or_else(invalid)?;
        if let Ok(cache) = self.tokens.lock()
            && let Some((scope, known, at)) = cache.get(&id)
            && at.elapsed() < TOKEN_CACHE_TTL
            && token::hashes_match(known, &hash)
        {
            return Ok(*scope);
        }
        let creds = self
            .store
            .token_credentials(id)
            .await?
            .ok_or_else(invalid)?;
        if creds.revoked || !token::hashes_match(&creds.secret_hash, &hash) {
            return Err(invalid());
        }
        if let Ok(mut cache) = self.tokens.lock() {
            cache.retain(|_, (_, _, at)| at.elapsed() < TOKEN_CACHE_TTL);
            cache.insert(id, (creds.scope, hash, std::time::Instant::now()));
        }
        Ok(creds.scope)
    }
}

#[async_trait]
impl Operations for App {
    async fn create_service(&self, body: ServiceCreate) -> Result<ServiceView, ApiError> {
        let s = self
            .store
            .create_service(
                &body.name,
                body.description.as_deref().unwrap_or(""),
                self.now(),
            )
            .await?;
        Ok((&s).into())
    }

    async fn list_services(&self, params: ListParams) -> Result<ServiceList, ApiError> {
        let got = self
            .store
            .list_services(page(params.limit, params.cursor.as_deref())?)
            .await?;
        Ok(ServiceList {
            data: got.items.iter().map(Into::into).collect(),
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_service(&self, id: Uuid) -> Result<ServiceView, ApiError> {
        Ok((&self.store.get_service(id).await?).into())
    }

    async fn update_service(&self, id: Uuid, body: ServicePatch) -> Result<ServiceView, ApiError> {
        let s = self
            .store
            .update_service(
                id,
                body.name.as_deref(),
                body.description.as_deref(),
                self.now(),
            )
            .await?;
        Ok((&s).into())
    }

    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<(), ApiError> {
        Ok(self.store.delete_service(id, cascade).await?)
    }

    async fn create_endpoint(&self, body: EndpointCreate) -> Result<EndpointView, ApiError> {
        let (service_id, fields) = body.split();
        self.create_endpoint_fields(service_id, fields).await
    }

    async fn list_endpoints(&self, params: ByServiceParams) -> Result<EndpointList, ApiError> {
        let got = self
            .store
            .list_endpoints(
                params.service_id,
                page(params.limit, params.cursor.as_deref())?,
            )
            .await?;
        Ok(EndpointList {
            data: got.items.iter().map(Into::into).collect(),
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_endpoint(&self, id: Uuid) -> Result<EndpointView, ApiError> {
        let mut view: EndpointView = (&self.store.get_endpoint(id).await?).into();
        view.stats = Some(self.endpoint_uptime(id).await?);
        Ok(view)
    }

    async fn endpoint_stats(&self, id: Uuid, params: StatsParams) -> Result<StatsView, ApiError> {
        const MAX_BUCKETS: i64 = 10_000;
        let time = |field: &'static str, v: Option<&str>| {
            v.map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|d| d.timestamp_millis())
                    .map_err(|e| {
                        ApiError::bad_request(format!(
                            "{field}: '{t}' is not an RFC 3339 time ({e})"
                        ))
                        .with_field(field)
                    })
            })
            .transpose()
        };
        let to = time("to", params.to.as_deref())?.unwrap_or_else(|| self.now());
        let from = match (
            time("from", params.from.as_deref())?,
            params.since.as_deref(),
        ) {
            (Some(_), Some(_)) => {
                return Err(
                    ApiError::bad_request("give from or since, not both").with_field("since")
                );
            }
            (Some(from), None) => from,
            (None, since) => {
                let span = rollup::parse_span(since.unwrap_or("24h"))
                    .map_err(|e| ApiError::bad_request(e.to_string()).with_field("since"))?;
                to - span
            }
        };
        if from >= to {
            return Err(ApiError::bad_request("from must be before to").with_field("from"));
        }
        let resolution = match params.resolution.as_deref() {
            Some(r) => Resolution::parse(r)
                .map_err(|e| ApiError::bad_request(e.to_string()).with_field("resolution"))?,
            None => Resolution::fitting(from, to, 500),
        };
        if (to - from) / resolution.millis() > MAX_BUCKETS {
            return Err(ApiError::bad_request(format!(
                "{} buckets of {} is more than {MAX_BUCKETS}: choose a coarser resolution or a shorter range",
                (to - from) / resolution.millis(),
                resolution.as_str()
            ))
            .with_field("resolution"));
        }
        // Windows overlapping the range: the one holding `from` onwards.
        let windows = self
            .store
            .rollup_windows(
                id,
                resolution,
                resolution.window_start(from),
                to,
                params.region.as_deref(),
            )
            .await?;
        let (summary, buckets) = rollup::buckets(resolution, from, to, windows);
        Ok(StatsView {
            summary: (&summary).into(),
            buckets: buckets.iter().map(StatsBucket::from).collect(),
        })
    }

    async fn endpoint_uptime(&self, id: Uuid) -> Result<UptimeView, ApiError> {
        let now = self.now();
        let longest = rollup::UPTIME_PERIODS[3].1;
        let hourly = self
            .store
            .rollup_windows(
                id,
                Resolution::Hour,
                Resolution::Hour.window_start(now - longest),
                now + 1,
                None,
            )
            .await?;
        let period = |i: usize| rollup::trailing(now, rollup::UPTIME_PERIODS[i].1, &hourly);
        let day = period(0);
        Ok(UptimeView {
            uptime_24h: day.uptime(),
            uptime_7d: period(1).uptime(),
            uptime_30d: period(2).uptime(),
            uptime_90d: period(3).uptime(),
            p95_24h_ms: day.quantile_ms(0.95),
            checks_24h: day.count,
        })
    }

    async fn update_endpoint(
        &self,
        id: Uuid,
        body: EndpointPatch,
    ) -> Result<EndpointView, ApiError> {
        Ok((&self
            .store
            .update_endpoint(id, input(body)?, self.now())
            .await?)
            .into())
    }

    async fn delete_endpoint(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_endpoint(id).await?)
    }

    async fn list_pings(
        &self,
        endpoint_id: Uuid,
        params: PingParams,
    ) -> Result<PingList, ApiError> {
        let limit = limit(params.limit)?;
        let query = PingQuery {
            limit,
            failed_only: params.failed.unwrap_or(false),
            before: cursor(params.cursor.as_deref())?,
        };
        let pings = self.store.list_pings(endpoint_id, query).await?;
        let next = (pings.len() == limit as usize)
            .then(|| pings.last().map(|p| p.scheduled_at.to_string()))
            .flatten();
        Ok(PingList {
            data: pings.iter().map(Into::into).collect(),
            next_cursor: next,
        })
    }

    async fn list_incidents(&self, params: IncidentParams) -> Result<IncidentList, ApiError> {
        let status = match params.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(IncidentStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!("unknown status {s:?}: use open or resolved"))
                    .with_field("status")
            })?),
        };
        let got = self
            .store
            .list_incidents(
                IncidentFilter {
                    status,
                    endpoint_id: params.endpoint_id,
                    heartbeat_id: params.heartbeat_id,
                },
                page(params.limit, params.cursor.as_deref())?,
            )
            .await?;
        Ok(IncidentList {
            data: got.items.iter().map(Into::into).collect(),
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_incident(&self, id: Uuid) -> Result<IncidentView, ApiError> {
        Ok((&self.store.get_incident(id).await?).into())
    }

    async fn resolve_incident(&self, id: Uuid) -> Result<IncidentView, ApiError> {
        Ok((&self.store.resolve_incident(id, self.now()).await?).into())
    }

    async fn create_token(&self, body: TokenCreate) -> Result<CreatedTokenView, ApiError> {
        let scope: Scope = body.scope.as_deref().unwrap_or("write").parse()?;
        let new = token::generate(Uuid::new_v4(), rand::random());
        let t = self
            .store
            .create_token(&body.name, scope, &new, self.now())
            .await?;
        let v = TokenView::from(&t);
        Ok(CreatedTokenView {
            id: v.id,
            name: v.name,
            scope: v.scope,
            created_at: v.created_at,
            revoked_at: v.revoked_at,
            token: new.text,
        })
    }

    async fn list_tokens(&self) -> Result<TokenList, ApiError> {
        let tokens = self.store.list_tokens().await?;
        Ok(TokenList {
            data: tokens.iter().map(Into::into).collect(),
            next_cursor: None,
        })
    }

    async fn revoke_token(&self, id: Uuid) -> Result<TokenView, ApiError> {
        let revoked = self.store.revoke_token(id, self.now()).await?;
        if let Ok(mut cache) = self.tokens.lock() {
            cache.remove(&id);
        }
        Ok((&revoked).into())
    }

    async fn create_webhook(&self, body: WebhookCreate) -> Result<CreatedWebhookView, ApiError> {
        let url = self.webhook_url(&body.url).await?;
        check_events(&body.events)?;
        let secret = match &body.secret {
            Some(s) => WebhookSecret::parse(s)?,
            None => WebhookSecret::generate(rand::random()),
        };
        let headers = webhook_headers(body.headers)?.unwrap_or_default();
        let spec = beacon_store::WebhookSpec {
            url,
            events: body.events,
            secret: secret.clone(),
            headers,
        };
        let w = self
            .store
            .create_webhook(body.service_id, &spec, self.now())
            .await?;
        Ok(CreatedWebhookView {
            webhook: (&w).into(),
            secret: secret.expose(),
        })
    }

    async fn list_webhooks(&self, service_id: Option<Uuid>) -> Result<WebhookList, ApiError> {
        let hooks = self.store.list_webhooks(service_id).await?;
        Ok(WebhookList {
            data: hooks.iter().map(Into::into).collect(),
            next_cursor: None,
        })
    }

    async fn get_webhook(&self, id: Uuid) -> Result<WebhookView, ApiError> {
        Ok((&self.store.get_webhook(id).await?).into())
    }

    async fn update_webhook(
        &self,
        id: Uuid,
        body: WebhookPatchBody,
    ) -> Result<WebhookView, ApiError> {
        // Everything is validated before the database is touched.
        let url = match &body.url {
            Some(u) => Some(self.webhook_url(u).await?),
            None => None,
        };
        if let Some(events) = &body.events {
            check_events(events)?;
        }
        let patch = WebhookPatch {
            url,
            events: body.events,
            secret: body
                .secret
                .as_deref()
                .map(WebhookSecret::parse)
                .transpose()?,
            headers: webhook_headers(body.headers)?,
        };
        Ok((&self.store.update_webhook(id, patch, self.now()).await?).into())
    }

    async fn delete_webhook(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_webhook(id).await?)
    }

    async fn test_webhook(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError> {
        let sender = self.sender.as_ref().ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the HTTP client for webhooks could not be built",
            )
        })?;
        let detail = beacon_runtime::delivery::send_test(
            self.store.as_ref(),
            sender,
            self.test_lease,
            id,
            self.now(),
        )
        .await?;
        Ok((&detail).into())
    }

    async fn list_deliveries(
        &self,
        webhook_id: Option<Uuid>,
        status: Option<String>,
    ) -> Result<DeliveryList, ApiError> {
        let status = match status.as_deref() {
            None | Some("") => None,
            Some(st) => Some(beacon_store::DeliveryStatus::parse(st).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unknown status {st:?}: use pending, delivered or failed"
                ))
                .with_field("status")
            })?),
        };
        let list = self.store.list_deliveries(webhook_id, status).await?;
        Ok(DeliveryList {
            data: list.iter().map(Into::into).collect(),
            next_cursor: None,
        })
    }

    async fn get_delivery(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError> {
        Ok((&self.store.get_delivery(id).await?).into())
    }

    async fn retry_delivery(&self, id: Uuid) -> Result<DeliveryView, ApiError> {
        Ok((&self.store.retry_delivery(id, self.now()).await?).into())
    }

    async fn create_heartbeat(
        &self,
        body: HeartbeatCreate,
    ) -> Result<CreatedHeartbeatView, ApiError> {
        // Validated before the database is touched: nothing is written for bad input.
        let spec = HeartbeatSpec::create(HeartbeatInput {
            name: Some(body.name.clone()),
            period_seconds: body.period_seconds,
            cron: body.cron,
            tz: body.tz,
            grace_seconds: body.grace_seconds,
        })?;
        let slug = match &body.slug {
            Some(s) => heartbeat::validate_slug(s)?,
            None => heartbeat::slug_from_name(&spec.name),
        };
        let (key, hash) = token::generate_ping_key(rand::random());
        let h = self
            .store
            .create_heartbeat(body.service_id, &slug, &spec, &hash, self.now())
            .await?;
        Ok(CreatedHeartbeatView {
            heartbeat: self.heartbeat_view(&h),
            key,
        })
    }

    async fn list_heartbeats(&self, params: ByServiceParams) -> Result<HeartbeatList, ApiError> {
        let got = self
            .store
            .list_heartbeats(
                params.service_id,
                page(params.limit, params.cursor.as_deref())?,
            )
            .await?;
        Ok(HeartbeatList {
            data: got.items.iter().map(|h| self.heartbeat_view(h)).collect(),
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_heartbeat(&self, id: Uuid) -> Result<HeartbeatView, ApiError> {
        let h = self.store.get_heartbeat(&HeartbeatRef::Id(id)).await?;
        Ok(self.heartbeat_view(&h))
    }

    async fn update_heartbeat(
        &self,
        id: Uuid,
        body: HeartbeatPatch,
    ) -> Result<HeartbeatView, ApiError> {
        let input = HeartbeatInput {
            name: body.name,
            period_seconds: body.period_seconds,
            cron: body.cron,
            tz: body.tz,
            grace_seconds: body.grace_seconds,
        };
        let h = self.store.update_heartbeat(id, input, self.now()).await?;
        Ok(self.heartbeat_view(&h))
    }

    async fn delete_heartbeat(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_heartbeat(id).await?)
    }

    async fn set_heartbeat_paused(
        &self,
        id: Uuid,
        paused: bool,
    ) -> Result<HeartbeatView, ApiError> {
        let h = self
            .store
            .set_heartbeat_paused(id, paused, self.now())
            .await?;
        Ok(self.heartbeat_view(&h))
    }

    async fn rotate_heartbeat_key(&self, id: Uuid) -> Result<CreatedHeartbeatView, ApiError> {
        let (key, hash) = token::generate_ping_key(rand::random());
        let h = self.store.set_heartbeat_key(id, &hash, self.now()).await?;
        Ok(CreatedHeartbeatView {
            heartbeat: self.heartbeat_view(&h),
            key,
        })
    }

    async fn list_heartbeat_pings(
        &self,
        id: Uuid,
        limit: Option<u32>,
    ) -> Result<HeartbeatPingList, ApiError> {
        let pings = self
            .store
            .list_heartbeat_pings(id, self::limit(limit)?)
            .await?;
        Ok(HeartbeatPingList {
            data: pings.iter().map(Into::into).collect(),
            next_cursor: None,
        })
    }
}
