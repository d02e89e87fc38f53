//! `beacon server`: binds the ops listener, opens the store, then runs the check loop, the gauge sampler and the
//! HTTP server until SIGINT or SIGTERM. Shutdown order: stop claiming, let running checks finish (bounded), write
//! their results, release leases, stop serving, exit 0.

use crate::config::Settings;
use anyhow::{Context, Result};
use beacon_probe::Probers;
use beacon_runtime::{Clock, SystemClock};
use beacon_server::AppState;
use beacon_server::api::App;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Where the first-start admin token is written, inside the data dir.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// Write the token readable by its owner only (0600), creating the directory if needed.
fn write_admin_token(dir: &Path, token: &str) -> Result<std::path::PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(ADMIN_TOKEN_FILE);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(f, "{token}").with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

const CHECK_SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const LAG_SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0,
];

fn install_metrics() -> Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("beacon_check_duration_seconds".into()),
            CHECK_SECONDS_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full("beacon_schedule_lag_seconds".into()),
            LAG_SECONDS_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full("beacon_result_batch_seconds".into()),
            CHECK_SECONDS_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full("beacon_http_request_duration_seconds".into()),
            CHECK_SECONDS_BUCKETS,
        )?
        .install_recorder()
        .context("installing the metrics recorder")?;
    for (kind, name, help) in METRIC_HELP {
        match kind {
            Metric::Counter => metrics::describe_counter!(name, help),
            Metric::Gauge => metrics::describe_gauge!(name, help),
            Metric::Histogram => metrics::describe_histogram!(name, help),
        }
    }
    // Present from the start, so dashboards and alerts see zeros rather than gaps.
    for result in ["success", "failure"] {
        metrics::counter!("beacon_checks_total", "result" => result).increment(0);
    }
    metrics::gauge!("beacon_worker_active_jobs").set(0.0);
    Ok(handle)
}

enum Metric {
    Counter,
    Gauge,
    Histogram,
}

