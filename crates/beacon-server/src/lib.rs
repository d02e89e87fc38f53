//! The HTTP surface of `beacon server`. For now the operational endpoints: `/healthz` (liveness), `/ready`
//! (database answers), `/health` (JSON status with dependencies) and `/metrics` (Prometheus text). The only crate
//! that knows routes and wire shapes; the REST API will live here too.

pub mod wire;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use beacon_store::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A database round trip slower than this makes `/health` report `degraded`.
const SLOW_DATABASE: Duration = Duration::from_millis(500);
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub metrics: PrometheusHandle,
    pub started_at: DateTime<Utc>,
    pub started: Instant,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, metrics: PrometheusHandle) -> Self {
        Self {
            store,
            metrics,
            started_at: Utc::now(),
            started: Instant::now(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ready", get(ready))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serve until `shutdown` is cancelled, then finish in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn healthz() -> Response {
    axum::Json(json!({"status": "ok", "timestamp": now_rfc3339()})).into_response()
}

/// Database round trip: Ok(latency) or the error text.
async fn check_database(store: &dyn Store) -> Result<Duration, String> {
    let t = Instant::now();
    match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => Ok(t.elapsed()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "no answer within {} s",
            DATABASE_CHECK_TIMEOUT.as_secs()
        )),
    }
}

async fn ready(State(state): State<AppState>) -> Response {
    match check_database(&*state.store).await {
        Ok(_) => axum::Json(json!({"status": "ready", "timestamp": now_rfc3339()})).into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({
                "status": "unavailable",
                "timestamp": now_rfc3339(),
                "checks": {"database": {"status": "down", "error": error}},
            })),
        )
            .into_response(),
    }
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
    // Always 200, as seed 002's /health: the body says how healthy; /ready is the probe that fails.
    axum::Json(json!({
        "status": status,
        "uptime_seconds": state.started.elapsed().as_secs(),
        "version": env!("CARGO_PKG_VERSION"),
        "started_at": state.started_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "dependencies": {"database": database},
    }))
    .into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
