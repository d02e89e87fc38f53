//! The result writer: gathers completions into batches (up to `batch_max`, waiting at most `flush_interval` after
//! the first) and stores each batch in one transaction. A failed write is retried with the same batch — results
//! are keyed by slot, so a retry after an ambiguous failure cannot double-count — with backoff, for at most
//! `write_retry_for`, or until `abort` (the end of the shutdown grace): then the batch is dropped, loudly. Its
//! slots' leases expire and the slots run again (or are skipped as missed); nothing half-written remains. Ends
//! when every sender is gone.

use crate::CheckConfig;
use beacon_store::{Completion, Schedules};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, warn};

const MAX_RETRY_PAUSE: Duration = Duration::from_secs(5);

pub async fn run(
    store: Arc<dyn Schedules>,
    config: Arc<CheckConfig>,
    mut rx: mpsc::Receiver<Completion>,
    abort: CancellationToken,
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
        write(&*store, &config, &mut batch, &abort).await;
        if closed {
            break;
        }
    }
}

async fn write(
    store: &dyn Schedules,
    config: &CheckConfig,
    batch: &mut Vec<Completion>,
    abort: &CancellationToken,
) {
    let mut pause = Duration::from_millis(100);
    let give_up = tokio::time::Instant::now() + config.write_retry_for;
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
                if report.incidents_opened + report.incidents_resolved > 0 {
                    config.delivery_wake.wake();
                }
                batch.clear();
                return;
            }
            Err(e) if abort.is_cancelled() || tokio::time::Instant::now() + pause > give_up => {
                error!(error = %e, attempt, size = batch.len(), "writing results failed; giving the batch up (its slots run again once their leases expire)");
                metrics::counter!("beacon_results_dropped_total").increment(batch.len() as u64);
                batch.clear();
                return;
            }
            Err(e) => {
                warn!(error = %e, attempt, size = batch.len(), "writing results failed; retrying");
                tokio::select! {
                    () = abort.cancelled() => {}
                    () = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(MAX_RETRY_PAUSE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{MemSchedules, T0};
    use beacon_store::Completion;

    fn completion(pk: i64) -> Completion {
        Completion {
            schedule_pk: pk,
            endpoint_pk: pk,
            slot: T0,
            next_slot: T0 + 60_000,
            ping: None,
        }
    }

    fn config(batch_max: usize, retry_for_ms: u64) -> Arc<CheckConfig> {
        Arc::new(CheckConfig {
            owner: "node-a".into(),
            batch_max,
            flush_interval: Duration::from_millis(100),
            write_retry_for: Duration::from_millis(retry_for_ms),
            ..CheckConfig::default()
        })
    }

    /// Start the writer; the sender, the store and the writer's task.
    fn start(
        store: Arc<MemSchedules>,
        config: Arc<CheckConfig>,
        abort: CancellationToken,
    ) -> (mpsc::Sender<Completion>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(100);
        let task = tokio::spawn(run(store, config, rx, abort));
        (tx, task)
    }

    #[tokio::test(start_paused = true)]
    async fn batches_fill_up_or_wait_at_most_the_flush_interval() {
        let store = Arc::new(MemSchedules::new(Vec::new()));
        let (tx, task) = start(store.clone(), config(3, 60_000), CancellationToken::new());
        for pk in 0..7 {
            tx.send(completion(pk)).await.expect("send");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        tx.send(completion(7)).await.expect("send");
        drop(tx);
        task.await.expect("writer ends when senders are gone");
        store.with(|s| {
            assert_eq!(s.batches, [3, 3, 1, 1]);
            // Full batches go at once; a lone result waits for the flush interval, never longer.
            assert_eq!(s.write_calls, [0, 0, 100, 500]);
            let pks: Vec<i64> = s.written.iter().map(|c| c.schedule_pk).collect();
            assert_eq!(pks, (0..8).collect::<Vec<_>>());
        });
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_batch_is_retried_with_backoff_and_written_once() {
        let store = Arc::new(MemSchedules::new(Vec::new()));
        store.with(|s| s.fail_writes = 3);
        let (tx, task) = start(store.clone(), config(10, 60_000), CancellationToken::new());
        tx.send(completion(1)).await.expect("send");
        tx.send(completion(2)).await.expect("send");
        drop(tx);
        task.await.expect("writer ends");
        store.with(|s| {
            // The channel closed with the batch, so it formed at once: tries at 0, then pauses of 100 ms doubling.
            assert_eq!(s.write_calls, [0, 100, 300, 700]);
            assert_eq!(s.batches, [2], "the same batch, stored once");
            assert_eq!(s.written.len(), 2);
        });
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_that_keeps_failing_is_given_up_and_the_writer_goes_on() {
        let store = Arc::new(MemSchedules::new(Vec::new()));
        store.with(|s| s.fail_writes = usize::MAX);
        let (tx, task) = start(store.clone(), config(10, 1_000), CancellationToken::new());
        tx.send(completion(1)).await.expect("send");
        tokio::time::sleep(Duration::from_millis(2_000)).await;
        store.with(|s| {
            // Tries at 0, 100, 300, 700 ms after the batch formed; the next pause would pass 1 s: given up.
            assert_eq!(s.write_calls, [100, 200, 400, 800]);
            assert!(s.written.is_empty());
            s.fail_writes = 0;
        });
        tx.send(completion(2)).await.expect("send");
        drop(tx);
        task.await.expect("writer ends");
        store.with(|s| {
            let pks: Vec<i64> = s.written.iter().map(|c| c.schedule_pk).collect();
            assert_eq!(
                pks,
                [2],
                "the next batch is written; the given-up one is not"
            );
        });
    }

    #[tokio::test(start_paused = true)]
    async fn abort_ends_retrying_at_once() {
        let store = Arc::new(MemSchedules::new(Vec::new()));
        store.with(|s| s.fail_writes = usize::MAX);
        let abort = CancellationToken::new();
        let (tx, task) = start(store.clone(), config(10, 3_600_000), abort.clone());
        tx.send(completion(1)).await.expect("send");
        drop(tx);
        tokio::time::sleep(Duration::from_millis(10_000)).await;
        assert!(!task.is_finished(), "still retrying within its hour");
        let calls = store.with(|s| s.write_calls.len());
        abort.cancel();
        task.await.expect("writer ends once aborted");
        store.with(|s| {
            assert_eq!(
                s.write_calls.len(),
                calls + 1,
                "one last try, then given up"
            );
            assert!(s.written.is_empty());
        });
    }
}
