//! The HTTP surface of `beacon server`: the REST API under `/api/v1` (with its OpenAPI document at
//! `/api/v1/openapi.json`), seed 002's `/checks` routes, and the operational endpoints `/healthz` (liveness),
//! `/ready` (database answers), `/health` (JSON status with dependencies) and `/metrics` (Prometheus text). The
//! only crate that knows routes and wire shapes; `app` holds the operations the CLI shares.

pub mod api;
pub mod error;
pub mod listener;
mod pages;
mod routes;
pub mod tls;
pub mod wire;

use crate::api::App;
use crate::error::ApiError;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use beacon_runtime::storage::StorageThresholds;
use beacon_store::Maintenance;
use chrono::{DateTime, SecondsFormat, Utc};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// A database round trip slower than this makes `/health` report `degraded`.
const SLOW_DATABASE: Duration = Duration::from_millis(500);
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// HTTP settings of the server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Request bodies above this are refused with 413.
    pub max_body_bytes: usize,
    /// A request taking longer is answered with 408.
    pub request_timeout: Duration,
    /// Require a token with `read` scope for `/metrics`.
    pub metrics_require_token: bool,
    /// Per-monitor series (`beacon_monitor_*`) on `/metrics`; off for very large fleets.
    pub per_monitor_metrics: bool,
    /// Header-read timeout and connection cap of the listener.
    pub limits: listener::ListenerLimits,
    /// Serve HTTPS with this configuration (and verify client certificates if it names a client CA).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Further paths for `/metrics`, `/healthz` and `/ready` (seed 001's `metrics.path`, `health.*Path`).
    pub ops_paths: OpsPaths,
}

/// Paths the ops endpoints answer on besides their own.
#[derive(Debug, Clone, Default)]
pub struct OpsPaths {
    pub metrics: Option<String>,
    pub liveness: Option<String>,
    pub readiness: Option<String>,
}

