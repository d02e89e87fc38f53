//! The watcher's upkeep: gauges of tracked objects and their notifications (every server), and the hourly
//! cleanup of deleted objects' records (the leader only; the first run one interval after start, as the seed's).

use beacon_runtime::Clock;
use beacon_runtime::leader::Leader;
use beacon_store::Kubernetes;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

const GAUGE_EVERY: Duration = Duration::from_secs(15);

/// Delete records of objects deleted more than `retention` ago whose notifications were all delivered.
pub async fn cleanup_once(
    store: &dyn Kubernetes,
    clock: &dyn Clock,
    retention: Duration,
) -> Result<u64, beacon_store::StoreError> {
    let before = clock.now() - i64::try_from(retention.as_millis()).unwrap_or(i64::MAX / 2);
    let result = store.kube_cleanup(before).await;
    metrics::counter!("beacon_kube_cleanup_runs_total",
        "result" => if result.is_ok() { "ok" } else { "error" })
    .increment(1);
    if let Ok(n) = result {
        metrics::counter!("beacon_kube_cleanup_deleted_total").increment(n);
    }
    result
}

pub async fn run_upkeep(
    store: Arc<dyn Kubernetes>,
    clock: Arc<dyn Clock>,
    leader: Leader,
    retention: Option<Duration>,
    cleanup_interval: Duration,
    shutdown: CancellationToken,
) {
    let mut next_cleanup = Instant::now() + cleanup_interval;
    loop {
        match store.kube_counts().await {
            Ok(c) => {
                metrics::gauge!("beacon_kube_objects", "status" => "active").set(c.active as f64);
                metrics::gauge!("beacon_kube_objects", "status" => "deleted").set(c.deleted as f64);
                metrics::gauge!("beacon_kube_notifications", "status" => "pending")
                    .set(c.pending_notifications as f64);
                metrics::gauge!("beacon_kube_notifications", "status" => "failed")
                    .set(c.failed_notifications as f64);
            }
            Err(e) => warn!(error = %e, "counting kubernetes objects failed"),
        }
        if Instant::now() >= next_cleanup {
            next_cleanup = Instant::now() + cleanup_interval;
            if let (Some(retention), true) = (retention, leader.is_leader()) {
                match cleanup_once(&*store, &*clock, retention).await {
                    Ok(0) => {}
                    Ok(n) => info!(objects = n, "cleaned up deleted kubernetes objects"),
                    Err(e) => {
                        warn!(error = %e, "kubernetes cleanup failed; next run in an interval")
                    }
                }
            }
        }
        let wait = GAUGE_EVERY.min(next_cleanup.saturating_duration_since(Instant::now()));
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait.max(Duration::from_millis(100))) => {}
        }
    }
}
