//! An endpoint's page: status, uptime, recent checks with their phase timings, its incidents; pause, resume and
//! delete for editors and admins.

use super::form::{Field, FormPage, Input, Posted, header_lines};
use super::*;
use crate::api::{
    EndpointOps, IncidentOps, IncidentParams, PingParams, ServiceOps, StatsParams, StatusPageOps,
};
use crate::wire::{EndpointPatch, EndpointView, PingView, RegionStatusView, mask_values};
use axum::Form;
use axum::extract::{Path, State};
use beacon_core::user::Role;
use uuid::Uuid;

pub struct PingLine {
    at: String,
    region: String,
    ok: bool,
    result: String,
    dns: String,
    connect: String,
    tls: String,
    first_byte: String,
    total: String,
}

/// The part of an endpoint's page that updates by itself: its status, how each region sees it, recent checks.
#[derive(Template)]
#[template(path = "endpoint_live.html")]
struct EndpointLive {
    live_status: String,
    regions: Option<Vec<RegionStatusView>>,
    alert_regions: u32,
    region_count: usize,
    pings: Vec<PingLine>,
}

impl EndpointLive {
    fn new(e: &EndpointView, pings: &[PingView]) -> Self {
        let mut regions = e.region_status.clone();
        for r in regions.iter_mut().flatten() {
            r.last_checked_at = r.last_checked_at.as_deref().map(when);
        }
        EndpointLive {
            live_status: e.status.clone(),
            regions,
            alert_regions: e.alert_regions,
            region_count: e.regions.len(),
            pings: pings.iter().map(line).collect(),
        }
    }
}

/// GET /fragments/endpoints/<id>: the live part of its page.
pub async fn endpoint_live(
    State(state): State<AppState>,
    _me: Me,
    Path(id): Path<Uuid>,
) -> Response {
    let recent = PingParams {
        limit: Some(RECENT_CHECKS),
        failed: None,
        cursor: None,
    };
    match (
        state.app.get_endpoint(id).await,
        state.app.list_pings(id, recent).await,
    ) {
        (Ok(e), Ok(p)) => render(&EndpointLive::new(&e, &p.data)),
        (Err(e), _) | (_, Err(e)) => e.into_response(),
    }
}

/// Checks listed on an endpoint's page.
const RECENT_CHECKS: u32 = 20;

#[derive(Template)]
#[template(path = "endpoint.html")]
struct EndpointPage {
    live: EndpointLive,
    nav: Nav,
    e: EndpointView,
    uptime: Vec<(&'static str, String)>,
    /// (started, status, cause)
    incidents: Vec<(String, String, String)>,
    /// The last 90 days, a day a cell.
    days: Vec<Cell>,
    uptime_90d: String,
    badge: Option<crate::wire::BadgeView>,
    monitor_path: String,
}

/// Ranges the latency chart offers.
const RANGES: [&str; 4] = ["1h", "24h", "7d", "30d"];

#[derive(Debug, serde::Deserialize)]
pub struct RangeParams {
    range: Option<String>,
}

/// The latency chart's series over a range: bucket starts (Unix seconds) and p50/p95/p99 in ms (null where a
/// bucket had no successful check), as uPlot takes them.
#[derive(Debug, serde::Serialize)]
struct LatencySeries {
    /// The range shown, Unix seconds.
    from: i64,
    to: i64,
    t: Vec<i64>,
    p50: Vec<Option<f64>>,
    p95: Vec<Option<f64>>,
    p99: Vec<Option<f64>>,
}

pub async fn latency(
    State(state): State<AppState>,
    _me: Me,
    Path(id): Path<Uuid>,
    axum::extract::Query(p): axum::extract::Query<RangeParams>,
) -> Response {
    let range = p.range.unwrap_or_else(|| "24h".into());
    if !RANGES.contains(&range.as_str()) {
        return ApiError::bad_request(format!("range: use one of {}", RANGES.join(", ")))
            .with_field("range")
            .into_response();
    }
    let to = state.app.clock.now() / 1000;
    let from = to - beacon_core::rollup::parse_span(&range).unwrap_or(86_400_000) / 1000;
    let stats = state
        .app
        .endpoint_stats(
            id,
            StatsParams {
                since: Some(range),
                ..Default::default()
            },
        )
        .await;
    match stats {
        Ok(s) => {
            let secs =
                |t: &str| chrono::DateTime::parse_from_rfc3339(t).map_or(0, |d| d.timestamp());
            axum::Json(LatencySeries {
                from,
                to,
                t: s.buckets.iter().map(|b| secs(&b.start)).collect(),
                p50: s.buckets.iter().map(|b| b.p50_ms).collect(),
                p95: s.buckets.iter().map(|b| b.p95_ms).collect(),
                p99: s.buckets.iter().map(|b| b.p99_ms).collect(),
            })
            .into_response()
        }
        Err(e) => e.into_response(),
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1} ms"))
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
        region: p.region.clone(),
        ok: p.success,
        result,
        dns: ms(p.timings.dns_ms),
        connect: ms(p.timings.connect_ms),
        tls: ms(p.timings.tls_ms),
        first_byte: ms(p.timings.first_byte_ms),
        total: ms(Some(p.timings.total_ms)),
    }
}

