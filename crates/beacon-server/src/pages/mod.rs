//! The dashboard: server-rendered pages (askama templates in `templates/`) on the API's listener. Pages call
//! `App` as the API does. Who is signed in comes from the `beacon_session` cookie (HttpOnly, SameSite=Lax,
//! Secure when the public URL is https); every form carries a CSRF token — the session's, or before sign-in one
//! bound to a `beacon_csrf` cookie — and a POST without the matching token is refused with 403.

mod auth;
mod channels;
mod endpoint;
mod form;
mod heartbeat;
mod incidents;
mod kubernetes;
mod maintenance;
mod overview;
mod public;
mod services;
mod settings;
mod status_pages;
mod webhooks;
mod workers;

use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use beacon_store::SessionInfo;

pub use public::RenderedPages;

pub const SESSION_COOKIE: &str = "beacon_session";
pub const CSRF_COOKIE: &str = "beacon_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::overview))
        .route("/fragments/overview", get(overview::overview_live))
        .route("/assets/{name}", get(asset))
        .route("/status/{slug}", get(public::status_page))
        .route("/status-pages", get(status_pages::list))
        .route("/workers", get(workers::workers))
        .route("/kubernetes", get(kubernetes::kubernetes))
        .route(
            "/status-pages/new",
            get(status_pages::new_form).post(status_pages::create),
        )
        .route(
            "/status-pages/{id}/edit",
            get(status_pages::edit_form).post(status_pages::update),
        )
        .route(
            "/status-pages/{id}/delete",
            axum::routing::post(status_pages::delete),
        )
        .route("/badge/{key}/{file}", get(public::badge))
        .route(
            "/ack/{token}",
            get(incidents::ack_link).post(incidents::ack_link_post),
        )
        .route("/endpoints/{id}", get(endpoint::endpoint))
        .route("/endpoints/{id}/latency", get(endpoint::latency))
        .route("/fragments/endpoints/{id}", get(endpoint::endpoint_live))
        .route(
            "/endpoints/{id}/{action}",
            axum::routing::post(endpoint::act),
        )
        .route("/services", get(services::services))
        .route(
            "/services/new",
            get(services::new_form).post(services::create),
        )
        .route("/services/{id}", get(services::service))
        .route(
            "/services/{id}/edit",
            get(services::edit_form).post(services::update),
        )
        .route(
            "/services/{id}/delete",
            axum::routing::post(services::delete),
        )
        .route(
            "/services/{id}/endpoints/new",
            get(endpoint::new_form).post(endpoint::create),
        )
        .route(
            "/endpoints/{id}/edit",
            get(endpoint::edit_form).post(endpoint::update),
        )
        .route(
            "/services/{id}/heartbeats/new",
            get(heartbeat::new_form).post(heartbeat::create),
        )
        .route(
            "/heartbeats/{id}/edit",
            get(heartbeat::edit_form).post(heartbeat::update),
        )
        .route("/channels", get(channels::channels))
        .route(
            "/channels/new",
            get(channels::new_form).post(channels::create),
        )
        .route("/channels/{id}", get(channels::channel))
        .route(
            "/channels/{id}/edit",
            get(channels::edit).post(channels::update),
        )
        .route(
            "/channels/{id}/{action}",
            axum::routing::post(channels::act),
        )
        .route("/maintenance", get(maintenance::list))
        .route(
            "/maintenance/new",
            get(maintenance::new_form).post(maintenance::create),
        )
        .route(
            "/maintenance/{id}/end",
            axum::routing::post(maintenance::end),
        )
        .route("/webhooks", get(webhooks::webhooks))
        .route("/webhooks/{id}", get(webhooks::webhook))
        .route(
            "/webhooks/{id}/edit",
            get(webhooks::edit_form).post(webhooks::update),
        )
        .route(
            "/webhooks/{id}/{action}",
            axum::routing::post(webhooks::act),
        )
        .route(
            "/services/{id}/webhooks/new",
            get(webhooks::new_form).post(webhooks::create),
        )
        .route("/deliveries/{id}", get(webhooks::delivery))
        .route(
            "/deliveries/{id}/retry",
            axum::routing::post(webhooks::retry),
        )
        .route("/fragments/schedule", get(heartbeat::schedule_preview))
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
        .route("/incidents/{id}/ack", axum::routing::post(incidents::ack))
        .route("/settings", get(settings::settings))
        .route(
            "/settings/password",
            axum::routing::post(settings::change_password),
        )
        .route(
            "/settings/tokens/new",
            get(settings::new_token_form).post(settings::create_token),
        )
        .route(
            "/settings/tokens/{id}/revoke",
            axum::routing::post(settings::revoke_token),
        )
        .route(
            "/settings/users/new",
            get(settings::new_user_form).post(settings::create_user),
        )
        .route(
            "/settings/users/{id}/edit",
            get(settings::edit_user_form).post(settings::update_user),
        )
        .route(
            "/settings/users/{id}/delete",
            axum::routing::post(settings::delete_user),
        )
        .route("/setup", get(auth::setup_form).post(auth::set_up))
        .route("/sign-in", get(auth::sign_in_form).post(auth::sign_in))
        .route("/sign-out", axum::routing::post(auth::sign_out))
}

