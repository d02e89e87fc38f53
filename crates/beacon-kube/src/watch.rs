//! The watch loop of one watched set: list and reconcile, then watch from the listing's position, storing each
//! batch of events with the position after it before reading on.

use crate::{Resolved, WatchStatus};
use beacon_core::kubernetes::{self as core, AnnotationRule, ObjectMeta, Sighting};
use beacon_runtime::Clock;
use beacon_runtime::delivery::Wake;
use beacon_runtime::leader::Leader;
use beacon_store::{KubeRecorded, KubeScope, Kubernetes};
use futures_util::{FutureExt, StreamExt};
use kube::api::{Api, DynamicObject, ListParams, WatchEvent, WatchParams};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use uuid::Uuid;

/// How the watcher watches.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub rule: AnnotationRule,
    pub reconcile_enabled: bool,
    /// Reconcile before the first watch (else resume from the stored position when there is one).
    pub reconcile_on_startup: bool,
    pub reconcile_interval: Duration,
    /// A listing and its reconciliation that take longer are abandoned and retried.
    pub reconcile_timeout: Duration,
    /// Each watch request's `timeoutSeconds`; a stream silent for this plus `idle_margin` is dropped and
    /// resumed.
    pub watch_timeout: Duration,
    /// Objects per list page.
    pub page_size: u32,
    /// Events stored per transaction at most.
    pub batch_max: usize,
    /// Longest wait between reconnects.
    pub max_backoff: Duration,
}

impl WatchConfig {
    /// How long a watch may send nothing (not even a bookmark) before it is dropped and resumed: its timeout
    /// plus as much again, at most 30 s more.
    pub fn idle_after(&self) -> Duration {
        self.watch_timeout + self.watch_timeout.min(Duration::from_secs(30))
    }
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            rule: AnnotationRule::default(),
            reconcile_enabled: true,
            reconcile_on_startup: true,
            reconcile_interval: Duration::from_secs(15 * 60),
            reconcile_timeout: Duration::from_secs(10 * 60),
            watch_timeout: Duration::from_secs(290),
            page_size: 500,
            batch_max: 256,
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Everything a watch task shares.
struct Ctx {
    store: Arc<dyn Kubernetes>,
    clock: Arc<dyn Clock>,
    config: WatchConfig,
    status: WatchStatus,
    service_id: Uuid,
    wake: Wake,
}

/// The watcher, ready to run: where to store, what to watch, how.
#[derive(Clone)]
pub struct Watcher {
    pub store: Arc<dyn Kubernetes>,
    pub client: kube::Client,
    pub resolved: Vec<Resolved>,
    /// The service whose webhooks receive the events.
    pub service_id: Uuid,
    pub config: WatchConfig,
    pub clock: Arc<dyn Clock>,
    pub status: WatchStatus,
    /// Nudged when events are recorded, so the delivery engine sends them at once.
    pub wake: Wake,
}

impl Watcher {
    /// Watch every set of every resolved resource until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let ctx = Arc::new(Ctx {
            store: self.store,
            clock: self.clock,
            config: self.config,
            status: self.status.clone(),
            service_id: self.service_id,
            wake: self.wake,
        });
        let mut tasks = Vec::new();
        for r in &self.resolved {
            for (namespace, scope) in r.sets() {
                let api: Api<DynamicObject> = match &namespace {
                    Some(ns) => Api::namespaced_with(self.client.clone(), ns, &r.resource),
                    None => Api::all_with(self.client.clone(), &r.resource),
                };
                let key = format!(
                    "{}/{}/{}",
                    r.config.api_version,
                    r.config.kind,
                    namespace.as_deref().unwrap_or("*")
                );
                self.status.register(&key);
                let set = WatchSet {
                    ctx: ctx.clone(),
                    api,
                    key,
                    scope,
                    label_selector: r.config.label_selector.clone(),
                };
                tasks.push(tokio::spawn(set.run(shutdown.clone())));
            }
        }
        self.status.set_started(true, false);
        info!(watches = tasks.len(), "kubernetes watcher started");
        for t in tasks {
            let _ = t.await;
        }
        info!("kubernetes watcher stopped");
    }

    /// Run only while this server is the leader: start when the lease is taken, stop when it is lost, so one
    /// process watches however many servers share the database.
    pub async fn run_while_leader(self, leader: Leader, shutdown: CancellationToken) {
        let tick = Duration::from_millis(500);
        loop {
            self.status.set_started(false, true);
            while !leader.is_leader() {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(tick) => {}
                }
            }
            self.status.set_started(false, false);
            let stop = shutdown.child_token();
            let watching = tokio::spawn(self.clone().run(stop.clone()));
            while leader.is_leader() && !shutdown.is_cancelled() {
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(tick) => {}
                }
            }
            stop.cancel();
            let _ = watching.await;
            if shutdown.is_cancelled() {
                return;
            }
            info!("leadership lost: the kubernetes watcher stopped here");
        }
    }
}

