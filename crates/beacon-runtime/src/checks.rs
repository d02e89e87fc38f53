//! The check loop: claim due slots through leases, run each at its slot time on a bounded set of async tasks, and
//! pass results to the writer. Shutdown: stop claiming, drop slots not yet started, let running checks finish
//! within the grace period, write what finished, then release every lease still held so another node can run
//! those slots at once.

use crate::writer;
use crate::{CheckConfig, Clock};
use beacon_core::ping::PingRecord;
use beacon_core::schedule::{self, SlotDecision};
use beacon_probe::Prober;
use beacon_store::{Claim, ClaimedSlot, Completion, Schedules, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// The last check's total time per endpoint, in seconds, of checks this process ran: the per-monitor latency
/// series of `/metrics` (`last_latency`). An entry per endpoint, replaced on each check.
static LAST_LATENCY: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<uuid::Uuid, f64>>,
> = std::sync::LazyLock::new(Default::default);

/// The last check's total time of `endpoint`, in seconds, if this process checked it.
pub fn last_latency(endpoint: uuid::Uuid) -> Option<f64> {
    LAST_LATENCY.lock().ok()?.get(&endpoint).copied()
}

/// Run the check loop until `shutdown` is cancelled; returns after leases are released.
pub async fn run(
    store: Arc<dyn Schedules>,
    prober: Arc<dyn Prober>,
    clock: Arc<dyn Clock>,
    config: CheckConfig,
    shutdown: CancellationToken,
) -> Result<(), StoreError> {
    let config = Arc::new(config);
    let (tx, rx) = mpsc::channel::<Completion>(config.batch_max * 4);
    // Cancelled when the grace period is over: running checks give up, the writer stops retrying, and their
    // slots are released.
    let abort = CancellationToken::new();
    let writer = tokio::spawn(writer::run(
        store.clone(),
        config.clone(),
        rx,
        abort.clone(),
    ));
    let ctx = Arc::new(TaskCtx {
        prober,
        clock: clock.clone(),
        permits: Semaphore::new(config.concurrency.max(1)),
        pending: AtomicUsize::new(0),
        shutdown: shutdown.clone(),
        abort: abort.clone(),
    });
    info!(owner = %config.owner, concurrency = config.concurrency, "check loop started");

    while !shutdown.is_cancelled() {
        let room = config
            .max_pending
            .saturating_sub(ctx.pending.load(Ordering::Relaxed));
        let limit = room.min(config.batch_max);
        let mut full = false;
        if limit > 0 {
            let now = clock.now();
            let claim = Claim {
                owner: &config.owner,
                region_pk: config.region_pk,
                now,
                horizon: now + millis(config.lookahead),
                limit: u32::try_from(limit).unwrap_or(u32::MAX),
                lease_margin_ms: millis(config.lease_margin),
            };
            match store.claim_slots(&claim).await {
                Ok(claimed) => {
                    full = claimed.len() == limit;
                    metrics::counter!("beacon_slots_claimed_total").increment(claimed.len() as u64);
                    for slot in claimed {
                        dispatch(&ctx, &tx, slot, now).await;
                    }
                }
                Err(e) => warn!(error = %e, "claiming slots failed; retrying"),
            }
        }
        if !full {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(config.poll_interval) => {}
            }
        }
    }

    info!(
        running = ctx.pending.load(Ordering::Relaxed),
        "shutting down: no new claims; waiting for running checks"
    );
    drop(tx);
    let grace = tokio::time::sleep(config.shutdown_grace);
    tokio::pin!(grace);
    let mut writer = writer;
    let finished = tokio::select! {
        done = &mut writer => Some(done),
        () = &mut grace => None,
    };
    if finished.is_none() {
        warn!("grace period over; abandoning running checks");
        abort.cancel();
        let _ = writer.await;
    }
    let released = store.release_leases(&config.owner).await?;
    info!(released, "leases released");
    Ok(())
}

/// Shared by every check task of one loop.
struct TaskCtx {
    prober: Arc<dyn Prober>,
    clock: Arc<dyn Clock>,
    /// Bounds checks in flight to `concurrency`.
    permits: Semaphore,
    /// Claimed slots not yet handed to the writer; bounds memory to `max_pending`.
    pending: AtomicUsize,
    shutdown: CancellationToken,
    abort: CancellationToken,
}

