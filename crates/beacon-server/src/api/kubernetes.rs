//! Kubernetes objects the watcher tracks and their events: read-only lists (the watcher writes them).

use super::*;
use beacon_store::{KubeEventFilter, KubeObjectFilter, KubeObjectStatus};

#[async_trait]
pub trait KubernetesOps: Send + Sync {
    /// Tracked objects, newest first.
    async fn list_kube_objects(&self, q: KubeObjectQuery) -> Result<KubeObjectList, ApiError>;
    /// Objects' events, newest first, with their deliveries by status.
    async fn list_kube_events(&self, q: KubeEventQuery) -> Result<KubeEventList, ApiError>;
}

fn limit(l: Option<u32>) -> Result<u32, ApiError> {
    match l {
        None => Ok(100),
        Some(n @ 1..=1000) => Ok(n),
        Some(n) => Err(ValidationError::new("limit", format!("{n} is not within 1..1000")).into()),
    }
}

#[async_trait]
impl KubernetesOps for App {
    async fn list_kube_objects(&self, q: KubeObjectQuery) -> Result<KubeObjectList, ApiError> {
        let status = match q.status.as_deref() {
            None => None,
            Some(s) => Some(KubeObjectStatus::parse(s).ok_or_else(|| {
                ValidationError::new("status", format!("{s:?} is not one of active, deleted"))
            })?),
        };
        let filter = KubeObjectFilter {
            kind: q.kind,
            namespace: q.namespace,
            status,
            limit: limit(q.limit)?,
        };
        Ok(KubeObjectList {
            data: self
                .store
                .list_kube_objects(&filter)
                .await?
                .iter()
                .map(KubeObjectView::from)
                .collect(),
            next_cursor: None,
        })
    }

    async fn list_kube_events(&self, q: KubeEventQuery) -> Result<KubeEventList, ApiError> {
        let filter = KubeEventFilter {
            object_id: q.object_id,
            kind: q.kind,
            namespace: q.namespace,
            limit: limit(q.limit)?,
        };
        Ok(KubeEventList {
            data: self
                .store
                .list_kube_events(&filter)
                .await?
                .iter()
                .map(KubeEventView::from)
                .collect(),
            next_cursor: None,
        })
    }
}
