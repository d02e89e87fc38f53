//! Retention: raw pings and rollup windows older than their tier's age are deleted, a hundred endpoints per short
//! transaction with a pause between, so writers (results, claims, pings) keep going; then freed space is given
//! back where the engine allows (SQLite incremental vacuum). Runs hourly in the server and by hand as
//! `beacon cleanup`. Incidents, events and deliveries are kept.

use beacon_core::Millis;
use beacon_core::rollup::Resolution;
use beacon_store::{Expiring, Maintenance, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::Clock;

/// How long each tier is kept (`None`: forever).
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionConfig {
    pub raw_pings: Option<Duration>,
    pub rollups_1m: Option<Duration>,
    pub rollups_5m: Option<Duration>,
    pub rollups_1h: Option<Duration>,
    pub rollups_1d: Option<Duration>,
    /// Between two cleanups in the server.
    pub interval: Duration,
    /// Endpoints per delete statement, at most.
    pub endpoints_per_step: u32,
    /// Rows a delete statement should remove, about: fewer endpoints per statement when they have many.
    pub rows_per_step: u64,
    /// Pause between two statements, for the writers.
    pub pause: Duration,
}

const DAY: u64 = 86_400;

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            raw_pings: Some(Duration::from_secs(7 * DAY)),
            rollups_1m: Some(Duration::from_secs(2 * DAY)),
            rollups_5m: Some(Duration::from_secs(30 * DAY)),
            rollups_1h: Some(Duration::from_secs(400 * DAY)),
            rollups_1d: None,
            interval: Duration::from_secs(3_600),
            endpoints_per_step: 100,
            rows_per_step: 5_000,
            pause: Duration::from_millis(5),
        }
    }
}

impl RetentionConfig {
    /// Every tier with its age.
    pub fn tiers(&self) -> [(Expiring, Option<Duration>); 5] {
        [
            (Expiring::RawPings, self.raw_pings),
            (Expiring::Rollups(Resolution::Minute), self.rollups_1m),
            (Expiring::Rollups(Resolution::FiveMinutes), self.rollups_5m),
            (Expiring::Rollups(Resolution::Hour), self.rollups_1h),
            (Expiring::Rollups(Resolution::Day), self.rollups_1d),
        ]
    }
}

/// What one cleanup did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CleanupReport {
    /// Rows deleted per tier label (`pings`, `rollups_1m`, ...), every tier listed.
    pub deleted: Vec<(&'static str, u64)>,
    /// Database pages given back to the file system.
    pub reclaimed_pages: u64,
}

/// One cleanup at `now`: every tier, then reclaiming space.
pub async fn cleanup_once(
    store: &dyn Maintenance,
    now: Millis,
    config: &RetentionConfig,
) -> Result<CleanupReport, StoreError> {
    let mut report = CleanupReport::default();
    for (what, age) in config.tiers() {
        let mut total = 0;
        if let Some(age) = age {
            let before = now - i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
            let mut after = 0;
            let most = config.endpoints_per_step.max(1);
            let mut n = most;
            loop {
                let step = store.delete_expired(what, before, after, n).await?;
                total += step.deleted;
                // Keep each statement (the time it holds the write lock) near `rows_per_step`.
                let target = config.rows_per_step.max(1);
                n = if step.deleted > target {
                    u32::try_from(u64::from(n) * target / step.deleted)
                        .unwrap_or(1)
                        .max(1)
                } else if step.deleted < target / 2 {
                    n.saturating_mul(2).min(most)
                } else {
                    n
                };
                metrics::counter!("beacon_cleanup_deleted_total", "table" => what.label())
                    .increment(step.deleted);
                match step.last {
                    Some(last) => after = last,
                    None => break,
                }
                tokio::time::sleep(config.pause).await;
            }
        }
        report.deleted.push((what.label(), total));
    }
    // Workers gone for a week are no longer worth a row.
    let forgotten = store.forget_workers(now - 7 * 24 * 3_600_000).await?;
    report.deleted.push(("workers", forgotten));
    // A bounded number of small steps: each holds the write lock for a moment only.
    const PAGES_PER_STEP: u32 = 1_000;
    for _ in 0..1_000 {
        let freed = store.reclaim_space(PAGES_PER_STEP).await?;
        report.reclaimed_pages += freed;
        if freed < u64::from(PAGES_PER_STEP) {
            break;
        }
        tokio::time::sleep(config.pause).await;
    }
    Ok(report)
}

/// Clean up every `config.interval` (the first a minute after start) until `shutdown`.
pub async fn run(
    store: Arc<dyn Maintenance>,
    clock: Arc<dyn Clock>,
    config: RetentionConfig,
    leader: crate::leader::Leader,
    shutdown: CancellationToken,
) {
    let mut wait = Duration::from_secs(60).min(config.interval);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
        wait = config.interval;
        // One server cleans up; the others would only repeat its work.
        if !leader.is_leader() {
            continue;
        }
        let started = std::time::Instant::now();
        match cleanup_once(&*store, clock.now(), &config).await {
            Ok(report) => info!(
                deleted = ?report.deleted,
                reclaimed_pages = report.reclaimed_pages,
                seconds = started.elapsed().as_secs_f64(),
                "cleanup done"
            ),
            Err(e) => warn!(error = %e, "cleanup failed; the next one will go on"),
        }
    }
}
