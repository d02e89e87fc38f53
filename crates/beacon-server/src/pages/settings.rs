//! Settings: one's own password and API tokens (a token never grants more than its maker's role); for admins,
//! the users with their roles, and every token.

use super::form::{Field, FormPage, Input, Posted};
use super::*;
use crate::api::UserOps;
use crate::wire::{PasswordSet, TokenView, UserCreate, UserPatch, UserView};
use axum::Form;
use axum::extract::{Path, State};
use beacon_core::user::Role;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Nav,
    email: String,
    done: String,
    field: String,
    error: String,
    tokens: Vec<TokenView>,
    /// Admins only: everyone.
    users: Vec<UserView>,
    /// Names of token owners by id.
    owners: std::collections::HashMap<Uuid, String>,
}

impl SettingsPage {
    fn owner(&self, t: &TokenView) -> String {
        t.owner_id
            .map(|id| self.owners.get(&id).cloned().unwrap_or_default())
            .unwrap_or_else(|| "(API)".into())
    }
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

async fn page(
    state: &AppState,
    me: &SessionInfo,
    done: &str,
    field: &str,
    error: &str,
) -> Response {
    let tokens = match state.app.visible_tokens(&me.user).await {
        Ok(t) => t,
        Err(e) => return error_page(&e),
    };
    let users = if me.user.role >= Role::Admin {
        match state.app.list_users().await {
            Ok(u) => u.data,
            Err(e) => return error_page(&e),
        }
    } else {
        Vec::new()
    };
    let mut owners: std::collections::HashMap<Uuid, String> =
        users.iter().map(|u| (u.id, u.name.clone())).collect();
    owners.insert(me.user.id, me.user.name.clone());
    render(&SettingsPage {
        nav: Nav::new(me, "settings"),
        email: me.user.email.clone(),
        done: done.to_owned(),
        field: field.to_owned(),
        error: error.to_owned(),
        tokens,
        users,
        owners,
    })
}

pub async fn settings(State(state): State<AppState>, Me(me): Me) -> Response {
    page(&state, &me, "", "", "").await
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let me = match allowed(&state, &headers, &form.csrf, Role::Viewer).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    match state
        .app
        .change_own_password(me.user.id, form.current, form.password)
        .await
    {
        Ok(new) => {
            let mut resp = page(&state, &new.session, "Your password is changed.", "", "").await;
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &new.token, None),
            );
            resp
        }
        Err(e) if e.is_client_error() => {
            let field = e.field.clone().unwrap_or_default();
            let mut resp = page(&state, &me, "", &field, &e.message).await;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Err(e) => error_page(&e),
    }
}

/// Scopes up to the role's, for the token form.
fn scopes(role: Role) -> Vec<(String, String)> {
    [
        ("read", "read: look at everything"),
        ("write", "write: also change monitors and webhooks"),
        ("admin", "admin: also users and tokens"),
    ]
    .into_iter()
    .filter(|(s, _)| {
        s.parse::<beacon_core::token::Scope>()
            .is_ok_and(|s| s <= role.scope())
    })
    .map(|(s, label)| (s.to_owned(), label.to_owned()))
    .collect()
}

fn token_form(me: &SessionInfo) -> FormPage {
    let mut page = FormPage::new(
        Nav::new(me, "settings"),
        "New API token",
        "/settings/tokens/new",
    );
    page.cancel = "/settings".into();
    page.intro =
        "For scripts and the CLI (BEACON_TOKEN). It never grants more than your role does.".into();
    page.fields = vec![
        Field::new("name", "Name", Input::Text)
            .required()
            .help("What uses it, e.g. deploy script."),
        Field::new("scope", "Scope", Input::Select(scopes(me.user.role))).value("read"),
    ];
    page
}

pub async fn new_token_form(Me(me): Me) -> Response {
    render(&token_form(&me))
}

pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match allowed(&state, &headers, posted.csrf(), Role::Viewer).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let name = posted.text("name").unwrap_or_default();
    let scope = posted.text("scope").unwrap_or_default();
    match state.app.create_own_token(&me.user, &name, &scope).await {
        Ok(t) => render(&SecretOnce {
            nav: Nav::new(&me, "settings"),
            title: format!("Token {} created", t.name),
            what: format!("The {} token (send it as Authorization: Bearer …)", t.scope),
            secret: t.token,
            note: "Only its hash is kept: it cannot be shown again.".into(),
            next: "/settings".into(),
        }),
        Err(e) => token_form(&me).fill(&posted).failed(&e),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let me = match allowed(&state, &headers, &form.csrf, Role::Viewer).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    match state.app.revoke_visible_token(&me.user, id).await {
        Ok(_) => Redirect::to("/settings").into_response(),
        Err(e) => error_page(&e),
    }
}

