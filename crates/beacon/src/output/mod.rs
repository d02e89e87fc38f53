//! Printing results: human tables by default, JSON (`-o json`) for machines. Objects print as one JSON object,
//! lists as an array. Tables show RFC 3339 times, with relative ones where recency matters.

mod channels;
mod kubernetes;

pub use channels::*;
pub use kubernetes::*;

use crate::cli::Output;
use anyhow::Result;
use beacon_server::wire::{
    BadgeView, CreatedHeartbeatView, CreatedTokenView, CreatedWebhookView, DeliveryDetailView,
    DeliveryView, DetailsView, EndpointView, HeartbeatPingView, HeartbeatView, IncidentView,
    PingView, RegionView, ServiceView, StatsBucket, StatsView, StatusPageView, TokenView,
    TriedView, UserView, WebhookView, WorkerView,
};
use chrono::{DateTime, Utc};
use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A table that fits the terminal (long cells wrap; `-o json` has the full values): the terminal's width when
/// printing to one, else `COLUMNS` if set, else unbounded (a pipe gets whole lines).
fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_header(header.iter().copied());
    fit(&mut t);
    t
}

fn fit(t: &mut Table) {
    t.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w >= 20)
    {
        t.set_width(width);
    }
}

fn details(rows: Vec<(&str, String)>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY);
    fit(&mut t);
    for (k, v) in rows {
        t.add_row(vec![k.to_owned(), v]);
    }
    t
}

/// "12s ago", "5m ago", "3h ago", "2d ago" for an RFC 3339 time.
pub fn relative(rfc3339: &str) -> String {
    let Ok(t) = DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let secs = (Utc::now() - t.with_timezone(&Utc)).num_seconds();
    match secs {
        s if s < -86_400 => format!("in {}d", -s / 86_400),
        s if s < -3_600 => format!("in {}h", -s / 3_600),
        s if s < -60 => format!("in {}m", -s / 60),
        s if s < 0 => format!("in {}s", -s),
        s if s < 60 => format!("{s}s ago"),
        s if s < 3_600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3_600),
        s => format!("{}d ago", s / 86_400),
    }
}

/// RFC 3339 to the second, for tables.
fn short(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_owned())
}

fn opt(v: Option<&str>) -> String {
    v.unwrap_or("-").to_owned()
}

pub fn service(out: Output, s: &ServiceView) -> Result<()> {
    match out {
        Output::Json => json(s),
        Output::Table => {
            let mut rows = vec![
                ("id", s.id.to_string()),
                ("name", s.name.clone()),
                ("description", s.description.clone()),
            ];
            if let Some(key) = &s.ping_key {
                rows.push(("ping_key", key.clone()));
            }
            rows.push((
                "flapping",
                if s.flap_changes == 0 {
                    "off".to_owned()
                } else {
                    format!(
                        "after more than {} changes in {}",
                        s.flap_changes, s.flap_window
                    )
                },
            ));
            rows.push(("created_at", short(&s.created_at)));
            rows.push(("updated_at", short(&s.updated_at)));
            println!("{}", details(rows));
            Ok(())
        }
    }
}

