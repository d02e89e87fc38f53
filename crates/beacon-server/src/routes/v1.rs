//! `/api/v1`: services, endpoints, pings, incidents and tokens. Each handler is a thin wrapper around the
//! corresponding `App` operation; the `#[utoipa::path]` attributes are the OpenAPI document.

use super::{ApiJson, ApiPath, ApiQuery, CommonErrors, may_write};
use crate::AppState;
use crate::api::{
    ByServiceParams, EndpointOps, HeartbeatOps, IncidentOps, IncidentParams, ListParams,
    PingParams, ServiceOps, StatsParams, TokenOps, WebhookOps,
};
use crate::error::{ApiError, ErrorResponse};
use crate::wire::*;
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use beacon_core::token::Scope;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_services, create_service))
        .routes(routes!(get_service, update_service, delete_service))
        .routes(routes!(list_endpoints, create_endpoint))
        .routes(routes!(get_endpoint, update_endpoint, delete_endpoint))
        .routes(routes!(pause_endpoint))
        .routes(routes!(resume_endpoint))
        .routes(routes!(list_pings))
        .routes(routes!(endpoint_stats))
        .routes(routes!(endpoint_uptime))
        .routes(routes!(try_check))
        .routes(routes!(list_incidents))
        .routes(routes!(get_incident))
        .routes(routes!(resolve_incident))
        .routes(routes!(ack_incident))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(test_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(retry_delivery))
        .routes(routes!(list_heartbeats, create_heartbeat))
        .routes(routes!(get_heartbeat, update_heartbeat, delete_heartbeat))
        .routes(routes!(pause_heartbeat))
        .routes(routes!(resume_heartbeat))
        .routes(routes!(rotate_heartbeat_key))
        .routes(routes!(list_heartbeat_pings))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// Items, 1..1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteServiceParams {
    /// Also delete the service's endpoints with their pings and incidents.
    pub cascade: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ListParams),
    responses((status = 200, body = ServiceList), CommonErrors), security(("bearer" = [])))]