struct WatchSet {
    ctx: Arc<Ctx>,
    api: Api<DynamicObject>,
    key: String,
    scope: KubeScope,
    label_selector: Option<String>,
}

/// Why a watch stream was left.
enum Leave {
    /// Ended or went silent: resume from the position.
    Resume(&'static str),
    /// 410 Gone, or time to reconcile: list again.
    Relist(&'static str),
    /// An error: wait, then resume.
    Failed(String),
    Shutdown,
}

fn is_gone(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 410)
}

impl WatchSet {
    fn meta(&self, o: &DynamicObject) -> Option<ObjectMeta> {
        let m = &o.metadata;
        Some(ObjectMeta {
            uid: m.uid.clone()?,
            api_version: self.scope.api_version.clone(),
            kind: self.scope.kind.clone(),
            name: m.name.clone().unwrap_or_default(),
            namespace: m.namespace.clone(),
            labels: m.labels.clone().unwrap_or_default(),
            annotations: m.annotations.clone().unwrap_or_default(),
            resource_version: m.resource_version.clone().unwrap_or_default(),
        })
    }

    /// A sighting of `o`, if it is in this set's namespaces.
    fn sighting(&self, o: &DynamicObject, present: bool) -> Option<Sighting> {
        let meta = self.meta(o)?;
        core::in_namespaces(
            meta.namespace.as_deref(),
            &self.scope.include,
            &self.scope.exclude,
        )
        .then(|| Sighting::new(meta, &self.ctx.config.rule, present))
    }

    fn count(&self, recorded: &[KubeRecorded], source: &'static str) {
        if !recorded.is_empty() {
            self.ctx.wake.wake();
        }
        for r in recorded {
            metrics::counter!("beacon_kube_events_total", "kind" => self.scope.kind.clone(),
                "event" => r.change.as_str(), "source" => source)
            .increment(1);
        }
    }

    async fn run(self, shutdown: CancellationToken) {
        let cfg = &self.ctx.config;
        let mut rv: Option<String> = None;
        if !(cfg.reconcile_enabled && cfg.reconcile_on_startup) {
            match self.ctx.store.kube_position(&self.key).await {
                Ok(Some(pos)) => {
                    info!(watch = %self.key, resource_version = %pos, "resuming the watch");
                    self.ctx.status.synced(&self.key);
                    rv = Some(pos);
                }
                Ok(None) => {}
                Err(e) => {
                    warn!(watch = %self.key, error = %e, "reading the watch position failed; listing")
                }
            }
        }
        let mut backoff = Duration::ZERO;
        let mut next_reconcile = Instant::now() + cfg.reconcile_interval;
        while !shutdown.is_cancelled() {
            if !backoff.is_zero() {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(backoff) => {}
                }
            }
            let from = match rv.clone() {
                Some(pos) => pos,
                None => match self.relist(&shutdown).await {
                    Ok(Some(pos)) => {
                        next_reconcile = Instant::now() + cfg.reconcile_interval;
                        rv = Some(pos.clone());
                        pos
                    }
                    Ok(None) => break,
                    Err(e) => {
                        warn!(watch = %self.key, error = %e, "listing failed; retrying");
                        self.ctx.status.failed(&self.key, e);
                        backoff = next_backoff(backoff, cfg.max_backoff);
                        continue;
                    }
                },
            };
            let leave = self.watch(&from, &mut rv, next_reconcile, &shutdown).await;
            self.ctx.status.connected(&self.key, false);
            let reason = match &leave {
                Leave::Resume(r) | Leave::Relist(r) => *r,
                Leave::Failed(_) => "error",
                Leave::Shutdown => break,
            };
            metrics::counter!("beacon_kube_watch_restarts_total", "kind" => self.scope.kind.clone(),
                "reason" => reason)
            .increment(1);
            match leave {
                Leave::Resume(why) => {
                    debug!(watch = %self.key, why, "resuming the watch");
                    backoff = Duration::ZERO;
                }
                Leave::Relist(why) => {
                    info!(watch = %self.key, why, "listing again");
                    rv = None;
                    backoff = Duration::ZERO;
                }
                Leave::Failed(e) => {
                    warn!(watch = %self.key, error = %e, "the watch failed; reconnecting");
                    self.ctx.status.failed(&self.key, e);
                    backoff = next_backoff(backoff, cfg.max_backoff);
                }
                Leave::Shutdown => break,
            }
        }
        self.ctx.status.connected(&self.key, false);
    }

