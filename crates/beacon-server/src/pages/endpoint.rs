//! An endpoint's page: status, uptime, recent checks with their phase timings, its incidents; pause, resume and
//! delete for editors and admins.

use super::*;
use crate::api::{EndpointOps, IncidentOps, IncidentParams, PingParams};
use crate::wire::{EndpointView, PingView, mask_values};
use axum::Form;
use axum::extract::{Path, State};
use beacon_core::user::Role;
use uuid::Uuid;

pub struct PingLine {
    at: String,
    ok: bool,
    result: String,
    dns: String,
    connect: String,
    tls: String,
    first_byte: String,
    total: String,
}

#[derive(Template)]
#[template(path = "endpoint.html")]
struct EndpointPage {
    current: &'static str,
    csrf: String,
    user_name: String,
    role: &'static str,
    can_edit: bool,
    e: EndpointView,
    uptime: Vec<(&'static str, String)>,
    pings: Vec<PingLine>,
    /// (started, status, cause)
    incidents: Vec<(String, String, String)>,
}

fn ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1} ms"))
}

fn when(t: &str) -> String {
    t.replace('T', " ").chars().take(19).collect()
}

fn percent(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2} %"))
}

fn line(p: &PingView) -> PingLine {
    let result = match (&p.status_code, &p.error_kind) {
        (Some(code), None) => code.to_string(),
        (Some(code), Some(kind)) => format!("{code} ({kind})"),
        (None, Some(kind)) => kind.clone(),
        (None, None) => "ok".into(),
    };
    PingLine {
        at: when(&p.started_at),
        ok: p.success,
        result,
        dns: ms(p.timings.dns_ms),
        connect: ms(p.timings.connect_ms),
        tls: ms(p.timings.tls_ms),
        first_byte: ms(p.timings.first_byte_ms),
        total: ms(Some(p.timings.total_ms)),
    }
}

pub async fn endpoint(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Response {
    let me = match session(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return to_entry(&state).await,
        Err(e) => return error_page(&e),
    };
    let mut e = match state.app.get_endpoint(id).await {
        Ok(e) => e,
        Err(e) => return error_page(&e),
    };
    let can_edit = me.user.role >= Role::Editor;
    if !can_edit {
        mask_values(&mut e.headers);
    }
    let pings = state
        .app
        .list_pings(
            id,
            PingParams {
                limit: Some(20),
                failed: None,
                cursor: None,
            },
        )
        .await;
    let incidents = state
        .app
        .list_incidents(IncidentParams {
            status: None,
            endpoint_id: Some(id),
            heartbeat_id: None,
            limit: Some(10),
            cursor: None,
        })
        .await;
    let (pings, incidents) = match (pings, incidents) {
        (Ok(p), Ok(i)) => (p.data, i.data),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let uptime = match &e.stats {
        Some(s) => vec![
            ("uptime 24 h", percent(s.uptime_24h)),
            ("uptime 7 d", percent(s.uptime_7d)),
            ("uptime 30 d", percent(s.uptime_30d)),
            ("p95 24 h", ms(s.p95_24h_ms)),
        ],
        None => Vec::new(),
    };
    let page = EndpointPage {
        current: "overview",
        can_edit,
        csrf: me.csrf,
        user_name: me.user.name,
        role: me.user.role.as_str(),
        uptime,
        pings: pings.iter().map(line).collect(),
        incidents: incidents
            .into_iter()
            .map(|i| (when(&i.started_at), i.status, i.cause))
            .collect(),
        e,
    };
    render(&page)
}

/// Pause, resume or delete, for editors and admins with the session's CSRF token.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(Uuid, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(answer) = editor(&state, &headers, &form.csrf).await {
        return answer;
    }
    let done = match action.as_str() {
        "pause" => state.app.set_endpoint_paused(id, true).await.map(|_| false),
        "resume" => state
            .app
            .set_endpoint_paused(id, false)
            .await
            .map(|_| false),
        "delete" => state.app.delete_endpoint(id).await.map(|()| true),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match done {
        Ok(true) => Redirect::to("/").into_response(),
        Ok(false) => Redirect::to(&format!("/endpoints/{id}")).into_response(),
        Err(e) => error_page(&e),
    }
}
