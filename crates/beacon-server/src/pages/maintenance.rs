//! Maintenance windows: every window with what it covers, when, and whether it is in force (with an End button
//! for editors); the form to start or plan one for a service or an endpoint.

use super::form::{Field, FormPage, Input, Posted};
use super::*;
use crate::api::MaintenanceOps;
use crate::wire::{MaintenanceCreate, MaintenanceView};
use axum::Form;
use axum::extract::{Path, State};
use uuid::Uuid;

/// One window as its row shows it.
pub struct WindowLine {
    w: MaintenanceView,
    target: String,
    when: String,
    now: String,
    /// Whether End applies (in force or still to come).
    open: bool,
}

#[derive(Template)]
#[template(path = "maintenance.html")]
struct MaintenancePage {
    nav: Nav,
    windows: Vec<WindowLine>,
}

/// Services and endpoints by id, for rows and the form's choices ("Shop", "Shop / checkout").
async fn targets(state: &AppState) -> Result<Vec<(String, Uuid, String)>, crate::error::ApiError> {
    let mut out: Vec<(String, Uuid, String)> = state
        .app
        .all_services()
        .await?
        .into_iter()
        .map(|s| ("service".to_owned(), s.id, s.name))
        .collect();
    let monitors = state.app.monitors().await?;
    out.extend(
        monitors
            .0
            .iter()
            .filter(|m| m.kind != "heartbeat")
            .map(|m| {
                (
                    "monitor".to_owned(),
                    m.id,
                    format!("{} / {}", m.service, m.name),
                )
            }),
    );
    Ok(out)
}

pub async fn list(State(state): State<AppState>, Me(me): Me) -> Response {
    let (windows, targets) = match (state.app.list_maintenance().await, targets(&state).await) {
        (Ok(w), Ok(t)) => (w.data, t),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let name = |id: &Uuid| {
        targets
            .iter()
            .find(|(_, t, _)| t == id)
            .map_or_else(|| id.to_string(), |(_, _, n)| n.clone())
    };
    let windows = windows
        .into_iter()
        .map(|w| {
            let target = match (&w.service_id, &w.monitor_id) {
                (Some(s), _) => format!("{} (service)", name(s)),
                (_, Some(m)) => name(m),
                _ => "-".into(),
            };
            let when = match (&w.start, &w.end, &w.cron) {
                (Some(s), Some(e), _) => format!("{s} to {e}"),
                (_, _, Some(c)) => format!(
                    "{c} ({}), {} each time",
                    w.tz.as_deref().unwrap_or("UTC"),
                    w.duration.as_deref().unwrap_or("-")
                ),
                _ => "-".into(),
            };
            let (now, open) = match (&w.active_until, &w.next_start, &w.ended_at) {
                (Some(until), _, _) => (format!("In force until {until}"), true),
                (None, Some(next), _) => (format!("Next at {next}"), true),
                (None, None, Some(ended)) => (format!("Ended at {ended}"), false),
                (None, None, None) => ("Over".to_owned(), false),
            };
            WindowLine {
                w,
                target,
                when,
                now,
                open,
            }
        })
        .collect();
    render(&MaintenancePage {
        nav: Nav::new(&me, "maintenance"),
        windows,
    })
}

/// The form of `beacon maintenance create`, its fields named as the API's (errors land under them).
fn form(nav: Nav, targets: &[(String, Uuid, String)]) -> FormPage {
    let mut page = FormPage::new(nav, "New maintenance window", "/maintenance/new");
    page.cancel = "/maintenance".into();
    page.intro = "Checks keep running and are stored; incidents and notifications are held back until the window ends. Give a duration (from now), a start and an end, or a cron expression with a duration.".into();
    page.fields = vec![
        Field::new(
            "service_id",
            "For",
            Input::Select(
                targets
                    .iter()
                    .map(|(kind, id, name)| (format!("{kind}:{id}"), name.clone()))
                    .collect(),
            ),
        )
        .required(),
        Field::new("reason", "Reason", Input::Text).help("What is being done, e.g. database upgrade."),
        Field::new("duration", "Duration", Input::Text)
            .value("1h")
            .help("30m, 2h, 1d: from now (or from the start), or each time the cron expression fires."),
        Field::new("start", "Start", Input::Text).help("RFC 3339, e.g. 2026-12-01T22:00:00Z; empty: now."),
        Field::new("end", "End", Input::Text).help("RFC 3339; instead of a duration."),
        Field::new("cron", "Recurring (cron)", Input::Text)
            .help("Five fields, e.g. 0 2 * * SUN; with a duration and a time zone."),
        Field::new("tz", "Time zone", Input::Text).help("IANA name, e.g. Europe/Berlin; default UTC."),
    ];
    page
}

pub async fn new_form(State(state): State<AppState>, Me(me): Me) -> Response {
    match targets(&state).await {
        Ok(t) => render(&form(Nav::new(&me, "maintenance"), &t)),
        Err(e) => error_page(&e),
    }
}

/// The posted form as the API's body.
fn body(p: &Posted) -> Result<MaintenanceCreate, crate::error::ApiError> {
    let chosen = p.text("service_id").unwrap_or_default();
    let (kind, id) = chosen.split_once(':').unwrap_or(("", ""));
    let id = Uuid::try_parse(id).map_err(|_| {
        crate::error::ApiError::unprocessable("choose a service or an endpoint")
            .with_field("service_id")
    })?;
    let (service_id, monitor_id) = if kind == "monitor" {
        (None, Some(id))
    } else {
        (Some(id), None)
    };
    // A duration and an end are alternatives: with an end, the default duration does not count.
    let end = p.text("end");
    Ok(MaintenanceCreate {
        service_id,
        monitor_id,
        reason: p.text("reason"),
        start: p.text("start"),
        duration: if end.is_some() {
            None
        } else {
            p.text("duration")
        },
        end,
        cron: p.text("cron"),
        tz: p.text("tz"),
    })
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match editor(&state, &headers, posted.csrf()).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let done = match body(&posted) {
        Ok(b) => state.app.create_maintenance(b).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to("/maintenance").into_response(),
        Err(e) => {
            let t = targets(&state).await.unwrap_or_default();
            form(Nav::new(&me, "maintenance"), &t)
                .fill(&posted)
                .failed(&e)
        }
    }
}

/// End a window now, for editors and admins.
pub async fn end(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(answer) = editor(&state, &headers, &form.csrf).await {
        return answer;
    }
    match state.app.end_maintenance(id).await {
        Ok(_) => Redirect::to("/maintenance").into_response(),
        Err(e) => error_page(&e),
    }
}
