//! What anyone may see without signing in: public status pages (`/status/<slug>`, `.json`) and monitors'
//! badges (`/badge/<key>/status.svg`, `uptime.svg`, `latency.svg`). Both are read through short caches and
//! show only what the page or badge names.

use super::*;
use crate::wire::PublicStatus;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use std::sync::Arc;

/// A monitor as the page draws it: its figures and its 90 daily cells.
type MonitorLine<'a> = (&'a crate::wire::PublicMonitor, Vec<Cell>);

#[derive(Template)]
#[template(path = "status.html")]
struct StatusHtml<'a> {
    p: &'a PublicStatus,
    /// (service name, its monitors with their 90 daily cells)
    services: Vec<(&'a str, Vec<MonitorLine<'a>>)>,
    /// (monitor, since, for how long) of open incidents, then of the last 30 days'.
    open: Vec<(String, String, String)>,
    history: Vec<(String, String, String)>,
    /// (what, ongoing, "from – to" in UTC, reason) of maintenance now or within 7 days.
    maintenance: Vec<(String, bool, String, String)>,
}

/// Each public page's HTML with the reading it was rendered from: rendered once per reading (the reading is
/// cached for a few seconds by `App::public_status`), not once per visitor.
#[derive(Default)]
pub struct RenderedPages(
    std::sync::Mutex<std::collections::HashMap<String, (Arc<PublicStatus>, Bytes)>>,
);

impl RenderedPages {
    fn get(&self, slug: &str, reading: &Arc<PublicStatus>) -> Option<Bytes> {
        let pages = self.0.lock().ok()?;
        let (from, html) = pages.get(slug)?;
        Arc::ptr_eq(from, reading).then(|| html.clone())
    }

    fn keep(&self, slug: &str, reading: Arc<PublicStatus>, html: Bytes) {
        if let Ok(mut pages) = self.0.lock() {
            // Pages are few (one entry per slug); a deleted page's entry is dropped with the next render.
            pages.retain(|_, (from, _)| Arc::strong_count(from) > 1);
            pages.insert(slug.to_owned(), (reading, html));
        }
    }
}

/// `2026-11-30 02:00` of an RFC 3339 time.
fn minute(t: &str) -> String {
    when(t).chars().take(16).collect()
}

fn lasted(seconds: i64) -> String {
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3_599 => format!("{} min", seconds / 60),
        3_600..=86_399 => format!("{} h {} min", seconds / 3_600, seconds % 3_600 / 60),
        _ => format!("{} d {} h", seconds / 86_400, seconds % 86_400 / 3_600),
    }
}

pub fn percent(v: &Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2} %"))
}

/// GET /status/<slug> (HTML) or /status/<slug>.json.
pub async fn status_page(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let (slug, json) = match slug.strip_suffix(".json") {
        Some(s) => (s.to_owned(), true),
        None => (slug, false),
    };
    let p = match state.app.public_status(&slug).await {
        Ok(p) => p,
        Err(e) if json => return e.into_response(),
        Err(e) => return error_page(&e),
    };
    let cache = (header::CACHE_CONTROL, "public, max-age=10");
    if json {
        return ([cache], axum::Json(p.as_ref().clone())).into_response();
    }
    let html = match state.rendered.get(&slug, &p) {
        Some(html) => html,
        None => match render_status(&p) {
            Ok(html) => {
                let html = Bytes::from(html);
                state.rendered.keep(&slug, p.clone(), html.clone());
                html
            }
            Err(e) => {
                tracing::error!(error = %e, "rendering a status page failed");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        },
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=10"),
        ],
        html,
    )
        .into_response()
}

fn render_status(p: &PublicStatus) -> Result<String, askama::Error> {
    let today = chrono::Utc::now().date_naive();
    let label = |i: usize| {
        (today - chrono::Days::new(89 - i as u64))
            .format("%Y-%m-%d")
            .to_string()
    };
    let line = |i: &crate::wire::PublicIncident| {
        (
            i.monitor.clone(),
            format!("{} UTC", when(&i.started_at)),
            lasted(i.duration_seconds),
        )
    };
    StatusHtml {
        services: p
            .services
            .iter()
            .map(|s| {
                let monitors = s
                    .monitors
                    .iter()
                    .map(|m| (m, cells(&m.days, label)))
                    .collect();
                (s.name.as_str(), monitors)
            })
            .collect(),
        open: p.open_incidents.iter().map(line).collect(),
        history: p.history.iter().map(line).collect(),
        maintenance: p
            .maintenance
            .iter()
            .map(|m| {
                (
                    m.about.clone(),
                    m.ongoing,
                    format!("{} – {} UTC", minute(&m.starts_at), minute(&m.ends_at)),
                    m.reason.clone().unwrap_or_default(),
                )
            })
            .collect(),
        p,
    }
    .render()
}

#[derive(Debug, serde::Deserialize)]
pub struct BadgeParams {
    window: Option<String>,
}

/// A shields-style badge: a grey label and a coloured value.
fn badge_svg(label: &str, value: &str, color: &str) -> String {
    // Verdana 11 px averages about 7 px a character; each half gets 10 px of padding.
    let w = |s: &str| 10 + 7 * s.chars().count();
    let (lw, vw) = (w(label), w(value));
    let esc = |s: &str| {
        askama::filters::escape(s, askama::filters::Html)
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    let (label, value) = (esc(label), esc(value));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {value}"><title>{label}: {value}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{vw}" height="20" fill="{color}"/><rect width="{total}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="{lx}" y="14">{label}</text><text x="{vx}" y="14">{value}</text></g></svg>"##,
        total = lw + vw,
        lx = lw / 2,
        vx = lw + vw / 2,
    )
}

fn uptime_color(u: Option<f64>) -> &'static str {
    match u {
        None => "#9f9f9f",
        Some(u) if u >= 99.9 => "#2e7d32",
        Some(u) if u >= 99.0 => "#9a6700",
        Some(_) => "#c62828",
    }
}

/// GET /badge/<key>/<status|uptime|latency>.svg
pub async fn badge(
    State(state): State<AppState>,
    Path((key, file)): Path<(String, String)>,
    Query(q): Query<BadgeParams>,
) -> Response {
    let (days, window) = match q.window.as_deref().unwrap_or("30d") {
        "24h" => (1, "24h"),
        "7d" => (7, "7d"),
        "30d" => (30, "30d"),
        "90d" => (90, "90d"),
        _ => {
            return ApiError::bad_request("window: use 24h, 7d, 30d or 90d")
                .with_field("window")
                .into_response();
        }
    };
    let figures = match state.app.badge_figures(&key, days).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let svg = match file.as_str() {
        "status.svg" => {
            let color = match figures.status {
                "up" => "#2e7d32",
                "down" => "#c62828",
                "degraded" => "#9a6700",
                "maintenance" => "#0969da",
                _ => "#9f9f9f",
            };
            badge_svg(&figures.name, figures.status, color)
        }
        "uptime.svg" => badge_svg(
            &format!("uptime {window}"),
            &figures.uptime.map_or("n/a".into(), |u| format!("{u:.2}%")),
            uptime_color(figures.uptime),
        ),
        "latency.svg" => badge_svg(
            "p95 24h",
            &figures
                .p95_ms
                .map_or("n/a".into(), |v| format!("{v:.0} ms")),
            "#0969da",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        svg,
    )
        .into_response()
}
