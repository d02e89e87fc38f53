//! What Beacon reports to the outside world: one `EventKind` per kind of event and one payload struct per kind,
//! serialised by serde. The store persists a `Payload` as it is given (kind column + JSON); the delivery side
//! renders bodies from it (Standard Webhooks JSON, seed 002's Pulse shape). No event kind is spelled anywhere
//! else: a new kind is a variant here, and every renderer's match says what it looks like.
//!
//! Optional fields with serde defaults keep payloads written by earlier versions readable.

pub use crate::kubernetes::ObjectEvent;
use crate::{Millis, ValidationError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// An endpoint's incident opened.
    IncidentStart,
    /// An endpoint's incident resolved (by a success, or by hand).
    IncidentResolved,
    /// Someone acknowledged an open incident (an endpoint's or a heartbeat's).
    IncidentAcknowledged,
    /// A heartbeat went down (its incident opened).
    HeartbeatDown,
    /// A down heartbeat is up again (its incident resolved).
    HeartbeatUp,
    /// A test sent by `webhooks test`.
    Test,
    /// The Kubernetes watcher saw an annotated object appear (created, or the annotation added).
    KubernetesCreated,
    /// A tracked Kubernetes object disappeared (deleted, or the annotation removed).
    KubernetesDeleted,
    /// An incident is still open and nobody has acknowledged it (sent at the service's reminder cadence).
    Reminder,
    /// A step of the service's escalation policy: an unacknowledged incident reaches its next channels.
    Escalation,
    /// A monitor began flapping (its notifications are held back), or is stable again.
    Flapping,
    /// An endpoint's checks pass with a warning (slow, or a certificate expiring soon).
    DegradedStart,
    /// A degraded endpoint's checks pass without a warning again (or it went down).
    DegradedEnd,
}

impl EventKind {
    pub const ALL: [EventKind; 13] = [
        EventKind::IncidentStart,
        EventKind::IncidentResolved,
        EventKind::IncidentAcknowledged,
        EventKind::HeartbeatDown,
        EventKind::HeartbeatUp,
        EventKind::Test,
        EventKind::KubernetesCreated,
        EventKind::KubernetesDeleted,
        EventKind::Reminder,
        EventKind::Escalation,
        EventKind::Flapping,
        EventKind::DegradedStart,
        EventKind::DegradedEnd,
    ];

    /// The kinds a webhook may subscribe to (a test goes to the webhook it tests, subscribed or not).
    pub const SUBSCRIBABLE: [EventKind; 10] = [
        EventKind::IncidentStart,
        EventKind::IncidentResolved,
        EventKind::IncidentAcknowledged,
        EventKind::HeartbeatDown,
        EventKind::HeartbeatUp,
        EventKind::Reminder,
        EventKind::DegradedStart,
        EventKind::DegradedEnd,
        EventKind::KubernetesCreated,
        EventKind::KubernetesDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::IncidentStart => "incident_start",
            EventKind::IncidentResolved => "incident_resolved",
            EventKind::IncidentAcknowledged => "incident_acknowledged",
            EventKind::HeartbeatDown => "heartbeat_down",
            EventKind::HeartbeatUp => "heartbeat_up",
            EventKind::Test => "test",
            EventKind::KubernetesCreated => "kubernetes_created",
            EventKind::KubernetesDeleted => "kubernetes_deleted",
            EventKind::Reminder => "reminder",
            EventKind::Escalation => "escalation",
            EventKind::Flapping => "flapping",
            EventKind::DegradedStart => "degraded_start",
            EventKind::DegradedEnd => "degraded_end",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        crate::parse_named(&Self::ALL, Self::as_str, s, "event", "event")
    }

