//! Gauges that come from the database rather than from this process: due-and-unclaimed slots, open incidents,
//! pending webhook deliveries, and each webhook's health (up = its last attempt succeeded, or none was made yet).

use crate::Clock;
use beacon_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::debug;

pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    region_pk: i32,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        match store.queue_depth(region_pk, clock.now()).await {
            Ok(n) => metrics::gauge!("beacon_queue_depth").set(n as f64),
            Err(e) => debug!(error = %e, "queue depth unavailable"),
        }
        match store.count_pending_deliveries().await {
            Ok(n) => metrics::gauge!("beacon_notifications_pending").set(n as f64),
            Err(e) => debug!(error = %e, "pending deliveries unavailable"),
        }
        match store.list_webhooks(None).await {
            Ok(hooks) => {
                for h in hooks {
                    let id = h.id.to_string();
                    let up = if h.consecutive_failures == 0 {
                        1.0
                    } else {
                        0.0
                    };
                    metrics::gauge!("beacon_webhook_up", "webhook" => id.clone()).set(up);
                    metrics::gauge!("beacon_webhook_consecutive_failures", "webhook" => id)
                        .set(f64::from(h.consecutive_failures));
                }
            }
            Err(e) => debug!(error = %e, "webhook health unavailable"),
        }
        match store.count_open_incidents().await {
            Ok(n) => metrics::gauge!("beacon_incidents_open").set(n as f64),
            Err(e) => debug!(error = %e, "open incidents unavailable"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
