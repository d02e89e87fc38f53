//! A heartbeat's page: status, schedule in words with the next due times, its ping URL with a copy button and
//! ready-to-paste curl and crontab lines, recent pings with run durations and bodies; pause and resume for
//! editors and admins.

use super::form::{Field, FormPage, Input, Posted};
use super::*;
use crate::api::{HeartbeatOps, ServiceOps, StatusPageOps};
use crate::wire::{HeartbeatCreate, HeartbeatPatch, HeartbeatView};
use axum::Form;
use axum::extract::{Path, State};
use beacon_core::heartbeat::{CronSchedule, Schedule};
use beacon_core::user::Role;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "heartbeat.html")]
struct HeartbeatPage {
    nav: Nav,
    h: HeartbeatView,
    schedule: String,
    /// The crontab schedule for the snippet: the heartbeat's own cron expression, or a daily example.
    cron_line: String,
    next_expected: String,
    next_runs: Vec<String>,
    /// (when, kind, run duration, body)
    pings: Vec<(String, String, String, String)>,
    badge: Option<crate::wire::BadgeView>,
    monitor_path: String,
}

fn schedule(h: &HeartbeatView) -> Option<Schedule> {
    match (h.period_seconds, &h.cron) {
        (Some(seconds), _) => Some(Schedule::Period { seconds }),
        (None, Some(expr)) => CronSchedule::parse(expr, h.tz.as_deref().unwrap_or("UTC"))
            .ok()
            .map(|c| Schedule::Cron(Box::new(c))),
        _ => None,
    }
}

