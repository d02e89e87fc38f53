//! Settings: one's own password. (Users, roles and API tokens are managed with the CLI and the API for now.)

use super::*;
use axum::Form;
use axum::extract::State;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    current: &'static str,
    csrf: String,
    user_name: String,
    email: String,
    role: &'static str,
    done: String,
    field: String,
    error: String,
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
}

fn page(me: SessionInfo, done: &str, field: &str, error: &str) -> SettingsPage {
    SettingsPage {
        current: "settings",
        csrf: me.csrf,
        user_name: me.user.name,
        email: me.user.email,
        role: me.user.role.as_str(),
        done: done.to_owned(),
        field: field.to_owned(),
        error: error.to_owned(),
    }
}

pub async fn settings(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session(&state, &headers).await {
        Ok(Some(me)) => render(&page(me, "", "", "")),
        Ok(None) => to_entry(&state).await,
        Err(e) => error_page(&e),
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let me = match session(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return to_entry(&state).await,
        Err(e) => return error_page(&e),
    };
    if !csrf_ok(&me.csrf, &form.csrf) {
        return forbidden(
            "The form expired or came from elsewhere: reload the page and try again.",
        );
    }
    match state
        .app
        .change_own_password(me.user.id, form.current, form.password)
        .await
    {
        Ok(new) => {
            let mut resp = render(&page(new.session, "Your password is changed.", "", ""));
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &new.token, None),
            );
            resp
        }
        Err(e) if e.is_client_error() => {
            let field = e.field.clone().unwrap_or_default();
            let mut resp = render(&page(me, "", &field, &e.message));
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Err(e) => error_page(&e),
    }
}
