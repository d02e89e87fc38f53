//! A heartbeat's page: status, schedule in words with the next due times, its ping URL with a copy button and
//! ready-to-paste curl and crontab lines, recent pings with run durations and bodies; pause and resume for
//! editors and admins.

use super::*;
use crate::api::HeartbeatOps;
use crate::wire::HeartbeatView;
use axum::Form;
use axum::extract::{Path, State};
use beacon_core::heartbeat::{CronSchedule, Schedule};
use beacon_core::user::Role;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "heartbeat.html")]
struct HeartbeatPage {
    current: &'static str,
    csrf: String,
    user_name: String,
    role: &'static str,
    can_edit: bool,
    h: HeartbeatView,
    schedule: String,
    /// The crontab schedule for the snippet: the heartbeat's own cron expression, or a daily example.
    cron_line: String,
    next_expected: String,
    next_runs: Vec<String>,
    /// (when, kind, run duration, body)
    pings: Vec<(String, String, String, String)>,
}

fn when(t: &str) -> String {
    t.replace('T', " ").chars().take(19).collect()
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
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Response {
    let me = match session(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return to_entry(&state).await,
        Err(e) => return error_page(&e),
    };
    let (mut h, pings) = match (
        state.app.get_heartbeat(id).await,
        state.app.list_heartbeat_pings(id, Some(20)).await,
    ) {
        (Ok(h), Ok(p)) => (h, p.data),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let can_edit = me.user.role >= Role::Editor;
    if !can_edit {
        // The ping URL is a credential: viewers get the form that needs the key.
        h.hide_ping_secret();
    }
    let sched = schedule(&h);
    let now = state.app.clock.now();
    let page = HeartbeatPage {
        current: "overview",
        can_edit,
        csrf: me.csrf,
        user_name: me.user.name,
        role: me.user.role.as_str(),
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
        h,
    };
    render(&page)
}

/// Pause or resume, for editors and admins with the session's CSRF token.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(Uuid, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(answer) = editor(&state, &headers, &form.csrf).await {
        return answer;
    }
    let paused = match action.as_str() {
        "pause" => true,
        "resume" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match state.app.set_heartbeat_paused(id, paused).await {
        Ok(_) => Redirect::to(&format!("/heartbeats/{id}")).into_response(),
        Err(e) => error_page(&e),
    }
}