async fn dispatch(ctx: &Arc<TaskCtx>, tx: &mpsc::Sender<Completion>, slot: ClaimedSlot, now: i64) {
    let interval = slot.spec.interval_ms();
    let phase = schedule::phase_ms(slot.endpoint_id, interval);
    match schedule::decide(slot.slot, now, interval, phase) {
        SlotDecision::Skip { next } => {
            debug!(endpoint_id = %slot.endpoint_id, slot = slot.slot, next, "skipping missed slot");
            metrics::counter!("beacon_slots_skipped_total").increment(1);
            let _ = tx.send(completion(&slot, next, None)).await;
        }
        SlotDecision::Run => {
            ctx.pending.fetch_add(1, Ordering::Relaxed);
            let (ctx, tx) = (ctx.clone(), tx.clone());
            tokio::spawn(async move {
                if let Some(done) = run_slot(&ctx, slot).await {
                    let _ = tx.send(done).await;
                }
                ctx.pending.fetch_sub(1, Ordering::Relaxed);
            });
        }
    }
}

/// Wait for the slot, run the check, return its completion. `None` when shutdown came first: the lease is
/// released later and the slot runs elsewhere.
async fn run_slot(ctx: &TaskCtx, slot: ClaimedSlot) -> Option<Completion> {
    let wait = slot.slot - ctx.clock.now();
    if wait > 0 {
        tokio::select! {
            () = ctx.shutdown.cancelled() => return None,
            () = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())) => {}
        }
    }
    let _permit = tokio::select! {
        () = ctx.shutdown.cancelled() => return None,
        permit = ctx.permits.acquire() => permit.ok()?,
    };
    let started_at = ctx.clock.now();
    metrics::histogram!("beacon_schedule_lag_seconds")
        .record((started_at - slot.slot).max(0) as f64 / 1000.0);
    metrics::gauge!("beacon_worker_active_jobs").increment(1.0);
    let observation = tokio::select! {
        () = ctx.abort.cancelled() => None,
        obs = ctx.prober.probe(&slot.spec) => Some(obs),
    };
    metrics::gauge!("beacon_worker_active_jobs").decrement(1.0);
    let observation = observation?;
    let result = if observation.success() {
        "success"
    } else {
        "failure"
    };
    metrics::counter!("beacon_checks_total", "result" => result).increment(1);
    metrics::histogram!("beacon_check_duration_seconds")
        .record(f64::from(observation.timings.total_us) / 1e6);
    if let Ok(mut last) = LAST_LATENCY.lock() {
        last.insert(
            slot.endpoint_id,
            f64::from(observation.timings.total_us) / 1e6,
        );
    }
    let interval = slot.spec.interval_ms();
    let phase = schedule::phase_ms(slot.endpoint_id, interval);
    let next = schedule::next_after_completion(slot.slot, ctx.clock.now(), interval, phase);
    let record = PingRecord {
        scheduled_at: slot.slot,
        started_at,
        observation,
    };
    Some(completion(&slot, next, Some(record)))
}

