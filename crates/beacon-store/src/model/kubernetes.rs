//! Models of the Kubernetes watcher's records: tracked objects, their events, what to list, where events go.

use super::{WebhookFormat, WebhookOptions};
use beacon_core::Millis;
use beacon_core::endpoint::{CheckUrl, Header};
use beacon_core::webhook::WebhookSecret;
use uuid::Uuid;

/// A Kubernetes object's record: `active` while annotated and present, `deleted` after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeObjectStatus {
    Active,
    Deleted,
}

impl KubeObjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deleted => "deleted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// A Kubernetes object the watcher tracks (or tracked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeObject {
    pub id: Uuid,
    pub meta: beacon_core::kubernetes::ObjectMeta,
    pub annotation_value: String,
    pub status: KubeObjectStatus,
    /// When it was first recorded as annotated.
    pub created_at: Millis,
    pub updated_at: Millis,
    pub deleted_at: Option<Millis>,
}

/// Which tracked objects to list: newest first, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct KubeObjectFilter {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub status: Option<KubeObjectStatus>,
    pub limit: u32,
}

/// One watched set: a kind of one apiVersion, in some namespaces (all when `include` is empty) but not others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeScope {
    pub api_version: String,
    pub kind: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// A `created` or `deleted` event the store recorded for an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeRecorded {
    pub event_id: Uuid,
    pub object_id: Uuid,
    pub change: beacon_core::kubernetes::Change,
    pub reason: beacon_core::kubernetes::Reason,
    pub uid: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

/// Where the watcher's events go: the service whose webhooks receive them, and the webhook its configuration
/// owns (made or brought in line at each start; `None` when the configuration names no endpoint).
#[derive(Debug, Clone)]
pub struct KubeTarget {
    pub service_name: String,
    pub webhook: Option<KubeWebhook>,
}

#[derive(Debug, Clone)]
pub struct KubeWebhook {
    pub url: CheckUrl,
    pub format: WebhookFormat,
    pub headers: Vec<Header>,
    pub options: WebhookOptions,
}

/// The service and webhook `kube_target` settled on; the secret only when the webhook was made now.
#[derive(Debug, Clone)]
pub struct KubeTargetIds {
    pub service_id: Uuid,
    pub webhook_id: Option<Uuid>,
    pub new_secret: Option<WebhookSecret>,
}

/// An object's event, with how its deliveries stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeEventRow {
    pub id: Uuid,
    pub object_id: Uuid,
    pub event: beacon_core::kubernetes::ObjectEvent,
    pub change: beacon_core::kubernetes::Change,
    pub created_at: Millis,
    pub pending: u32,
    pub delivered: u32,
    pub failed: u32,
}

/// Which object events to list: newest first, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct KubeEventFilter {
    pub object_id: Option<Uuid>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub limit: u32,
}

/// Tracked objects and their notifications, for gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KubeCounts {
    pub active: u64,
    pub deleted: u64,
    pub pending_notifications: u64,
    pub failed_notifications: u64,
}
