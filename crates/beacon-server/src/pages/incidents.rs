//! Incidents: open ones with a way to resolve them by hand (editors and admins), and the ones resolved lately.

use super::*;
use crate::api::{IncidentOps, IncidentParams};
use axum::Form;
use axum::extract::{Path, State};
use uuid::Uuid;

pub struct Line {
    id: Uuid,
    kind: &'static str,
    about: String,
    started: String,
    duration: String,
    cause: String,
    resolved_by: String,
    /// "Ada (2026-11-29 18:00 UTC): on it" when acknowledged.
    acked: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    nav: Nav,
    open: Vec<Line>,
    recent: Vec<Line>,
}

/// "3 h 5 min" between two RFC 3339 times (or until now).
fn lasted(from: &str, to: Option<&str>) -> String {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let (Some(a), b) = (parse(from), to.and_then(parse)) else {
        return String::new();
    };
    let end = b.map_or_else(chrono::Utc::now, |b| b.with_timezone(&chrono::Utc));
    let s = (end - a.with_timezone(&chrono::Utc)).num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3_599 => format!("{} min", s / 60),
        3_600..=86_399 => format!("{} h {} min", s / 3_600, s % 3_600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3_600),
    }
}

pub async fn incidents(State(state): State<AppState>, Me(me): Me) -> Response {
    let list = |status: &str, limit: u32| {
        state.app.list_incidents(IncidentParams {
            status: Some(status.to_owned()),
            endpoint_id: None,
            heartbeat_id: None,
            limit: Some(limit),
            cursor: None,
        })
    };
    let (open, recent, names) = match (
        list("open", 1_000).await,
        list("resolved", 50).await,
        state.app.monitor_names().await,
    ) {
        (Ok(o), Ok(r), Ok(n)) => (o.data, r.data, n),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&e),
    };
    let line = |i: crate::wire::IncidentView| {
        let (kind, id) = match (i.endpoint_id, i.heartbeat_id) {
            (Some(e), _) => ("endpoint", e),
            (None, Some(h)) => ("heartbeat", h),
            (None, None) => ("", Uuid::nil()),
        };
        Line {
            id: i.id,
            kind,
            about: names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            duration: lasted(&i.started_at, i.resolved_at.as_deref()),
            started: format!(
                "{} UTC",
                i.started_at
                    .replace('T', " ")
                    .chars()
                    .take(16)
                    .collect::<String>()
            ),
            cause: i.cause,
            resolved_by: i.resolved_by.unwrap_or_default(),
            acked: match (&i.acknowledged_by, &i.acknowledged_at) {
                (Some(by), Some(at)) => format!(
                    "{by} at {} UTC{}",
                    at.replace('T', " ").chars().take(16).collect::<String>(),
                    i.ack_note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ),
                _ => String::new(),
            },
        }
    };
    let page = IncidentsPage {
        nav: Nav::new(&me, "incidents"),
        open: open.into_iter().map(line).collect(),
        recent: recent.into_iter().map(line).collect(),
    };
    render(&page)
}

pub async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(answer) = editor(&state, &headers, &form.csrf).await {
        return answer;
    }
    match state.app.resolve_incident(id).await {
        Ok(_) => Redirect::to("/incidents").into_response(),
        Err(e) => error_page(&e),
    }
}

/// Acknowledge from the incidents page: the signed-in person is recorded.
pub async fn ack(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let me = match editor(&state, &headers, &form.csrf).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let by = format!("{} <{}>", me.user.name, me.user.email);
    match state
        .app
        .ack_incident(id, crate::wire::AckBody::default(), &by)
        .await
    {
        Ok(_) => Redirect::to("/incidents").into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "ack.html")]
struct AckPage {
    /// The incident, as a line a person recognises.
    about: String,
    since: String,
    cause: String,
    /// Empty until done; then what happened.
    done: String,
    token: String,
}

#[derive(serde::Deserialize)]
pub struct AckForm {
    #[serde(default)]
    note: String,
}

async fn ack_page(state: &AppState, token: &str, done: String) -> Response {
    let i = match state.app.ack_link_incident(token).await {
        Ok(i) => i,
        Err(e) => return error_page(&e),
    };
    let names = state.app.monitor_names().await.unwrap_or_default();
    let about = i
        .endpoint_id
        .or(i.heartbeat_id)
        .and_then(|id| names.get(&id).cloned())
        .unwrap_or_else(|| "a monitor".to_owned());
    let done = if done.is_empty() {
        match (&i.status[..], &i.acknowledged_by) {
            ("resolved", _) => "This incident is resolved already.".to_owned(),
            (_, Some(by)) => format!("{by} acknowledged this incident already."),
            _ => String::new(),
        }
    } else {
        done
    };
    render(&AckPage {
        about,
        since: format!(
            "{} UTC",
            i.started_at
                .replace('T', " ")
                .chars()
                .take(16)
                .collect::<String>()
        ),
        cause: i.cause,
        done,
        token: token.to_owned(),
    })
}

/// GET /ack/<token>: what the link acknowledges, and a button to do it (a link alone changes nothing: mail
/// scanners follow links).
pub async fn ack_link(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    ack_page(&state, &token, String::new()).await
}

/// POST /ack/<token>: acknowledge, as "a link in a message"; no session needed.
pub async fn ack_link_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<AckForm>,
) -> Response {
    let i = match state.app.ack_link_incident(&token).await {
        Ok(i) => i,
        Err(e) => return error_page(&e),
    };
    let note = Some(form.note).filter(|n| !n.trim().is_empty());
    match state
        .app
        .ack_incident(i.id, crate::wire::AckBody { note }, "a link in a message")
        .await
    {
        Ok(_) => {
            ack_page(
                &state,
                &token,
                "Acknowledged: reminders for this incident stop.".into(),
            )
            .await
        }
        Err(e) => error_page(&e),
    }
}
