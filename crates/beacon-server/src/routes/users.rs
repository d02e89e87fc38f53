//! `/api/v1/users`: people who sign in to the dashboard (admin scope). Thin wrappers around `UserOps`.

use super::{ApiJson, ApiPath, CommonErrors};
use crate::AppState;
use crate::api::UserOps;
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
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(set_user_password))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = UserList), CommonErrors), security(("bearer" = [])))]
async fn list_users(State(s): State<AppState>) -> ApiResult<UserList> {
    Ok(Json(s.app.list_users().await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserCreate,
    responses((status = 201, body = UserView), (status = 409, description = "The email is taken", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_user(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<UserCreate>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_user(body).await?)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn get_user(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<UserView> {
    Ok(Json(s.app.get_user(id).await?))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 404, body = ErrorResponse),
        (status = 409, description = "The email is taken, or no admin would be left", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn update_user(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UserPatch>,
) -> ApiResult<UserView> {
    Ok(Json(s.app.update_user(id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted, with the user's sessions"),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "No admin would be left", body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn delete_user(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_user(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = Uuid, Path)),
    request_body = PasswordSet,
    responses((status = 204, description = "Set; the user's sessions end"), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn set_user_password(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PasswordSet>,
) -> Result<StatusCode, ApiError> {
    s.app.set_user_password(id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}
