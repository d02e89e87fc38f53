//! Heartbeat intake and evaluation.
//!
//! `Intake` is the group-commit writer behind the ping routes: a request hands its ping over and waits; the
//! writer takes everything queued (up to `batch_max`) and stores it in one transaction, then answers each
//! request. While one transaction runs the next batch gathers, so a busy server writes large batches and an idle
//! one answers at once. A 200 therefore means the ping is stored.
//!
//! `run_evaluator` re-evaluates heartbeats whose `next_check_at` has come (within `poll_interval` of the
//! deadline). Beacon's own outage never pages anyone: the evaluator keeps `resumed_at`, the last moment Beacon
//! could not take pings — the process start, a failed evaluation (the database was away), or a batch the intake
//! could not store (`IntakeFailures`) — and the store holds every deadline that silence before it would break
//! until a period and grace after it (`heartbeat::evaluate_held`). It prunes old pings every `prune_every` (a sweep of short steps), and asks the store for its background checkpoint every
//! second (SQLite's hot write connection does not checkpoint on commit, so the intake never stalls on one).

use crate::Clock;
use beacon_store::{HeartbeatIntake, IncomingPing, PingOutcome, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Woken when the evaluator moved due heartbeats (a deadline passed: likely a `heartbeat_down` to send).
    pub delivery_wake: crate::delivery::Wake,
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
            delivery_wake: crate::delivery::Wake::default(),
        }
    }
}

/// The handle request handlers use to store a ping.
#[derive(Clone)]
pub struct Intake {
    tx: mpsc::Sender<(IncomingPing, Reply)>,
    failures: Arc<IntakeFailures>,
}

/// Batches the intake could not store, counted for the evaluator: pings were being refused meanwhile.
#[derive(Debug, Default)]
pub struct IntakeFailures(AtomicU64);

impl IntakeFailures {
    pub fn record(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intake {
    /// Start the writer; it ends when every `Intake` clone is dropped, after storing what was queued.
    pub fn start(
        store: Arc<dyn HeartbeatIntake>,
        config: &HeartbeatConfig,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let failures = Arc::new(IntakeFailures::default());
        let handle = tokio::spawn(write_loop(
            store,
            rx,
            config.batch_max.max(1),
            failures.clone(),
        ));
        (Self { tx, failures }, handle)
    }

    /// The intake's failure count, for `run_evaluator`.
    pub fn failures(&self) -> Arc<IntakeFailures> {
        self.failures.clone()
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
    failures: Arc<IntakeFailures>,
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
                failures.record();
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
    intake: Arc<IntakeFailures>,
    clock: Arc<dyn Clock>,
    config: HeartbeatConfig,
    shutdown: CancellationToken,
) {
    const LIMIT: u32 = 1_000;
    info!("heartbeat evaluator started");
    let mut last_prune = tokio::time::Instant::now();
    let mut last_checkpoint = tokio::time::Instant::now();
    // Pings could not arrive before the process started.
    let mut resumed_at = clock.now();
    let mut intake_failures = intake.count();
    let mut failing = false;
    let mut in_outage = false;
    while !shutdown.is_cancelled() {
        let now = clock.now();
        let seen = intake.count();
        if seen != intake_failures || failing {
            // The intake refused pings since the last look, or the last evaluation failed: service resumes now.
            intake_failures = seen;
            resumed_at = now;
            if !in_outage {
                info!(
                    "Beacon cannot take pings: heartbeat deadlines are held until a period and grace after it can"
                );
            }
            in_outage = true;
        } else if in_outage {
            in_outage = false;
            info!(
                "Beacon takes pings again: missed heartbeat deadlines are held for a period and grace"
            );
        }
        match store.evaluate_heartbeats(now, LIMIT, resumed_at).await {
            // A full page: more may be due; go on at once.
            Ok(n) if n >= LIMIT => {
                failing = false;
                config.delivery_wake.wake();
                continue;
            }
            Ok(n) => {
                failing = false;
                if n > 0 {
                    debug!(evaluated = n, "due heartbeats evaluated");
                    config.delivery_wake.wake();
                }
            }
            Err(e) => {
                failing = true;
                warn!(error = %e, "evaluating heartbeats failed; retrying");
            }
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
            Arc::default(),
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

    /// Run the evaluator over `store` for `run_for` of tokio time.
    async fn evaluate_for(
        store: Arc<MemHeartbeats>,
        failures: Arc<IntakeFailures>,
        run_for: Duration,
    ) {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run_evaluator(
            store,
            failures,
            Arc::new(TokioClock::new()),
            HeartbeatConfig::default(),
            shutdown.clone(),
        ));
        tokio::time::sleep(run_for).await;
        shutdown.cancel();
        task.await.expect("evaluator ends");
    }

    #[tokio::test(start_paused = true)]
    async fn the_database_being_away_does_not_turn_a_heartbeat_down() {
        // Pinged at T0, due at +60 s, down at +90 s; but the database is away until +200 s.
        let store = Arc::new(MemHeartbeats::new(60, 30, T0));
        store.with(|h| h.unavailable_until = T0 + 200_000);
        evaluate_for(store.clone(), Arc::default(), Duration::from_secs(400)).await;
        store.with(|h| {
            let [(held_at, HbStatus::Late), (down_at, HbStatus::Down)] = h.changes[..] else {
                panic!("expected held as late, then down, got {:?}", h.changes);
            };
            assert!(
                (T0 + 200_000..=T0 + 200_250).contains(&held_at),
                "late at +{}",
                held_at - T0
            );
            // A period and grace after the database came back, not at once.
            assert!(
                (T0 + 290_000..=T0 + 290_600).contains(&down_at),
                "down at +{}",
                down_at - T0
            );
        });
    }

    #[tokio::test(start_paused = true)]
    async fn pings_refused_by_the_intake_hold_the_deadline() {
        let store = Arc::new(MemHeartbeats::new(60, 30, T0));
        let failures = Arc::new(IntakeFailures::default());
        let refusing = failures.clone();
        // The intake cannot store pings from +50 s to +80 s.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(50)).await;
            for _ in 0..30 {
                refusing.record();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        evaluate_for(store.clone(), failures, Duration::from_secs(300)).await;
        store.with(|h| {
            let [(late_at, HbStatus::Late), (down_at, HbStatus::Down)] = h.changes[..] else {
                panic!("expected late then down, got {:?}", h.changes);
            };
            assert!(
                (T0 + 60_000..=T0 + 60_250).contains(&late_at),
                "late at +{}",
                late_at - T0
            );
            // Down a period and grace after the last refused batch (+79 s), not at +90 s.
            assert!(
                (T0 + 169_000..=T0 + 170_600).contains(&down_at),
                "down at +{}",
                down_at - T0
            );
        });
    }
}
