//! Kubernetes objects the watcher tracks and their events: views and list queries.

use super::*;

/// A Kubernetes object the watcher tracks (`active`), or tracked until it was deleted or lost its annotation
/// (`deleted`, kept until cleanup).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct KubeObjectView {
    pub id: Uuid,
    /// The object's uid in the cluster.
    pub uid: String,
    pub api_version: String,
    pub kind: String,
    /// Empty for cluster-scoped kinds.
    pub namespace: String,
    pub name: String,
    /// `active` or `deleted`.
    pub status: String,
    pub annotation_value: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub resource_version: String,
    /// When it was first recorded as annotated.
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

/// Deliveries of one event, by status.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DeliveryCounts {
    pub pending: u32,
    pub delivered: u32,
    pub failed: u32,
}

/// A `kubernetes_created` or `kubernetes_deleted` event, with how its deliveries stand (each one is listed by
/// `GET /api/v1/deliveries`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct KubeEventView {
    pub id: Uuid,
    pub object_id: Uuid,
    /// `kubernetes_created` or `kubernetes_deleted`.
    pub event: String,
    /// added, annotation_added, removed, annotation_removed, missed_creation, missed_deletion.
    pub reason: String,
    pub uid: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub resource_version: String,
    pub created_at: String,
    pub deliveries: DeliveryCounts,
}

list_type!(KubeObjectList, KubeObjectView);
list_type!(KubeEventList, KubeEventView);

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KubeObjectQuery {
    /// Only this kind, e.g. ConfigMap.
    pub kind: Option<String>,
    pub namespace: Option<String>,
    /// `active` or `deleted`.
    pub status: Option<String>,
    /// Items, 1..1000 (default 100), newest first.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KubeEventQuery {
    /// Only this object's events (its id).
    pub object_id: Option<Uuid>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    /// Items, 1..1000 (default 100), newest first.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

impl From<&beacon_store::KubeObject> for KubeObjectView {
    fn from(o: &beacon_store::KubeObject) -> Self {
        Self {
            id: o.id,
            uid: o.meta.uid.clone(),
            api_version: o.meta.api_version.clone(),
            kind: o.meta.kind.clone(),
            namespace: o.meta.namespace.clone().unwrap_or_default(),
            name: o.meta.name.clone(),
            status: o.status.as_str().to_owned(),
            annotation_value: o.annotation_value.clone(),
            labels: o.meta.labels.clone(),
            annotations: o.meta.annotations.clone(),
            resource_version: o.meta.resource_version.clone(),
            created_at: rfc3339(o.created_at),
            updated_at: rfc3339(o.updated_at),
            deleted_at: opt_rfc3339(o.deleted_at),
        }
    }
}

impl From<&beacon_store::KubeEventRow> for KubeEventView {
    fn from(e: &beacon_store::KubeEventRow) -> Self {
        let o = &e.event.object;
        Self {
            id: e.id,
            object_id: e.object_id,
            event: format!("kubernetes_{}", e.change.as_str()),
            reason: e.event.reason.as_str().to_owned(),
            uid: o.uid.clone(),
            kind: o.kind.clone(),
            namespace: o.namespace.clone().unwrap_or_default(),
            name: o.name.clone(),
            resource_version: o.resource_version.clone(),
            created_at: rfc3339(e.created_at),
            deliveries: DeliveryCounts {
                pending: e.pending,
                delivered: e.delivered,
                failed: e.failed,
            },
        }
    }
}
