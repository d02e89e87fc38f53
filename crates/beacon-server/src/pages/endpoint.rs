//! An endpoint's page: status, uptime, recent checks with their phase timings, its incidents; pause, resume and
//! delete for editors and admins.

use super::form::{Field, FormPage, Input, Posted, header_lines};
use super::*;
use crate::api::{
    EndpointOps, IncidentOps, IncidentParams, PingParams, ServiceOps, StatsParams, StatusPageOps,
};
use crate::wire::{EndpointPatch, EndpointView, PingView, RegionStatusView, mask_values};
use axum::Form;
use axum::extract::{Path, Query, State};
use beacon_core::check::{CheckKind, RecordType};
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
    /// What it saw besides status and timings, in one line (empty when nothing).
    seen: String,
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
    /// What the newest check that saw anything saw: the certificate's expiry with the days left, the
    /// protocol, a DNS answer.
    seen: Vec<(&'static str, String)>,
}

impl EndpointLive {
    fn new(e: &EndpointView, pings: &[PingView], now: beacon_core::Millis) -> Self {
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
            seen: pings
                .iter()
                .find_map(|p| p.details.as_ref())
                .map(|d| seen(d, now))
                .unwrap_or_default(),
        }
    }
}

/// A check's details as labelled lines, the certificate's expiry with the days left at `now`.
fn seen(d: &crate::wire::DetailsView, now: beacon_core::Millis) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    if let Some(at) = &d.certificate_expires_at
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(at)
    {
        let days = (t.timestamp_millis() - now).div_euclid(86_400_000);
        let left = match days {
            d if d < 0 => format!("expired {} days ago", -d),
            0 => "expires today".to_owned(),
            1 => "1 day left".to_owned(),
            d => format!("{d} days left"),
        };
        rows.push((
            "Certificate expires",
            format!("{} ({left})", t.format("%Y-%m-%d %H:%M")),
        ));
    }
    if let Some(p) = &d.protocol {
        rows.push(("Protocol", p.clone()));
    }
    if let Some(r) = &d.rcode {
        rows.push(("DNS response", r.clone()));
    }
    if !d.answers.is_empty() {
        rows.push(("Answers", d.answers.join(", ")));
    }
    rows
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
        (Ok(e), Ok(p)) => render(&EndpointLive::new(&e, &p.data, state.app.clock.now())),
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
        seen: p
            .details
            .as_ref()
            .map(crate::wire::DetailsView::summary)
            .unwrap_or_default(),
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
        live: EndpointLive::new(&e, &pings, state.app.clock.now()),
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

/// The endpoint form for one kind of check: the kind's fields and every kind's, named as the API's fields and
/// the CLI's flags are (validation errors name them), with the same defaults. A new endpoint's form links to the
/// other kinds' (`tabs`); an endpoint's kind is fixed.
fn form(
    nav: Nav,
    title: String,
    action: String,
    cancel: String,
    kind: CheckKind,
    tabs_base: Option<&str>,
) -> FormPage {
    let mut page = FormPage::new(nav, title, action);
    page.cancel = cancel;
    if let Some(base) = tabs_base {
        page.tabs = CheckKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str().to_uppercase(),
                    format!("{base}?kind={}", k.as_str()),
                    *k == kind,
                )
            })
            .collect();
    }
    let mut fields = vec![
        Field::new("kind", "Kind", Input::Hidden).value(kind.as_str()),
        Field::new("name", "Name", Input::Text)
            .required()
            .help("Unique within the service."),
    ];
    fields.extend(kind_fields(kind));
    fields.extend([
        Field::new("interval", "Interval (seconds)", Input::Number)
            .value("60")
            .help("Seconds between checks, 1..86400."),
        Field::new("timeout", "Timeout (seconds)", Input::Number)
            .help("Decimals allowed; empty: the smaller of 10 and the interval."),
        Field::new("conditions", "Conditions", Input::Textarea).help(
            "One per line, all must hold: [STATUS] == 200, [BODY].status == UP, [RESPONSE_TIME] < 300, \
             [CERTIFICATE_EXPIRATION] > 72h, [DNS_RCODE] == NOERROR.",
        ),
        Field::new("degraded_above_ms", "Degraded above (ms)", Input::Number)
            .help("A check that passes but takes longer than this is degraded; empty: never."),
        Field::new("alert_threshold", "Alert threshold", Input::Number)
            .value("3")
            .help("Consecutive failures that open an incident."),
        Field::new("recovery_threshold", "Recovery threshold", Input::Number)
            .value("1")
            .help("Consecutive successes that resolve it."),
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
    ]);
    page.fields = fields;
    page
}

