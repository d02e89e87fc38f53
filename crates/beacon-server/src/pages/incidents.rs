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
