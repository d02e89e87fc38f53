//! `beacon worker`: runs the checks of one region for a remote server. It holds no state and needs no database:
//! `Remote` implements the check loop's `Schedules` role over the worker protocol — claims long-poll the server
//! for leases of the region's due slots, results go back in batches (the server stores each once per endpoint,
//! region and slot, so a push repeated after a lost answer does nothing) — and the loop, the writer and the
//! probers are the very ones a server's in-process pool runs; two such loops share the process (`PIPELINES`), so
//! one waits on the server while the other works. Outbound HTTP(S) only.
//!
//! While the server is away, claims back off (up to 5 s apart) and finished results stay in memory (at most
//! `max_pending` slots) and are pushed again until the server takes them. SIGTERM: stop claiming, let running
//! checks finish, push, give the leases back, exit 0. Slot times are the server's: the worker's clock follows
//! the server's `server_time`.

use crate::cli::WorkerArgs;
use crate::error::UsageError;
use anyhow::{Context, Result};
use async_trait::async_trait;
use beacon_core::Millis;
use beacon_core::clock::Clock;
use beacon_core::endpoint::EndpointSpec;
use beacon_probe::Probers;
use beacon_runtime::CheckConfig;
use beacon_server::api::endpoint_input;
use beacon_server::error::ApiError;
use beacon_server::wire::*;
use beacon_store::{Claim, ClaimedSlot, CompleteReport, Completion, Schedules, StoreError};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// How long a claim waits on the server for due slots.
const CLAIM_WAIT_MS: u32 = 5_000;

/// Check loops per worker, each with its own claims and writer: while one waits for the server (a claim, a push),
/// the other works, so one worker process is not bound by the round trips of a single loop.
const PIPELINES: usize = 2;

/// Results per push (well under the server's request body limit).
const PUSH_MAX: usize = 500;

/// The server's clock as the worker sees it: the local clock plus the offset learned from claims.
struct ServerClock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock for ServerClock {
    fn now(&self) -> Millis {
        beacon_core::clock::SystemClock.now() + self.offset_ms.load(Ordering::Relaxed)
    }
}

/// What the worker reports about itself on each claim.
#[derive(Default)]
struct Counters {
    claimed: AtomicU64,
    pushed: AtomicU64,
    /// Results handed to a push not yet acknowledged.
    pending: AtomicU64,
    /// Acknowledged results of the last minute, in (when, how many) steps.
    recent: Mutex<VecDeque<(Instant, u64)>>,
}

impl Counters {
    fn acknowledged(&self, n: u64) {
        self.pushed.fetch_add(n, Ordering::Relaxed);
        if let Ok(mut r) = self.recent.lock() {
            r.push_back((Instant::now(), n));
        }
    }

    fn per_minute(&self) -> u32 {
        let Ok(mut r) = self.recent.lock() else {
            return 0;
        };
        while r
            .front()
            .is_some_and(|(at, _)| at.elapsed() > Duration::from_secs(60))
        {
            r.pop_front();
        }
        u32::try_from(r.iter().map(|(_, n)| n).sum::<u64>()).unwrap_or(u32::MAX)
    }
}

/// The check loop's `Schedules` over the worker protocol.
pub struct Remote {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    hello: WorkerHello,
    offset_ms: Arc<AtomicI64>,
    counters: Counters,
    /// Claims failed in a row (for the backoff).
    failures: AtomicU32,
    /// Cancelled on shutdown: a waiting claim gives up at once.
    stop: CancellationToken,
    /// Set when the server refuses this worker for good (bad token, wrong region, other protocol).
    refused: Mutex<Option<ApiError>>,
    /// Check loops still running: the leases are given back when the last one stops.
    loops: std::sync::atomic::AtomicUsize,
}

/// POST `body` to the server and decode its answer (or its error).
async fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    path: &str,
    body: &B,
    timeout: Duration,
) -> Result<T, ApiError> {
    let mut req = http
        .post(format!("{base}{path}"))
        .json(body)
        .timeout(timeout);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let (_, bytes) = crate::remote::exchange(req, base).await?;
    crate::remote::decode(&bytes, base)
}

impl Remote {
    async fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<T, ApiError> {
        post(
            &self.http,
            &self.base,
            self.token.as_deref(),
            path,
            body,
            timeout,
        )
        .await
    }

    /// A refusal that no retry can fix ends the worker: remember it and stop.
    fn refuse(&self, e: &ApiError) {
        if matches!(e.status, 401 | 403 | 404 | 422) {
            if let Ok(mut r) = self.refused.lock() {
                r.get_or_insert_with(|| e.clone());
            }
            self.stop.cancel();
        }
    }

    fn hello(&self) -> WorkerHello {
        self.hello.clone()
    }
}

fn unavailable(e: &ApiError) -> StoreError {
    StoreError::Unavailable(format!("{} ({})", e.message, e.status))
}