/// `# HELP` of every metric Beacon exports (Prometheus' linter wants one per family).
const METRIC_HELP: [(Metric, &str, &str); 50] = [
    (
        Metric::Counter,
        "beacon_worker_slots_leased_total",
        "Slots leased to remote workers, by region.",
    ),
    (
        Metric::Counter,
        "beacon_worker_results_total",
        "Results pushed by remote workers, by region and outcome (stored|duplicate|refused).",
    ),
    (
        Metric::Counter,
        "beacon_checks_total",
        "Checks run, by result (success|failure).",
    ),
    (
        Metric::Histogram,
        "beacon_check_duration_seconds",
        "Total duration of each check.",
    ),
    (
        Metric::Histogram,
        "beacon_schedule_lag_seconds",
        "Check start minus its scheduled slot.",
    ),
    (
        Metric::Gauge,
        "beacon_worker_active_jobs",
        "Checks running now.",
    ),
    (
        Metric::Gauge,
        "beacon_leader",
        "1 while this server holds the leader lease and runs the once-per-database duties (cleanup).",
    ),
    (
        Metric::Gauge,
        "beacon_queue_depth",
        "Slots due and not claimed by any node.",
    ),
    (
        Metric::Counter,
        "beacon_slots_claimed_total",
        "Slots leased by this node's check loop.",
    ),
    (
        Metric::Counter,
        "beacon_slots_skipped_total",
        "Slots skipped because their successor was already due (downtime, overload).",
    ),
    (
        Metric::Histogram,
        "beacon_result_batch_seconds",
        "Time to store one batch of check results.",
    ),
    (
        Metric::Counter,
        "beacon_results_written_total",
        "Check results stored.",
    ),
    (
        Metric::Counter,
        "beacon_results_duplicate_total",
        "Check results already stored for their slot, ignored.",
    ),
    (
        Metric::Counter,
        "beacon_results_dropped_total",
        "Check results given up after writing them failed for write_retry_for (their slots run again).",
    ),
    (Metric::Gauge, "beacon_incidents_open", "Open incidents."),
    (
        Metric::Gauge,
        "beacon_notifications_pending",
        "Webhook deliveries not yet delivered or failed.",
    ),
    (
        Metric::Counter,
        "beacon_notifications_total",
        "Notification delivery attempts, by channel kind (webhook, email, slack, ...) and what followed (delivered|failed|retry).",
    ),
    (
        Metric::Counter,
        "beacon_notification_retries_total",
        "Webhook delivery attempts that were retries.",
    ),
    (
        Metric::Histogram,
        "beacon_notification_duration_seconds",
        "Duration of each webhook delivery attempt.",
    ),
    (
        Metric::Gauge,
        "beacon_webhook_up",
        "1 when the webhook's last attempt succeeded, by webhook.",
    ),
    (
        Metric::Gauge,
        "beacon_webhook_consecutive_failures",
        "Failed attempts in a row, by webhook.",
    ),
    (
        Metric::Counter,
        "beacon_heartbeat_pings_total",
        "Heartbeat pings received, by result (accepted|unauthorized|not_found).",
    ),
    (
        Metric::Histogram,
        "beacon_heartbeat_batch_seconds",
        "Time to store one batch of heartbeat pings.",
    ),
    (
        Metric::Counter,
        "beacon_heartbeat_pings_pruned_total",
        "Heartbeat pings deleted beyond the number kept per heartbeat.",
    ),
    (
        Metric::Counter,
        "beacon_http_requests_total",
        "HTTP requests served, by route, method and status.",
    ),
    (
        Metric::Histogram,
        "beacon_http_request_duration_seconds",
        "Time to answer each HTTP request.",
    ),
    (
        Metric::Gauge,
        "beacon_http_connections_open",
        "Connections the API listener is serving.",
    ),
    (
        Metric::Counter,
        "beacon_http_connections_refused_total",
        "Connections closed on accept because api.max_connections were open.",
    ),
    (
        Metric::Gauge,
        "beacon_storage_db_bytes",
        "Bytes the database uses.",
    ),
    (
        Metric::Gauge,
        "beacon_storage_wal_bytes",
        "Bytes of SQLite's write-ahead log.",
    ),
    (
        Metric::Gauge,
        "beacon_storage_free_in_file_bytes",
        "Free bytes inside the SQLite file (reused before it grows).",
    ),
    (
        Metric::Gauge,
        "beacon_storage_volume_bytes",
        "Size of the volume holding the database.",
    ),
    (
        Metric::Gauge,
        "beacon_storage_volume_available_bytes",
        "Bytes available on the volume holding the database.",
    ),
    (
        Metric::Gauge,
        "beacon_storage_volume_used_ratio",
        "Used share of the volume holding the database (0-1).",
    ),
    (
        Metric::Gauge,
        "beacon_storage_inodes_used_ratio",
        "Used share of the volume's inodes (0-1).",
    ),
    (
        Metric::Gauge,
        "beacon_storage_level",
        "Storage pressure: 0 ok, 1 warning, 2 critical.",
    ),
    (
        Metric::Gauge,
        "beacon_db_rows",
        "Rows per table (exact on SQLite, the planner's estimate on PostgreSQL).",
    ),
    (
        Metric::Counter,
        "beacon_cleanup_deleted_total",
        "Rows deleted by the retention cleanup, by table.",
    ),
    (
        Metric::Counter,
        "beacon_kube_events_total",
        "Kubernetes object events recorded, by kind, event (created|deleted) and source (watch|reconcile).",
    ),
    (
        Metric::Counter,
        "beacon_kube_watch_events_total",
        "Watch events received, by kind and type (update|deleted|bookmark).",
    ),
    (
        Metric::Counter,
        "beacon_kube_watch_restarts_total",
        "Watches ended and opened again, by kind and reason (ended|silent|gone|reconcile|error).",
    ),
    (
        Metric::Gauge,
        "beacon_kube_watch_connected",
        "1 while a watch stream is open, by watch (apiVersion/kind/namespace).",
    ),
    (
        Metric::Counter,
        "beacon_kube_reconcile_runs_total",
        "Listings reconciled against the database, by kind and result (ok|error).",
    ),
    (
        Metric::Histogram,
        "beacon_kube_reconcile_duration_seconds",
        "Time to list a watched set and reconcile it, by kind.",
    ),
    (
        Metric::Gauge,
        "beacon_kube_objects_listed",
        "Objects in a watched set at its last listing, by watch.",
    ),
    (
        Metric::Histogram,
        "beacon_kube_store_duration_seconds",
        "Time to store one batch of watch events.",
    ),
    (
        Metric::Gauge,
        "beacon_kube_objects",
        "Tracked Kubernetes objects, by status (active|deleted).",
    ),
    (
        Metric::Gauge,
        "beacon_kube_notifications",
        "Deliveries of Kubernetes object events not delivered, by status (pending|failed).",
    ),
    (
        Metric::Counter,
        "beacon_kube_cleanup_runs_total",
        "Cleanups of deleted objects' records, by result (ok|error).",
    ),
    (
        Metric::Counter,
        "beacon_kube_cleanup_deleted_total",
        "Records of deleted objects removed by cleanup.",
    ),
];