pub async fn endpoint(State(state): State<AppState>, Me(me): Me, Path(id): Path<Uuid>) -> Response {
    let mut e = match state.app.get_endpoint(id).await {
        Ok(e) => e,
        Err(e) => return error_page(&e),
    };
    if me.user.role < Role::Editor {
        mask_values(&mut e.headers);
    }
    let pings = state
        .app
        .list_pings(
            id,
            PingParams {
                limit: Some(RECENT_CHECKS),
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
    let (pings, incidents, daily) = match (pings, incidents, state.app.daily_uptime(id, 90).await) {
        (Ok(p), Ok(i), Ok(d)) => (p.data, i.data, d),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&e),
    };
    let badge = match state.app.get_badge(id).await {
        Ok(b) => b,
        Err(e) => return error_page(&e),
    };
    let today = chrono::Utc::now().date_naive();
    let day_label = |i: usize| {
        (today - chrono::Days::new(89 - i as u64))
            .format("%Y-%m-%d")
            .to_string()
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
        nav: Nav::new(&me, "overview"),
        uptime_90d: percent(e.stats.as_ref().and_then(|s| s.uptime_90d)),
        uptime,
        days: cells(&daily, day_label),
        live: EndpointLive::new(&e, &pings),
        badge,
        monitor_path: format!("/endpoints/{id}"),
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
        "badge" => state.app.create_badge(id).await.map(|_| false),
        "revoke-badge" => state.app.revoke_badge(id).await.map(|()| false),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match done {
        Ok(true) => Redirect::to("/").into_response(),
        Ok(false) => Redirect::to(&format!("/endpoints/{id}")).into_response(),
        Err(e) => error_page(&e),
    }
}

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The endpoint form: every field of `beacon endpoints create`, named as its flags are (and as validation errors
/// name them), with the same defaults.
fn form(nav: Nav, title: String, action: String, cancel: String) -> FormPage {
    let mut page = FormPage::new(nav, title, action);
    page.cancel = cancel;
    page.fields = vec![
        Field::new("name", "Name", Input::Text)
            .required()
            .help("Unique within the service."),
        Field::new("url", "URL", Input::Url)
            .required()
            .help("The URL to check (http or https)."),
        Field::new(
            "method",
            "Method",
            Input::Select(
                METHODS
                    .iter()
                    .map(|m| ((*m).to_owned(), (*m).to_owned()))
                    .collect(),
            ),
        )
        .value("GET"),
        Field::new("interval", "Interval (seconds)", Input::Number)
            .value("60")
            .help("Seconds between checks, 1..86400."),
        Field::new("timeout", "Timeout (seconds)", Input::Number)
            .help("Decimals allowed; empty: the smaller of 10 and the interval."),
        Field::new("expected_status", "Expected status", Input::Text)
            .value("200-299")
            .help("Accepted status codes: 200, 200-299, 200,201."),
        Field::new("header", "Request headers", Input::Textarea)
            .help("One 'Name: value' per line."),
        Field::new("body", "Request body", Input::Textarea),
        Field::new("expect_body_contains", "Body must contain", Input::Text)
            .help("Fail unless the response body contains this text."),
        Field::new("alert_threshold", "Alert threshold", Input::Number)
            .value("3")
            .help("Consecutive failures that open an incident."),
        Field::new("recovery_threshold", "Recovery threshold", Input::Number)
            .value("1")
            .help("Consecutive successes that resolve it."),
        Field::new("follow_redirects", "Follow up to 5 redirects", Input::Check).value("on"),
        Field::new("enabled", "Checked (untick to pause)", Input::Check).value("on"),
        Field::new("webhook_url", "Alert webhook of this endpoint", Input::Url)
            .help("Optional: receives this endpoint's alerts in Pulse's format."),
        Field::new("regions", "Regions", Input::Text)
            .value("default")
            .help(
                "Where to check from, comma-separated (regions made with 'beacon regions create').",
            ),
        Field::new("alert_regions", "Alert regions", Input::Number)
            .value("1")
            .help("How many regions must see it down to open an incident."),
    ];
    page
}

/// The endpoint's fields as posted (every field is sent: an emptied text field clears it).
fn posted_fields(p: &Posted) -> Result<EndpointPatch, ApiError> {
    let text = |name: &str| Some(p.get(name).unwrap_or("").trim().to_owned());
    Ok(EndpointPatch {
        name: text("name"),
        url: text("url"),
        method: p.text("method"),
        interval_seconds: p.int("interval")?,
        timeout_seconds: p.number("timeout")?,
        expected_status: p.text("expected_status"),
        headers: Some(p.headers("header")?),
        body: Some(p.get("body").unwrap_or("").to_owned()),
        alert_threshold: p.int("alert_threshold")?,
        recovery_threshold: p.int("recovery_threshold")?,
        expect_body_contains: Some(p.get("expect_body_contains").unwrap_or("").to_owned()),
        follow_redirects: Some(p.ticked("follow_redirects")),
        enabled: Some(p.ticked("enabled")),
        webhook_url: text("webhook_url"),
        regions: Some(vec![p.get("regions").unwrap_or("").to_owned()]),
        alert_regions: p.int("alert_regions")?,
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
            format!("New endpoint in {}", s.name),
            format!("/services/{service}/endpoints/new"),
            format!("/services/{service}"),
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
    let done = match posted_fields(&posted) {
        Ok(fields) => state.app.create_endpoint_fields(service, fields).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(e) => Redirect::to(&format!("/endpoints/{}", e.id)).into_response(),
        Err(e) => form(
            Nav::new(&me, "services"),
            "New endpoint".into(),
            format!("/services/{service}/endpoints/new"),
            format!("/services/{service}"),
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
    let e = match state.app.get_endpoint(id).await {
        Ok(e) => e,
        Err(e) => return error_page(&e),
    };
    let mut page = form(
        Nav::new(&me, "services"),
        format!("Edit {}", e.name),
        format!("/endpoints/{id}/edit"),
        format!("/endpoints/{id}"),
    );
    let on = |b: bool| if b { "on" } else { "" }.to_owned();
    for f in &mut page.fields {
        f.value = match f.name {
            "name" => e.name.clone(),
            "url" => e.url.clone(),
            "method" => e.method.clone(),
            "interval" => e.interval_seconds.to_string(),
            "timeout" => e.timeout_seconds.to_string(),
            "expected_status" => e.expected_status.clone(),
            "header" => header_lines(&e.headers),
            "body" => e.body.clone().unwrap_or_default(),
            "expect_body_contains" => e.expect_body_contains.clone().unwrap_or_default(),
            "alert_threshold" => e.alert_threshold.to_string(),
            "recovery_threshold" => e.recovery_threshold.to_string(),
            "follow_redirects" => on(e.follow_redirects),
            "enabled" => on(e.enabled),
            "webhook_url" => e.webhook_url.clone().unwrap_or_default(),
            "regions" => e.regions.join(", "),
            "alert_regions" => e.alert_regions.to_string(),
            _ => continue,
        };
    }
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
    let done = match posted_fields(&posted) {
        Ok(fields) => state.app.update_endpoint(id, fields).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/endpoints/{id}")).into_response(),
        Err(e) => form(
            Nav::new(&me, "services"),
            "Edit endpoint".into(),
            format!("/endpoints/{id}/edit"),
            format!("/endpoints/{id}"),
        )
        .fill(&posted)
        .failed(&e),
    }
}