const ROLES: [&str; 3] = ["viewer", "editor", "admin"];

fn user_form(me: &SessionInfo, title: String, action: String, creating: bool) -> FormPage {
    let mut page = FormPage::new(Nav::new(me, "settings"), title, action);
    page.cancel = "/settings".into();
    page.fields = vec![
        Field::new("name", "Name", Input::Text).required(),
        Field::new("email", "Email", Input::Text).required(),
        Field::new(
            "role",
            "Role",
            Input::Select(
                ROLES
                    .iter()
                    .map(|r| ((*r).to_owned(), (*r).to_owned()))
                    .collect(),
            ),
        )
        .value("viewer")
        .help("viewer: reads; editor: also changes monitors and webhooks; admin: also users and tokens."),
        Field::new(
            "password",
            if creating {
                "Password"
            } else {
                "New password"
            },
            Input::Password,
        )
        .help(if creating {
            "At least 10 characters; tell it to them, they can change it."
        } else {
            "Empty: unchanged. Setting one ends their sessions."
        }),
    ];
    if creating {
        page.fields[3].required = true;
    }
    page
}

pub async fn new_user_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match signed_in(&state, &headers).await {
        Ok(me) if me.user.role >= Role::Admin => render(&user_form(
            &me,
            "New user".into(),
            "/settings/users/new".into(),
            true,
        )),
        Ok(_) => forbidden("Only admins may do this."),
        Err(answer) => answer,
    }
}

pub async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match allowed(&state, &headers, posted.csrf(), Role::Admin).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let body = UserCreate {
        name: posted.text("name").unwrap_or_default(),
        email: posted.text("email").unwrap_or_default(),
        role: posted.text("role"),
        password: posted.get("password").unwrap_or("").to_owned(),
    };
    match state.app.create_user(body).await {
        Ok(_) => Redirect::to("/settings").into_response(),
        Err(e) => user_form(&me, "New user".into(), "/settings/users/new".into(), true)
            .fill(&posted)
            .failed(&e),
    }
}

pub async fn edit_user_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Response {
    let me = match signed_in(&state, &headers).await {
        Ok(me) if me.user.role >= Role::Admin => me,
        Ok(_) => return forbidden("Only admins may do this."),
        Err(answer) => return answer,
    };
    match state.app.get_user(id).await {
        Ok(u) => {
            let mut page = user_form(
                &me,
                format!("Edit {}", u.name),
                format!("/settings/users/{id}/edit"),
                false,
            );
            page.fields[0].value = u.name;
            page.fields[1].value = u.email;
            page.fields[2].value = u.role;
            render(&page)
        }
        Err(e) => error_page(&e),
    }
}

pub async fn update_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match allowed(&state, &headers, posted.csrf(), Role::Admin).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let failed = |e: &ApiError| {
        user_form(
            &me,
            "Edit user".into(),
            format!("/settings/users/{id}/edit"),
            false,
        )
        .fill(&posted)
        .failed(e)
    };
    // The password first: it is the likeliest to be refused, and then nothing else is changed either.
    let password = posted.get("password").unwrap_or("");
    if !password.is_empty()
        && let Err(e) = beacon_core::user::validate_password(password)
    {
        return failed(&e.into());
    }
    let patch = UserPatch {
        name: posted.text("name"),
        email: posted.text("email"),
        role: posted.text("role"),
    };
    if let Err(e) = state.app.update_user(id, patch).await {
        return failed(&e);
    }
    if !password.is_empty()
        && let Err(e) = state
            .app
            .set_user_password(
                id,
                PasswordSet {
                    password: password.to_owned(),
                },
            )
            .await
    {
        return failed(&e);
    }
    Redirect::to("/settings").into_response()
}

pub async fn delete_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(answer) = allowed(&state, &headers, &form.csrf, Role::Admin).await {
        return answer;
    }
    match state.app.delete_user(id).await {
        Ok(()) => Redirect::to("/settings").into_response(),
        Err(e) => error_page(&e),
    }
}