/// What every signed-in page shows around its content: the navigation (which page is current), who is signed in,
/// the session's CSRF token for its forms, and what the role may do.
pub struct Nav {
    pub current: &'static str,
    pub csrf: String,
    pub user_name: String,
    pub role: &'static str,
    /// Editors and admins see the controls that change things.
    pub can_edit: bool,
    pub is_admin: bool,
}

impl Nav {
    fn new(me: &SessionInfo, current: &'static str) -> Self {
        Self {
            current,
            csrf: me.csrf.clone(),
            user_name: me.user.name.clone(),
            role: me.user.role.as_str(),
            can_edit: me.user.role >= beacon_core::user::Role::Editor,
            is_admin: me.user.role >= beacon_core::user::Role::Admin,
        }
    }
}

/// The signed-in session, or the answer to give instead (the way in, or an error page).
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<SessionInfo, Response> {
    match session(state, headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(to_entry(state).await),
        Err(e) => Err(error_page(&e)),
    }
}

/// One cell of an uptime bar: its colour class and what hovering (or a screen reader) tells.
pub struct Cell {
    pub class: &'static str,
    pub title: String,
}

/// Uptime bar cells, oldest first; `label(i)` names cell `i` (an hour, a day).
fn cells(values: &[Option<f64>], label: impl Fn(usize) -> String) -> Vec<Cell> {
    values
        .iter()
        .enumerate()
        .map(|(i, u)| Cell {
            class: match u {
                None => "none",
                Some(u) if *u >= 99.9 => "good",
                Some(u) if *u >= 99.0 => "fair",
                Some(_) => "bad",
            },
            title: match u {
                None => format!("{}: no checks", label(i)),
                Some(u) => format!("{}: {u:.2} %", label(i)),
            },
        })
        .collect()
}

/// The signed-in session as a handler argument: a request without one is answered with the way in (setup or
/// sign-in) before the handler runs.
pub struct Me(pub SessionInfo);

impl axum::extract::FromRequestParts<AppState> for Me {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        signed_in(state, &parts.headers).await.map(Me)
    }
}

/// "2026-11-29 09:46:40" from an RFC 3339 time.
fn when(t: &str) -> String {
    t.replace('T', " ").chars().take(19).collect()
}

/// Vendored files embedded in the binary (see `assets/*/README.md`), cached by browsers for a day.
async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, kind): (&'static str, &'static str) = match name.as_str() {
        "uplot-1.6.32.js" => (
            include_str!("../../assets/uplot/uPlot.iife.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "uplot-1.6.32.css" => (
            include_str!("../../assets/uplot/uPlot.min.css"),
            "text/css; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
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

/// A secret just made (a heartbeat's key, a webhook's signing secret, an API token), shown this once.
#[derive(Template)]
#[template(path = "secret.html")]
struct SecretOnce {
    nav: Nav,
    title: String,
    /// What the secret is and how it is used.
    what: String,
    secret: String,
    note: String,
    /// Where to go on.
    next: String,
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
    allowed(state, headers, csrf, beacon_core::user::Role::Editor).await
}

/// The signed-in session behind a state-changing request from someone with at least `role`, or the answer to
/// give instead (the way in; 403 without the session's CSRF token or with a lesser role).
async fn allowed(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    role: beacon_core::user::Role,
) -> Result<SessionInfo, Response> {
    let me = signed_in(state, headers).await?;
    if !csrf_ok(&me.csrf, csrf) {
        return Err(forbidden(
            "The form expired or came from elsewhere: reload the page and try again.",
        ));
    }
    if me.user.role < role {
        return Err(forbidden(match role {
            beacon_core::user::Role::Admin => "Only admins may do this.",
            _ => "Viewers can look but not change anything: ask an editor or admin.",
        }));
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
