//! HTTP routes: the REST API (`v1`), seed 002's `/checks` compatibility surface (`checks`), and what they share:
//! extractors that turn every rejection into the JSON error shape, and bearer-token authentication.

pub mod channels;
pub mod checks;
pub mod escalations;
pub mod heartbeats;
pub mod kubernetes;
pub mod maintenance;
pub mod publishing;
pub mod regions;
pub mod users;
pub mod v1;
pub mod workers;

use crate::AppState;
use crate::error::{ApiError, ErrorResponse};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use beacon_core::token::Scope;
use serde::de::DeserializeOwned;
use utoipa::IntoResponses;

/// `Json<T>` whose rejections are `ApiError`s: 415 without a JSON content type, 413 over the body limit, 400 for
/// malformed JSON, for a body that is not a JSON object (serde would accept `[]` for a struct), and for wrong types
/// or unknown fields.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        use axum::http::StatusCode;
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send a JSON body with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "request body too large",
                    )
                } else {
                    ApiError::bad_request(e.body_text())
                }
            })?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let empty = bytes.iter().all(u8::is_ascii_whitespace);
            let (code, message) = if empty {
                ("malformed_json", "empty body")
            } else {
                ("invalid_body", "expected a JSON object")
            };
            return Err(ApiError::new(StatusCode::BAD_REQUEST, code, message));
        }
        serde_json::from_slice(&bytes).map(Self).map_err(|e| {
            let code = if e.is_data() {
                "invalid_body"
            } else {
                "malformed_json"
            };
            ApiError::new(StatusCode::BAD_REQUEST, code, e.to_string())
        })
    }
}

/// `Path<T>` with a JSON 400 (e.g. an id that is not a UUID).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| {
                ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "invalid_id",
                    e.body_text(),
                )
            })
    }
}

/// `Query<T>` with a JSON 400.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "invalid_query",
                    e.body_text(),
                )
            })
    }
}

/// Error answers every authenticated operation may give.
#[derive(IntoResponses)]
#[allow(dead_code)] // Only describes responses for the OpenAPI document.
pub enum CommonErrors {
    /// Malformed request: bad JSON, wrong types, an id that is not a UUID, a bad query parameter.
    #[response(status = 400)]
    BadRequest(ErrorResponse),
    /// Missing, invalid or revoked token.
    #[response(status = 401)]
    Unauthorized(ErrorResponse),
    /// The token's scope does not allow this.
    #[response(status = 403)]
    Forbidden(ErrorResponse),
    /// The database is unavailable.
    #[response(status = 503)]
    Unavailable(ErrorResponse),
}

/// The scope a request needs: reading needs `read`, changing needs `write`, tokens and users need `admin`, the
/// worker routes `worker` (which reaches nothing else).
fn required_scope(method: &Method, path: &str) -> Scope {
    if path.starts_with("/api/v1/worker/") {
        Scope::Worker
    } else if path.starts_with("/api/v1/tokens") || path.starts_with("/api/v1/users") {
        Scope::Admin
    } else if method == Method::GET || method == Method::HEAD {
        Scope::Read
    } else {
        Scope::Write
    }
}

/// The credential in `Authorization: Bearer <credential>`: an API token, or a heartbeat's ping key. The scheme is
/// case-insensitive (RFC 9110 §11.1), and any run of spaces may follow it.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, credential) = value.split_once(' ')?;
    let credential = credential.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !credential.is_empty()).then_some(credential)
}

/// One `name=value` parameter of a raw query string (the compatibility routes read their few by hand).
pub fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// Whether the caller's token may change what it reads (then it sees header values; others see them masked).
pub fn may_write(scope: Option<&axum::Extension<Scope>>) -> bool {
    scope.is_some_and(|s| s.0.allows(Scope::Write))
}

/// Middleware: authenticate `Authorization: Bearer <token>` and check its scope against the request.
pub async fn authorize(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    // A bearer token wins; without one, a client certificate verified in the TLS handshake identifies a worker.
    let grant = match (
        bearer(req.headers()),
        req.extensions().get::<crate::listener::ClientCertificate>(),
    ) {
        (Some(presented), _) => state.app.authenticate(presented).await?,
        (None, Some(cert)) => state.app.authenticate_certificate(&cert.0).await?,
        (None, None) => {
            return Err(ApiError::unauthorized(
                "missing token: send Authorization: Bearer <token>",
            ));
        }
    };
    let scope = grant.scope;
    let needed = required_scope(req.method(), req.uri().path());
    if !scope.allows(needed) {
        return Err(ApiError::forbidden(format!(
            "this token has scope {}; this request needs {}",
            scope.as_str(),
            needed.as_str()
        )));
    }
    // Handlers that show secrets to writers only read it (`may_write`).
    req.extensions_mut().insert(scope);
    req.extensions_mut().insert(grant);
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};

    fn with(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for v in ["Bearer tok", "bearer tok", "BEARER tok", "bEaReR  tok"] {
            assert_eq!(bearer(&with(v)), Some("tok"), "{v}");
        }
        for v in ["Basic dG9rOg==", "Bearer", "Bearer ", "Bearertok", "tok"] {
            assert_eq!(bearer(&with(v)), None, "{v}");
        }
    }
}
