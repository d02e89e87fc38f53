//! How the watches stand, for `/ready` and the dashboard: each watched set's sync, connection and last sign of
//! life, and whether the API server answered last time it was asked.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long every watch may be disconnected before the API server counts as unreachable.
const RECONNECT_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
struct Watch {
    /// The first listing was stored.
    synced: bool,
    connected: bool,
    last_seen: Instant,
    error: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    watches: BTreeMap<String, Watch>,
    api_error: Option<String>,
    /// False until `run` started every watch (or on a follower, which watches nothing).
    started: bool,
    /// Not the leader: another server watches.
    standby: bool,
}

/// Shared by the watch tasks (which report) and the readiness probe (which asks).
#[derive(Debug, Clone, Default)]
pub struct WatchStatus {
    inner: Arc<Mutex<Inner>>,
    /// A watch silent or disconnected for longer than this is reported as stalled.
    pub stall_after: Duration,
}

impl WatchStatus {
    pub fn new(stall_after: Duration) -> Self {
        Self {
            inner: Arc::default(),
            stall_after,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut g)
    }

    pub(crate) fn register(&self, key: &str) {
        self.with(|i| {
            i.watches.insert(
                key.to_owned(),
                Watch {
                    synced: false,
                    connected: false,
                    last_seen: Instant::now(),
                    error: None,
                },
            );
        });
    }

    pub(crate) fn set_started(&self, started: bool, standby: bool) {
        self.with(|i| {
            i.started = started;
            i.standby = standby;
            if standby {
                i.watches.clear();
            }
        });
    }

    fn update(&self, key: &str, f: impl FnOnce(&mut Watch)) {
        self.with(|i| {
            if let Some(w) = i.watches.get_mut(key) {
                f(w);
            }
        });
    }

    pub(crate) fn synced(&self, key: &str) {
        self.update(key, |w| {
            w.synced = true;
            w.error = None;
            w.last_seen = Instant::now();
        });
        self.with(|i| i.api_error = None);
    }

    pub(crate) fn connected(&self, key: &str, connected: bool) {
        self.update(key, |w| {
            w.connected = connected;
            w.last_seen = Instant::now();
            if connected {
                w.error = None;
            }
        });
        if connected {
            self.with(|i| i.api_error = None);
        }
        metrics::gauge!("beacon_kube_watch_connected", "watch" => key.to_owned())
            .set(if connected { 1.0 } else { 0.0 });
    }

    pub(crate) fn failed(&self, key: &str, error: String) {
        self.with(|i| i.api_error = Some(error.clone()));
        self.update(key, |w| {
            w.connected = false;
            w.error = Some(error);
        });
    }

    /// The `kubernetes` check: the API server answered the last request, and some watch is connected (or
    /// was within `RECONNECT_GRACE`: a watch ending on its timeout is opened again at once). The client retries
    /// some failures itself (503, 429) before it reports them, so silence counts as well as errors.
    pub fn kubernetes(&self) -> Result<String, String> {
        self.with(|i| {
            if i.standby {
                return Ok("standby: another server watches".to_owned());
            }
            if let Some(e) = &i.api_error {
                return Err(e.clone());
            }
            let quiet = i
                .watches
                .values()
                .map(|w| {
                    if w.connected {
                        Duration::ZERO
                    } else {
                        w.last_seen.elapsed()
                    }
                })
                .min();
            match quiet {
                Some(q) if i.started && q > RECONNECT_GRACE => {
                    Err(format!("no watch has been connected for {} s", q.as_secs()))
                }
                _ => Ok("reachable".to_owned()),
            }
        })
    }

    /// The `watchers` check: every watch has stored its first listing, and none has been disconnected or
    /// silent for longer than `stall_after`.
    pub fn watchers(&self) -> Result<String, String> {
        self.with(|i| {
            if i.standby {
                return Ok("standby: another server watches".to_owned());
            }
            if !i.started {
                return Err("starting".to_owned());
            }
            let mut bad = Vec::new();
            for (key, w) in &i.watches {
                let quiet = w.last_seen.elapsed();
                if !w.synced {
                    bad.push(format!("{key}: not synced yet"));
                } else if !w.connected && quiet > self.stall_after {
                    bad.push(format!(
                        "{key}: disconnected for {} s{}",
                        quiet.as_secs(),
                        w.error
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    ));
                } else if quiet > self.stall_after {
                    bad.push(format!("{key}: silent for {} s", quiet.as_secs()));
                }
            }
            if bad.is_empty() {
                Ok(format!("{} watching", i.watches.len()))
            } else {
                Err(bad.join("; "))
            }
        })
    }
}
