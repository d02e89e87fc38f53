//! `/api/v1/kubernetes/*`: objects the Kubernetes watcher tracks and their events. Thin wrappers around
//! `KubernetesOps`.

use super::{ApiQuery, CommonErrors};
use crate::AppState;
use crate::api::KubernetesOps;
use crate::error::{ApiError, ErrorResponse};
use crate::wire::*;
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_kube_objects))
        .routes(routes!(list_kube_events))
}

#[utoipa::path(get, path = "/api/v1/kubernetes/objects", tag = "kubernetes", params(KubeObjectQuery),
    responses((status = 200, body = KubeObjectList), (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn list_kube_objects(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<KubeObjectQuery>,
) -> Result<Json<KubeObjectList>, ApiError> {
    Ok(Json(s.app.list_kube_objects(q).await?))
}

#[utoipa::path(get, path = "/api/v1/kubernetes/events", tag = "kubernetes", params(KubeEventQuery),
    responses((status = 200, body = KubeEventList), (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn list_kube_events(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<KubeEventQuery>,
) -> Result<Json<KubeEventList>, ApiError> {
    Ok(Json(s.app.list_kube_events(q).await?))
}
