//! Heartbeat intake and evaluation.
//!
//! `Intake` is the group-commit writer behind the ping routes: a request hands its ping over and waits; the
//! writer takes everything queued (up to `batch_max`) and stores it in one transaction, then answers each
//! request. While one transaction runs the next batch gathers, so a busy server writes large batches and an idle
//! one answers at once. A 200 therefore means the ping is stored.
//!
//! `run_evaluator` re-evaluates heartbeats whose `next_check_at` has come (within `poll_interval` of the
//! deadline), prunes old pings every `prune_every` (a sweep of short steps), and asks the store for its background checkpoint every
//! second (SQLite's hot write connection does not checkpoint on commit, so the intake never stalls on one).

use crate::Clock;
use beacon_store::{HeartbeatIntake, IncomingPing, PingOutcome, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

type Reply = oneshot::Sender<Result<PingOutcome, String>>;

/// Settings of the intake and the evaluator.
#[derive(Debug, Clone)]
pub struct HeartbeatConfig {
    /// Pings stored per transaction, at most.
    pub batch_max: usize,
    /// Pings waiting for the writer, at most; beyond it requests wait for room.
    pub queue: usize,
    pub poll_interval: Duration,
    /// Pings kept per heartbeat.
    pub keep_pings: u32,
    pub prune_every: Duration,
    /// Pings looked at per pruning step (each step one short statement).
    pub prune_step: u32,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        Self {
            batch_max: 2_000,
            queue: 20_000,
            poll_interval: Duration::from_millis(250),
            keep_pings: 1_000,
            prune_every: Duration::from_secs(60),
            prune_step: 5_000,
        }
    }
}

/// The handle request handlers use to store a ping.
#[derive(Clone)]
pub struct Intake {
    tx: mpsc::Sender<(IncomingPing, Reply)>,
}

impl Intake {
    /// Start the writer; it ends when every `Intake` clone is dropped, after storing what was queued.
    pub fn start(
        store: Arc<dyn HeartbeatIntake>,
        config: &HeartbeatConfig,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let handle = tokio::spawn(write_loop(store, rx, config.batch_max.max(1)));
        (Self { tx }, handle)
    }

