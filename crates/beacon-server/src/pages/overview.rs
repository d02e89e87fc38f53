//! The overview: counts by status, then every monitor, filtered, sorted and paged.

use super::*;
use crate::api::{OVERVIEW_PAGE, OverviewQuery, SORTS, STATUS_GROUPS};
use axum::extract::{Query, State};
use serde::Deserialize;

pub struct Row {
    id: uuid::Uuid,
    /// Where its page is: `endpoints` or `heartbeats`.
    path: &'static str,
    name: String,
    service: String,
    kind: &'static str,
    status: String,
    detail: String,
    /// The last 24 hours, an hour a cell (endpoints only).
    hours: Vec<Cell>,
    p95: String,
    last: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    nav: Nav,
    /// (value, selected) of each select's options.
    statuses: Vec<(String, bool)>,
    sorts: Vec<(String, bool)>,
    services: Vec<(String, bool)>,
    q: String,
    live: OverviewLive,
}

/// The part of the overview that updates by itself: counts, the rows of this page, the pager.
#[derive(Template)]
#[template(path = "overview_live.html")]
struct OverviewLive {
    counts: Vec<(&'static str, usize)>,
    rows: Vec<Row>,
    total: usize,
    matching: usize,
    shown_from: usize,
    shown_to: usize,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OverviewParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: usize,
}

/// "3 s ago", "5 min ago", ... from an RFC 3339 time.
fn ago(t: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> String {
    let Some(at) = t.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
        return "never".into();
    };
    let s = (now - at.with_timezone(&chrono::Utc)).num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3_599 => format!("{} min ago", s / 60),
        3_600..=86_399 => format!("{} h ago", s / 3_600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// An error kind as a person reads it.
fn failure_words(kind: &str) -> &str {
    match kind {
        "status" => "unexpected status",
        "timeout" => "timed out",
        "connect" => "connection failed",
        "dns" => "name not resolved",
        "tls" => "TLS failed",
        "body" => "body check failed",
        "other" => "failed",
        other => other,
    }
}

fn options(values: impl IntoIterator<Item = String>, chosen: &str) -> Vec<(String, bool)> {
    values
        .into_iter()
        .map(|v| {
            let selected = v == chosen;
            (v, selected)
        })
        .collect()
}

fn link(p: &OverviewParams, page: usize) -> String {
    let mut url = url_query(&[
        ("q", &p.q),
        ("status", &p.status),
        ("service", &p.service),
        ("sort", &p.sort),
    ]);
    url.push_str(&format!(
        "{}page={page}",
        if url == "/?" { "" } else { "&" }
    ));
    url
}

fn url_query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("/?");
    let mut first = true;
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        if !first {
            out.push('&');
        }
        first = false;
        out.push_str(k);
        out.push('=');
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The overview's data for `p`, as the live part and the service names.
async fn read(
    state: &AppState,
    p: &OverviewParams,
) -> Result<(OverviewLive, Vec<String>), ApiError> {
    let query = OverviewQuery {
        q: p.q.clone(),
        status: p.status.clone(),
        service: p.service.clone(),
        sort: p.sort.clone(),
        page: p.page,
    };
    let o = state.app.overview(&query).await?;
    let endpoints: Vec<uuid::Uuid> = o
        .rows
        .iter()
        .filter(|r| r.kind != "heartbeat")
        .map(|r| r.id)
        .collect();
    let recent = state.app.recent(&endpoints).await?;
    let now = chrono::Utc::now();
    let hour_label = |i: usize| {
        let h = 23 - i;
        if h == 0 {
            "this hour".to_owned()
        } else {
            format!("{h} h ago")
        }
    };
    let from = p.page * OVERVIEW_PAGE;
    let live = OverviewLive {
        counts: o.counts,
        shown_from: from + 1,
        shown_to: from + o.rows.len(),
        rows: o
            .rows
            .into_iter()
            .map(|r| Row {
                hours: match (r.kind, recent.get(&r.id)) {
                    ("heartbeat", _) => Vec::new(),
                    (_, Some(rec)) => cells(&rec.hours, hour_label),
                    (_, None) => cells(&[None; 24], hour_label),
                },
                p95: recent
                    .get(&r.id)
                    .and_then(|rec| rec.p95_ms)
                    .map_or_else(|| "–".into(), |v| format!("{v:.0} ms")),
                id: r.id,
                path: if r.kind == "heartbeat" {
                    "heartbeats"
                } else {
                    "endpoints"
                },
                last: ago(r.last.as_deref(), now),
                name: r.name,
                service: r.service,
                kind: r.kind,
                status: r.status,
                detail: failure_words(&r.detail).to_owned(),
            })
            .collect(),
        total: o.total,
        matching: o.matching,
        prev: (p.page > 0).then(|| link(p, p.page - 1)),
        next: (from + OVERVIEW_PAGE < o.matching).then(|| link(p, p.page + 1)),
    };
    Ok((live, o.services))
}

pub async fn overview(
    State(state): State<AppState>,
    Me(me): Me,
    Query(p): Query<OverviewParams>,
) -> Response {
    let (live, services) = match read(&state, &p).await {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let page = OverviewPage {
        nav: Nav::new(&me, "overview"),
        statuses: options(STATUS_GROUPS.iter().map(|s| (*s).to_owned()), &p.status),
        sorts: options(
            SORTS.iter().map(|s| (*s).to_owned()),
            if p.sort.is_empty() { "status" } else { &p.sort },
        ),
        services: options(services, &p.service),
        q: p.q.clone(),
        live,
    };
    render(&page)
}

/// The live part alone, for the page's polling (401 once the session is gone).
pub async fn overview_live(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<OverviewParams>,
) -> Response {
    match session(&state, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return error_page(&e),
    }
    match read(&state, &p).await {
        Ok((live, _)) => render(&live),
        Err(e) => error_page(&e),
    }
}