pub(crate) async fn shutdown_signal() -> Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

/// The Kubernetes watcher, ready to start: a client, each configured kind found in the cluster, and where its
/// events go.
struct PreparedKube {
    client: beacon_kube::Client,
    resolved: Vec<beacon_kube::Resolved>,
    service_id: uuid::Uuid,
    status: beacon_kube::WatchStatus,
    settings: crate::kubernetes::KubeSettings,
}

/// `/ready`'s `kubernetes` and `watchers` checks.
struct KubeReadiness(beacon_kube::WatchStatus);

impl beacon_server::Readiness for KubeReadiness {
    fn checks(&self) -> Vec<(&'static str, Result<String, String>)> {
        vec![
            ("kubernetes", self.0.kubernetes()),
            ("watchers", self.0.watchers()),
        ]
    }
}

/// Connect and find every configured kind: a kind the cluster does not serve, or a bad kubeconfig, is an input
/// error; an unreachable API server an environment one. Runs before anything is written.
async fn connect_kubernetes(
    settings: &crate::kubernetes::KubeSettings,
) -> Result<(beacon_kube::Client, Vec<beacon_kube::Resolved>)> {
    let fail = |e: beacon_kube::KubeError| -> anyhow::Error {
        match e {
            beacon_kube::KubeError::Input(m) => crate::error::UsageError(m).into(),
            beacon_kube::KubeError::Environment(m) => anyhow::anyhow!(m),
        }
    };
    let client = beacon_kube::connect(settings.kubeconfig.as_deref())
        .await
        .map_err(fail)?;
    let resolved = beacon_kube::resolve(&client, &settings.resources)
        .await
        .map_err(fail)?;
    Ok((client, resolved))
}

/// Settle the service and webhook the watcher's events go to.
async fn prepare_kubernetes(
    store: &dyn beacon_store::Store,
    clock: &dyn Clock,
    settings: crate::kubernetes::KubeSettings,
    (client, resolved): (beacon_kube::Client, Vec<beacon_kube::Resolved>),
) -> Result<PreparedKube> {
    let ids = store
        .kube_target(&settings.target, clock.now())
        .await
        .context("setting up where kubernetes events go")?;
    if let (Some(secret), Some(id)) = (&ids.new_secret, ids.webhook_id)
        && settings
            .target
            .webhook
            .as_ref()
            .is_some_and(|w| w.format == beacon_store::WebhookFormat::Standard)
    {
        println!(
            "Created webhook {id} for kubernetes events; its signing secret (shown once):\n{}",
            secret.expose()
        );
    }
    for r in &resolved {
        info!(api_version = %r.config.api_version, kind = %r.config.kind, plural = %r.resource.plural,
            namespaced = r.namespaced, "watching");
    }
    let stall = settings.watch.idle_after();
    Ok(PreparedKube {
        client,
        resolved,
        service_id: ids.service_id,
        status: beacon_kube::WatchStatus::new(stall),
        settings,
    })
}