/// A part of the process that `/ready` asks besides the database (the Kubernetes watcher: `kubernetes`,
/// `watchers`): each check by name, Ok with a detail or Err with what is wrong.
pub trait Readiness: Send + Sync {
    fn checks(&self) -> Vec<(&'static str, Result<String, String>)>;
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            metrics_require_token: false,
            per_monitor_metrics: true,
            limits: listener::ListenerLimits::default(),
            tls: None,
            ops_paths: OpsPaths::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// The database's upkeep role, for `/ready` and `/health`.
    pub store: Arc<dyn Maintenance>,
    pub metrics: PrometheusHandle,
    pub config: Arc<HttpConfig>,
    pub started_at: DateTime<Utc>,
    pub started: Instant,
    /// When `/health` reports storage pressure.
    pub storage: StorageThresholds,
    /// Public status pages as last rendered, each with the reading it was rendered from.
    pub rendered: Arc<pages::RenderedPages>,
    /// What `/ready` asks besides the database.
    pub readiness: Vec<Arc<dyn Readiness>>,
}

impl AppState {
    pub fn new(app: App, metrics: PrometheusHandle, config: HttpConfig) -> Self {
        Self {
            store: app.maintenance(),
            app,
            metrics,
            config: Arc::new(config),
            started_at: Utc::now(),
            started: Instant::now(),
            storage: StorageThresholds::default(),
            rendered: Arc::default(),
            readiness: Vec::new(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Beacon API", description = "Manage services, checks, pings, incidents, notifications and API tokens."),
    modifiers(&BearerAuth),
    components(schemas(error::ErrorResponse)),
    tags(
        (name = "services", description = "Groups of endpoints"),
        (name = "endpoints", description = "Checks: http, tcp, dns, tls"),
        (name = "pings", description = "Check results"),
        (name = "incidents", description = "Outages"),
        (name = "tokens", description = "API tokens (admin scope)"),
        (name = "webhooks", description = "Notification targets and their deliveries"),
        (name = "channels", description = "Where notifications go: channels of every kind and their subscriptions"),
        (name = "heartbeats", description = "Push monitors: jobs ping them; silence turns them down"),
        (name = "status-pages", description = "Public status pages and monitors' badges"),
        (name = "regions", description = "Where checks run from"),
        (name = "kubernetes", description = "Kubernetes objects the watcher tracks, and their events"),
        (name = "maintenance", description = "Maintenance windows: checks run, incidents are held back"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document of `/api/v1`, generated from the route handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa_axum::router::OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(routes::v1::router())
        .merge(routes::users::router())
        .merge(routes::publishing::router())
        .merge(routes::regions::router())
        .merge(routes::workers::router())
        .merge(routes::kubernetes::router())
        .merge(routes::channels::router())
        .merge(routes::escalations::router())
        .merge(routes::maintenance::router())
        .split_for_parts()
        .1
}

pub fn router(state: AppState) -> Router {
    let (api, doc) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::v1::router())
        .merge(routes::users::router())
        .merge(routes::publishing::router())
        .merge(routes::regions::router())
        .merge(routes::workers::router())
        .merge(routes::kubernetes::router())
        .merge(routes::channels::router())
        .merge(routes::escalations::router())
        .merge(routes::maintenance::router())
        .split_for_parts();
    let doc = Arc::new(doc);
    let auth = middleware::from_fn_with_state(state.clone(), routes::authorize);
    let protected = api
        .merge(routes::checks::router())
        .merge(routes::heartbeats::read_router())
        .merge(routes::workers::protocol_router())
        .route_layer(auth.clone());
    let metrics_route = if state.config.metrics_require_token {
        Router::new()
            .route("/metrics", get(metrics))
            .route_layer(auth)
    } else {
        Router::new().route("/metrics", get(metrics))
    };
    let config = state.config.clone();
    let mut ops = Router::new();
    let paths = &config.ops_paths;
    for (path, own) in [(&paths.liveness, "/healthz"), (&paths.readiness, "/ready")] {
        if let Some(p) = path.as_deref().filter(|p| *p != own) {
            ops = if own == "/ready" {
                ops.route(p, get(ready))
            } else {
                ops.route(p, get(healthz))
            };
        }
    }
    let metrics_route = match paths.metrics.as_deref().filter(|p| *p != "/metrics") {
        Some(p) if !config.metrics_require_token => metrics_route.route(p, get(metrics)),
        _ => metrics_route,
    };
    Router::new()
        .merge(ops)
        .merge(protected)
        .merge(routes::heartbeats::intake_router())
        .merge(pages::router())
        .merge(metrics_route)
        .route(
            "/api/v1/openapi.json",
            get(move || async move { axum::Json(doc.as_ref().clone()) }),
        )
        .route("/healthz", get(healthz))
        .route("/ready", get(ready))
        .route("/health", get(health))
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(middleware::from_fn(track_requests))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .with_state(state)
}

/// Serve until `shutdown` is cancelled, then finish in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let limits = state.config.limits;
    let tls = state.config.tls.clone();
    listener::serve(listener, router(state), limits, tls, shutdown).await
}

/// Count and time every request, labelled by route pattern (not the raw path, to keep cardinality bounded).
async fn track_requests(req: axum::extract::Request, next: middleware::Next) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("beacon_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("beacon_http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn healthz() -> Response {
    axum::Json(json!({"status": "ok", "timestamp": now_rfc3339()})).into_response()
}

/// Database round trip: Ok(latency) or the error text.
async fn check_database(store: &dyn Maintenance) -> Result<Duration, String> {
    let t = Instant::now();
    match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, store.round_trip()).await {
        Ok(Ok(())) => Ok(t.elapsed()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "no answer within {} s",
            DATABASE_CHECK_TIMEOUT.as_secs()
        )),
    }
}

/// 200 when the database answers and every other part asked (`AppState::readiness`) is ready; 503 with each
/// check's status otherwise.
async fn ready(State(state): State<AppState>) -> Response {
    let mut ok = true;
    let mut checks = serde_json::Map::new();
    match check_database(&*state.store).await {
        Ok(_) => {
            checks.insert("database".into(), json!({"status": "up"}));
        }
        Err(error) => {
            ok = false;
            checks.insert("database".into(), json!({"status": "down", "error": error}));
        }
    }
    for part in &state.readiness {
        for (name, result) in part.checks() {
            let check = match result {
                Ok(detail) => json!({"status": "up", "detail": detail}),
                Err(error) => {
                    ok = false;
                    json!({"status": "down", "error": error})
                }
            };
            checks.insert(name.into(), check);
        }
    }
    let body = json!({
        "status": if ok { "ready" } else { "unavailable" },
        "timestamp": now_rfc3339(),
        "checks": checks,
    });
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body)).into_response()
}

async fn health(State(state): State<AppState>) -> Response {
    let (status, database) = match check_database(&*state.store).await {
        Ok(latency) => {
            let ms = latency.as_secs_f64() * 1000.0;
            let status = if latency > SLOW_DATABASE {
                "degraded"
            } else {
                "ok"
            };
            (
                status,
                json!({"status": status, "backend": state.store.backend(), "latency_ms": ms}),
            )
        }
        Err(error) => (
            "down",
            json!({"status": "down", "backend": state.store.backend(), "latency_ms": null, "error": error}),
        ),
    };
    let storage = match beacon_runtime::storage::sample(&*state.store, &state.storage).await {
        Ok(r) => {
            let volume = r.volume.map(|v| {
                json!({
                    "total_bytes": v.total_bytes,
                    "available_bytes": v.available_bytes,
                    "used_percent": v.used_percent(),
                    "inodes_used_percent": v.inodes_used_percent(),
                })
            });
            json!({
                "status": r.level.as_str(),
                "db_bytes": r.db_bytes,
                "wal_bytes": r.wal_bytes,
                "free_in_file_bytes": r.free_in_file_bytes,
                "volume": volume,
                "warning_percent": state.storage.warning_percent,
                "critical_percent": state.storage.critical_percent,
            })
        }
        Err(e) => json!({"status": "unknown", "error": e.to_string()}),
    };
    let pressure = storage["status"] == "warning" || storage["status"] == "critical";
    let status = if status == "ok" && pressure {
        "degraded"
    } else {
        status
    };
    // Always 200, as seed 002's /health: the body says how healthy; /ready is the probe that fails.
    axum::Json(json!({
        "status": status,
        "uptime_seconds": state.started.elapsed().as_secs(),
        "version": env!("CARGO_PKG_VERSION"),
        "started_at": state.started_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "dependencies": {"database": database, "storage": storage},
    }))
    .into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = state.metrics.render();
    if state.config.per_monitor_metrics {
        match state.app.monitor_metrics().await {
            Ok(series) => text.push_str(&series),
            // The process's own metrics still answer while the database is away.
            Err(e) => tracing::debug!(error = ?e, "per-monitor metrics unavailable"),
        }
    }
    match state.app.worker_metrics().await {
        Ok(series) => text.push_str(&series),
        Err(e) => tracing::debug!(error = ?e, "worker metrics unavailable"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