async fn list_services(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<ServiceList> {
    Ok(Json(s.app.list_services(p).await?))
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceCreate,
    responses((status = 201, body = ServiceView), (status = 413, body = ErrorResponse),
        (status = 415, body = ErrorResponse), (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_service(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<ServiceCreate>,
) -> Result<(StatusCode, Json<ServiceView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_service(body).await?)))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_service(
    State(s): State<AppState>,
    scope: Option<Extension<Scope>>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ServiceView> {
    let mut view = s.app.get_service(id).await?;
    if !may_write(scope.as_ref()) {
        view.ping_key = None;
    }
    Ok(Json(view))
}

#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "services", params(("id" = Uuid, Path)),
    request_body = ServicePatch,
    responses((status = 200, body = ServiceView), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn update_service(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ServicePatch>,
) -> ApiResult<ServiceView> {
    Ok(Json(s.app.update_service(id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "services",
    params(("id" = Uuid, Path), DeleteServiceParams),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorResponse),
        (status = 409, description = "The service still has endpoints and cascade was not set", body = ErrorResponse),
        CommonErrors),
    security(("bearer" = [])))]
async fn delete_service(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<DeleteServiceParams>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_service(id, p.cascade.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/endpoints", tag = "endpoints", params(ByServiceParams),
    responses((status = 200, body = EndpointList), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn list_endpoints(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ByServiceParams>,
) -> ApiResult<EndpointList> {
    Ok(Json(s.app.list_endpoints(p).await?))
}

#[utoipa::path(post, path = "/api/v1/endpoints", tag = "endpoints", request_body = EndpointCreate,
    responses((status = 201, body = EndpointView), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_endpoint(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EndpointCreate>,
) -> Result<(StatusCode, Json<EndpointView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_endpoint(body).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/endpoints/try", tag = "endpoints", request_body = EndpointPatch,
    responses((status = 200, description = "The check ran once now; nothing is stored", body = TriedView),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn try_check(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EndpointPatch>,
) -> ApiResult<TriedView> {
    Ok(Json(s.app.try_check(body).await?))
}

#[utoipa::path(get, path = "/api/v1/endpoints/{id}", tag = "endpoints", params(("id" = Uuid, Path)),
    responses((status = 200, body = EndpointView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_endpoint(
    State(s): State<AppState>,
    scope: Option<Extension<Scope>>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<EndpointView> {
    let mut view = s.app.get_endpoint(id).await?;
    if !may_write(scope.as_ref()) {
        mask_values(&mut view.headers);
    }
    Ok(Json(view))
}

#[utoipa::path(patch, path = "/api/v1/endpoints/{id}", tag = "endpoints", params(("id" = Uuid, Path)),
    request_body = EndpointPatch,
    responses((status = 200, body = EndpointView), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn update_endpoint(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EndpointPatch>,
) -> ApiResult<EndpointView> {
    Ok(Json(s.app.update_endpoint(id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/endpoints/{id}", tag = "endpoints", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn delete_endpoint(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_endpoint(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/endpoints/{id}/pause", tag = "endpoints", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Paused: not checked; an open incident is resolved (resolved_by paused)",
        body = EndpointView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn pause_endpoint(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<EndpointView> {
    Ok(Json(s.app.set_endpoint_paused(id, true).await?))
}

#[utoipa::path(post, path = "/api/v1/endpoints/{id}/resume", tag = "endpoints", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Checked again from its next slot", body = EndpointView),
        (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn resume_endpoint(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<EndpointView> {
    Ok(Json(s.app.set_endpoint_paused(id, false).await?))
}

#[utoipa::path(get, path = "/api/v1/endpoints/{id}/pings", tag = "pings", params(("id" = Uuid, Path), PingParams),
    responses((status = 200, description = "Newest first", body = PingList), (status = 404, body = ErrorResponse),
        CommonErrors),
    security(("bearer" = [])))]
async fn list_pings(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<PingParams>,
) -> ApiResult<PingList> {
    Ok(Json(s.app.list_pings(id, p).await?))
}

#[utoipa::path(get, path = "/api/v1/endpoints/{id}/stats", tag = "stats", params(("id" = Uuid, Path), StatsParams),
    responses((status = 200, description = "Buckets with checks, oldest first, and the summary", body = StatsView),
        (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn endpoint_stats(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<StatsParams>,
) -> ApiResult<StatsView> {
    Ok(Json(s.app.endpoint_stats(id, p).await?))
}

#[utoipa::path(get, path = "/api/v1/endpoints/{id}/uptime", tag = "stats", params(("id" = Uuid, Path)),
    responses((status = 200, body = UptimeView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn endpoint_uptime(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<UptimeView> {
    Ok(Json(s.app.endpoint_uptime(id).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentParams),
    responses((status = 200, description = "Newest first", body = IncidentList), (status = 404, body = ErrorResponse),
        CommonErrors),
    security(("bearer" = [])))]
async fn list_incidents(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<IncidentParams>,
) -> ApiResult<IncidentList> {
    Ok(Json(s.app.list_incidents(p).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = Uuid, Path)),
    responses((status = 200, body = IncidentView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_incident(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<IncidentView> {
    Ok(Json(s.app.get_incident(id).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/resolve", tag = "incidents", params(("id" = Uuid, Path)),
    responses((status = 200, body = IncidentView), (status = 404, body = ErrorResponse),
        (status = 409, description = "Already resolved", body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn resolve_incident(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<IncidentView> {
    Ok(Json(s.app.resolve_incident(id).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/ack", tag = "incidents", params(("id" = Uuid, Path)),
    request_body = AckBody,
    responses((status = 200, description = "Acknowledged (a second acknowledgement keeps the first)",
            body = IncidentView), (status = 404, body = ErrorResponse),
        (status = 409, description = "Already resolved", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn ack_incident(
    State(s): State<AppState>,
    grant: Option<Extension<crate::api::Grant>>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AckBody>,
) -> ApiResult<IncidentView> {
    let by = grant.map_or_else(|| "api".to_owned(), |g| g.0.who);
    Ok(Json(s.app.ack_incident(id, body, &by).await?))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = TokenList), CommonErrors), security(("bearer" = [])))]
async fn list_tokens(State(s): State<AppState>) -> ApiResult<TokenList> {
    Ok(Json(s.app.list_tokens().await?))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenCreate,
    responses((status = 201, body = CreatedTokenView), (status = 413, body = ErrorResponse),
        (status = 415, body = ErrorResponse), (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_token(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TokenCreate>,
) -> Result<(StatusCode, Json<CreatedTokenView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_token(body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Revoked", body = TokenView), (status = 404, body = ErrorResponse),
        (status = 409, description = "Already revoked", body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn revoke_token(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<TokenView> {
    Ok(Json(s.app.revoke_token(id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookListParams {
    pub service_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    pub webhook_id: Option<Uuid>,
    /// pending, delivered, failed or cancelled (reminders not sent).
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(WebhookListParams),
    responses((status = 200, body = WebhookList), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn list_webhooks(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<WebhookListParams>,
) -> ApiResult<WebhookList> {
    Ok(Json(s.app.list_webhooks(p.service_id).await?))
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookCreate,
    responses((status = 201, body = CreatedWebhookView), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_webhook(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<WebhookCreate>,
) -> Result<(StatusCode, Json<CreatedWebhookView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_webhook(body).await?)))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_webhook(
    State(s): State<AppState>,
    scope: Option<Extension<Scope>>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<WebhookView> {
    let mut view = s.app.get_webhook(id).await?;
    if !may_write(scope.as_ref()) {
        mask_values(&mut view.headers);
    }
    Ok(Json(view))
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    request_body = WebhookPatchBody,
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorResponse),
        (status = 409, description = "The webhook carries an endpoint's webhook_url", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn update_webhook(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<WebhookPatchBody>,
) -> ApiResult<WebhookView> {
    Ok(Json(s.app.update_webhook(id, body).await?))
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, description = "A test event was sent once; the delivery with its attempt",
        body = DeliveryDetailView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn test_webhook(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<DeliveryDetailView> {
    Ok(Json(s.app.test_webhook(id).await?))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn delete_webhook(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/deliveries", tag = "webhooks", params(DeliveryListParams),
    responses((status = 200, body = DeliveryList), CommonErrors), security(("bearer" = [])))]
async fn list_deliveries(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<DeliveryListParams>,
) -> ApiResult<DeliveryList> {
    Ok(Json(s.app.list_deliveries(p.webhook_id, p.status).await?))
}

#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = DeliveryDetailView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_delivery(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<DeliveryDetailView> {
    Ok(Json(s.app.get_delivery(id).await?))
}

#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Pending again, due now", body = DeliveryView),
        (status = 404, body = ErrorResponse), (status = 409, description = "Still pending", body = ErrorResponse),
        CommonErrors),
    security(("bearer" = [])))]
async fn retry_delivery(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<DeliveryView> {
    Ok(Json(s.app.retry_delivery(id).await?))
}

#[utoipa::path(get, path = "/api/v1/heartbeats", tag = "heartbeats", params(ByServiceParams),
    responses((status = 200, body = HeartbeatList), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn list_heartbeats(
    State(s): State<AppState>,
    scope: Option<Extension<Scope>>,
    ApiQuery(p): ApiQuery<ByServiceParams>,
) -> ApiResult<HeartbeatList> {
    let mut list = s.app.list_heartbeats(p).await?;
    if !may_write(scope.as_ref()) {
        list.data
            .iter_mut()
            .for_each(HeartbeatView::hide_ping_secret);
    }
    Ok(Json(list))
}

#[utoipa::path(post, path = "/api/v1/heartbeats", tag = "heartbeats", request_body = HeartbeatCreate,
    responses((status = 201, description = "Created; the ping key is shown only now", body = CreatedHeartbeatView),
        (status = 404, body = ErrorResponse), (status = 409, description = "Slug taken", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_heartbeat(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<HeartbeatCreate>,
) -> Result<(StatusCode, Json<CreatedHeartbeatView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_heartbeat(body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/heartbeats/{id}", tag = "heartbeats", params(("id" = Uuid, Path)),
    responses((status = 200, body = HeartbeatView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_heartbeat(
    State(s): State<AppState>,
    scope: Option<Extension<Scope>>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<HeartbeatView> {
    let mut view = s.app.get_heartbeat(id).await?;
    if !may_write(scope.as_ref()) {
        view.hide_ping_secret();
    }
    Ok(Json(view))
}

#[utoipa::path(patch, path = "/api/v1/heartbeats/{id}", tag = "heartbeats", params(("id" = Uuid, Path)),
    request_body = HeartbeatPatch,
    responses((status = 200, body = HeartbeatView), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn update_heartbeat(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<HeartbeatPatch>,
) -> ApiResult<HeartbeatView> {
    Ok(Json(s.app.update_heartbeat(id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/heartbeats/{id}", tag = "heartbeats", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted with its pings and incidents"),
        (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn delete_heartbeat(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_heartbeat(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/heartbeats/{id}/pause", tag = "heartbeats", params(("id" = Uuid, Path)),
    responses((status = 200, body = HeartbeatView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn pause_heartbeat(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<HeartbeatView> {
    Ok(Json(s.app.set_heartbeat_paused(id, true).await?))
}

#[utoipa::path(post, path = "/api/v1/heartbeats/{id}/resume", tag = "heartbeats", params(("id" = Uuid, Path)),
    responses((status = 200, body = HeartbeatView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn resume_heartbeat(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<HeartbeatView> {
    Ok(Json(s.app.set_heartbeat_paused(id, false).await?))
}

#[utoipa::path(post, path = "/api/v1/heartbeats/{id}/rotate-key", tag = "heartbeats",
    params(("id" = Uuid, Path), RotateKeyParams),
    responses((status = 200, description = "A new key and ping URL; the old ones work for grace_seconds more",
        body = CreatedHeartbeatView),
        (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn rotate_heartbeat_key(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<RotateKeyParams>,
) -> ApiResult<CreatedHeartbeatView> {
    Ok(Json(s.app.rotate_heartbeat_key(id, p).await?))
}

#[utoipa::path(get, path = "/api/v1/heartbeats/{id}/pings", tag = "heartbeats",
    params(("id" = Uuid, Path), LimitParams),
    responses((status = 200, body = HeartbeatPingList), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn list_heartbeat_pings(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<LimitParams>,
) -> ApiResult<HeartbeatPingList> {
    Ok(Json(s.app.list_heartbeat_pings(id, p.limit).await?))
}
