//! The result writer: gathers completions into batches (up to `batch_max`, waiting at most `flush_interval` after
//! the first) and stores each batch in one transaction. A failed write is retried with the same batch — results
//! are keyed by slot, so a retry after an ambiguous failure cannot double-count. Ends when every sender is gone.

use crate::CheckConfig;
use beacon_store::{Completion, Schedules};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::{debug, warn};

const MAX_RETRY_PAUSE: Duration = Duration::from_secs(5);

pub async fn run(
    store: Arc<dyn Schedules>,
    config: Arc<CheckConfig>,
    mut rx: mpsc::Receiver<Completion>,
) {
    let mut batch: Vec<Completion> = Vec::with_capacity(config.batch_max);
    loop {
        let Some(first) = rx.recv().await else { break };
        batch.push(first);
        let deadline = tokio::time::Instant::now() + config.flush_interval;
        let mut closed = false;
        while batch.len() < config.batch_max {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(c)) => batch.push(c),
                Ok(None) => {
                    closed = true;
                    break;
                }
                Err(_) => break,
            }
        }
        write(&*store, &config, &mut batch).await;
        if closed {
            break;
        }
    }
}

async fn write(store: &dyn Schedules, config: &CheckConfig, batch: &mut Vec<Completion>) {
    let mut pause = Duration::from_millis(100);
    for attempt in 1.. {
        let started = Instant::now();
        match store
            .complete_slots(&config.owner, config.region_pk, batch)
            .await
        {
            Ok(report) => {
                metrics::histogram!("beacon_result_batch_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::counter!("beacon_results_written_total").increment(report.inserted as u64);
                metrics::counter!("beacon_results_duplicate_total")
                    .increment(report.duplicates as u64);
                debug!(size = batch.len(), ?report, "batch written");
                batch.clear();
                return;
            }
            Err(e) => {
                warn!(error = %e, attempt, size = batch.len(), "writing results failed; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_RETRY_PAUSE);
            }
        }
    }
}
