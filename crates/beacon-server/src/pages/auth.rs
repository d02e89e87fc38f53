//! First-run setup, sign-in and sign-out.

use super::*;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf: String,
    name: String,
    email: String,
    field: String,
    error: String,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    csrf: String,
    email: String,
    error: String,
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The pre-session CSRF token: the cookie's, or a new one (set on the response).
fn pre_session_csrf(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, CSRF_COOKIE) {
        Some(c) if c.len() == 32 => (c.to_owned(), false),
        _ => {
            let bytes: [u8; 16] = rand::random();
            (bytes.iter().map(|b| format!("{b:02x}")).collect(), true)
        }
    }
}

fn with_csrf_cookie(state: &AppState, mut resp: Response, csrf: &str, new: bool) -> Response {
    if new {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(state, CSRF_COOKIE, csrf, None),
        );
    }
    resp
}

/// Signed in now: the session cookie (a new token every time) and on to the overview.
fn signed_in(state: &AppState, token: &str) -> Response {
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, SESSION_COOKIE, token, None),
    );
    resp
}

pub async fn setup_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.app.needs_setup().await {
        Ok(true) => {}
        Ok(false) => return Redirect::to("/sign-in").into_response(),
        Err(e) => return error_page(&e),
    }
    let (csrf, new) = pre_session_csrf(&headers);
    let page = SetupPage {
        csrf: csrf.clone(),
        name: String::new(),
        email: String::new(),
        field: String::new(),
        error: String::new(),
    };
    with_csrf_cookie(&state, render(&page), &csrf, new)
}

pub async fn set_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    let (csrf, _) = pre_session_csrf(&headers);
    if !csrf_ok(cookie(&headers, CSRF_COOKIE).unwrap_or(""), &form.csrf) {
        return forbidden(
            "The form expired or came from elsewhere: reload the page and try again.",
        );
    }
    match state
        .app
        .set_up(&form.name, &form.email, form.password.clone())
        .await
    {
        Ok(new) => signed_in(&state, &new.token),
        Err(e) if e.status == 409 => Redirect::to("/sign-in").into_response(),
        Err(e) if e.is_client_error() => {
            let page = SetupPage {
                csrf,
                name: form.name,
                email: form.email,
                field: e.field.clone().unwrap_or_default(),
                error: e.message,
            };
            let mut resp = render(&page);
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Err(e) => error_page(&e),
    }
}

pub async fn sign_in_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session(&state, &headers).await {
        Ok(Some(_)) => return Redirect::to("/").into_response(),
        Ok(None) => {}
        Err(e) => return error_page(&e),
    }
    if let Ok(true) = state.app.needs_setup().await {
        return Redirect::to("/setup").into_response();
    }
    let (csrf, new) = pre_session_csrf(&headers);
    let page = SignInPage {
        csrf: csrf.clone(),
        email: String::new(),
        error: String::new(),
    };
    with_csrf_cookie(&state, render(&page), &csrf, new)
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let (csrf, _) = pre_session_csrf(&headers);
    if !csrf_ok(cookie(&headers, CSRF_COOKIE).unwrap_or(""), &form.csrf) {
        return forbidden(
            "The form expired or came from elsewhere: reload the page and try again.",
        );
    }
    match state
        .app
        .sign_in(&form.email, form.password, &peer.ip().to_string())
        .await
    {
        Ok(new) => signed_in(&state, &new.token),
        Err(e) if e.is_client_error() => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNAUTHORIZED);
            let page = SignInPage {
                csrf,
                email: form.email,
                error: e.message,
            };
            let mut resp = render(&page);
            *resp.status_mut() = status;
            resp
        }
        Err(e) => error_page(&e),
    }
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let current = match session(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/sign-in").into_response(),
        Err(e) => return error_page(&e),
    };
    if !csrf_ok(&current.csrf, &form.csrf) {
        return forbidden(
            "The form expired or came from elsewhere: reload the page and try again.",
        );
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.app.sign_out(token).await
    {
        return error_page(&e);
    }
    let mut resp = Redirect::to("/sign-in").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", Some(0)),
    );
    resp
}
