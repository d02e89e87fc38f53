//! Channels: views (settings with secrets masked, subscriptions), the create/patch/subscribe bodies.

use super::*;
use beacon_core::channel::ChannelInput;
use beacon_store::Channel;
use std::collections::HashMap;

/// A service's subscription of a channel to event kinds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionView {
    pub service_id: Uuid,
    /// incident_start, incident_resolved, heartbeat_down, heartbeat_up, kubernetes_created, kubernetes_deleted.
    pub events: Vec<String>,
}

/// A channel as shown: secrets (tokens, passwords, keys, a chat webhook's URL) are never shown after creation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ChannelView {
    pub id: Uuid,
    /// Null for webhooks made before channels had names.
    pub name: Option<String>,
    /// webhook, email, slack, discord, teams, google-chat, telegram, pagerduty, ntfy, gotify, pushover, matrix.
    pub kind: String,
    /// Where it sends, with no secret in it.
    pub target: String,
    /// The kind's settings by field name; secrets read `********`.
    pub settings: BTreeMap<String, String>,
    /// The services whose events it receives, and which.
    pub subscriptions: Vec<SubscriptionView>,
    /// Monitors that add it for their own events, or mute it.
    pub monitors: Vec<MonitorRouteView>,
    /// For a webhook made for a service (`webhooks create`): that service, with which it is deleted.
    pub service_id: Option<Uuid>,
    /// Set for the webhook that carries an endpoint's `webhook_url` (changed through the endpoint).
    pub endpoint_id: Option<Uuid>,
    /// `kubernetes` for the webhook the Kubernetes watcher's configuration owns.
    pub managed_by: Option<String>,
    /// Failed attempts since the last successful one; 0 means the receiver is up.
    pub consecutive_failures: u32,
    pub last_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl ChannelView {
    /// Its subscriptions as a person reads them, services first: `name: kind,kind`, `muted on name`; ids
    /// without a name in `names` are shown as ids.
    pub fn subscription_lines(&self, names: &HashMap<Uuid, String>) -> Vec<String> {
        let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| id.to_string());
        self.subscriptions
            .iter()
            .map(|s| format!("{}: {}", name(&s.service_id), s.events.join(", ")))
            .chain(self.monitors.iter().map(|m| {
                if m.muted {
                    format!("muted on {}", name(&m.monitor_id))
                } else {
                    format!("{}: {}", name(&m.monitor_id), m.events.join(", "))
                }
            }))
            .collect()
    }
}