/// The fields of one kind of check.
fn kind_fields(kind: CheckKind) -> Vec<Field> {
    match kind {
        CheckKind::Http => vec![
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
            Field::new("expected_status", "Expected status", Input::Text)
                .value("200-299")
                .help("Accepted status codes: 200, 200-299, 200,201 (a condition on [STATUS] replaces it)."),
            Field::new("header", "Request headers", Input::Textarea)
                .help("One 'Name: value' per line."),
            Field::new("body", "Request body", Input::Textarea),
            Field::new("expect_body_contains", "Body must contain", Input::Text)
                .help("Fail unless the response body contains this text."),
            Field::new("follow_redirects", "Follow up to 5 redirects", Input::Check).value("on"),
            Field::new("http2", "Speak HTTP/2 (https only)", Input::Check)
                .help("Negotiated by ALPN; the check fails if the server does not offer it."),
        ],
        CheckKind::Tcp => vec![
            Field::new("target", "Host and port", Input::Text)
                .required()
                .help("host:port, e.g. db.internal:5432 or [::1]:6379."),
            Field::new("tls", "Complete a TLS handshake after connecting", Input::Check),
            Field::new("send", "Send", Input::Text)
                .help("Optional text sent after connecting; \\r, \\n and \\xNN escapes."),
            Field::new("expect", "Expect", Input::Textarea)
                .help("Text the target must send back, one per line (all must appear)."),
        ],
        CheckKind::Dns => vec![
            Field::new("target", "Name", Input::Text)
                .required()
                .help("The name to look up, e.g. example.com."),
            Field::new(
                "record_type",
                "Record type",
                Input::Select(
                    RecordType::ALL
                        .iter()
                        .map(|t| (t.as_str().to_owned(), t.as_str().to_owned()))
                        .collect(),
                ),
            )
            .value("A"),
            Field::new("dns_server", "DNS server", Input::Text)
                .help("host[:port] to ask (port 53 if left out); empty: this machine's resolver."),
            Field::new("expect", "Expected answers", Input::Textarea)
                .help("One per line, all must be among the answers (10.0.0.1, 10 mail.example.com.); empty: any answer."),
        ],
        CheckKind::Tls => vec![
            Field::new("target", "Host and port", Input::Text)
                .required()
                .help("host:port (port 443 if left out)."),
            Field::new("sni", "Server name", Input::Text)
                .help("The name to ask for and match, if not the host."),
            Field::new("cert_fail_days", "Fail below (days)", Input::Number)
                .value("14")
                .help("Fail when the certificate expires within this many days."),
            Field::new("cert_warn_days", "Warn below (days)", Input::Number)
                .value("30")
                .help("Warn when it expires within this many days."),
        ],
    }
}

/// The posted kind (http when none, or one that is not a kind: validation then names it).
fn posted_kind(p: &Posted) -> CheckKind {
    p.get("kind")
        .and_then(|k| CheckKind::parse(k).ok())
        .unwrap_or(CheckKind::Http)
}

