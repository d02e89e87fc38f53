//! Messages rendered for each channel kind, one module per kind of the same shape: `request(spec, message, id)`
//! gives the HTTP request that kind's API documents (method, URL, headers, JSON body), and — where the service
//! says how long to wait in its body rather than in `Retry-After` — `retry_hint` reads it. Pure: the engine's
//! `Sender` sends what these return. Email is the one kind not sent over HTTP (`email.rs`: its subject and
//! bodies; the SMTP transport lives in `smtp.rs`). What is logged never holds a secret: a request's `logged_url`
//! and `logged_body` replace tokens, and secret headers are masked by name.

pub mod discord;
pub mod email;
pub mod google_chat;
pub mod gotify;
pub mod matrix;
pub mod ntfy;
pub mod pagerduty;
pub mod pushover;
pub mod slack;
pub mod teams;
pub mod telegram;

use beacon_core::channel::ChannelSpec;
use beacon_core::notify::{Message, Severity};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// One HTTP request to a channel's service.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub method: reqwest::Method,
    /// Where to send, credentials included (Telegram's bot token is part of the path).
    pub url: String,
    /// The URL as the attempt log keeps it.
    pub logged_url: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// The body as the attempt log keeps it (the same unless the body carries a credential).
    pub logged_body: Value,
}

impl Outgoing {
    fn post(url: String, body: Value) -> Self {
        Self {
            method: reqwest::Method::POST,
            logged_url: url.clone(),
            url,
            headers: vec![("content-type".into(), "application/json".into())],
            logged_body: body.clone(),
            body,
        }
    }

    /// Log `url` in place of the real one (the real one carries a credential).
    fn logged_as(mut self, url: String) -> Self {
        self.logged_url = url;
        self
    }
}

/// The request for a channel of an HTTP kind; `None` for webhooks (rendered by `render`) and email.
pub fn request(spec: &ChannelSpec, msg: &Message, delivery_id: Uuid) -> Option<Outgoing> {
    Some(match spec {
        ChannelSpec::Webhook | ChannelSpec::Email(_) => return None,
        ChannelSpec::Slack(s) => slack::request(s, msg),
        ChannelSpec::Discord(s) => discord::request(s, msg),
        ChannelSpec::Teams(s) => teams::request(s, msg),
        ChannelSpec::GoogleChat(s) => google_chat::request(s, msg),
        ChannelSpec::Telegram(s) => telegram::request(s, msg),
        ChannelSpec::PagerDuty(s) => pagerduty::request(s, msg, delivery_id),
        ChannelSpec::Ntfy(s) => ntfy::request(s, msg),
        ChannelSpec::Gotify(s) => gotify::request(s, msg),
        ChannelSpec::Pushover(s) => pushover::request(s, msg),
        ChannelSpec::Matrix(s) => matrix::request(s, msg, delivery_id),
    })
}

/// How long the service asked to wait, when it says so in its answer's body (Telegram's
/// `parameters.retry_after`, Discord's and Matrix's `retry_after(_ms)`).
pub fn retry_hint(spec: &ChannelSpec, status: u16, body: &str) -> Option<Duration> {
    if status != 429 {
        return None;
    }
    let v: Value = serde_json::from_str(body).ok()?;
    match spec {
        ChannelSpec::Telegram(_) => telegram::retry_hint(&v),
        ChannelSpec::Discord(_) => discord::retry_hint(&v),
        ChannelSpec::Matrix(_) => matrix::retry_hint(&v),
        _ => None,
    }
}

/// A mark for the severity, at the start of titles.
pub fn mark(s: Severity) -> &'static str {
    match s {
        Severity::Down => "🔴",
        Severity::Up => "✅",
        Severity::Info => "ℹ️",
        Severity::Warning => "⚠️",
    }
}

/// `text` cut to at most `max` characters, with `…` when cut (services refuse longer fields).
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Text for HTML bodies (Telegram, Matrix, email): `&`, `<`, `>` and `"` escaped.
pub fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The label of the link to the monitor's page.
pub const OPEN: &str = "Open in Beacon";

/// The label of the one-click acknowledgement link.
pub const ACK: &str = "Acknowledge";

/// `base` (with or without a trailing slash) joined with `path` (starting with `/`).
pub fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

#[cfg(test)]
pub(crate) mod sample {
    //! The messages the per-kind snapshot tests render.
    use beacon_core::event::{IncidentResolved, IncidentStarted, Monitor, Payload};
    use beacon_core::notify::Message;
    use uuid::Uuid;

    pub const T: i64 = 1_764_435_600_000; // 2025-11-29 17:00:00 UTC

    fn monitor() -> Monitor {
        Monitor {
            endpoint_id: Uuid::from_u128(1),
            endpoint_name: Some("API".into()),
            endpoint_url: Some("https://shop.example.com/health".into()),
            service_name: Some("Shop".into()),
        }
    }

    pub fn down() -> Message {
        let mut m = Message::from_event(
            &Payload::IncidentStart(IncidentStarted {
                incident_id: Uuid::from_u128(7),
                monitor: monitor(),
                started_at: T,
                cause: "status 503 <Service Unavailable>".into(),
                failure_count: 3,
                run_status: Some("fail".into()),
                error: None,
            }),
            T,
            Some("https://beacon.example.com"),
        );
        m.ack_link = Some("https://beacon.example.com/ack/TOKEN".into());
        m
    }

    pub fn up() -> Message {
        Message::from_event(
            &Payload::IncidentResolved(IncidentResolved {
                incident_id: Uuid::from_u128(7),
                monitor: monitor(),
                started_at: T,
                resolved_at: T + 754_000,
                cause: "status 503 <Service Unavailable>".into(),
                failure_count: 3,
                resolved_by: "auto".into(),
                run_status: None,
            }),
            T + 754_000,
            Some("https://beacon.example.com"),
        )
    }

    pub fn acknowledged() -> Message {
        Message::from_event(
            &Payload::IncidentAcknowledged(beacon_core::event::Acknowledged {
                incident_id: Uuid::from_u128(7),
                subject: "Shop / API".into(),
                path: format!("/endpoints/{}", Uuid::from_u128(1)),
                started_at: T,
                cause: "status 503 <Service Unavailable>".into(),
                by: "ada@example.com".into(),
                note: Some("rolling back".into()),
                at: T + 120_000,
            }),
            T + 120_000,
            Some("https://beacon.example.com"),
        )
    }

    pub const ID: Uuid = Uuid::from_u128(0xd1);
}