    /// An endpoint incident's opening or resolution (what seed 002's per-check alerts are made of).
    pub fn is_endpoint_incident(self) -> bool {
        matches!(self, EventKind::IncidentStart | EventKind::IncidentResolved)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The endpoint an incident event is about, as the event names it (the names are null in events recorded by
/// versions that did not name it). Flattened into the payload: the JSON keeps its flat shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitor {
    pub endpoint_id: Uuid,
    #[serde(default)]
    pub endpoint_name: Option<String>,
    /// What it checks (an HTTP check's URL).
    #[serde(default)]
    pub endpoint_url: Option<String>,
    #[serde(default)]
    pub service_name: Option<String>,
}

/// `incident_start`: an endpoint failed `failure_count` times in a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentStarted {
    pub incident_id: Uuid,
    #[serde(flatten)]
    pub monitor: Monitor,
    pub started_at: Millis,
    pub cause: String,
    pub failure_count: u32,
    /// The failing run's status in seed 002's words (`fail`, `timeout`, `error`).
    #[serde(default)]
    pub run_status: Option<String>,
    /// The failing run's error message.
    #[serde(default)]
    pub error: Option<String>,
}

/// `incident_resolved`: an endpoint recovered, or someone resolved its incident by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentResolved {
    pub incident_id: Uuid,
    #[serde(flatten)]
    pub monitor: Monitor,
    pub started_at: Millis,
    pub resolved_at: Millis,
    pub cause: String,
    pub failure_count: u32,
    /// `auto` or `manual`.
    pub resolved_by: String,
    #[serde(default)]
    pub run_status: Option<String>,
}

/// `heartbeat_down` / `heartbeat_up`: a heartbeat's status changed and its incident opened or resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatChanged {
    pub heartbeat_id: Uuid,
    pub incident_id: Uuid,
    #[serde(default)]
    pub service_id: Option<Uuid>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub previous_status: Option<String>,
    #[serde(default)]
    pub last_ping_at: Option<Millis>,
    pub started_at: Millis,
    pub cause: String,
    #[serde(default)]
    pub resolved_at: Option<Millis>,
    /// `auto` or `manual`, once resolved.
    #[serde(default)]
    pub resolved_by: Option<String>,
}

/// `test`: sent to one webhook on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestMessage {
    pub webhook_id: Uuid,
    #[serde(default)]
    pub service_id: Option<Uuid>,
    #[serde(default)]
    pub endpoint_id: Option<Uuid>,
    pub message: String,
}

/// `reminder` and `escalation`: an incident is still open and unacknowledged. Written when the incident opens,
/// one per reminder or escalation step, each delivered when due unless the incident is acknowledged or resolved
/// first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub incident_id: Uuid,
    /// What is down, as messages name it (`Shop / API`, a heartbeat's name).
    pub subject: String,
    /// The monitor's page in the dashboard, relative (`/endpoints/<id>`, `/heartbeats/<id>`).
    pub path: String,
    pub started_at: Millis,
    pub cause: String,
    /// This is reminder (or escalation step) `number` of `of`.
    pub number: u32,
    pub of: u32,
    /// When it is sent.
    pub due_at: Millis,
}

/// `incident_acknowledged`: someone acknowledged an open incident; its reminders and later escalation steps are
/// off. Sent to every channel that was told of the incident (its start, a reminder, an escalation step), and to
/// channels subscribed to the kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledged {
    pub incident_id: Uuid,
    /// What is down, as messages name it (`Shop / API`, a heartbeat's name).
    pub subject: String,
    /// The monitor's page in the dashboard, relative.
    pub path: String,
    pub started_at: Millis,
    pub cause: String,
    /// Who acknowledged it (a user's email, a token's name, or `link` for a one-click link).
    pub by: String,
    #[serde(default)]
    pub note: Option<String>,
    pub at: Millis,
}

/// A heartbeat a `flapping` event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlappingHeartbeat {
    pub heartbeat_id: Uuid,
    #[serde(default)]
    pub name: Option<String>,
}

/// What flaps: an endpoint (its fields as incident events name it) or a heartbeat. Flattened into the payload,
/// told apart by `endpoint_id` or `heartbeat_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Flapper {
    Endpoint(Monitor),
    Heartbeat(FlappingHeartbeat),
}

impl Flapper {
    /// How messages name it: `Shop / API`, a heartbeat's name.
    pub fn name(&self) -> String {
        match self {
            Flapper::Endpoint(m) => crate::notify::named(
                m.service_name.as_deref(),
                m.endpoint_name.as_deref(),
                "endpoint",
            ),
            Flapper::Heartbeat(h) => h.name.clone().unwrap_or_else(|| "heartbeat".to_owned()),
        }
    }