    /// List the set (in pages) and reconcile it with the records; the listing's resourceVersion, or None on
    /// shutdown.
    async fn relist(&self, shutdown: &CancellationToken) -> Result<Option<String>, String> {
        let cfg = &self.ctx.config;
        let started = Instant::now();
        let work = async {
            let mut lp = ListParams::default().limit(cfg.page_size);
            if let Some(sel) = &self.label_selector {
                lp = lp.labels(sel);
            }
            let mut listed = Vec::new();
            let mut position: Option<String> = None;
            loop {
                let page = self.api.list(&lp).await.map_err(|e| e.to_string())?;
                if position.is_none() {
                    position = page.metadata.resource_version.clone();
                }
                listed.extend(page.items.iter().filter_map(|o| self.sighting(o, true)));
                match page.metadata.continue_.as_deref() {
                    Some(token) if !token.is_empty() => lp = lp.continue_token(token),
                    _ => break,
                }
            }
            let position = position.unwrap_or_default();
            metrics::gauge!("beacon_kube_objects_listed", "watch" => self.key.clone())
                .set(listed.len() as f64);
            // A listing is always diffed against the records, whatever started it (start-up, 410, the timer).
            let recorded = self
                .ctx
                .store
                .kube_reconcile(
                    self.ctx.service_id,
                    &self.scope,
                    &listed,
                    Some((&self.key, &position)),
                    self.ctx.clock.now(),
                )
                .await
                .map_err(|e| format!("storing the reconciliation: {e}"))?;
            Ok::<_, String>((position, listed.len(), recorded))
        };
        let result = tokio::select! {
            () = shutdown.cancelled() => return Ok(None),
            r = tokio::time::timeout(cfg.reconcile_timeout, work) => r,
        };
        let elapsed = started.elapsed().as_secs_f64();
        let outcome = match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!(
                "listing and reconciling took longer than {} s (reconciliation.timeout)",
                cfg.reconcile_timeout.as_secs()
            )),
        };
        metrics::histogram!("beacon_kube_reconcile_duration_seconds", "kind" => self.scope.kind.clone())
            .record(elapsed);
        metrics::counter!("beacon_kube_reconcile_runs_total", "kind" => self.scope.kind.clone(),
            "result" => if outcome.is_ok() { "ok" } else { "error" })
        .increment(1);
        let (position, listed, recorded) = outcome?;
        self.count(&recorded, "reconcile");
        info!(watch = %self.key, objects = listed, missed = recorded.len(), resource_version = %position,
            seconds = elapsed, "reconciled");
        self.ctx.status.synced(&self.key);
        Ok(Some(position))
    }

    /// Watch from `from`, storing batches and moving `rv` past each stored one, until the stream ends, fails,
    /// is gone, goes silent, or it is time to reconcile.
    async fn watch(
        &self,
        from: &str,
        rv: &mut Option<String>,
        reconcile_at: Instant,
        shutdown: &CancellationToken,
    ) -> Leave {
        let cfg = &self.ctx.config;
        let mut wp = WatchParams::default().timeout(
            u32::try_from(cfg.watch_timeout.as_secs())
                .unwrap_or(290)
                .max(1),
        );
        if let Some(sel) = &self.label_selector {
            wp = wp.labels(sel);
        }
        let stream = tokio::select! {
            () = shutdown.cancelled() => return Leave::Shutdown,
            s = self.api.watch(&wp, from) => s,
        };
        let stream = match stream {
            Ok(s) => s,
            Err(e) if is_gone(&e) => return Leave::Relist("gone"),
            Err(e) => return Leave::Failed(e.to_string()),
        };
        // Connected once something arrives: an API server that refuses the watch answers inside the stream.
        let mut stream = std::pin::pin!(stream);
        let idle = cfg.idle_after();
        loop {
            let reconcile = async {
                if cfg.reconcile_enabled {
                    tokio::time::sleep_until(reconcile_at).await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            let first = tokio::select! {
                () = shutdown.cancelled() => return Leave::Shutdown,
                () = reconcile => return Leave::Relist("reconcile"),
                r = tokio::time::timeout(idle, stream.next()) => r,
            };
            let first = match first {
                Err(_) => {
                    warn!(watch = %self.key, seconds = idle.as_secs(), "the watch was silent; reconnecting");
                    return Leave::Resume("silent");
                }
                Ok(None) => return Leave::Resume("ended"),
                Ok(Some(item)) => item,
            };
            let mut items = vec![first];
            while items.len() < cfg.batch_max {
                match stream.next().now_or_never() {
                    Some(Some(item)) => items.push(item),
                    _ => break,
                }
            }
            let mut sightings = Vec::with_capacity(items.len());
            let mut position = rv.clone();
            let mut leave = None;
            let answered = items.iter().any(Result::is_ok);
            for item in items {
                let kind = self.scope.kind.clone();
                match item {
                    Ok(WatchEvent::Added(o) | WatchEvent::Modified(o)) => {
                        metrics::counter!("beacon_kube_watch_events_total", "kind" => kind, "type" => "update")
                            .increment(1);
                        position = o.metadata.resource_version.clone().or(position);
                        sightings.extend(self.sighting(&o, true));
                    }
                    Ok(WatchEvent::Deleted(o)) => {
                        metrics::counter!("beacon_kube_watch_events_total", "kind" => kind, "type" => "deleted")
                            .increment(1);
                        position = o.metadata.resource_version.clone().or(position);
                        sightings.extend(self.sighting(&o, false));
                    }
                    Ok(WatchEvent::Bookmark(b)) => {
                        metrics::counter!("beacon_kube_watch_events_total", "kind" => kind, "type" => "bookmark")
                            .increment(1);
                        position = Some(b.metadata.resource_version);
                    }
                    Ok(WatchEvent::Error(s)) if s.code == 410 => {
                        leave = Some(Leave::Relist("gone"));
                        break;
                    }
                    Ok(WatchEvent::Error(s)) => {
                        leave = Some(Leave::Failed(format!("{} ({})", s.message, s.code)));
                        break;
                    }
                    Err(e) => {
                        leave = Some(Leave::Failed(e.to_string()));
                        break;
                    }
                }
            }
            if (!sightings.is_empty() || position != *rv)
                && !self.store(&sightings, position.as_deref(), shutdown).await
            {
                return Leave::Shutdown;
            }
            *rv = position;
            if answered {
                self.ctx.status.connected(&self.key, true);
            }
            if let Some(l) = leave {
                return l;
            }
        }
    }

    /// Store one batch with the position after it, retrying until it is stored (nothing is read past an
    /// unstored event); false when shut down first.
    async fn store(
        &self,
        sightings: &[Sighting],
        position: Option<&str>,
        shutdown: &CancellationToken,
    ) -> bool {
        let mut backoff = Duration::ZERO;
        loop {
            let started = Instant::now();
            let result = self
                .ctx
                .store
                .kube_record(
                    self.ctx.service_id,
                    sightings,
                    position.map(|p| (self.key.as_str(), p)),
                    self.ctx.clock.now(),
                )
                .await;
            metrics::histogram!("beacon_kube_store_duration_seconds")
                .record(started.elapsed().as_secs_f64());
            match result {
                Ok(recorded) => {
                    self.count(&recorded, "watch");
                    return true;
                }
                Err(e) => {
                    warn!(watch = %self.key, error = %e, events = sightings.len(),
                        "storing watch events failed; retrying");
                    backoff = next_backoff(backoff, self.ctx.config.max_backoff);
                    tokio::select! {
                        () = shutdown.cancelled() => return false,
                        () = tokio::time::sleep(backoff) => {}
                    }
                }
            }
        }
    }
}

/// Doubling from 500 ms up to `max`.
fn next_backoff(current: Duration, max: Duration) -> Duration {
    if current.is_zero() {
        Duration::from_millis(500).min(max)
    } else {
        (current * 2).min(max)
    }
}