pub fn services(out: Output, list: &[ServiceView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&["ID", "NAME", "DESCRIPTION", "CREATED"]);
            for s in list {
                t.add_row(vec![
                    s.id.to_string(),
                    s.name.clone(),
                    s.description.clone(),
                    short(&s.created_at),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn endpoint(out: Output, e: &EndpointView) -> Result<()> {
    match out {
        Output::Json => json(e),
        Output::Table => {
            let headers: Vec<String> = e.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            println!(
                "{}",
                details(
                    vec![
                        ("id", e.id.to_string()),
                        ("service_id", e.service_id.to_string()),
                        ("name", e.name.clone()),
                        ("kind", e.kind.clone()),
                        ("url", e.url.clone()),
                    ]
                    .into_iter()
                    .chain(kind_details(e, &headers))
                    .chain([
                        ("interval", format!("{}s", e.interval_seconds)),
                        ("timeout", format!("{}s", e.timeout_seconds)),
                        (
                            "conditions",
                            if e.conditions.is_empty() {
                                "-".into()
                            } else {
                                e.conditions.join("\n")
                            }
                        ),
                        (
                            "degraded_above",
                            e.degraded_above_ms
                                .map_or("-".into(), |ms| format!("{ms} ms"))
                        ),
                        ("alert_threshold", e.alert_threshold.to_string()),
                        ("recovery_threshold", e.recovery_threshold.to_string()),
                        ("enabled", e.enabled.to_string()),
                        ("webhook_url", opt(e.webhook_url.as_deref())),
                        ("regions", e.regions.join(", ")),
                        ("alert_regions", e.alert_regions.to_string()),
                        ("status", e.status.clone()),
                        (
                            "last_result",
                            match &e.last_error {
                                Some(kind) =>
                                    format!("failed ({kind}), {} in a row", e.consecutive_failures),
                                None if e.last_checked_at.is_some() => "success".into(),
                                None => "-".into(),
                            }
                        ),
                        (
                            "last_checked",
                            e.last_checked_at
                                .as_deref()
                                .map_or("never".into(), relative)
                        ),
                        ("created_at", short(&e.created_at)),
                        ("updated_at", short(&e.updated_at)),
                    ])
                    .chain(
                        e.stats
                            .as_ref()
                            .map(|u| {
                                let pct =
                                    |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}%"));
                                [
                                    (
                                        "uptime",
                                        format!(
                                            "24h {} · 7d {} · 30d {} · 90d {}",
                                            pct(u.uptime_24h),
                                            pct(u.uptime_7d),
                                            pct(u.uptime_30d),
                                            pct(u.uptime_90d)
                                        ),
                                    ),
                                    ("p95_24h", ms(u.p95_24h_ms)),
                                ]
                            })
                            .into_iter()
                            .flatten()
                    )
                    .chain(e.region_status.iter().flatten().map(|r| {
                        (
                            "region",
                            format!(
                                "{}: {}{}, last checked {}",
                                r.region,
                                r.status,
                                r.last_error.as_deref().map_or(String::new(), |k| format!(
                                    " (failed: {k}, {} in a row)",
                                    r.consecutive_failures
                                )),
                                r.last_checked_at
                                    .as_deref()
                                    .map_or("never".into(), relative)
                            ),
                        )
                    }))
                    .collect()
                )
            );
            Ok(())
        }
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1} ms"))
}

pub fn cleanup(
    out: Output,
    r: &beacon_runtime::cleanup::CleanupReport,
    took: std::time::Duration,
) -> Result<()> {
    match out {
        Output::Json => json(&serde_json::json!({
            "deleted": r.deleted.iter().map(|(t, n)| (t.to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
            "reclaimed_pages": r.reclaimed_pages,
            "seconds": took.as_secs_f64(),
        })),
        Output::Table => {
            let mut t = table(&["TABLE", "DELETED"]);
            for (table, n) in &r.deleted {
                t.add_row(vec![table.to_string(), n.to_string()]);
            }
            println!("{t}");
            println!(
                "{} pages given back to the file system in {:.1} s",
                r.reclaimed_pages,
                took.as_secs_f64()
            );
            Ok(())
        }
    }
}

pub fn stats(out: Output, s: &StatsView) -> Result<()> {
    match out {
        Output::Json => json(s),
        Output::Table => {
            let mut t = table(&["START", "CHECKS", "UPTIME", "P50", "P95", "P99", "MAX"]);
            let row = |b: &StatsBucket, label: String| {
                vec![
                    label,
                    b.count.to_string(),
                    b.uptime.map_or("-".into(), |u| format!("{u:.2}%")),
                    ms(b.p50_ms),
                    ms(b.p95_ms),
                    ms(b.p99_ms),
                    ms(b.max_ms),
                ]
            };
            for b in &s.buckets {
                t.add_row(row(b, short(&b.start)));
            }
            println!("{t}");
            let sum = &s.summary;
            println!(
                "{} to {}: {} checks, {} failed, uptime {}, p50 {}, p95 {}, p99 {}",
                short(&sum.start),
                short(&sum.end),
                sum.count,
                sum.failures,
                sum.uptime.map_or("-".into(), |u| format!("{u:.3}%")),
                ms(sum.p50_ms),
                ms(sum.p95_ms),
                ms(sum.p99_ms)
            );
            Ok(())
        }
    }
}

/// The rows only an endpoint's kind has.
fn kind_details(e: &EndpointView, headers: &[String]) -> Vec<(&'static str, String)> {
    let o = |v: &Option<String>| opt(v.as_deref());
    let days = |v: Option<u32>| v.map_or("-".into(), |d| format!("{d} days"));
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join("\n")
        }
    };
    match e.kind.as_str() {
        "http" => vec![
            ("method", o(&e.method)),
            ("expected_status", o(&e.expected_status)),
            ("headers", list(headers)),
            ("body", o(&e.body)),
            ("expect_body_contains", o(&e.expect_body_contains)),
            (
                "follow_redirects",
                e.follow_redirects.unwrap_or(false).to_string(),
            ),
            ("http2", e.http2.unwrap_or(false).to_string()),
        ],
        "tcp" => vec![
            ("target", o(&e.target)),
            ("tls", e.tls.unwrap_or(false).to_string()),
            ("send", o(&e.send)),
            ("expect", list(&e.expect)),
        ],
        "dns" => vec![
            ("target", o(&e.target)),
            ("record_type", o(&e.record_type)),
            (
                "dns_server",
                e.dns_server.clone().unwrap_or_else(|| "system".into()),
            ),
            (
                "expect",
                if e.expect.is_empty() {
                    "any".into()
                } else {
                    list(&e.expect)
                },
            ),
        ],
        _ => vec![
            ("target", o(&e.target)),
            ("sni", o(&e.sni)),
            ("cert_fail_days", days(e.cert_fail_days)),
            ("cert_warn_days", days(e.cert_warn_days)),
        ],
    }
}

pub fn endpoints(out: Output, list: &[EndpointView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "ID",
                "NAME",
                "METHOD",
                "URL",
                "INTERVAL",
                "ENABLED",
                "STATUS",
                "LAST CHECK",
            ]);
            for e in list {
                t.add_row(vec![
                    e.id.to_string(),
                    e.name.clone(),
                    e.method.clone().unwrap_or_else(|| e.kind.to_uppercase()),
                    e.url.clone(),
                    format!("{}s", e.interval_seconds),
                    if e.enabled { "yes".into() } else { "no".into() },
                    match &e.last_error {
                        Some(kind) => format!("{} (last: {kind})", e.status),
                        None => e.status.clone(),
                    },
                    e.last_checked_at
                        .as_deref()
                        .map_or("never".into(), relative),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn pings(out: Output, list: &[PingView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "SCHEDULED",
                "STARTED",
                "RESULT",
                "CODE",
                "TOTAL MS",
                "REGION",
                "SEEN",
                "ERROR",
            ]);
            for p in list {
                t.add_row(vec![
                    short(&p.scheduled_at),
                    relative(&p.started_at),
                    if p.success {
                        "ok".into()
                    } else {
                        format!("FAIL ({})", opt(p.error_kind.as_deref()))
                    },
                    p.status_code.map_or("-".into(), |c| c.to_string()),
                    format!("{:.1}", p.timings.total_ms),
                    p.region.clone(),
                    p.details.as_ref().map_or("-".into(), DetailsView::summary),
                    opt(p.error.as_deref()),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

/// A check run now: the result with its phase timings, then each condition's outcome.
pub fn tried(out: Output, t: &TriedView) -> Result<()> {
    match out {
        Output::Json => json(t),
        Output::Table => {
            let result = match (&t.error_kind, &t.error) {
                (Some(kind), Some(e)) => format!("FAIL ({kind}): {e}"),
                _ => "ok".to_owned(),
            };
            let phase = |v: Option<f64>| v.map_or("-".into(), |ms| format!("{ms:.1} ms"));
            let mut seen = Vec::new();
            if let Some(d) = &t.details {
                seen.extend(d.protocol.clone().map(|p| ("protocol", p)));
                seen.extend(
                    d.certificate_expires_at
                        .as_deref()
                        .map(|at| ("certificate_expires_at", short(at))),
                );
                seen.extend(d.rcode.clone().map(|r| ("rcode", r)));
                if !d.answers.is_empty() {
                    seen.push(("answers", d.answers.join("\n")));
                }
            }
            println!(
                "{}",
                details(
                    vec![
                        ("kind", t.kind.clone()),
                        ("target", t.target.clone()),
                        ("result", result),
                        (
                            "status",
                            t.status_code.map_or("-".into(), |c| c.to_string())
                        ),
                        ("dns", phase(t.timings.dns_ms)),
                        ("connect", phase(t.timings.connect_ms)),
                        ("tls", phase(t.timings.tls_ms)),
                        ("first_byte", phase(t.timings.first_byte_ms)),
                        ("total", format!("{:.1} ms", t.timings.total_ms)),
                    ]
                    .into_iter()
                    .chain(seen)
                    .collect()
                )
            );
            for c in &t.conditions {
                println!("{} {}", if c.ok { "pass" } else { "FAIL" }, c.condition);
            }
            Ok(())
        }
    }
}

pub fn incident(out: Output, i: &IncidentView) -> Result<()> {
    match out {
        Output::Json => json(i),
        Output::Table => {
            println!(
                "{}",
                details(vec![
                    ("id", i.id.to_string()),
                    (
                        "endpoint_id",
                        opt(i.endpoint_id.map(|u| u.to_string()).as_deref())
                    ),
                    (
                        "heartbeat_id",
                        opt(i.heartbeat_id.map(|u| u.to_string()).as_deref())
                    ),
                    ("status", i.status.clone()),
                    ("started_at", short(&i.started_at)),
                    (
                        "resolved_at",
                        i.resolved_at.as_deref().map_or("-".into(), short)
                    ),
                    ("resolved_by", opt(i.resolved_by.as_deref())),
                    ("failure_count", i.failure_count.to_string()),
                    ("cause", i.cause.clone()),
                ])
            );
            Ok(())
        }
    }
}

/// A monitor's or service's name for a table, falling back to its id.
fn name_of(names: &HashMap<Uuid, String>, id: Uuid) -> String {
    names.get(&id).cloned().unwrap_or_else(|| id.to_string())
}

pub fn incidents(out: Output, list: &[IncidentView], names: &HashMap<Uuid, String>) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "ID", "ABOUT", "STATUS", "STARTED", "RESOLVED", "FAILURES", "CAUSE",
            ]);
            for i in list {
                let about = match (i.endpoint_id, i.heartbeat_id) {
                    (Some(e), _) => format!("endpoint {}", name_of(names, e)),
                    (None, Some(h)) => format!("heartbeat {}", name_of(names, h)),
                    (None, None) => "-".into(),
                };
                t.add_row(vec![
                    i.id.to_string(),
                    about,
                    i.status.clone(),
                    short(&i.started_at),
                    i.resolved_at.as_deref().map_or("-".into(), |r| {
                        format!("{} ({})", short(r), opt(i.resolved_by.as_deref()))
                    }),
                    i.failure_count.to_string(),
                    i.cause.clone(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

/// Confirmation of a deletion.
pub fn deleted(out: Output, kind: &str, id: uuid::Uuid) -> Result<()> {
    match out {
        Output::Json => json(&serde_json::json!({"deleted": id, "kind": kind})),
        Output::Table => {
            println!("Deleted {kind} {id}");
            Ok(())
        }
    }
}

pub fn tokens(out: Output, list: &[TokenView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&["ID", "NAME", "SCOPE", "CREATED", "REVOKED"]);
            for k in list {
                t.add_row(vec![
                    k.id.to_string(),
                    k.name.clone(),
                    match &k.region {
                        Some(r) => format!("{} ({r})", k.scope),
                        None => k.scope.clone(),
                    },
                    short(&k.created_at),
                    k.revoked_at.as_deref().map_or("-".into(), short),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn token(out: Output, k: &TokenView) -> Result<()> {
    match out {
        Output::Json => json(k),
        Output::Table => tokens(out, std::slice::from_ref(k)),
    }
}

pub fn created_token(out: Output, k: &CreatedTokenView) -> Result<()> {
    match out {
        Output::Json => json(k),
        Output::Table => {
            println!(
                "{}",
                details(vec![
                    ("id", k.id.to_string()),
                    ("name", k.name.clone()),
                    ("scope", k.scope.clone()),
                    ("region", k.region.clone().unwrap_or_else(|| "-".into())),
                    ("token", k.token.clone()),
                ])
            );
            println!("The token is shown only now; store it safely.");
            Ok(())
        }
    }
}

pub fn webhooks(out: Output, list: &[WebhookView], names: &HashMap<Uuid, String>) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "ID",
                "SERVICE",
                "URL",
                "EVENTS",
                "UP",
                "FAILURES",
                "LAST ATTEMPT",
                "CREATED",
            ]);
            for w in list {
                let url = match w.endpoint_id {
                    Some(e) => format!("{} (endpoint {})", w.url, name_of(names, e)),
                    None => w.url.clone(),
                };
                t.add_row(vec![
                    w.id.to_string(),
                    w.service_id
                        .map(|id| name_of(names, id))
                        .unwrap_or_else(|| "-".to_owned()),
                    url,
                    w.events.join(","),
                    if w.consecutive_failures == 0 {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                    w.consecutive_failures.to_string(),
                    w.last_attempt_at.as_deref().map_or("-".into(), short),
                    short(&w.created_at),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn webhooks_one(out: Output, w: &WebhookView) -> Result<()> {
    match out {
        Output::Json => json(w),
        Output::Table => webhooks(out, std::slice::from_ref(w), &HashMap::new()),
    }
}

pub fn created_webhook(out: Output, w: &CreatedWebhookView) -> Result<()> {
    match out {
        Output::Json => json(w),
        Output::Table => {
            webhooks(out, std::slice::from_ref(&w.webhook), &HashMap::new())?;
            println!("Signing secret (shown only now): {}", w.secret);
            Ok(())
        }
    }
}

pub fn deliveries(out: Output, list: &[DeliveryView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "ID",
                "WEBHOOK",
                "EVENT",
                "STATUS",
                "ATTEMPTS",
                "NEXT ATTEMPT",
                "CREATED",
            ]);
            for d in list {
                t.add_row(vec![
                    d.id.to_string(),
                    d.webhook_id.to_string(),
                    d.event.clone(),
                    d.status.clone(),
                    d.attempt_count.to_string(),
                    if d.status == "pending" {
                        short(&d.next_attempt_at)
                    } else {
                        "-".into()
                    },
                    short(&d.created_at),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn delivery_detail(out: Output, d: &DeliveryDetailView) -> Result<()> {
    match out {
        Output::Json => json(d),
        Output::Table => {
            deliveries(out, std::slice::from_ref(&d.delivery))?;
            let mut t = table(&["#", "STARTED", "STATUS", "LATENCY MS", "ERROR", "RESPONSE"]);
            for a in &d.attempts {
                let body: String = a
                    .response_body
                    .as_deref()
                    .unwrap_or("-")
                    .chars()
                    .take(60)
                    .collect();
                let status = match (a.response_status, a.timed_out) {
                    (Some(s), _) => s.to_string(),
                    (None, true) => "timeout".into(),
                    (None, false) => "-".into(),
                };
                t.add_row(vec![
                    a.number.to_string(),
                    short(&a.started_at),
                    status,
                    format!("{:.1}", a.latency_ms),
                    opt(a.error.as_deref()),
                    body,
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn heartbeats(out: Output, list: &[HeartbeatView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "ID",
                "SLUG",
                "NAME",
                "SCHEDULE",
                "GRACE",
                "STATUS",
                "LAST PING",
            ]);
            for h in list {
                t.add_row(vec![
                    h.id.to_string(),
                    h.slug.clone(),
                    h.name.clone(),
                    schedule(h),
                    format!("{}s", h.grace_seconds),
                    h.status.clone(),
                    h.last_ping_at.as_deref().map_or("never".into(), relative),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

fn schedule(h: &HeartbeatView) -> String {
    match (&h.period_seconds, &h.cron) {
        (Some(p), _) => format!("every {p}s"),
        (None, Some(c)) => format!("{c} ({})", h.tz.as_deref().unwrap_or("UTC")),
        (None, None) => "-".into(),
    }
}

pub fn heartbeat(out: Output, h: &HeartbeatView) -> Result<()> {
    match out {
        Output::Json => json(h),
        Output::Table => {
            println!(
                "{}",
                details(vec![
                    ("id", h.id.to_string()),
                    ("service_id", h.service_id.to_string()),
                    ("slug", h.slug.clone()),
                    ("name", h.name.clone()),
                    ("schedule", schedule(h)),
                    ("grace", format!("{}s", h.grace_seconds)),
                    ("status", h.status.clone()),
                    (
                        "last_ping_at",
                        h.last_ping_at
                            .as_deref()
                            .map_or("never".into(), |t| format!(
                                "{} ({})",
                                short(t),
                                relative(t)
                            ))
                    ),
                    (
                        "next_expected_at",
                        h.next_expected_at
                            .as_deref()
                            .map_or("-".into(), |t| format!("{} ({})", short(t), relative(t)))
                    ),
                    ("ping_url", h.ping_url.clone()),
                    ("created_at", short(&h.created_at)),
                ])
            );
            Ok(())
        }
    }
}

pub fn created_heartbeat(out: Output, h: &CreatedHeartbeatView) -> Result<()> {
    match out {
        Output::Json => json(h),
        Output::Table => {
            heartbeat(out, &h.heartbeat)?;
            println!("Ping key (shown only now): {}", h.key);
            println!(
                "Ping with: curl -fsS -m 10 --retry 5 {}",
                h.heartbeat.ping_url
            );
            println!(
                "       or: curl -fsS -m 10 --retry 5 -H 'Authorization: Bearer {}' {}",
                h.key, h.heartbeat.key_ping_url
            );
            Ok(())
        }
    }
}

pub fn heartbeat_pings(out: Output, list: &[HeartbeatPingView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&["RECEIVED", "KIND", "EXIT", "DURATION", "RID", "BODY"]);
            for p in list {
                let body: String = p.body.as_deref().unwrap_or("-").chars().take(60).collect();
                t.add_row(vec![
                    short(&p.received_at),
                    p.kind.clone(),
                    p.exit_status.map_or("-".into(), |e| e.to_string()),
                    p.duration_ms
                        .map_or("-".into(), |d| format!("{:.1}s", d as f64 / 1000.0)),
                    opt(p.rid.as_deref()),
                    body,
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn user(out: Output, u: &UserView) -> Result<()> {
    match out {
        Output::Json => json(u),
        Output::Table => {
            println!(
                "{}",
                details(vec![
                    ("id", u.id.to_string()),
                    ("name", u.name.clone()),
                    ("email", u.email.clone()),
                    ("role", u.role.clone()),
                    ("created_at", short(&u.created_at)),
                ])
            );
            Ok(())
        }
    }
}

pub fn region(out: Output, r: &RegionView) -> Result<()> {
    match out {
        Output::Json => json(r),
        Output::Table => {
            println!("Created region {}", r.name);
            Ok(())
        }
    }
}

pub fn regions(out: Output, list: &[RegionView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&["REGION", "ENDPOINTS"]);
            for r in list {
                t.add_row(vec![r.name.clone(), r.endpoints.to_string()]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn issued_cert(out: Output, name: &str, region: &str, c: &crate::certs::Issued) -> Result<()> {
    let fingerprint: String = c.fingerprint.iter().map(|b| format!("{b:02x}")).collect();
    match out {
        Output::Json => json(&serde_json::json!({
            "name": name,
            "region": region,
            "cert": c.cert,
            "key": c.key,
            "sha256": fingerprint,
        })),
        Output::Table => {
            println!(
                "{}",
                details(vec![
                    ("name", name.to_owned()),
                    ("region", region.to_owned()),
                    ("cert", c.cert.display().to_string()),
                    ("key", c.key.display().to_string()),
                    ("sha256", fingerprint),
                ])
            );
            println!(
                "Run the worker with: beacon worker --server https://HOST:PORT --cert {} --key {} --ca <data-dir>/tls/ca.pem",
                c.cert.display(),
                c.key.display()
            );
            Ok(())
        }
    }
}

pub fn workers(out: Output, list: &[WorkerView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&[
                "NAME",
                "REGION",
                "VERSION",
                "ADDRESS",
                "CONNECTED SINCE",
                "LAST SEEN",
                "IN FLIGHT",
                "CHECKS/S",
                "PENDING",
            ]);
            for w in list {
                t.add_row(vec![
                    w.name.clone(),
                    w.region.clone(),
                    w.version.clone(),
                    w.address.clone(),
                    short(&w.connected_since),
                    if w.connected {
                        relative(&w.last_seen_at)
                    } else {
                        format!("{} (gone)", relative(&w.last_seen_at))
                    },
                    w.in_flight.to_string(),
                    format!("{:.1}", w.checks_per_second),
                    w.results_pending.to_string(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn status_page(out: Output, p: &StatusPageView) -> Result<()> {
    match out {
        Output::Json => json(p),
        Output::Table => {
            println!(
                "{}",
                details(vec![
                    ("id", p.id.to_string()),
                    ("slug", p.slug.clone()),
                    ("title", p.title.clone()),
                    ("url", p.url.clone()),
                    ("services", p.services.len().to_string()),
                    ("show_urls", p.show_urls.to_string()),
                    ("created_at", short(&p.created_at)),
                ])
            );
            Ok(())
        }
    }
}

pub fn status_pages(out: Output, list: &[StatusPageView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&["ID", "SLUG", "TITLE", "SERVICES", "URL"]);
            for p in list {
                t.add_row(vec![
                    p.id.to_string(),
                    p.slug.clone(),
                    p.title.clone(),
                    p.services.len().to_string(),
                    p.url.clone(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

pub fn badge(out: Output, b: &BadgeView) -> Result<()> {
    match out {
        Output::Json => json(b),
        Output::Table => {
            println!(
                "{}",
                details(vec![
                    ("key", b.key.clone()),
                    ("status", b.status_url.clone()),
                    ("uptime", format!("{}?window=30d", b.uptime_url)),
                    ("latency", b.latency_url.clone()),
                    ("markdown", b.markdown.clone()),
                ])
            );
            Ok(())
        }
    }
}

pub fn users(out: Output, list: &[UserView]) -> Result<()> {
    match out {
        Output::Json => json(list),
        Output::Table => {
            let mut t = table(&["ID", "NAME", "EMAIL", "ROLE", "CREATED"]);
            for u in list {
                t.add_row(vec![
                    u.id.to_string(),
                    u.name.clone(),
                    u.email.clone(),
                    u.role.clone(),
                    short(&u.created_at),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}
