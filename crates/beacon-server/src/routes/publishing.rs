//! `/api/v1/status-pages` and `/api/v1/monitors/{id}/badge`: what is published. Thin wrappers around
//! `StatusPageOps`.

use super::{ApiJson, ApiPath, CommonErrors};
use crate::AppState;
use crate::api::StatusPageOps;
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
        .routes(routes!(list_status_pages, create_status_page))
        .routes(routes!(
            get_status_page,
            update_status_page,
            delete_status_page
        ))
        .routes(routes!(get_badge, create_badge, revoke_badge))
}

#[utoipa::path(get, path = "/api/v1/status-pages", tag = "status-pages",
    responses((status = 200, body = StatusPageList), CommonErrors), security(("bearer" = [])))]
async fn list_status_pages(State(s): State<AppState>) -> ApiResult<StatusPageList> {
    Ok(Json(s.app.list_status_pages().await?))
}

#[utoipa::path(post, path = "/api/v1/status-pages", tag = "status-pages", request_body = StatusPageCreate,
    responses((status = 201, body = StatusPageView), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 413, body = ErrorResponse),
        (status = 415, body = ErrorResponse), (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_status_page(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<StatusPageCreate>,
) -> Result<(StatusCode, Json<StatusPageView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_status_page(body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/status-pages/{id}", tag = "status-pages", params(("id" = Uuid, Path)),
    responses((status = 200, body = StatusPageView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_status_page(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusPageView> {
    Ok(Json(s.app.get_status_page(id).await?))
}

#[utoipa::path(patch, path = "/api/v1/status-pages/{id}", tag = "status-pages", params(("id" = Uuid, Path)),
    request_body = StatusPagePatch,
    responses((status = 200, body = StatusPageView), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 413, body = ErrorResponse),
        (status = 415, body = ErrorResponse), (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn update_status_page(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StatusPagePatch>,
) -> ApiResult<StatusPageView> {
    Ok(Json(s.app.update_status_page(id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/status-pages/{id}", tag = "status-pages", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn delete_status_page(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_status_page(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/monitors/{id}/badge", tag = "status-pages",
    params(("id" = Uuid, Path, description = "An endpoint's or heartbeat's id")),
    responses((status = 200, body = BadgeView), (status = 404, description = "No such monitor, or it has no badge", body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_badge(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<BadgeView> {
    s.app
        .get_badge(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("monitor {id} has no badge")))
}

#[utoipa::path(post, path = "/api/v1/monitors/{id}/badge", tag = "status-pages",
    params(("id" = Uuid, Path, description = "An endpoint's or heartbeat's id")),
    responses((status = 201, description = "A new badge key; the old one stops working", body = BadgeView),
        (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_badge(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<BadgeView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_badge(id).await?)))
}

#[utoipa::path(delete, path = "/api/v1/monitors/{id}/badge", tag = "status-pages",
    params(("id" = Uuid, Path, description = "An endpoint's or heartbeat's id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn revoke_badge(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.app.revoke_badge(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
