//! Leadership of the duties that must run once however many servers share the database (today: cleanup). Each
//! server runs `run`: it takes or renews the duty's lease every third of the lease's life; the holder is the
//! leader. A leader that dies stops renewing, and another server takes the lease once it has run out; one that
//! stops gives it up at once.

use crate::Clock;
use beacon_store::Leadership;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The lease that makes a server the leader.
pub const DUTY: &str = "upkeep";
/// How long a lease lasts unless renewed: a dead leader's duties move within this plus a renewal period.
pub const LEASE_TTL: Duration = Duration::from_secs(6);

/// Whether this server holds the lease now (shared by the loop that renews it and the duties that ask).
#[derive(Debug, Clone, Default)]
pub struct Leader(Arc<AtomicBool>);

impl Leader {
    pub fn is_leader(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, held: bool) {
        self.0.store(held, Ordering::Relaxed);
        metrics::gauge!("beacon_leader").set(if held { 1.0 } else { 0.0 });
    }
}

/// Take and renew the lease as `holder` (unique per process) until `shutdown`, then give it up.
pub async fn run(
    store: Arc<dyn Leadership>,
    clock: Arc<dyn Clock>,
    holder: String,
    leader: Leader,
    ttl: Duration,
    shutdown: CancellationToken,
) {
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
    loop {
        let held = match store.hold_lease(DUTY, &holder, clock.now(), ttl_ms).await {
            Ok(held) => held,
            Err(e) => {
                // Not knowing is not leading: a duty run twice is worse than one run late.
                warn!(error = %e, "renewing the leader lease failed");
                false
            }
        };
        if held != leader.is_leader() {
            info!(holder = %holder, leader = held, "leadership changed");
        }
        leader.set(held);
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(ttl / 3) => {}
        }
    }
    if leader.is_leader() {
        leader.set(false);
        if let Err(e) = store.release_lease(DUTY, &holder).await {
            warn!(error = %e, "giving up the leader lease failed; it runs out by itself");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TokioClock;
    use async_trait::async_trait;
    use beacon_core::Millis;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Leases in memory, with the store's rules (proven on both databases by the conformance suite).
    #[derive(Default)]
    struct MemLeases(Mutex<HashMap<String, (String, Millis)>>);

    #[async_trait]
    impl Leadership for MemLeases {
        async fn hold_lease(
            &self,
            duty: &str,
            holder: &str,
            now: Millis,
            ttl_ms: i64,
        ) -> beacon_store::Result<bool> {
            let mut leases = self.0.lock().expect("lock");
            let free = match leases.get(duty) {
                Some((h, until)) => h == holder || *until <= now,
                None => true,
            };
            if free {
                leases.insert(duty.to_owned(), (holder.to_owned(), now + ttl_ms));
            }
            Ok(free)
        }

        async fn release_lease(&self, duty: &str, holder: &str) -> beacon_store::Result<()> {
            let mut leases = self.0.lock().expect("lock");
            if leases.get(duty).is_some_and(|(h, _)| h == holder) {
                leases.remove(duty);
            }
            Ok(())
        }
    }

    fn start(
        store: &Arc<MemLeases>,
        clock: &Arc<TokioClock>,
        name: &str,
    ) -> (Leader, CancellationToken, tokio::task::JoinHandle<()>) {
        let (leader, stop) = (Leader::default(), CancellationToken::new());
        let task = tokio::spawn(run(
            store.clone(),
            clock.clone(),
            name.to_owned(),
            leader.clone(),
            LEASE_TTL,
            stop.clone(),
        ));
        (leader, stop, task)
    }

    #[tokio::test(start_paused = true)]
    async fn one_leader_and_a_successor_within_the_lease() {
        let store = Arc::new(MemLeases::default());
        let clock = Arc::new(TokioClock::new());
        let (a, stop_a, task_a) = start(&store, &clock, "a");
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (b, stop_b, task_b) = start(&store, &clock, "b");
        tokio::time::sleep(LEASE_TTL * 3).await;
        assert!(
            a.is_leader() && !b.is_leader(),
            "the first keeps it by renewing"
        );

        // The leader dies without a word: the other leads once the lease has run out, not before.
        task_a.abort();
        let died = tokio::time::Instant::now();
        while !b.is_leader() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let took = died.elapsed();
        assert!(
            took <= LEASE_TTL + LEASE_TTL / 3 + Duration::from_millis(200),
            "{took:?}"
        );
        drop(stop_a);

        // A leader that stops gives the lease up at once: a newcomer leads on its first try.
        stop_b.cancel();
        task_b.await.expect("b stops");
        assert!(!b.is_leader());
        let (c, _stop_c, _task_c) = start(&store, &clock, "c");
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(c.is_leader());
    }
}
