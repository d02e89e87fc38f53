//! `/api/v1/regions`: where checks run from. Thin wrappers around `RegionOps`.

use super::{ApiJson, CommonErrors};
use crate::AppState;
use crate::api::RegionOps;
use crate::error::{ApiError, ErrorResponse};
use crate::wire::*;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_regions, create_region))
}

#[utoipa::path(get, path = "/api/v1/regions", tag = "regions",
    responses((status = 200, body = RegionList), CommonErrors), security(("bearer" = [])))]
async fn list_regions(State(s): State<AppState>) -> Result<Json<RegionList>, ApiError> {
    Ok(Json(s.app.list_regions().await?))
}

#[utoipa::path(post, path = "/api/v1/regions", tag = "regions", request_body = RegionCreate,
    responses((status = 201, body = RegionView), (status = 409, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
        (status = 422, body = ErrorResponse), CommonErrors),
    security(("bearer" = [])))]
async fn create_region(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<RegionCreate>,
) -> Result<(StatusCode, Json<RegionView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_region(body).await?)))
}