pub async fn run(mut settings: Settings) -> Result<()> {
    // Bind first: a port in use fails before anything is created on disk.
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let kube_client = match &settings.kubernetes {
        Some(k) => Some(connect_kubernetes(k).await?),
        None => None,
    };
    let store = beacon_store::open(&settings.database)
        .await
        .with_context(|| format!("opening database {}", settings.database.redacted()))?;
    let metrics = install_metrics()?;
    let mut probers = match &settings.check_ca {
        Some(pem) => Probers::trusting_also(pem)
            .map_err(|e| crate::error::UsageError(format!("worker.ca_file: {e}")))?,
        None => Probers::new().context("building the TLS configuration")?,
    };
    probers.http = probers.http.with_max_body(settings.check_max_body);
    let prober = Arc::new(probers);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (intake, intake_writer) =
        beacon_runtime::heartbeats::Intake::start(store.clone(), &settings.heartbeats);
    let scheme = if settings.http.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{addr}"));
    // Messages link to the monitor's page in the dashboard.
    settings.delivery.public_url = Some(public_url.trim_end_matches('/').to_owned());
    // The key of acknowledgement links, shared by every server on this database.
    settings.delivery.ack_key = Some(beacon_server::api::ack_key(&*store, clock.now()).await?);
    let intake_failures = intake.failures();
    let app = App::with_delivery(store.clone(), clock.clone(), &settings.delivery)
        .with_intake(intake)
        .with_public_url(&public_url)
        .with_prober(prober.clone());
    let mut state = AppState::new(app, metrics.clone(), settings.http);
    state.storage = settings.storage;
    let kube = match settings.kubernetes.zip(kube_client) {
        Some((k, client)) => {
            let prepared = prepare_kubernetes(&*store, &*clock, k, client).await?;
            state
                .readiness
                .push(Arc::new(KubeReadiness(prepared.status.clone())));
            Some(prepared)
        }
        None => None,
    };
    if let Some(token) = state.app.bootstrap_admin_token().await? {
        let path = write_admin_token(&settings.data_dir, &token)?;
        println!(
            "Created an admin API token (shown once, saved to {}):\n{token}",
            path.display()
        );
    }
    // Logged once everything is in place: scripts and tests wait for this line.
    info!(%addr, database = %settings.database.redacted(), backend = store.backend(), "listening on {scheme}://{addr}");

    let stop_loops = CancellationToken::new();
    let stop_http = CancellationToken::new();
    let grace = settings.checks.shutdown_grace;
    let holder = settings.checks.owner.clone();
    let region_pk = settings.checks.region_pk;
    // Writers of events in this process (check results, the Kubernetes watcher) wake the delivery engine.
    let wake = settings.delivery.wake.clone();
    let mut check_config = settings.checks;
    check_config.delivery_wake = wake.clone();
    let checks = if settings.local_worker {
        tokio::spawn(beacon_runtime::checks::run(
            store.clone(),
            prober,
            clock.clone(),
            check_config,
            stop_loops.clone(),
        ))
    } else {
        info!("no local worker: this server runs no checks");
        tokio::spawn(async { Ok(()) })
    };
    let sender = beacon_runtime::delivery::Sender::new(&settings.delivery)
        .context("building the webhook HTTP client")?;
    let deliveries = tokio::spawn(beacon_runtime::delivery::run(
        store.clone(),
        Arc::new(sender),
        clock.clone(),
        settings.delivery,
        stop_loops.clone(),
    ));
    let mut heartbeat_config = settings.heartbeats;
    heartbeat_config.delivery_wake = wake.clone();
    let evaluator = tokio::spawn(beacon_runtime::heartbeats::run_evaluator(
        store.clone(),
        intake_failures,
        clock.clone(),
        heartbeat_config,
        stop_loops.clone(),
    ));
    // Duties that run once per database, on the server holding the leader lease.
    let leader = beacon_runtime::leader::Leader::default();
    let leadership = tokio::spawn(beacon_runtime::leader::run(
        store.clone(),
        clock.clone(),
        holder,
        leader.clone(),
        beacon_runtime::leader::LEASE_TTL,
        stop_loops.clone(),
    ));
    let kube_tasks = kube.map(|k| {
        let watcher = beacon_kube::Watcher {
            store: store.clone(),
            client: k.client,
            resolved: k.resolved,
            service_id: k.service_id,
            config: k.settings.watch,
            clock: clock.clone(),
            status: k.status,
            wake: wake.clone(),
        };
        let watcher = tokio::spawn(watcher.run_while_leader(leader.clone(), stop_loops.clone()));
        let upkeep = tokio::spawn(beacon_kube::run_upkeep(
            store.clone(),
            clock.clone(),
            leader.clone(),
            k.settings.retention,
            k.settings.cleanup_interval,
            stop_loops.clone(),
        ));
        (watcher, upkeep)
    });
    let cleanup = tokio::spawn(beacon_runtime::cleanup::run(
        store.clone(),
        clock.clone(),
        settings.retention,
        leader,
        stop_loops.clone(),
    ));
    let storage = tokio::spawn(beacon_runtime::storage::run(
        store.clone(),
        settings.storage,
        Duration::from_secs(30),
        stop_loops.clone(),
    ));
    let gauges = tokio::spawn(beacon_runtime::gauges::run(
        store.clone(),
        clock,
        region_pk,
        Duration::from_secs(5),
        stop_loops.clone(),
    ));
    let upkeep = {
        let (metrics, stop) = (metrics.clone(), stop_http.clone());
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                tokio::time::sleep(Duration::from_secs(5)).await;
                metrics.run_upkeep();
            }
        })
    };
    let http = tokio::spawn(beacon_server::serve(listener, state, stop_http.clone()));

    let signal = tokio::select! {
        s = shutdown_signal() => s?,
        res = http => {
            stop_loops.cancel();
            return match res {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e).context("HTTP server failed"),
                Err(e) => Err(e).context("HTTP server task failed"),
            };
        }
    };
    info!(signal, "shutting down");
    stop_loops.cancel();
    // The check loop waits for running checks up to the grace period, then writes and releases; bound the
    // whole thing in case the database is gone.
    match tokio::time::timeout(grace + Duration::from_secs(10), checks).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => warn!(error = %e, "releasing leases failed; they expire on their own"),
        Ok(Err(e)) => warn!(error = %e, "check loop failed"),
        Err(_) => warn!("check loop did not stop in time; leases expire on their own"),
    }
    match tokio::time::timeout(Duration::from_secs(15), deliveries).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => {
            warn!(error = %e, "releasing delivery leases failed; they expire on their own")
        }
        Ok(Err(e)) => warn!(error = %e, "delivery engine failed"),
        Err(_) => warn!("delivery engine did not stop in time; its leases expire on their own"),
    }
    if let Some((watcher, upkeep)) = kube_tasks {
        // A batch being stored finishes; nothing past it was read, so nothing is lost.
        let _ = tokio::time::timeout(Duration::from_secs(10), watcher).await;
        let _ = upkeep.await;
    }
    let _ = gauges.await;
    let _ = evaluator.await;
    let _ = storage.await;
    // A cleanup in progress stops between two statements; what it deleted stays deleted.
    let _ = tokio::time::timeout(Duration::from_secs(5), cleanup).await;
    // The leader lease is given up last: another server may take the duties at once.
    let _ = tokio::time::timeout(Duration::from_secs(5), leadership).await;
    stop_http.cancel();
    upkeep.abort();
    // The HTTP server has finished its requests and dropped the intake: the writer stores what is queued.
    if tokio::time::timeout(Duration::from_secs(10), intake_writer)
        .await
        .is_err()
    {
        warn!("the heartbeat writer did not finish in time");
    }
    info!("stopped");
    Ok(())
}
