//! `/api/v1/maintenance`: maintenance windows. Thin wrappers around `MaintenanceOps`.

use super::{ApiJson, ApiPath, ApiQuery, CommonErrors};
use crate::AppState;
use crate::api::MaintenanceOps;
use crate::error::{ApiError, ErrorResponse};
use crate::wire::*;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_maintenance, create_maintenance))
        .routes(routes!(start_maintenance))
        .routes(routes!(get_maintenance))
        .routes(routes!(end_maintenance))
}

#[utoipa::path(get, path = "/api/v1/maintenance", tag = "maintenance",
    responses((status = 200, body = MaintenanceList), CommonErrors),
    security(("bearer" = [])))]
async fn list_maintenance(State(s): State<AppState>) -> ApiResult<MaintenanceList> {
    Ok(Json(s.app.list_maintenance().await?))
}

#[utoipa::path(post, path = "/api/v1/maintenance", tag = "maintenance", request_body = MaintenanceCreate,
    responses((status = 201, body = MaintenanceView), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_maintenance(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<MaintenanceCreate>,
) -> Result<(StatusCode, Json<MaintenanceView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_maintenance(body).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/maintenance/start", tag = "maintenance", params(MaintenanceStartParams),
    responses((status = 201, description = "A window from now", body = MaintenanceView),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn start_maintenance(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<MaintenanceStartParams>,
) -> Result<(StatusCode, Json<MaintenanceView>), ApiError> {
    let body = MaintenanceCreate {
        service_id: p.service,
        monitor_id: p.monitor,
        reason: p.reason,
        duration: Some(p.duration.unwrap_or_else(|| "1h".into())),
        ..MaintenanceCreate::default()
    };
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_maintenance(body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/maintenance/{id}", tag = "maintenance", params(("id" = Uuid, Path)),
    responses((status = 200, body = MaintenanceView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_maintenance(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<MaintenanceView> {
    Ok(Json(s.app.get_maintenance(id).await?))
}

#[utoipa::path(post, path = "/api/v1/maintenance/{id}/end", tag = "maintenance", params(("id" = Uuid, Path)),
    responses((status = 200, body = MaintenanceView), (status = 404, body = ErrorResponse),
        (status = 409, description = "It has ended already", body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn end_maintenance(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<MaintenanceView> {
    Ok(Json(s.app.end_maintenance(id).await?))
}
