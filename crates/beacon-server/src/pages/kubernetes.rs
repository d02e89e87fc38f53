//! The Kubernetes page: how this server's watcher stands, the objects it tracks (filtered by kind, namespace and
//! status), and their events with how their deliveries stand.

use super::*;
use crate::api::KubernetesOps;
use crate::wire::{KubeEventQuery, KubeObjectQuery};
use axum::extract::{Query, State};
use uuid::Uuid;

#[derive(Debug, Default, serde::Deserialize)]
pub struct Filter {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    object: Option<Uuid>,
}

struct ObjectLine {
    id: Uuid,
    kind: String,
    namespace: String,
    name: String,
    active: bool,
    value: String,
    since: String,
    deleted: String,
}

struct EventLine {
    created: bool,
    reason: String,
    object_id: Uuid,
    kind: String,
    namespace: String,
    name: String,
    at: String,
    delivered: u32,
    pending: u32,
    failed: u32,
}

#[derive(Template)]
#[template(path = "kubernetes.html")]
struct KubernetesPage {
    nav: Nav,
    /// (check, ok, detail) of this server's watcher; empty when it runs none.
    checks: Vec<(String, bool, String)>,
    kind: String,
    namespace: String,
    status: String,
    /// The object whose events are shown, by name.
    object: Option<String>,
    objects: Vec<ObjectLine>,
    events: Vec<EventLine>,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

pub async fn kubernetes(
    State(state): State<AppState>,
    Me(me): Me,
    Query(f): Query<Filter>,
) -> Response {
    let objects = state
        .app
        .list_kube_objects(KubeObjectQuery {
            kind: some(&f.kind),
            namespace: some(&f.namespace),
            status: some(&f.status),
            limit: Some(500),
        })
        .await;
    let events = state
        .app
        .list_kube_events(KubeEventQuery {
            object_id: f.object,
            kind: some(&f.kind),
            namespace: some(&f.namespace),
            limit: Some(100),
        })
        .await;
    let (objects, events) = match (objects, events) {
        (Ok(o), Ok(e)) => (o.data, e.data),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let checks = state
        .readiness
        .iter()
        .flat_map(|r| r.checks())
        .filter(|(name, _)| matches!(*name, "kubernetes" | "watchers"))
        .map(|(name, r)| match r {
            Ok(d) => (name.to_owned(), true, d),
            Err(e) => (name.to_owned(), false, e),
        })
        .collect();
    let object = f.object.and_then(|id| {
        events
            .iter()
            .find(|e| e.object_id == id)
            .map(|e| format!("{} {}", e.kind, e.name))
    });
    let page = KubernetesPage {
        nav: Nav::new(&me, "kubernetes"),
        checks,
        kind: f.kind,
        namespace: f.namespace,
        status: f.status,
        object,
        objects: objects
            .into_iter()
            .map(|o| ObjectLine {
                id: o.id,
                active: o.status == "active",
                since: when(&o.created_at),
                deleted: o.deleted_at.as_deref().map(when).unwrap_or_default(),
                kind: o.kind,
                namespace: o.namespace,
                name: o.name,
                value: o.annotation_value,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| EventLine {
                created: e.event == "kubernetes_created",
                reason: e.reason.replace('_', " "),
                object_id: e.object_id,
                at: when(&e.created_at),
                kind: e.kind,
                namespace: e.namespace,
                name: e.name,
                delivered: e.deliveries.delivered,
                pending: e.deliveries.pending,
                failed: e.deliveries.failed,
            })
            .collect(),
    };
    render(&page)
}
