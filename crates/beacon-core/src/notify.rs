//! What a person reads when Beacon notifies them: one `Message` per event, the same facts for every channel kind,
//! which each kind's renderer lays out in its own format (a Slack block, a Discord embed, an email). Pure: the
//! caller passes the dashboard's address.

use crate::Millis;
use crate::event::{EventKind, Payload};
use chrono::{DateTime, SecondsFormat, Utc};

/// How the event reads at a glance: a monitor went down, came back, or something to note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Down,
    Up,
    Info,
    /// Up, with a warning (degraded).
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Down => "down",
            Severity::Up => "up",
            Severity::Info => "info",
            Severity::Warning => "warning",
        }
    }
}

/// A notification as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: EventKind,
    pub severity: Severity,
    /// One line: what happened to what (an email's subject, a push title).
    pub title: String,
    /// A sentence or two: since when, the cause, how long it lasted.
    pub summary: String,
    /// What it is about, as people name it (`Shop / API`, a heartbeat's name, a Kubernetes object).
    pub subject: String,
    /// Labelled details, in order (Service, URL, Cause, Started, Duration, …).
    pub facts: Vec<(String, String)>,
    /// The monitor's page in the dashboard, when the dashboard's public URL is known.
    pub link: Option<String>,
    /// One key per incident, the same for its start and its end (PagerDuty's `dedup_key`).
    pub incident_key: Option<String>,
    /// A one-click link that acknowledges the incident (set by the sender for open incidents, when it can sign
    /// one).
    pub ack_link: Option<String>,
    /// When the event happened.
    pub at: Millis,
}

/// The UTC time as messages show it: `2026-11-29 17:56:52 UTC`.
pub fn when(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// RFC 3339 with milliseconds, for fields that want a timestamp.
pub fn rfc3339(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A duration as a person says it: `45 s`, `12 min 5 s`, `3 h 20 min`, `2 d 4 h`.
pub fn duration(ms: Millis) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec} s"),
        (0, 0, _) if sec == 0 => format!("{m} min"),
        (0, 0, _) => format!("{m} min {sec} s"),
        (0, _, 0) => format!("{h} h"),
        (0, _, _) => format!("{h} h {m} min"),
        (_, 0, _) => format!("{d} d"),
        _ => format!("{d} d {h} h"),
    }
}

/// What a message calls a monitor: `Shop / API`, or whichever part is known, or `fallback`.
pub fn named(service: Option<&str>, name: Option<&str>, fallback: &str) -> String {
    match (service, name) {
        (Some(s), Some(n)) => format!("{s} / {n}"),
        (None, Some(n)) => n.to_owned(),
        (Some(s), None) => format!("{s} / {fallback}"),
        (None, None) => fallback.to_owned(),
    }
}

impl Message {
    /// The incident a person may still acknowledge from this message: a monitor going or staying down.
    pub fn open_incident(&self) -> Option<uuid::Uuid> {
        match self.severity {
            Severity::Down => self
                .incident_key
                .as_deref()
                .and_then(|k| uuid::Uuid::try_parse(k).ok()),
            _ => None,
        }
    }

