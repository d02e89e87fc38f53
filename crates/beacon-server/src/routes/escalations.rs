//! `/api/v1/escalation-policies`: escalation policies. Thin wrappers around `EscalationOps`.

use super::{ApiJson, ApiPath, CommonErrors};
use crate::AppState;
use crate::api::EscalationOps;
use crate::error::{ApiError, ErrorResponse};
use crate::wire::*;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(get_policy, delete_policy))
        .routes(routes!(monitor_notifications, update_monitor_notifications))
}

#[utoipa::path(get, path = "/api/v1/monitors/{id}/notifications", tag = "channels",
    params(("id" = Uuid, Path, description = "An endpoint's or heartbeat's id")),
    responses((status = 200, body = MonitorNotificationsView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn monitor_notifications(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<MonitorNotificationsView>, ApiError> {
    Ok(Json(s.app.monitor_notifications(id).await?))
}

#[utoipa::path(patch, path = "/api/v1/monitors/{id}/notifications", tag = "channels",
    params(("id" = Uuid, Path, description = "An endpoint's or heartbeat's id")),
    request_body = MonitorNotificationsPatch,
    responses((status = 200, body = MonitorNotificationsView), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn update_monitor_notifications(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<MonitorNotificationsPatch>,
) -> Result<Json<MonitorNotificationsView>, ApiError> {
    Ok(Json(s.app.update_monitor_notifications(id, body).await?))
}

#[utoipa::path(get, path = "/api/v1/escalation-policies", tag = "channels",
    responses((status = 200, body = EscalationPolicyList), CommonErrors),
    security(("bearer" = [])))]
async fn list_policies(State(s): State<AppState>) -> Result<Json<EscalationPolicyList>, ApiError> {
    Ok(Json(s.app.list_policies().await?))
}

#[utoipa::path(post, path = "/api/v1/escalation-policies", tag = "channels", request_body = EscalationCreate,
    responses((status = 201, body = EscalationPolicyView),
        (status = 409, description = "The name is taken", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_policy(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EscalationCreate>,
) -> Result<(StatusCode, Json<EscalationPolicyView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_policy(body).await?)))
}

#[utoipa::path(get, path = "/api/v1/escalation-policies/{id}", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 200, body = EscalationPolicyView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_policy(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<EscalationPolicyView>, ApiError> {
    Ok(Json(s.app.get_policy(id).await?))
}

#[utoipa::path(delete, path = "/api/v1/escalation-policies/{id}", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted; services that followed it follow none"),
        (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn delete_policy(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_policy(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
