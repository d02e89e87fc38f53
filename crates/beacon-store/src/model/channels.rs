//! Models of notification channels: a channel of a kind with its settings, and its subscriptions (routes).

use beacon_core::Millis;
use beacon_core::channel::{ChannelKind, ChannelSpec};
use beacon_core::endpoint::{CheckUrl, Header};
use beacon_core::webhook::WebhookSecret;
use uuid::Uuid;

/// A service's subscription of a channel to event kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub service_id: Uuid,
    pub events: Vec<String>,
}

/// Where notifications go. A channel of kind `webhook` is the same row as a webhook (`webhooks` commands see it):
/// its URL, signing secret and headers are in `webhook`.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub id: Uuid,
    /// `None` for webhooks made before channels had names.
    pub name: Option<String>,
    pub spec: ChannelSpec,
    pub webhook: Option<WebhookTarget>,
    /// The service a webhook was made for (deleted with it); `None` for a channel made on its own.
    pub service_id: Option<Uuid>,
    /// Set for the webhook that carries an endpoint's `webhook_url`.
    pub endpoint_id: Option<Uuid>,
    /// `kubernetes` for the webhook the watcher's configuration owns.
    pub managed_by: Option<String>,
    /// Every service subscription: its own service's first, then the others in the order they were made.
    pub routes: Vec<Route>,
    /// Monitors that add the channel for themselves or mute it.
    pub monitors: Vec<MonitorRoute>,
    pub consecutive_failures: u32,
    pub last_attempt_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Channel {
    pub fn kind(&self) -> ChannelKind {
        self.spec.kind()
    }
}

/// A webhook channel's request settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub url: CheckUrl,
    pub secret: WebhookSecret,
    pub headers: Vec<Header>,
}

/// A channel to make.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub name: String,
    pub spec: ChannelSpec,
    /// Required for (and only for) the webhook kind.
    pub webhook: Option<WebhookTarget>,
    /// A first subscription, made in the same transaction.
    pub route: Option<Route>,
}

/// Changes to a channel; `None` keeps the current value. A new spec must be of the channel's kind.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub spec: Option<ChannelSpec>,
    pub url: Option<CheckUrl>,
    pub headers: Option<Vec<Header>>,
}

/// An escalation policy: steps of channels, each this long after an incident opens, run `repeat` more times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    pub id: Uuid,
    pub name: String,
    pub steps: Vec<PolicyStep>,
    pub repeat: u32,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyStep {
    pub delay_ms: Millis,
    /// Channel ids.
    pub channels: Vec<Uuid>,
}

/// Remind every `every_ms`, at most `max` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reminders {
    pub every_ms: i64,
    pub max: u32,
}

/// A channel a monitor (endpoint or heartbeat) adds to its service's, subscribed to event kinds, or mutes: a
/// muted channel hears nothing of the monitor through any subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorRoute {
    pub monitor_id: Uuid,
    /// `endpoint` or `heartbeat`.
    pub monitor_kind: &'static str,
    /// Empty for a mute.
    pub events: Vec<String>,
    pub muted: bool,
}

/// A monitor's own setting, or its service's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Setting<T> {
    /// Follow the service.
    #[default]
    Inherit,
    /// The monitor's own: `None` is none at all.
    Own(Option<T>),
}

/// What a monitor's incidents are followed by, over its service's; and the channels it adds or mutes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonitorNotifications {
    pub reminders: Setting<Reminders>,
    /// An escalation policy's id.
    pub escalation: Setting<Uuid>,
    /// The channels the monitor adds or mutes: (channel id, its name, the route).
    pub channels: Vec<(Uuid, Option<String>, MonitorRoute)>,
}

/// What a maintenance window covers: a service (all its monitors) or one monitor (endpoint or heartbeat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowTarget {
    Service(Uuid),
    Monitor(Uuid),
}

/// A maintenance window to make.
#[derive(Debug, Clone)]
pub struct NewWindow {
    pub target: WindowTarget,
    pub reason: Option<String>,
    pub schedule: beacon_core::maintenance::WindowSchedule,
}

/// A maintenance window: while it is in force its monitors' checks run and are stored, but no incident opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    pub id: Uuid,
    pub service_id: Option<Uuid>,
    pub monitor_id: Option<Uuid>,
    /// `endpoint` or `heartbeat` for a monitor's window.
    pub monitor_kind: Option<&'static str>,
    pub reason: Option<String>,
    pub schedule: beacon_core::maintenance::WindowSchedule,
    /// Ended by hand: nothing of it is in force from then.
    pub ended_at: Option<Millis>,
    pub created_at: Millis,
}

impl MaintenanceWindow {
    /// The span in force at `at`, if any.
    pub fn active_at(&self, at: Millis) -> Option<(Millis, Millis)> {
        let (start, end) = self.schedule.active_at(at)?;
        match self.ended_at {
            Some(e) if e <= at => None,
            Some(e) => Some((start, end.min(e))),
            None => Some((start, end)),
        }
    }
}
