//! The long-running loops of a Beacon node. `checks::run` claims due slots from the store, runs them on a bounded
//! pool of async tasks, and hands results to the writer, which stores them in batches. `gauges::run` samples
//! database-derived gauges. `delivery::run` works off the webhook outbox. Each loop has one `run(…, shutdown)` entry point and keeps no state that matters
//! after it stops: leases in the database say who runs what.

pub mod checks;
pub mod cleanup;
pub mod delivery;
pub mod gauges;
pub mod heartbeats;
pub mod leader;
pub mod storage;
#[cfg(test)]
mod testkit;
mod writer;

use std::time::Duration;

pub use beacon_core::clock::{Clock, SystemClock};

/// Tuning of the check loop. Defaults suit one node with up to ~100,000 endpoints.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// Identifies this process's leases; unique per process.
    pub owner: String,
    pub region_pk: i32,
    /// Checks running at once (`WORKER_CONCURRENCY`).
    pub concurrency: usize,
    /// Claimed slots waiting for their time or a free task, at most.
    pub max_pending: usize,
    /// How far ahead slots are claimed, so that a check starts on time rather than one poll late.
    pub lookahead: Duration,
    /// Pause between claims when there was nothing more to take.
    pub poll_interval: Duration,
    /// Added to slot + timeout to form the lease; after it, another process may take the slot.
    pub lease_margin: Duration,
    /// Results written per transaction, at most.
    pub batch_max: usize,
    /// How long a result may wait for companions before its batch is written.
    pub flush_interval: Duration,
    /// How long a failing batch is retried before it is given up (its slots run again after their leases).
    pub write_retry_for: Duration,
    /// On shutdown, how long running checks may take to finish.
    pub shutdown_grace: Duration,
    /// Woken when a batch opens or resolves incidents, so their notifications go out at once.
    pub delivery_wake: delivery::Wake,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            owner: format!("node-{}", uuid::Uuid::new_v4()),
            region_pk: 1,
            concurrency: 256,
            max_pending: 50_000,
            lookahead: Duration::from_millis(1_000),
            poll_interval: Duration::from_millis(200),
            lease_margin: Duration::from_secs(15),
            batch_max: 2_000,
            flush_interval: Duration::from_millis(100),
            write_retry_for: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(10),
            delivery_wake: delivery::Wake::default(),
        }
    }
}