    /// The message for an event that happened at `at`; `dashboard` is the dashboard's public URL without a
    /// trailing slash, if known.
    pub fn from_event(event: &Payload, at: Millis, dashboard: Option<&str>) -> Message {
        let link = |path: String| dashboard.map(|d| format!("{}{path}", d.trim_end_matches('/')));
        match event {
            Payload::IncidentStart(e) => {
                let what = named(
                    e.monitor.service_name.as_deref(),
                    e.monitor.endpoint_name.as_deref(),
                    "endpoint",
                );
                let mut facts = Vec::new();
                if let Some(u) = &e.monitor.endpoint_url {
                    facts.push(("URL".to_owned(), u.clone()));
                }
                facts.push(("Cause".to_owned(), e.cause.clone()));
                if let Some(err) = e.error.as_deref().filter(|err| *err != e.cause) {
                    facts.push(("Error".to_owned(), err.to_owned()));
                }
                facts.push(("Failures in a row".to_owned(), e.failure_count.to_string()));
                facts.push(("Down since".to_owned(), when(e.started_at)));
                Message {
                    kind: event.kind(),
                    severity: Severity::Down,
                    title: format!("{what} is down"),
                    subject: what.clone(),
                    summary: format!(
                        "{what} has been failing since {}: {} ({} failed checks in a row).",
                        when(e.started_at),
                        e.cause,
                        e.failure_count
                    ),
                    facts,
                    link: link(format!("/endpoints/{}", e.monitor.endpoint_id)),
                    incident_key: Some(e.incident_id.to_string()),
                    ack_link: None,
                    at,
                }
            }
            Payload::IncidentResolved(e) => {
                let what = named(
                    e.monitor.service_name.as_deref(),
                    e.monitor.endpoint_name.as_deref(),
                    "endpoint",
                );
                let lasted = duration(e.resolved_at - e.started_at);
                let mut facts = Vec::new();
                if let Some(u) = &e.monitor.endpoint_url {
                    facts.push(("URL".to_owned(), u.clone()));
                }
                facts.push(("Outage".to_owned(), lasted.clone()));
                facts.push(("Down since".to_owned(), when(e.started_at)));
                facts.push(("Up since".to_owned(), when(e.resolved_at)));
                facts.push(("Cause".to_owned(), e.cause.clone()));
                let by = if e.resolved_by == "auto" {
                    "it passed its checks again".to_owned()
                } else {
                    format!("resolved {}", e.resolved_by)
                };
                Message {
                    kind: event.kind(),
                    severity: Severity::Up,
                    title: format!("{what} is up again"),
                    summary: format!("{what} is up again after {lasted} down: {by}."),
                    subject: what.clone(),
                    facts,
                    link: link(format!("/endpoints/{}", e.monitor.endpoint_id)),
                    incident_key: Some(e.incident_id.to_string()),
                    ack_link: None,
                    at,
                }
            }
            Payload::IncidentAcknowledged(a) => {
                let mut facts = vec![
                    ("Acknowledged by".to_owned(), a.by.clone()),
                    ("Down since".to_owned(), when(a.started_at)),
                    ("Cause".to_owned(), a.cause.clone()),
                ];
                if let Some(note) = &a.note {
                    facts.push(("Note".to_owned(), note.clone()));
                }
                Message {
                    kind: event.kind(),
                    severity: Severity::Info,
                    title: format!("{} is acknowledged", a.subject),
                    summary: format!(
                        "{} acknowledged that {} is down ({}): no more reminders or escalation steps.",
                        a.by, a.subject, a.cause
                    ),
                    subject: a.subject.clone(),
                    facts,
                    link: link(a.path.clone()),
                    incident_key: Some(a.incident_id.to_string()),
                    ack_link: None,
                    at,
                }
            }
            Payload::HeartbeatDown(e) | Payload::HeartbeatUp(e) => {
                let what = e
                    .name
                    .clone()
                    .or_else(|| e.slug.clone())
                    .unwrap_or_else(|| "heartbeat".to_owned());
                let last = e
                    .last_ping_at
                    .map(when)
                    .unwrap_or_else(|| "never".to_owned());
                let down = matches!(event, Payload::HeartbeatDown(_));
                let mut facts = vec![("Last ping".to_owned(), last.clone())];
                let (title, summary) = if down {
                    facts.push(("Cause".to_owned(), e.cause.clone()));
                    facts.push(("Down since".to_owned(), when(e.started_at)));
                    (
                        format!("{what} is down"),
                        format!(
                            "{what} missed its schedule: {} (last ping {last}).",
                            e.cause
                        ),
                    )
                } else {
                    let resolved = e.resolved_at.unwrap_or(at);
                    let lasted = duration(resolved - e.started_at);
                    facts.push(("Outage".to_owned(), lasted.clone()));
                    facts.push(("Down since".to_owned(), when(e.started_at)));
                    (
                        format!("{what} is up again"),
                        format!("{what} pinged again after {lasted} down."),
                    )
                };
                Message {
                    kind: event.kind(),
                    severity: if down { Severity::Down } else { Severity::Up },
                    title,
                    summary,
                    subject: what,
                    facts,
                    link: link(format!("/heartbeats/{}", e.heartbeat_id)),
                    incident_key: Some(e.incident_id.to_string()),
                    ack_link: None,
                    at,
                }
            }
            Payload::Test(_) => Message {
                kind: event.kind(),
                severity: Severity::Info,
                title: "Beacon test notification".to_owned(),
                subject: "Beacon".to_owned(),
                summary:
                    "This is a test notification from Beacon: if you read this, the channel works."
                        .to_owned(),
                facts: Vec::new(),
                link: link("/channels".to_owned()),
                incident_key: None,
                ack_link: None,
                at,
            },
            Payload::Reminder(r) | Payload::Escalation(r) => {
                let escalation = matches!(event, Payload::Escalation(_));
                let down_for = duration(r.due_at - r.started_at);
                let (title, summary, label) = if escalation && r.due_at == r.started_at {
                    (
                        format!("{} is down", r.subject),
                        format!(
                            "{} has been failing since {}: {}.",
                            r.subject,
                            when(r.started_at),
                            r.cause
                        ),
                        "Escalation step",
                    )
                } else if escalation {
                    (
                        format!("{} is still down: escalated", r.subject),
                        format!(
                            "{} has been down for {down_for} ({}) and nobody has acknowledged it: you are the next to know.",
                            r.subject, r.cause
                        ),
                        "Escalation step",
                    )
                } else {
                    (
                        format!("{} is still down", r.subject),
                        format!(
                            "{} has been down for {down_for} ({}), and nobody has acknowledged it yet.",
                            r.subject, r.cause
                        ),
                        "Reminder",
                    )
                };
                Message {
                    kind: event.kind(),
                    severity: Severity::Down,
                    title,
                    summary,
                    subject: r.subject.clone(),
                    facts: vec![
                        ("Down since".to_owned(), when(r.started_at)),
                        ("Cause".to_owned(), r.cause.clone()),
                        (label.to_owned(), format!("{} of {}", r.number, r.of)),
                    ],
                    link: link(r.path.clone()),
                    incident_key: Some(r.incident_id.to_string()),
                    ack_link: None,
                    at,
                }
            }
            Payload::Flapping(f) => {
                let what = f.monitor.name();
                let window = duration(f.window_ms);
                let (title, summary) = if f.started {
                    (
                        format!("{what} is flapping"),
                        format!(
                            "{what} changed state {} times within {window}; its up and down notifications are held back until it has been stable for {window}. It is {} now.",
                            f.changes, f.state
                        ),
                    )
                } else {
                    (
                        format!("{what} is stable again: {}", f.state),
                        format!(
                            "{what} has not changed state for {window}; it is {} and notifications resume.",
                            f.state
                        ),
                    )
                };
                Message {
                    kind: event.kind(),
                    severity: if f.state == "down" {
                        Severity::Down
                    } else {
                        Severity::Up
                    },
                    title,
                    summary,
                    subject: what,
                    facts: vec![("State".to_owned(), f.state.clone())],
                    link: link(f.monitor.path()),
                    incident_key: None,
                    ack_link: None,
                    at,
                }
            }
            Payload::DegradedStart(d) | Payload::DegradedEnd(d) => {
                let what = named(
                    d.monitor.service_name.as_deref(),
                    d.monitor.endpoint_name.as_deref(),
                    "endpoint",
                );
                let started = matches!(event, Payload::DegradedStart(_));
                let mut facts = vec![("Warning".to_owned(), d.reason.clone())];
                let (severity, title, summary) = if started {
                    (
                        Severity::Warning,
                        format!("{what} is degraded"),
                        format!("{what} passes its checks with a warning: {}.", d.reason),
                    )
                } else {
                    if let Some(since) = d.since {
                        facts.push(("Degraded for".to_owned(), duration(d.at - since)));
                    }
                    (
                        Severity::Up,
                        format!("{what} is no longer degraded"),
                        format!("{what} passes its checks without a warning again."),
                    )
                };
                if let Some(url) = &d.monitor.endpoint_url {
                    facts.push(("Checks".to_owned(), url.clone()));
                }
                Message {
                    kind: event.kind(),
                    severity,
                    title,
                    summary,
                    subject: what,
                    facts,
                    link: link(format!("/endpoints/{}", d.monitor.endpoint_id)),
                    // One key for a degradation's start and end (PagerDuty resolves what it opened).
                    incident_key: Some(format!("degraded-{}", d.monitor.endpoint_id)),
                    ack_link: None,
                    at,
                }
            }
            Payload::KubernetesCreated(o) | Payload::KubernetesDeleted(o) => {
                let obj = &o.object;
                let created = matches!(event, Payload::KubernetesCreated(_));
                let path = match &obj.namespace {
                    Some(ns) => format!("{}/{ns}/{}", obj.kind, obj.name),
                    None => format!("{}/{}", obj.kind, obj.name),
                };
                Message {
                    kind: event.kind(),
                    severity: Severity::Info,
                    title: format!("{path} {}", if created { "created" } else { "deleted" }),
                    subject: path.clone(),
                    summary: format!(
                        "Kubernetes {path} was {} ({}).",
                        if created { "created" } else { "deleted" },
                        o.reason.as_str()
                    ),
                    facts: vec![
                        ("Annotation".to_owned(), o.annotation_value.clone()),
                        ("UID".to_owned(), obj.uid.clone()),
                    ],
                    link: link("/kubernetes".to_owned()),
                    incident_key: None,
                    ack_link: None,
                    at,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{IncidentResolved, IncidentStarted, Monitor};
    use uuid::Uuid;

    const T: Millis = 1_764_435_600_000; // 2025-11-29 17:00:00 UTC

    fn monitor() -> Monitor {
        Monitor {
            endpoint_id: Uuid::nil(),
            endpoint_name: Some("API".into()),
            endpoint_url: Some("https://shop.example.com/health".into()),
            service_name: Some("Shop".into()),
        }
    }

    #[test]
    fn a_degradation_warns_and_its_end_says_how_long_under_one_key() {
        let d = crate::event::Degraded {
            monitor: monitor(),
            reason: "slow: 900 ms, above 500 ms".into(),
            at: T,
            since: None,
        };
        let start = Message::from_event(&Payload::DegradedStart(d.clone()), T, Some("https://b"));
        assert_eq!(start.severity, Severity::Warning);
        assert_eq!(start.title, "Shop / API is degraded");
        assert!(
            start.summary.contains("slow: 900 ms, above 500 ms"),
            "{}",
            start.summary
        );
        assert_eq!(
            start.link.as_deref(),
            Some(format!("https://b/endpoints/{}", Uuid::nil()).as_str())
        );
        assert_eq!(start.open_incident(), None, "no acknowledgement link");
        let end = Message::from_event(
            &Payload::DegradedEnd(crate::event::Degraded {
                at: T + 12 * 60_000,
                since: Some(T),
                ..d
            }),
            T + 12 * 60_000,
            None,
        );
        assert_eq!(end.severity, Severity::Up);
        assert!(
            end.facts
                .contains(&("Degraded for".to_owned(), "12 min".to_owned()))
        );
        assert_eq!(
            start.incident_key, end.incident_key,
            "PagerDuty resolves what it opened"
        );
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(45_000), "45 s");
        assert_eq!(duration(12 * 60_000 + 5_000), "12 min 5 s");
        assert_eq!(duration(3 * 3_600_000 + 20 * 60_000), "3 h 20 min");
        assert_eq!(duration(2 * 86_400_000 + 4 * 3_600_000), "2 d 4 h");
    }

    #[test]
    fn a_start_says_what_since_when_and_why_and_links_the_monitor() {
        let m = Message::from_event(
            &Payload::IncidentStart(IncidentStarted {
                incident_id: Uuid::from_u128(7),
                monitor: monitor(),
                started_at: T,
                cause: "status 503".into(),
                failure_count: 3,
                run_status: Some("fail".into()),
                error: None,
            }),
            T,
            Some("https://beacon.example.com/"),
        );
        assert_eq!(m.title, "Shop / API is down");
        assert!(
            m.summary
                .contains("since 2025-11-29 17:00:00 UTC: status 503"),
            "{}",
            m.summary
        );
        assert_eq!(
            m.link.as_deref(),
            Some("https://beacon.example.com/endpoints/00000000-0000-0000-0000-000000000000")
        );
        assert_eq!(
            m.incident_key.as_deref(),
            Some(Uuid::from_u128(7).to_string().as_str())
        );
    }

    #[test]
    fn a_recovery_gives_the_outage_and_the_same_incident_key() {
        let m = Message::from_event(
            &Payload::IncidentResolved(IncidentResolved {
                incident_id: Uuid::from_u128(7),
                monitor: monitor(),
                started_at: T,
                resolved_at: T + 754_000,
                cause: "status 503".into(),
                failure_count: 3,
                resolved_by: "auto".into(),
                run_status: None,
            }),
            T + 754_000,
            None,
        );
        assert_eq!(m.severity, Severity::Up);
        assert!(
            m.summary.contains("after 12 min 34 s down"),
            "{}",
            m.summary
        );
        assert_eq!(m.link, None);
        assert_eq!(
            m.incident_key.as_deref(),
            Some(Uuid::from_u128(7).to_string().as_str())
        );
    }

    #[test]
    fn an_acknowledgement_names_who_under_the_incidents_key() {
        let m = Message::from_event(
            &Payload::IncidentAcknowledged(crate::event::Acknowledged {
                incident_id: Uuid::from_u128(7),
                subject: "Shop / API".into(),
                path: "/endpoints/x".into(),
                started_at: T,
                cause: "status 503".into(),
                by: "ada@example.com".into(),
                note: Some("rolling back".into()),
                at: T + 60_000,
            }),
            T + 60_000,
            Some("https://b"),
        );
        assert_eq!(m.title, "Shop / API is acknowledged");
        assert_eq!(m.severity, Severity::Info);
        assert!(
            m.summary.starts_with("ada@example.com acknowledged"),
            "{}",
            m.summary
        );
        assert!(
            m.facts
                .contains(&("Note".to_owned(), "rolling back".to_owned()))
        );
        assert_eq!(m.link.as_deref(), Some("https://b/endpoints/x"));
        assert_eq!(
            m.incident_key.as_deref(),
            Some(Uuid::from_u128(7).to_string().as_str()),
            "PagerDuty acknowledges what it opened"
        );
        assert_eq!(m.open_incident(), None, "nothing left to acknowledge");
    }
}
