//! Workers: the worker protocol (`/api/v1/worker/*`, for `beacon worker`; a worker token reaches nothing else)
//! and `/api/v1/workers` (the list). Thin wrappers around `App`.

use super::{ApiJson, CommonErrors};
use crate::AppState;
use crate::api::{Grant, WorkerOps};
use crate::error::ApiError;
use crate::wire::*;
use axum::extract::{ConnectInfo, State};
use axum::routing::post;
use axum::{Extension, Json, Router};
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_workers))
}

/// The worker protocol's routes. Not in the OpenAPI document: both ends are `beacon`, and each request says which
/// protocol version it speaks.
pub fn protocol_router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/worker/claims", post(claim))
        .route("/api/v1/worker/results", post(results))
        .route("/api/v1/worker/release", post(release))
}

#[utoipa::path(get, path = "/api/v1/workers", tag = "regions",
    responses((status = 200, body = WorkerList), CommonErrors), security(("bearer" = [])))]
async fn list_workers(State(s): State<AppState>) -> Result<Json<WorkerList>, ApiError> {
    Ok(Json(s.app.list_workers().await?))
}

async fn claim(
    State(s): State<AppState>,
    Extension(grant): Extension<Grant>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<ClaimRequest>,
) -> Result<Json<ClaimResponse>, ApiError> {
    Ok(Json(
        s.app
            .worker_claim(&grant, &peer.ip().to_string(), req)
            .await?,
    ))
}

async fn results(
    State(s): State<AppState>,
    Extension(grant): Extension<Grant>,
    ApiJson(req): ApiJson<ResultsRequest>,
) -> Result<Json<ResultsResponse>, ApiError> {
    Ok(Json(s.app.worker_results(&grant, req).await?))
}

async fn release(
    State(s): State<AppState>,
    Extension(grant): Extension<Grant>,
    ApiJson(req): ApiJson<ReleaseRequest>,
) -> Result<Json<ReleaseResponse>, ApiError> {
    Ok(Json(s.app.worker_release(&grant, req).await?))
}