    /// Its page in the dashboard, relative.
    pub fn path(&self) -> String {
        match self {
            Flapper::Endpoint(m) => format!("/endpoints/{}", m.endpoint_id),
            Flapper::Heartbeat(h) => format!("/heartbeats/{}", h.heartbeat_id),
        }
    }
}

/// `flapping`: a monitor (an endpoint or a heartbeat) began flapping (`started`), or has been stable for a window
/// again; `state` is its state then (`down` or `up`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flapping {
    #[serde(flatten)]
    pub monitor: Flapper,
    pub started: bool,
    pub state: String,
    /// State changes within the window when it began.
    pub changes: u32,
    pub window_ms: Millis,
}

/// `degraded_start` / `degraded_end`: an endpoint's checks began passing with a warning (`reason`), or stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Degraded {
    #[serde(flatten)]
    pub monitor: Monitor,
    /// The warning it began with (an end repeats it).
    pub reason: String,
    pub at: Millis,
    /// When it became degraded (an end's outage of full health lasted from then to `at`).
    #[serde(default)]
    pub since: Option<Millis>,
}

/// An event's payload; its variant is its kind. Serialises as the inner struct (the kind is stored beside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    IncidentStart(IncidentStarted),
    IncidentResolved(IncidentResolved),
    IncidentAcknowledged(Acknowledged),
    HeartbeatDown(HeartbeatChanged),
    HeartbeatUp(HeartbeatChanged),
    Test(TestMessage),
    KubernetesCreated(ObjectEvent),
    KubernetesDeleted(ObjectEvent),
    Reminder(FollowUp),
    Escalation(FollowUp),
    Flapping(Flapping),
    DegradedStart(Degraded),
    DegradedEnd(Degraded),
}

impl Payload {
    pub fn kind(&self) -> EventKind {
        match self {
            Payload::IncidentStart(_) => EventKind::IncidentStart,
            Payload::IncidentResolved(_) => EventKind::IncidentResolved,
            Payload::IncidentAcknowledged(_) => EventKind::IncidentAcknowledged,
            Payload::HeartbeatDown(_) => EventKind::HeartbeatDown,
            Payload::HeartbeatUp(_) => EventKind::HeartbeatUp,
            Payload::Test(_) => EventKind::Test,
            Payload::KubernetesCreated(_) => EventKind::KubernetesCreated,
            Payload::KubernetesDeleted(_) => EventKind::KubernetesDeleted,
            Payload::Reminder(_) => EventKind::Reminder,
            Payload::Escalation(_) => EventKind::Escalation,
            Payload::Flapping(_) => EventKind::Flapping,
            Payload::DegradedStart(_) => EventKind::DegradedStart,
            Payload::DegradedEnd(_) => EventKind::DegradedEnd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flapping_payload_names_an_endpoint_or_a_heartbeat_flat() {
        let id = Uuid::from_u128(9);
        let heartbeat = Flapping {
            monitor: Flapper::Heartbeat(FlappingHeartbeat {
                heartbeat_id: id,
                name: Some("backup".into()),
            }),
            started: true,
            state: "down".into(),
            changes: 7,
            window_ms: 1_800_000,
        };
        let json = serde_json::to_value(&heartbeat).expect("json");
        assert_eq!(json["heartbeat_id"], id.to_string());
        assert_eq!(json["name"], "backup");
        assert!(json.get("endpoint_id").is_none(), "{json}");
        assert_eq!(
            serde_json::from_value::<Flapping>(json).expect("back"),
            heartbeat
        );
        // An endpoint's, as versions before heartbeats flapped wrote it.
        let old = serde_json::json!({"endpoint_id": id, "endpoint_name": "API", "service_name": "Shop",
            "started": false, "state": "up", "changes": 0, "window_ms": 1_800_000});
        let f: Flapping = serde_json::from_value(old).expect("old payload");
        assert_eq!(f.monitor.name(), "Shop / API");
        assert_eq!(f.monitor.path(), format!("/endpoints/{id}"));
    }

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_named() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Ok(k));
        }
        let err = EventKind::parse("incident_started").expect_err("unknown");
        assert_eq!(err.field, "event");
        assert!(
            err.message.contains("incident_start, incident_resolved"),
            "{err}"
        );
    }
}
