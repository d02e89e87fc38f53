//! The dashboard: server-rendered pages (askama templates in `templates/`) on the API's listener. Pages call
//! `App` as the API does. Who is signed in comes from the `beacon_session` cookie (HttpOnly, SameSite=Lax,
//! Secure when the public URL is https); every form carries a CSRF token — the session's, or before sign-in one
//! bound to a `beacon_csrf` cookie — and a POST without the matching token is refused with 403.

mod auth;
mod endpoint;
mod heartbeat;
mod incidents;
mod overview;
mod settings;

use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use beacon_store::SessionInfo;

pub const SESSION_COOKIE: &str = "beacon_session";
pub const CSRF_COOKIE: &str = "beacon_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::overview))
        .route("/fragments/overview", get(overview::overview_live))
        .route("/endpoints/{id}", get(endpoint::endpoint))
        .route(
            "/endpoints/{id}/{action}",
            axum::routing::post(endpoint::act),
        )
        .route("/heartbeats/{id}", get(heartbeat::heartbeat))
        .route(
            "/heartbeats/{id}/{action}",
            axum::routing::post(heartbeat::act),
        )
        .route("/incidents", get(incidents::incidents))
        .route(
            "/incidents/{id}/resolve",
            axum::routing::post(incidents::resolve),
        )
        .route("/settings", get(settings::settings))
        .route(
            "/settings/password",
            axum::routing::post(settings::change_password),
        )
        .route("/setup", get(auth::setup_form).post(auth::set_up))
        .route("/sign-in", get(auth::sign_in_form).post(auth::sign_in))
        .route("/sign-out", axum::routing::post(auth::sign_out))
}

/// A cookie's value from the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure over https; `max_age` None for a session cookie,
/// Some(0) to delete.
fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<u32>) -> HeaderValue {
    let secure = if state.app.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = max_age.map_or(String::new(), |a| format!("; Max-Age={a}"));
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The signed-in session, if the cookie names a valid one.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<SessionInfo>, ApiError> {
    match cookie(headers, SESSION_COOKIE) {
        Some(token) if !token.is_empty() => state.app.session(token).await,
        _ => Ok(None),
    }
}

/// Compare a submitted CSRF token with the expected one without an early exit.
fn csrf_ok(expected: &str, given: &str) -> bool {
    !expected.is_empty() && beacon_core::token::hashes_match(expected.as_bytes(), given.as_bytes())
}

fn forbidden(message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(format!(
            "<!doctype html><title>Forbidden</title><p>{message}</p>"
        )),
    )
        .into_response()
}

/// A page, or a plain error page (the API's JSON errors are for machines).
fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "rendering the page failed",
            )
                .into_response()
        }
    }
}

fn error_page(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Html(format!(
            "<!doctype html><title>Beacon</title><p>{}</p><p><a href=\"/\">Back</a></p>",
            askama::filters::escape(&e.message, askama::filters::Html)
                .map(|s| s.to_string())
                .unwrap_or_default()
        )),
    )
        .into_response()
}

/// A form that carries only its CSRF token (actions such as resolve, pause, sign out).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// The signed-in session behind a state-changing request from an editor or admin, or the answer to give instead:
/// the way in when not signed in, 403 without the session's CSRF token or with a viewer's role.
async fn editor(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<SessionInfo, Response> {
    let me = match session(state, headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(to_entry(state).await),
        Err(e) => return Err(error_page(&e)),
    };
    if !csrf_ok(&me.csrf, csrf) {
        return Err(forbidden(
            "The form expired or came from elsewhere: reload the page and try again.",
        ));
    }
    if me.user.role < beacon_core::user::Role::Editor {
        return Err(forbidden(
            "Viewers can look but not change anything: ask an editor or admin.",
        ));
    }
    Ok(me)
}

/// Where someone who is not signed in goes: the setup page while there is no user, else sign-in.
async fn to_entry(state: &AppState) -> Response {
    match state.app.needs_setup().await {
        Ok(true) => Redirect::to("/setup").into_response(),
        Ok(false) => Redirect::to("/sign-in").into_response(),
        Err(e) => error_page(&e),
    }
}