#[async_trait]
impl Schedules for Remote {
    async fn claim_slots(&self, claim: &Claim<'_>) -> beacon_store::Result<Vec<ClaimedSlot>> {
        let c = &self.counters;
        let claimed = c.claimed.load(Ordering::Relaxed);
        let done = c.pushed.load(Ordering::Relaxed) + c.pending.load(Ordering::Relaxed);
        let req = ClaimRequest {
            hello: self.hello(),
            limit: claim.limit.clamp(1, WORKER_BATCH_MAX),
            lookahead_ms: u32::try_from(claim.horizon - claim.now).unwrap_or(0),
            wait_ms: CLAIM_WAIT_MS,
            in_flight: u32::try_from(claimed.saturating_sub(done)).unwrap_or(u32::MAX),
            pending: u32::try_from(c.pending.load(Ordering::Relaxed)).unwrap_or(u32::MAX),
            checks_per_minute: c.per_minute(),
        };
        let timeout = Duration::from_millis(u64::from(CLAIM_WAIT_MS) + 15_000);
        let answer = tokio::select! {
            () = self.stop.cancelled() => return Ok(Vec::new()),
            a = self.post::<_, ClaimResponse>("/api/v1/worker/claims", &req, timeout) => a,
        };
        let resp = match answer {
            Ok(r) => {
                self.failures.store(0, Ordering::Relaxed);
                r
            }
            Err(e) => {
                self.refuse(&e);
                // Back off while the server is away: 100 ms doubling to 5 s.
                let n = self.failures.fetch_add(1, Ordering::Relaxed).min(6);
                let pause = Duration::from_millis((100u64 << n).min(5_000));
                tokio::select! {
                    () = self.stop.cancelled() => {}
                    () = tokio::time::sleep(pause) => {}
                }
                return Err(unavailable(&e));
            }
        };
        if let Ok(server) = parse_time("server_time", &resp.server_time) {
            let local = beacon_core::clock::SystemClock.now();
            self.offset_ms.store(server - local, Ordering::Relaxed);
        }
        let mut out = Vec::with_capacity(resp.slots.len());
        for s in resp.slots {
            let spec = endpoint_input(s.check)
                .and_then(EndpointSpec::create)
                .map_err(StoreError::Invalid)?;
            out.push(ClaimedSlot {
                schedule_pk: s.schedule_key,
                endpoint_pk: s.endpoint_key,
                endpoint_id: s.endpoint_id,
                slot: parse_time("slot", &s.slot).map_err(StoreError::Invalid)?,
                spec,
            });
        }
        c.claimed.fetch_add(out.len() as u64, Ordering::Relaxed);
        Ok(out)
    }

    async fn complete_slots(
        &self,
        _owner: &str,
        _region_pk: i32,
        batch: &[Completion],
    ) -> beacon_store::Result<CompleteReport> {
        let mut report = CompleteReport::default();
        let c = &self.counters;
        // The chunks go at once: the server stores each in its own transaction, in parallel.
        let mut pushes = tokio::task::JoinSet::new();
        for chunk in batch.chunks(PUSH_MAX) {
            let req = ResultsRequest {
                hello: self.hello(),
                results: chunk.iter().map(slot_result).collect(),
            };
            let (http, base, token) = (self.http.clone(), self.base.clone(), self.token.clone());
            c.pending.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            pushes.spawn(async move {
                let path = "/api/v1/worker/results";
                let answer = post::<_, ResultsResponse>(
                    &http,
                    &base,
                    token.as_deref(),
                    path,
                    &req,
                    Duration::from_secs(60),
                )
                .await;
                (req.results.len(), answer)
            });
        }
        let mut failed = None;
        while let Some(done) = pushes.join_next().await {
            let Ok((n, answer)) = done else { continue };
            c.pending.fetch_sub(n as u64, Ordering::Relaxed);
            match answer {
                Ok(r) => {
                    if r.refused > 0 {
                        warn!(
                            refused = r.refused,
                            "the server refused results (no longer scheduled in this region)"
                        );
                    }
                    report.inserted += r.stored as usize;
                    report.duplicates += (r.duplicates + r.refused) as usize;
                    c.acknowledged(n as u64);
                }
                // Malformed for this server: no retry makes it right.
                Err(e) if e.status == 400 || e.status == 413 => {
                    warn!(error = %e.message, size = n, "the server refused a batch of results; dropped");
                }
                Err(e) => {
                    self.refuse(&e);
                    failed.get_or_insert(e);
                }
            }
        }
        // A failed chunk sends the whole batch again later: what was stored already is ignored then.
        if let Some(e) = failed {
            return Err(unavailable(&e));
        }
        Ok(report)
    }

    async fn release_leases(&self, _owner: &str) -> beacon_store::Result<u64> {
        // The loops share one lease owner: only the last to stop gives the leases back, so none is released
        // while the other loop still runs its checks.
        if self.loops.fetch_sub(1, Ordering::SeqCst) > 1 {
            return Ok(0);
        }
        let req = ReleaseRequest {
            hello: self.hello(),
        };
        self.post::<_, ReleaseResponse>("/api/v1/worker/release", &req, Duration::from_secs(10))
            .await
            .map(|r| r.released)
            .map_err(|e| unavailable(&e))
    }