    /// Store one ping (with whatever else is queued); its outcome once committed.
    pub async fn submit(&self, ping: IncomingPing) -> Result<PingOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((ping, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the heartbeat writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the heartbeat writer has stopped".into()))?
            .map_err(StoreError::Unavailable)
    }
}

async fn write_loop(
    store: Arc<dyn HeartbeatIntake>,
    mut rx: mpsc::Receiver<(IncomingPing, Reply)>,
    batch_max: usize,
) {
    let mut pings = Vec::with_capacity(batch_max);
    let mut replies: Vec<Reply> = Vec::with_capacity(batch_max);
    loop {
        let Some((first, reply)) = rx.recv().await else {
            break;
        };
        pings.push(first);
        replies.push(reply);
        while pings.len() < batch_max {
            match rx.try_recv() {
                Ok((p, r)) => {
                    pings.push(p);
                    replies.push(r);
                }
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        match store.record_heartbeat_pings(&pings).await {
            Ok(outcomes) => {
                metrics::histogram!("beacon_heartbeat_batch_seconds")
                    .record(started.elapsed().as_secs_f64());
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let result = match outcome {
                        PingOutcome::Accepted => "accepted",
                        PingOutcome::NotFound => "not_found",
                        PingOutcome::Unauthorized => "unauthorized",
                    };
                    metrics::counter!("beacon_heartbeat_pings_total", "result" => result)
                        .increment(1);
                    let _ = reply.send(Ok(outcome));
                }
                debug!(size = pings.len(), "heartbeat batch stored");
            }
            Err(e) => {
                // Nothing of the batch was stored (one transaction): every request gets an error and may retry.
                warn!(error = %e, size = pings.len(), "storing heartbeat pings failed");
                let message = e.to_string();
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
        pings.clear();
    }
}

/// Evaluate due heartbeats until `shutdown`. The cadence of pruning and checkpoints runs on tokio's clock (a
/// paused one in tests); the heartbeats' deadlines on `clock`.
pub async fn run_evaluator(
    store: Arc<dyn HeartbeatIntake>,
    clock: Arc<dyn Clock>,
    config: HeartbeatConfig,
    shutdown: CancellationToken,
) {
    const LIMIT: u32 = 1_000;
    info!("heartbeat evaluator started");
    let mut last_prune = tokio::time::Instant::now();
    let mut last_checkpoint = tokio::time::Instant::now();
    while !shutdown.is_cancelled() {
        match store.evaluate_heartbeats(clock.now(), LIMIT).await {
            // A full page: more may be due; go on at once.
            Ok(n) if n >= LIMIT => continue,
            Ok(n) => {
                if n > 0 {
                    debug!(evaluated = n, "due heartbeats evaluated");
                }
            }
            Err(e) => warn!(error = %e, "evaluating heartbeats failed; retrying"),
        }
        if last_checkpoint.elapsed() >= Duration::from_secs(1) {
            last_checkpoint = tokio::time::Instant::now();
            if let Err(e) = store.checkpoint().await {
                debug!(error = %e, "checkpoint failed; the next one will catch up");
            }
        }
        if last_prune.elapsed() >= config.prune_every {
            last_prune = tokio::time::Instant::now();
            // A whole sweep, one short statement per step: the intake's batches slip in between.
            let mut after = 0;
            loop {
                match store
                    .prune_heartbeat_pings(config.keep_pings, after, config.prune_step)
                    .await
                {
                    Ok(step) => {
                        metrics::counter!("beacon_heartbeat_pings_pruned_total")
                            .increment(step.deleted);
                        match step.last {
                            Some(last) => after = last,
                            None => break,
                        }
                    }
                    Err(e) => {
                        warn!(error = %e, "pruning heartbeat pings failed");
                        break;
                    }
                }
                if shutdown.is_cancelled() {
                    break;
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    }
    info!("heartbeat evaluator stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{MemHeartbeats, T0, TokioClock};
    use beacon_core::heartbeat::HbStatus;

    #[tokio::test(start_paused = true)]
    async fn a_silent_heartbeat_turns_late_then_down_at_its_deadlines() {
        // Expected every 60 s with 30 s of grace; last pinged at T0.
        let store = Arc::new(MemHeartbeats::new(60, 30, T0));
        let shutdown = CancellationToken::new();
        let config = HeartbeatConfig {
            prune_every: Duration::from_secs(60),
            ..HeartbeatConfig::default()
        };
        let task = tokio::spawn(run_evaluator(
            store.clone(),
            Arc::new(TokioClock::new()),
            config,
            shutdown.clone(),
        ));
        tokio::time::sleep(Duration::from_secs(150)).await;
        shutdown.cancel();
        task.await.expect("evaluator ends");
        store.with(|h| {
            let [(late_at, HbStatus::Late), (down_at, HbStatus::Down)] = h.changes[..] else {
                panic!("expected late then down, got {:?}", h.changes);
            };
            // Noticed within one poll (250 ms) of each deadline, never before it.
            assert!(
                (T0 + 60_000..=T0 + 60_000 + 250).contains(&late_at),
                "late at +{}",
                late_at - T0
            );
            assert!(
                (T0 + 90_000..=T0 + 90_000 + 250).contains(&down_at),
                "down at +{}",
                down_at - T0
            );
            assert_eq!(
                h.evaluations, 2,
                "evaluated at its deadlines only, not every poll"
            );
            // Upkeep on tokio's clock: a checkpoint about every second, a pruning sweep every minute.
            assert!(
                (148..=151).contains(&h.checkpoints.len()),
                "{} checkpoints",
                h.checkpoints.len()
            );
            assert_eq!(h.sweeps.len(), 2, "sweeps at {:?}", h.sweeps);
            assert!(h.sweeps.iter().all(|at| *at >= 60_000));
        });
    }
}