fn completion(slot: &ClaimedSlot, next_slot: i64, ping: Option<PingRecord>) -> Completion {
    Completion {
        schedule_pk: slot.schedule_pk,
        endpoint_pk: slot.endpoint_pk,
        slot: slot.slot,
        next_slot,
        ping,
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{MemSchedule, MemSchedules, SteadyProber, T0, TokioClock, http_spec};
    use beacon_core::Millis;

    fn row(pk: i64, interval_s: i64, next_slot_at: Millis) -> MemSchedule {
        MemSchedule {
            pk,
            endpoint_id: Uuid::from_u128(pk as u128),
            spec: http_spec(interval_s),
            next_slot_at,
            lease: None,
        }
    }

    fn config() -> CheckConfig {
        CheckConfig {
            owner: "node-a".into(),
            ..CheckConfig::default()
        }
    }

    /// Run the check loop for `for_ms` of tokio time, then shut it down; the store afterwards.
    async fn run_for(store: Arc<MemSchedules>, for_ms: u64) -> Arc<MemSchedules> {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run(
            store.clone(),
            Arc::new(SteadyProber { latency_ms: 40 }),
            Arc::new(TokioClock::new()),
            config(),
            shutdown.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(for_ms)).await;
        shutdown.cancel();
        task.await.expect("join").expect("loop ends cleanly");
        store
    }

    use uuid::Uuid;

    #[tokio::test(start_paused = true)]
    async fn claims_runs_at_the_slot_and_writes_each_result_once() {
        let id = Uuid::from_u128(1);
        let interval = 10_000;
        let first = schedule::slot_at_or_after(T0 + 1, interval, schedule::phase_ms(id, interval));
        let store = run_for(Arc::new(MemSchedules::new(vec![row(1, 10, first)])), 35_000).await;
        store.with(|s| {
            let slots: Vec<Millis> = s.written.iter().map(|c| c.slot).collect();
            let expected: Vec<Millis> = (0..4)
                .map(|k| first + k * interval)
                .filter(|slot| *slot + 40 <= T0 + 35_000)
                .collect();
            assert_eq!(slots, expected, "every slot in the window, once, in order");
            for c in &s.written {
                let ping = c.ping.as_ref().expect("a result");
                // The loop sleeps until the slot: on a driven clock the check starts exactly on time.
                assert_eq!(ping.started_at, c.slot);
                assert_eq!(ping.scheduled_at, c.slot);
                assert!(ping.observation.success());
                assert_eq!(c.next_slot, c.slot + interval);
            }
            let sc = &s.schedules[0];
            assert_eq!(sc.next_slot_at, expected.last().expect("some") + interval);
            assert_eq!(s.released, ["node-a"], "leases given back at shutdown");
            assert!(sc.lease.is_none());
        });
    }

    #[tokio::test(start_paused = true)]
    async fn a_missed_slot_is_skipped_not_replayed() {
        let id = Uuid::from_u128(2);
        let interval = 10_000;
        let phase = schedule::phase_ms(id, interval);
        // The node was down for a minute: the schedule still points at a slot six intervals ago.
        let stale = schedule::slot_at_or_after(T0 - 60_000, interval, phase);
        let store = run_for(Arc::new(MemSchedules::new(vec![row(2, 10, stale)])), 15_000).await;
        store.with(|s| {
            let skip = &s.written[0];
            assert_eq!(skip.slot, stale);
            assert!(skip.ping.is_none(), "a missed slot stores no result");
            let next = schedule::slot_at_or_after(T0 + 1, interval, phase);
            assert_eq!(
                skip.next_slot, next,
                "the schedule moves to the next slot after now"
            );
            let runs: Vec<Millis> = s.written[1..].iter().map(|c| c.slot).collect();
            let expected: Vec<Millis> = (0..2)
                .map(|k| next + k * interval)
                .filter(|slot| *slot + 40 <= T0 + 15_000)
                .collect();
            assert_eq!(
                runs, expected,
                "then runs normally from there, no backlog replayed"
            );
            assert!(s.written[1..].iter().all(|c| c.ping.is_some()));
        });
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_lets_a_running_check_finish_and_drops_waiting_ones() {
        let store = Arc::new(MemSchedules::new(vec![
            // Due at once, but its probe takes 40 ms: shutdown comes in the middle of it.
            row(3, 60, T0),
            // Claimed (due within the look-ahead) and waiting for its slot when shutdown comes.
            row(4, 60, T0 + 900),
        ]));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run(
            store.clone(),
            Arc::new(SteadyProber { latency_ms: 40 }),
            Arc::new(TokioClock::new()),
            config(),
            shutdown.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(20)).await;
        shutdown.cancel();
        task.await.expect("join").expect("ends");
        store.with(|s| {
            let done: Vec<i64> = s.written.iter().map(|c| c.schedule_pk).collect();
            assert_eq!(done, [3], "the running check finished and was written");
            assert_eq!(
                s.schedules[1].next_slot_at,
                T0 + 900,
                "the waiting slot is untouched"
            );
            assert!(
                s.schedules.iter().all(|sc| sc.lease.is_none()),
                "its lease was released"
            );
        });
    }
}
