//! Heartbeats: the view, the one-time created view (with the key), pings, the create/patch bodies.

use super::*;

/// A heartbeat (push monitor). `status` is evaluated when read: new, up, late, down, paused or started.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct HeartbeatView {
    pub id: Uuid,
    pub service_id: Uuid,
    /// Short name in slug ping URLs; the heartbeat-monitor API's `serviceId`.
    pub slug: String,
    pub name: String,
    /// period or cron.
    pub kind: String,
    pub period_seconds: Option<u32>,
    pub cron: Option<String>,
    pub tz: Option<String>,
    pub grace_seconds: u32,
    pub status: String,
    pub last_ping_at: Option<String>,
    /// When the next ping is expected (the grace time follows it); null before the first ping and while paused.
    pub next_expected_at: Option<String>,
    /// Where jobs send pings, with no header: the UUID in it is a secret (not the id), replaced by rotate-key.
    /// `/start`, `/fail`, `/log`, `/<exit status>` may be appended, as with Healthchecks.
    pub ping_url: String,
    /// The same by public id, with the key as `Authorization: Bearer <key>` or `?key=`.
    pub key_ping_url: String,
    pub created_at: String,
    pub updated_at: String,
}

impl HeartbeatView {
    /// For readers who may not change the heartbeat: the ping URL is its own credential, so they get the form
    /// that needs the key.
    pub fn hide_ping_secret(&mut self) {
        self.ping_url.clone_from(&self.key_ping_url);
    }
}

/// `rotate-key` options.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyParams {
    /// Seconds the old key and ping URL keep working (default 0: they stop now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<u32>,
}

/// A heartbeat with its ping key (`hbk_...`), shown on create and rotate-key only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CreatedHeartbeatView {
    #[serde(flatten)]
    pub heartbeat: HeartbeatView,
    pub key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatCreate {
    pub service_id: Uuid,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Derived from the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Give either a period or a cron expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// IANA time zone of the cron expression (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    /// Default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<i64>,
}

/// Changes to a heartbeat; absent fields keep their value. A period switches to a period schedule, a cron
/// expression to a cron schedule.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<i64>,
}

/// A ping as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct HeartbeatPingView {
    pub received_at: String,
    /// success, start, fail or log.
    pub kind: String,
    pub exit_status: Option<u8>,
    pub rid: Option<String>,
    /// For a finished run whose start was seen.
    pub duration_ms: Option<i64>,
    /// The client-reported status of the heartbeat-monitor API (kept, not decisive).
    pub client_status: Option<String>,
    /// Message or request body, at most 10,000 bytes.
    pub body: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

impl From<&beacon_store::HeartbeatPing> for HeartbeatPingView {
    fn from(p: &beacon_store::HeartbeatPing) -> Self {
        Self {
            received_at: rfc3339(p.received_at),
            kind: p.kind.clone(),
            exit_status: p.exit_status,
            rid: p.rid.clone(),
            duration_ms: p.duration_ms,
            client_status: p.client_status.clone(),
            body: p.body.clone(),
            metadata: p
                .metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
        }
    }
}

list_type!(HeartbeatList, HeartbeatView);

list_type!(HeartbeatPingList, HeartbeatPingView);
