//! `/api/v1/channels`: notification channels of every kind and their subscriptions. Thin wrappers around
//! `ChannelOps`.

use super::{ApiJson, ApiPath, CommonErrors};
use crate::AppState;
use crate::api::ChannelOps;
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
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(get_channel, update_channel, delete_channel))
        .routes(routes!(test_channel))
        .routes(routes!(subscribe_channel))
        .routes(routes!(unsubscribe_channel))
        .routes(routes!(mute_channel))
        .routes(routes!(unmute_channel))
}

#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, body = ChannelList), CommonErrors),
    security(("bearer" = [])))]
async fn list_channels(State(s): State<AppState>) -> ApiResult<ChannelList> {
    Ok(Json(s.app.list_channels().await?))
}

#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = ChannelCreate,
    responses((status = 201, body = CreatedChannelView), (status = 404, body = ErrorResponse),
        (status = 409, description = "The name is taken", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_channel(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<ChannelCreate>,
) -> Result<(StatusCode, Json<CreatedChannelView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_channel(body).await?)))
}

#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_channel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ChannelView> {
    Ok(Json(s.app.get_channel(id).await?))
}

#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = Uuid, Path)),
    request_body = ChannelPatchBody,
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorResponse),
        (status = 409, description = "The name is taken, or the channel carries an endpoint's webhook_url",
            body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn update_channel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ChannelPatchBody>,
) -> ApiResult<ChannelView> {
    Ok(Json(s.app.update_channel(id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorResponse),
        (status = 409, description = "The channel carries an endpoint's webhook_url", body = ErrorResponse),
        CommonErrors),
    security(("bearer" = [])))]
async fn delete_channel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_channel(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/channels/{id}/test", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 200, description = "A test event was sent once; the delivery with its attempt",
        body = DeliveryDetailView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn test_channel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<DeliveryDetailView> {
    Ok(Json(s.app.test_channel(id).await?))
}

#[utoipa::path(post, path = "/api/v1/channels/{id}/subscriptions", tag = "channels", params(("id" = Uuid, Path)),
    request_body = SubscribeBody,
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorResponse),
        (status = 409, description = "The channel carries an endpoint's webhook_url", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn subscribe_channel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SubscribeBody>,
) -> ApiResult<ChannelView> {
    Ok(Json(s.app.subscribe_channel(id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/channels/{id}/subscriptions/{target_id}", tag = "channels",
    params(("id" = Uuid, Path), ("target_id" = Uuid, Path, description = "The service's or monitor's id")),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorResponse),
        (status = 409, description = "The channel carries an endpoint's webhook_url", body = ErrorResponse),
        CommonErrors),
    security(("bearer" = [])))]
async fn unsubscribe_channel(
    State(s): State<AppState>,
    ApiPath((id, target_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<ChannelView> {
    Ok(Json(s.app.unsubscribe_channel(id, target_id).await?))
}

#[utoipa::path(post, path = "/api/v1/channels/{id}/mutes", tag = "channels", params(("id" = Uuid, Path)),
    request_body = MuteBody,
    responses((status = 200, description = "The channel hears nothing of the monitor", body = ChannelView),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "The channel carries an endpoint's webhook_url", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn mute_channel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<MuteBody>,
) -> ApiResult<ChannelView> {
    Ok(Json(s.app.mute_channel(id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/channels/{id}/mutes/{monitor_id}", tag = "channels",
    params(("id" = Uuid, Path), ("monitor_id" = Uuid, Path)),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorResponse),
        (status = 409, description = "The channel carries an endpoint's webhook_url", body = ErrorResponse),
        CommonErrors),
    security(("bearer" = [])))]
async fn unmute_channel(
    State(s): State<AppState>,
    ApiPath((id, monitor_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<ChannelView> {
    Ok(Json(s.app.unmute_channel(id, monitor_id).await?))
}