pub async fn heartbeat(
    State(state): State<AppState>,
    Me(me): Me,
    Path(id): Path<Uuid>,
) -> Response {
    let (mut h, pings) = match (
        state.app.get_heartbeat(id).await,
        state.app.list_heartbeat_pings(id, Some(20)).await,
    ) {
        (Ok(h), Ok(p)) => (h, p.data),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let badge = match state.app.get_badge(id).await {
        Ok(b) => b,
        Err(e) => return error_page(&e),
    };
    if me.user.role < Role::Editor {
        // The ping URL is a credential: viewers get the form that needs the key.
        h.hide_ping_secret();
    }
    let sched = schedule(&h);
    let now = state.app.clock.now();
    let page = HeartbeatPage {
        nav: Nav::new(&me, "overview"),
        schedule: sched.as_ref().map_or_else(String::new, Schedule::describe),
        cron_line: h.cron.clone().unwrap_or_else(|| "0 3 * * *".into()),
        next_runs: sched
            .map(|s| s.next_times(now, 3))
            .unwrap_or_default()
            .into_iter()
            .map(|t| when(&crate::wire::rfc3339(t)))
            .collect(),
        next_expected: h
            .next_expected_at
            .as_deref()
            .map(when)
            .map_or_else(String::new, |t| format!("at {t} UTC")),
        pings: pings
            .into_iter()
            .map(|p| {
                let kind = match p.exit_status {
                    Some(code) => format!("{} (exit {code})", p.kind),
                    None => p.kind,
                };
                (
                    when(&p.received_at),
                    kind,
                    p.duration_ms
                        .map_or("–".into(), |d| format!("{:.1} s", d as f64 / 1000.0)),
                    p.body.unwrap_or_default(),
                )
            })
            .collect(),
        badge,
        monitor_path: format!("/heartbeats/{id}"),
        h,
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
        "pause" => state
            .app
            .set_heartbeat_paused(id, true)
            .await
            .map(|_| false),
        "resume" => state
            .app
            .set_heartbeat_paused(id, false)
            .await
            .map(|_| false),
        "delete" => state.app.delete_heartbeat(id).await.map(|()| true),
        "badge" => state.app.create_badge(id).await.map(|_| false),
        "revoke-badge" => state.app.revoke_badge(id).await.map(|()| false),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match done {
        Ok(true) => Redirect::to("/").into_response(),
        Ok(false) => Redirect::to(&format!("/heartbeats/{id}")).into_response(),
        Err(e) => error_page(&e),
    }
}

/// The heartbeat form: the fields of `beacon heartbeats create`, named as its flags are. The schedule is a period
/// or a cron expression with its time zone; the next three due times are previewed while typing.
fn form(nav: Nav, title: String, action: String, cancel: String, with_slug: bool) -> FormPage {
    let mut page = FormPage::new(nav, title, action);
    page.cancel = cancel;
    page.intro = "Give a period, or a cron expression with its time zone.".into();
    page.fields = vec![Field::new("name", "Name", Input::Text).required()];
    if with_slug {
        page.fields.push(
            Field::new("slug", "Slug", Input::Text)
                .help("Short name in ping URLs; empty: derived from the name."),
        );
    }
    page.fields.extend([
        Field::new("period", "Period (seconds)", Input::Number)
            .help("Expect a ping at least this often."),
        Field::new("cron", "Cron expression", Input::Text)
            .help("Five fields, e.g. 0 3 * * * for every day at 03:00."),
        Field::new("tz", "Time zone of the cron expression", Input::Text)
            .help("An IANA name such as Europe/Berlin; empty: UTC."),
        Field::new("grace", "Grace (seconds)", Input::Number)
            .value("60")
            .help("Extra time before a late heartbeat is down."),
    ]);
    page.preview = Some(String::new());
    page
}

/// The form's schedule preview as text: the schedule in words and its next three due times, or what is wrong.
fn preview(state: &AppState, period: Option<&str>, cron: Option<&str>, tz: Option<&str>) -> String {
    let period = period.map(str::trim).filter(|s| !s.is_empty());
    let cron = cron.map(str::trim).filter(|s| !s.is_empty());
    let schedule = match (period, cron) {
        (Some(p), None) => match p.parse::<u32>() {
            Ok(seconds) if seconds > 0 => Schedule::Period { seconds },
            _ => return format!("Period: {p:?} is not a whole number of seconds."),
        },
        (None, Some(expr)) => {
            let tz = tz.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("UTC");
            match CronSchedule::parse(expr, tz) {
                Ok(c) => Schedule::Cron(Box::new(c)),
                Err(e) => return e.to_string(),
            }
        }
        (Some(_), Some(_)) => return "Give either a period or a cron expression, not both.".into(),
        (None, None) => return String::new(),
    };
    let next: Vec<String> = schedule
        .next_times(state.app.clock.now(), 3)
        .into_iter()
        .map(|t| when(&crate::wire::rfc3339(t)))
        .collect();
    format!(
        "Expected {}. Next due (UTC): {}.",
        schedule.describe(),
        next.join(", ")
    )
}

#[derive(Debug, serde::Deserialize)]
pub struct PreviewParams {
    period: Option<String>,
    cron: Option<String>,
    tz: Option<String>,
}

/// GET /fragments/schedule: the preview of a schedule as typed, as plain text.
pub async fn schedule_preview(
    State(state): State<AppState>,
    _me: Me,
    axum::extract::Query(p): axum::extract::Query<PreviewParams>,
) -> Response {
    preview(
        &state,
        p.period.as_deref(),
        p.cron.as_deref(),
        p.tz.as_deref(),
    )
    .into_response()
}

fn with_preview(state: &AppState, mut page: FormPage, posted: &Posted) -> FormPage {
    page.preview = Some(preview(
        state,
        posted.get("period"),
        posted.get("cron"),
        posted.get("tz"),
    ));
    page
}

/// A schedule as posted.
struct PostedSchedule {
    period: Option<i64>,
    cron: Option<String>,
    tz: Option<String>,
}

/// The schedule as posted: the time zone goes with a cron expression only.
fn schedule_fields(p: &Posted) -> Result<PostedSchedule, ApiError> {
    let cron = p.text("cron");
    let tz = if cron.is_some() { p.text("tz") } else { None };
    Ok(PostedSchedule {
        period: p.int("period")?,
        cron,
        tz,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    Me(me): Me,
    Path(service): Path<Uuid>,
) -> Response {
    match state.app.get_service(service).await {
        Ok(s) => render(&form(
            Nav::new(&me, "services"),
            format!("New heartbeat in {}", s.name),
            format!("/services/{service}/heartbeats/new"),
            format!("/services/{service}"),
            true,
        )),
        Err(e) => error_page(&e),
    }
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(service): Path<Uuid>,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match editor(&state, &headers, posted.csrf()).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let done = match (schedule_fields(&posted), posted.int("grace")) {
        (Ok(sched), Ok(grace_seconds)) => {
            state
                .app
                .create_heartbeat(HeartbeatCreate {
                    service_id: service,
                    name: posted.text("name").unwrap_or_default(),
                    slug: posted.text("slug"),
                    period_seconds: sched.period,
                    cron: sched.cron,
                    tz: sched.tz,
                    grace_seconds,
                })
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match done {
        Ok(created) => render(&SecretOnce {
            nav: Nav::new(&me, "services"),
            title: format!("Heartbeat {} created", created.heartbeat.name),
            what: "Its key (send it as a Bearer token with pings to the plain ping URL)".into(),
            secret: created.key,
            note: format!(
                "Or ping its own URL, which needs no key: {}",
                created.heartbeat.ping_url
            ),
            next: format!("/heartbeats/{}", created.heartbeat.id),
        }),
        Err(e) => with_preview(
            &state,
            form(
                Nav::new(&me, "services"),
                "New heartbeat".into(),
                format!("/services/{service}/heartbeats/new"),
                format!("/services/{service}"),
                true,
            ),
            &posted,
        )
        .fill(&posted)
        .failed(&e),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    Me(me): Me,
    Path(id): Path<Uuid>,
) -> Response {
    let h = match state.app.get_heartbeat(id).await {
        Ok(h) => h,
        Err(e) => return error_page(&e),
    };
    let mut page = form(
        Nav::new(&me, "overview"),
        format!("Edit {}", h.name),
        format!("/heartbeats/{id}/edit"),
        format!("/heartbeats/{id}"),
        false,
    );
    for f in &mut page.fields {
        f.value = match f.name {
            "name" => h.name.clone(),
            "period" => h.period_seconds.map(|p| p.to_string()).unwrap_or_default(),
            "cron" => h.cron.clone().unwrap_or_default(),
            "tz" => h.tz.clone().unwrap_or_default(),
            "grace" => h.grace_seconds.to_string(),
            _ => continue,
        };
    }
    page.preview = Some(preview(
        &state,
        h.period_seconds.map(|p| p.to_string()).as_deref(),
        h.cron.as_deref(),
        h.tz.as_deref(),
    ));
    render(&page)
}

pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(posted): Form<Posted>,
) -> Response {
    let me = match editor(&state, &headers, posted.csrf()).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let done = match (schedule_fields(&posted), posted.int("grace")) {
        (Ok(sched), Ok(grace_seconds)) => {
            state
                .app
                .update_heartbeat(
                    id,
                    HeartbeatPatch {
                        name: Some(posted.text("name").unwrap_or_default()),
                        period_seconds: sched.period,
                        cron: sched.cron,
                        tz: sched.tz,
                        grace_seconds,
                    },
                )
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/heartbeats/{id}")).into_response(),
        Err(e) => with_preview(
            &state,
            form(
                Nav::new(&me, "overview"),
                "Edit heartbeat".into(),
                format!("/heartbeats/{id}/edit"),
                format!("/heartbeats/{id}"),
                false,
            ),
            &posted,
        )
        .fill(&posted)
        .failed(&e),
    }
}