impl From<&Channel> for ChannelView {
    fn from(c: &Channel) -> Self {
        let mut settings: BTreeMap<String, String> = c
            .spec
            .settings()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let mut target = c.spec.target();
        if let Some(w) = &c.webhook {
            target = w.url.as_str().to_owned();
            settings.insert("url".into(), target.clone());
            for h in &w.headers {
                settings.insert(format!("header.{}", h.name), MASKED.to_owned());
            }
        }
        Self {
            id: c.id,
            name: c.name.clone(),
            kind: c.kind().as_str().to_owned(),
            target,
            settings,
            subscriptions: c
                .routes
                .iter()
                .map(|r| SubscriptionView {
                    service_id: r.service_id,
                    events: r.events.clone(),
                })
                .collect(),
            monitors: c
                .monitors
                .iter()
                .map(|m| MonitorRouteView {
                    monitor_id: m.monitor_id,
                    monitor_kind: m.monitor_kind.to_owned(),
                    events: m.events.clone(),
                    muted: m.muted,
                })
                .collect(),
            service_id: c.service_id,
            endpoint_id: c.endpoint_id,
            managed_by: c.managed_by.clone(),
            consecutive_failures: c.consecutive_failures,
            last_attempt_at: opt_rfc3339(c.last_attempt_at),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

list_type!(ChannelList, ChannelView);

/// A channel just created; a webhook's signing secret (`whsec_...`) is shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CreatedChannelView {
    #[serde(flatten)]
    pub channel: ChannelView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A kind's settings, as fields of the create and patch bodies (each kind takes its own; another kind's is an
/// error naming it). Not `deny_unknown_fields`: it is flattened into the bodies (their other fields would be
/// unknown to it, and the OpenAPI schemas would contradict each other); `unknown` catches the rest by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ChannelFields {
    /// A webhook's or chat service's webhook URL, or the kind's API base (self-hosted ntfy, Gotify, Matrix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    /// starttls (default), tls or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_security: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_password: Option<String>,
    /// `beacon@example.com` or `Beacon <beacon@example.com>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<String>,
    /// A webhook's extra request headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Fields no kind knows, refused by name (serde cannot deny unknown fields through `flatten`).
    #[serde(flatten, skip_serializing)]
    #[schema(ignore)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

impl ChannelFields {
    /// The first field no kind knows, if any.
    pub fn unknown_field(&self) -> Option<&str> {
        self.unknown.keys().next().map(String::as_str)
    }

    /// The kind's settings as the domain takes them (a webhook's headers go their own way).
    pub fn input(&self) -> ChannelInput {
        ChannelInput {
            url: self.url.clone(),
            smtp_host: self.smtp_host.clone(),
            smtp_port: self.smtp_port,
            smtp_security: self.smtp_security.clone(),
            smtp_user: self.smtp_user.clone(),
            smtp_password: self.smtp_password.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            routing_key: self.routing_key.clone(),
            bot_token: self.bot_token.clone(),
            chat_id: self.chat_id.clone(),
            thread_id: self.thread_id,
            topic: self.topic.clone(),
            token: self.token.clone(),
            user_key: self.user_key.clone(),
            room_id: self.room_id.clone(),
        }
    }
}

/// (Unknown fields are refused by `ChannelFields`, which receives every field this struct does not name.)
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelCreate {
    pub kind: String,
    pub name: String,
    #[serde(flatten)]
    pub fields: ChannelFields,
    /// Subscribe it to this service's events at once (with `events`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
}

/// Changes to a channel; absent fields keep their value. Its kind cannot change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ChannelPatchBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub fields: ChannelFields,
}

/// Subscribe a channel to a service's event kinds, or to one monitor's (an endpoint or heartbeat, which adds the
/// channel to its service's): exactly one of `service_id` and `monitor_id`. Replaces that service's or
/// monitor's earlier list (and a monitor's mute of the channel).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<Uuid>,
    pub events: Vec<String>,
}

/// Mute a channel on one monitor: it hears nothing of the monitor through any subscription.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteBody {
    pub monitor_id: Uuid,
}

/// A monitor's own use of a channel: subscribed to event kinds, or muted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorRouteView {
    pub monitor_id: Uuid,
    /// endpoint or heartbeat.
    pub monitor_kind: String,
    /// Empty when muted.
    pub events: Vec<String>,
    pub muted: bool,
}

/// A channel a monitor adds or mutes, as the monitor lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorChannelView {
    pub channel_id: Uuid,
    pub name: Option<String>,
    /// Empty when muted.
    pub events: Vec<String>,
    pub muted: bool,
}

/// What follows a monitor's incidents: reminders and an escalation policy (its own, or its service's, as
/// `*_from` says), and the channels it adds to its service's or mutes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorNotificationsView {
    pub monitor_id: Uuid,
    /// Null: no reminders.
    pub remind_every: Option<String>,
    pub remind_max: Option<u32>,
    /// `monitor` (its own) or `service` (inherited).
    pub reminders_from: String,
    /// Null: no escalation.
    pub escalation_policy_id: Option<Uuid>,
    /// `monitor` (its own) or `service` (inherited).
    pub escalation_from: String,
    pub channels: Vec<MonitorChannelView>,
}

/// Change what follows a monitor's incidents; an absent field keeps its setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorNotificationsPatch {
    /// A span from 10s to 7d (`30m`), `off` (none, whatever the service says), or `inherit` (the service's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_every: Option<String>,
    /// At most this many reminders per incident, 1..100 (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_max: Option<u32>,
    /// A policy by id or name, `none`, or `inherit` (the service's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_policy: Option<String>,
}