/// Lines of a textarea, trimmed, the empty ones left out.
fn lines(p: &Posted, name: &str) -> Vec<String> {
    p.get(name)
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The endpoint's fields as posted (every field of its kind is sent: an emptied text field clears it).
fn posted_fields(p: &Posted) -> Result<EndpointPatch, ApiError> {
    let text = |name: &str| Some(p.get(name).unwrap_or("").trim().to_owned());
    let kind = posted_kind(p);
    let mut patch = EndpointPatch {
        name: text("name"),
        kind: p.text("kind"),
        interval_seconds: p.int("interval")?,
        timeout_seconds: p.number("timeout")?,
        conditions: Some(lines(p, "conditions")),
        degraded_above_ms: Some(p.int("degraded_above_ms")?.unwrap_or(0)),
        alert_threshold: p.int("alert_threshold")?,
        recovery_threshold: p.int("recovery_threshold")?,
        enabled: Some(p.ticked("enabled")),
        webhook_url: text("webhook_url"),
        regions: Some(vec![p.get("regions").unwrap_or("").to_owned()]),
        alert_regions: p.int("alert_regions")?,
        ..EndpointPatch::default()
    };
    match kind {
        CheckKind::Http => {
            patch.url = text("url");
            patch.method = p.text("method");
            patch.expected_status = p.text("expected_status");
            patch.headers = Some(p.headers("header")?);
            patch.body = Some(p.get("body").unwrap_or("").to_owned());
            patch.expect_body_contains =
                Some(p.get("expect_body_contains").unwrap_or("").to_owned());
            patch.follow_redirects = Some(p.ticked("follow_redirects"));
            patch.http2 = Some(p.ticked("http2"));
        }
        CheckKind::Tcp => {
            patch.target = text("target");
            patch.tls = Some(p.ticked("tls"));
            patch.send = Some(p.get("send").unwrap_or("").to_owned());
            patch.expect = Some(lines(p, "expect"));
        }
        CheckKind::Dns => {
            patch.target = text("target");
            patch.record_type = p.text("record_type");
            patch.dns_server = text("dns_server");
            patch.expect = Some(lines(p, "expect"));
        }
        CheckKind::Tls => {
            patch.target = text("target");
            patch.sni = text("sni");
            patch.cert_fail_days = p.int("cert_fail_days")?;
            patch.cert_warn_days = p.int("cert_warn_days")?;
        }
    }
    Ok(patch)
}

/// The kind a new endpoint's form is for: `?kind=` (http when absent or unknown).
#[derive(Debug, Default, serde::Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    Me(me): Me,
    Path(service): Path<Uuid>,
    Query(q): Query<KindQuery>,
) -> Response {
    let kind = q
        .kind
        .as_deref()
        .and_then(|k| CheckKind::parse(k).ok())
        .unwrap_or(CheckKind::Http);
    let base = format!("/services/{service}/endpoints/new");
    match state.app.get_service(service).await {
        Ok(s) => render(&form(
            Nav::new(&me, "services"),
            format!("New {} check in {}", kind.as_str().to_uppercase(), s.name),
            base.clone(),
            format!("/services/{service}"),
            kind,
            Some(&base),
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
    let base = format!("/services/{service}/endpoints/new");
    match done {
        Ok(e) => Redirect::to(&format!("/endpoints/{}", e.id)).into_response(),
        Err(e) => form(
            Nav::new(&me, "services"),
            "New endpoint".into(),
            base.clone(),
            format!("/services/{service}"),
            posted_kind(&posted),
            Some(&base),
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
    let kind = CheckKind::parse(&e.kind).unwrap_or(CheckKind::Http);
    let mut page = form(
        Nav::new(&me, "services"),
        format!("Edit {}", e.name),
        format!("/endpoints/{id}/edit"),
        format!("/endpoints/{id}"),
        kind,
        None,
    );
    let on = |b: bool| if b { "on" } else { "" }.to_owned();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    for f in &mut page.fields {
        f.value = match f.name {
            "kind" => e.kind.clone(),
            "name" => e.name.clone(),
            "url" => e.url.clone(),
            "method" => opt(&e.method),
            "interval" => e.interval_seconds.to_string(),
            "timeout" => e.timeout_seconds.to_string(),
            "expected_status" => opt(&e.expected_status),
            "header" => header_lines(&e.headers),
            "body" => opt(&e.body),
            "expect_body_contains" => opt(&e.expect_body_contains),
            "follow_redirects" => on(e.follow_redirects.unwrap_or(false)),
            "http2" => on(e.http2.unwrap_or(false)),
            "target" => opt(&e.target),
            "tls" => on(e.tls.unwrap_or(false)),
            "send" => opt(&e.send),
            "expect" => e.expect.join("\n"),
            "record_type" => opt(&e.record_type),
            "dns_server" => opt(&e.dns_server),
            "sni" => opt(&e.sni),
            "cert_fail_days" => num(e.cert_fail_days),
            "cert_warn_days" => num(e.cert_warn_days),
            "conditions" => e.conditions.join("\n"),
            "degraded_above_ms" => num(e.degraded_above_ms),
            "alert_threshold" => e.alert_threshold.to_string(),
            "recovery_threshold" => e.recovery_threshold.to_string(),
            "enabled" => on(e.enabled),
            "webhook_url" => opt(&e.webhook_url),
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
            posted_kind(&posted),
            None,
        )
        .fill(&posted)
        .failed(&e),
    }
}