    async fn queue_depth(&self, _region_pk: i32, _now: Millis) -> beacon_store::Result<i64> {
        Ok(0)
    }
}

fn slot_result(c: &Completion) -> SlotResult {
    SlotResult {
        schedule_key: c.schedule_pk,
        endpoint_key: c.endpoint_pk,
        slot: rfc3339(c.slot),
        next_slot: rfc3339(c.next_slot),
        ping: c.ping.as_ref().map(|p| {
            let o = &p.observation;
            let t = &o.timings;
            PingResult {
                started_at: rfc3339(p.started_at),
                status_code: o.status_code,
                error_kind: o.failure.as_ref().map(|(k, _)| k.as_str().to_owned()),
                error: o.failure.as_ref().map(|(_, m)| m.clone()),
                dns_us: t.dns_us,
                connect_us: t.connect_us,
                tls_us: t.tls_us,
                first_byte_us: t.first_byte_us,
                total_us: t.total_us,
                details: DetailsView::of(&o.details),
            }
        }),
    }
}

/// This machine's name, for a worker not given `--name`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned())
}

/// Run until SIGTERM or SIGINT (or until the server refuses this worker).
pub async fn run(base: String, token: Option<String>, args: WorkerArgs) -> Result<()> {
    let stop = CancellationToken::new();
    let instance = uuid::Uuid::new_v4().simple().to_string();
    let name = args.name.clone().unwrap_or_else(host_name);
    let mut http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(50));
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let mut pem = std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?;
        pem.extend(std::fs::read(key).with_context(|| format!("reading {}", key.display()))?);
        let identity = reqwest::Identity::from_pem(&pem).with_context(|| {
            format!(
                "the client certificate {} and key {}",
                cert.display(),
                key.display()
            )
        })?;
        http = http.identity(identity);
    }
    if let Some(ca) = &args.ca {
        let pem = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
        let root = reqwest::Certificate::from_pem(&pem)
            .with_context(|| format!("the CA certificate {}", ca.display()))?;
        http = http.add_root_certificate(root);
    }
    let http = http.build().context("building the HTTP client")?;
    let offset_ms = Arc::new(AtomicI64::new(0));
    let remote = Arc::new(Remote {
        base: base.trim_end_matches('/').to_owned(),
        token,
        http,
        hello: WorkerHello {
            protocol: WORKER_PROTOCOL,
            instance: instance.clone(),
            name: name.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            region: args.region.clone(),
        },
        offset_ms: offset_ms.clone(),
        counters: Counters::default(),
        failures: AtomicU32::new(0),
        stop: stop.clone(),
        refused: Mutex::new(None),
        loops: std::sync::atomic::AtomicUsize::new(PIPELINES),
    });
    let concurrency = args.concurrency.unwrap_or(256).max(1);
    let config = CheckConfig {
        owner: format!("worker:{instance}"),
        concurrency: concurrency.div_ceil(PIPELINES),
        max_pending: 10_000,
        poll_interval: Duration::from_millis(20),
        batch_max: 2_000,
        flush_interval: Duration::from_millis(200),
        // Finished results wait for the server as long as it takes (bounded by max_pending).
        write_retry_for: Duration::from_secs(24 * 3600),
        ..CheckConfig::default()
    };
    let probers = match &args.checks_ca {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| UsageError(format!("--checks-ca {}: {e}", path.display())))?;
            Probers::trusting_also(&pem)
                .map_err(|e| UsageError(format!("--checks-ca {}: {e}", path.display())))?
        }
        None => Probers::new().context("building the TLS configuration")?,
    };
    let prober = Arc::new(probers);
    info!(server = %remote.base, %name, region = args.region.as_deref().unwrap_or("(the token's)"), concurrency, "worker started");
    let clock: Arc<dyn Clock> = Arc::new(ServerClock { offset_ms });
    let mut loops = tokio::task::JoinSet::new();
    for _ in 0..PIPELINES {
        loops.spawn(beacon_runtime::checks::run(
            remote.clone(),
            prober.clone(),
            clock.clone(),
            config.clone(),
            stop.clone(),
        ));
    }
    tokio::select! {
        s = crate::server::shutdown_signal() => info!(signal = s?, "stopping: finishing running checks"),
        () = stop.cancelled() => {}
    }
    stop.cancel();
    while let Some(done) = loops.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "giving leases back failed; they expire on their own"),
            Err(e) => warn!(error = %e, "check loop failed"),
        }
    }
    if let Some(e) = remote.refused.lock().ok().and_then(|mut r| r.take()) {
        return Err(anyhow::Error::new(e)
            .context(format!("the server at {} refused this worker", remote.base)));
    }
    info!("worker stopped");
    Ok(())
}
