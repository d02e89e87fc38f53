//! `beacon-bench api-data`: fill a data dir with N endpoints and 1,000 pings on the first, for `wrk` against the
//! REST API (see BENCHMARKS.md).
//!
//! `beacon-bench checks`: load N endpoints against a local nginx (one unique URL per endpoint), run the real
//! `beacon server` on them, sample its CPU time and memory from /proc, then read back the stored pings and report
//! achieved checks/s, schedule lateness (start − slot) percentiles, CPU per check, peak RSS, and how long after
//! start every endpoint had been checked once. A benchmark, not a test: it prints figures for BENCHMARKS.md.

mod kube;
mod notify;
mod workers;

use anyhow::{Context, Result, bail};
use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_store::roles::*;
use beacon_store::{SqliteStore, Store};
use clap::Parser;
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Parser)]
enum Bench {
    /// Check throughput and lateness of a running server.
    Checks(Args),
    /// Create data for API benchmarks and print the first endpoint's id.
    ApiData(ApiDataArgs),
    /// Create heartbeats with keys in a fresh SQLite database, and a wrk script that pings them at random.
    HeartbeatData(HeartbeatDataArgs),
    /// Webhook delivery throughput and latency of a running server against nginx.
    Deliveries(DeliveriesArgs),
    /// One endpoint with days of results (rollups included) for the stats query; prints its id.
    StatsData(StatsDataArgs),
    /// Lease claims on PostgreSQL by concurrent claimers: slots/s, none handed out twice.
    Claims(workers::ClaimsArgs),
    /// Remote workers against nginx, on PostgreSQL: checks/s and lateness for 1..K worker processes.
    Workers(workers::WorkersArgs),
    /// The Kubernetes watcher against a fake API server: reconciliation time, event latency, memory.
    Kube(kube::KubeArgs),
    /// N incidents opening at once across channels of several kinds: time until all are received, per-kind rate.
    Notify(notify::NotifyArgs),
}

#[derive(Debug, clap::Args)]
struct DeliveriesArgs {
    /// Incidents (each one event, one delivery) queued before the server starts.
    #[arg(long, default_value_t = 10_000)]
    backlog: u32,
    /// Incidents opened one by one while the server runs, for latency.
    #[arg(long, default_value_t = 200)]
    live: u32,
    #[arg(long)]
    beacon: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct HeartbeatDataArgs {
    #[arg(long, default_value_t = 10_000)]
    heartbeats: u32,
    /// Data dir to create the SQLite database in; `ping.lua` and `targets.txt` are written there too.
    #[arg(long)]
    data_dir: PathBuf,
    /// A PostgreSQL URL to create the heartbeats in instead of SQLite.
    #[arg(long)]
    database: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ApiDataArgs {
    #[arg(long, default_value_t = 10_000)]
    endpoints: u32,
    /// Data dir to create the SQLite database in.
    #[arg(long)]
    data_dir: PathBuf,
    /// Create the endpoints enabled (they will be checked once a server runs).
    #[arg(long)]
    enabled: bool,
}

#[derive(Debug, clap::Args)]
struct Args {
    /// Endpoints to create.
    #[arg(long, default_value_t = 10_000)]
    endpoints: u32,
    /// Check interval in seconds.
    #[arg(long, default_value_t = 10)]
    interval: i64,
    /// Seconds to measure after the warm-up.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Seconds before measuring (the first interval, while every endpoint gets its first check).
    #[arg(long)]
    warmup: Option<u64>,
    /// WORKER_CONCURRENCY for the server.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// The beacon binary (default: next to this one).
    #[arg(long)]
    beacon: Option<PathBuf>,
    /// nginx worker processes for the target.
    #[arg(long, default_value_t = 1)]
    nginx_workers: u32,
    /// Before starting, store this many days of results per endpoint (one a minute) from 8 days ago, and run
    /// `beacon cleanup` (default retention: they are all expired) this many seconds into the window.
    #[arg(long, default_value_t = 0)]
    expired_days: u32,
    #[arg(long, default_value_t = 5)]
    cleanup_after: u64,
    /// The kind of check: http (to nginx), tcp (connect to nginx's port), dns (a query to a DNS server this
    /// process runs, beacon_probe::testkit).
    #[arg(long, default_value = "http")]
    kind: String,
}

#[derive(Debug, clap::Args)]
struct StatsDataArgs {
    /// Days of results for one endpoint, one a minute, through the real write path (rollups included).
    #[arg(long, default_value_t = 90)]
    days: u32,
    #[arg(long)]
    data_dir: PathBuf,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

struct Nginx {
    child: Child,
}

impl Nginx {
    fn start(dir: &Path, port: u16, workers: u32) -> Result<Self> {
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "worker_processes {workers};\ndaemon off;\npid {pid};\nerror_log {err} warn;\n\
                 events {{ worker_connections 4096; }}\n\
                 http {{ access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp}; \
                 fastcgi_temp_path {tmp}; uwsgi_temp_path {tmp}; scgi_temp_path {tmp};\n\
                 server {{ listen 127.0.0.1:{port}; location / {{ return 200 \"ok\\n\"; }} }} }}\n",
                pid = dir.join("nginx.pid").display(),
                err = dir.join("nginx.err").display(),
                tmp = dir.display(),
            ),
        )?;
        let child = Command::new("nginx")
            .args([
                "-c",
                conf.to_str().context("utf8 path")?,
                "-p",
                dir.to_str().context("utf8 path")?,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nginx (apt-get install nginx-light)")?;
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Self { child });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("nginx did not start")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) and current/peak RSS in KiB of a process.
fn sample(pid: u32) -> Option<(f64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((ticks / 100.0, kib("VmRSS:")?, kib("VmHWM:")?))
}

/// CPU seconds of nginx's worker processes (children of the master).
fn target_cpu(master: u32) -> f64 {
    let children = std::fs::read_to_string(format!("/proc/{master}/task/{master}/children"))
        .unwrap_or_default();
    children
        .split_whitespace()
        .filter_map(|pid| pid.parse::<u32>().ok())
        .filter_map(|pid| sample(pid).map(|s| s.0))
        .sum()
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<()> {
    match Bench::parse() {
        Bench::Checks(args) => checks(args).await,
        Bench::ApiData(args) => api_data(args).await,
        Bench::HeartbeatData(args) => heartbeat_data(args).await,
        Bench::Deliveries(args) => deliveries(args).await,
        Bench::Notify(args) => notify::run(args).await,
        Bench::StatsData(args) => stats_data(args).await,
        Bench::Claims(args) => workers::claims(args).await,
        Bench::Workers(args) => workers::workers(args).await,
        Bench::Kube(args) => tokio::task::block_in_place(|| kube::kube(args)),
    }
}

/// One endpoint with `days` of results (one a minute, ending now) through `complete_slots`, so rollups are
/// maintained as in production; prints the endpoint id.
async fn stats_data(args: StatsDataArgs) -> Result<()> {
    use beacon_core::ping::{Observation, PingRecord, Timings};
    use beacon_store::{Claim, Completion};
    std::fs::create_dir_all(&args.data_dir)?;
    let store = SqliteStore::open(&args.data_dir.join("beacon.db")).await?;
    let svc = store.create_service("stats", "", now_ms()).await?;
    let spec = EndpointSpec::create(EndpointInput {
        name: Some("history".into()),
        url: Some("http://127.0.0.1:9/".into()),
        interval_seconds: Some(60),
        enabled: Some(false),
        ..Default::default()
    })?;
    let ep = store.create_endpoint(svc.id, &spec, now_ms()).await?;
    // The schedule row to name in completions (disabled endpoints are not claimed: enable, claim, disable).
    let input = EndpointInput {
        enabled: Some(true),
        ..Default::default()
    };
    store.update_endpoint(ep.id, input, now_ms()).await?;
    let claimed = store
        .claim_slots(&Claim {
            owner: "bench",
            region_pk: 1,
            now: now_ms() + 120_000,
            horizon: now_ms() + 120_000,
            limit: 1,
            lease_margin_ms: 0,
        })
        .await?;
    let input = EndpointInput {
        enabled: Some(false),
        ..Default::default()
    };
    store.update_endpoint(ep.id, input, now_ms()).await?;
    let c = claimed.first().context("no slot claimed")?;
    let end = now_ms() - now_ms().rem_euclid(60_000);
    let minutes = i64::from(args.days) * 1_440;
    let t = Instant::now();
    let mut batch = Vec::with_capacity(1_000);
    for i in 0..minutes {
        let slot = end - (minutes - i) * 60_000;
        let wobble = (i * 7_919) % 40_000;
        let ok = i % 97 != 0;
        batch.push(Completion {
            schedule_pk: c.schedule_pk,
            endpoint_pk: c.endpoint_pk,
            slot,
            next_slot: slot + 60_000,
            ping: Some(PingRecord {
                scheduled_at: slot,
                started_at: slot + 2,
                observation: Observation {
                    details: Default::default(),
                    status_code: Some(if ok { 200 } else { 503 }),
                    timings: Timings {
                        dns_us: None,
                        connect_us: Some(150),
                        tls_us: None,
                        first_byte_us: Some(1_000 + wobble as u32),
                        total_us: 1_200 + wobble as u32,
                    },
                    failure: (!ok).then(|| {
                        (
                            beacon_core::ping::ErrorKind::Status,
                            "unexpected status 503".to_owned(),
                        )
                    }),
                },
            }),
        });
        if batch.len() == 1_000 {
            store.complete_slots("bench", 1, &batch).await?;
            batch.clear();
        }
    }
    store.complete_slots("bench", 1, &batch).await?;
    eprintln!(
        "{minutes} results with rollups in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    println!("{}", ep.id);
    Ok(())
}

async fn heartbeat_data(args: HeartbeatDataArgs) -> Result<()> {
    use beacon_core::heartbeat::{HeartbeatInput, HeartbeatSpec};
    std::fs::create_dir_all(&args.data_dir)?;
    let store: std::sync::Arc<dyn Store> = match &args.database {
        Some(url) => beacon_store::open(&beacon_store::DatabaseUrl::parse(url)?).await?,
        None => std::sync::Arc::new(SqliteStore::open(&args.data_dir.join("beacon.db")).await?),
    };
    let svc = store.create_service("bench", "", now_ms()).await?;
    let mut targets = String::new();
    for i in 0..args.heartbeats {
        let spec = HeartbeatSpec::create(HeartbeatInput {
            name: Some(format!("job {i}")),
            period_seconds: Some(3_600),
            grace_seconds: Some(600),
            ..Default::default()
        })?;
        let (key, hash) = beacon_core::token::generate_ping_key(rand::random());
        let hb = store
            .create_heartbeat(svc.id, &format!("job-{i}"), &spec, &hash, now_ms())
            .await?;
        targets.push_str(&format!("{} {key}\n", hb.id));
    }
    std::fs::write(args.data_dir.join("targets.txt"), targets)?;
    let lua = format!(
        r#"-- wrk script: each request pings a random heartbeat with its key.
local targets = {{}}
for line in io.lines("{}") do
  local id, key = line:match("(%S+) (%S+)")
  targets[#targets + 1] = {{ path = "/ping/" .. id, auth = "Bearer " .. key }}
end
math.randomseed(os.time())
request = function()
  local t = targets[math.random(#targets)]
  return wrk.format("POST", t.path, {{ ["Authorization"] = t.auth }}, "ok")
end
response = function(status, headers, body)
  if status ~= 200 then error("status " .. status) end
end
"#,
        args.data_dir.join("targets.txt").display()
    );
    std::fs::write(args.data_dir.join("ping.lua"), lua)?;
    eprintln!(
        "{} heartbeats in {}; run: wrk -t2 -c64 -d10s --latency -s {} http://ADDR",
        args.heartbeats,
        args.data_dir.display(),
        args.data_dir.join("ping.lua").display()
    );
    Ok(())
}

async fn api_data(args: ApiDataArgs) -> Result<()> {
    use beacon_core::ping::{Observation, PingRecord, Timings};
    use beacon_store::{Claim, Completion};
    let store = SqliteStore::open(&args.data_dir.join("beacon.db")).await?;
    let svc = store.create_service("bench", "", now_ms()).await?;
    let mut first = None;
    for i in 0..args.endpoints {
        let spec = EndpointSpec::create(EndpointInput {
            name: Some(format!("endpoint {i}")),
            url: Some(format!("http://127.0.0.1:9/e/{i}")),
            headers: Some(vec!["X-Bench: yes".into()]),
            interval_seconds: Some(60),
            enabled: Some(args.enabled || i == 0),
            ..Default::default()
        })?;
        let e = store.create_endpoint(svc.id, &spec, now_ms()).await?;
        first.get_or_insert(e.id);
    }
    // 1,000 results for the first endpoint, through the same claim/complete path the workers use.
    let mut t = now_ms() + 120_000;
    let mut stored = 0;
    while stored < 1_000 {
        let claim = Claim {
            owner: "bench",
            region_pk: 1,
            now: t,
            horizon: t,
            limit: 10,
            lease_margin_ms: 1_000,
        };
        for c in store.claim_slots(&claim).await? {
            let ok = stored % 10 != 0;
            let ping = PingRecord {
                scheduled_at: c.slot,
                started_at: c.slot + 3,
                observation: Observation {
                    details: Default::default(),
                    status_code: Some(if ok { 200 } else { 503 }),
                    timings: Timings {
                        dns_us: None,
                        connect_us: Some(150),
                        tls_us: None,
                        first_byte_us: Some(900),
                        total_us: 1_200,
                    },
                    failure: (!ok).then(|| {
                        (
                            beacon_core::ping::ErrorKind::Status,
                            "unexpected status 503".to_owned(),
                        )
                    }),
                },
            };
            let next = c.slot + c.spec.interval_ms();
            store
                .complete_slots(
                    "bench",
                    1,
                    &[Completion {
                        schedule_pk: c.schedule_pk,
                        endpoint_pk: c.endpoint_pk,
                        slot: c.slot,
                        next_slot: next,
                        ping: Some(ping),
                    }],
                )
                .await?;
            stored += 1;
        }
        t += 60_000;
    }
    println!("{}", first.context("no endpoints")?);
    Ok(())
}

/// A failed result for `slot` (503), as a worker would report it.
fn failed_ping(slot: i64) -> beacon_core::ping::PingRecord {
    use beacon_core::ping::{ErrorKind, Observation, PingRecord, Timings};
    PingRecord {
        scheduled_at: slot,
        started_at: now_ms(),
        observation: Observation {
            details: Default::default(),
            status_code: Some(503),
            timings: Timings {
                total_us: 900,
                ..Timings::default()
            },
            failure: Some((ErrorKind::Status, "unexpected status 503".into())),
        },
    }
}

/// Open one incident on each of `endpoints` (threshold 1, one failed result each) through the store, as a
/// worker would; each writes one event and one delivery to the webhook.
/// Claimed slots completed with a failing result each.
fn failing(claimed: &[beacon_store::ClaimedSlot]) -> Vec<beacon_store::Completion> {
    claimed
        .iter()
        .map(|c| beacon_store::Completion {
            schedule_pk: c.schedule_pk,
            endpoint_pk: c.endpoint_pk,
            slot: c.slot,
            next_slot: c.slot + c.spec.interval_ms(),
            ping: Some(failed_ping(c.slot)),
        })
        .collect()
}

async fn open_incidents(
    store: &SqliteStore,
    endpoints: &[beacon_store::Endpoint],
    at: i64,
) -> Result<()> {
    use beacon_store::Claim;
    let mut done = 0;
    while done < endpoints.len() {
        // Claim only what is still wanted: other due slots belong to endpoints held for later.
        let claim = Claim {
            owner: "bench",
            region_pk: 1,
            now: at,
            horizon: at,
            limit: u32::try_from((endpoints.len() - done).min(5_000)).unwrap_or(5_000),
            lease_margin_ms: 60_000,
        };
        let claimed = store.claim_slots(&claim).await?;
        anyhow::ensure!(!claimed.is_empty(), "no slots due");
        let batch = failing(&claimed);
        done += batch.len();
        store.complete_slots("bench", 1, &batch).await?;
    }
    Ok(())
}

async fn deliveries(args: DeliveriesArgs) -> Result<()> {
    use beacon_core::endpoint::CheckUrl;
    use beacon_core::webhook::WebhookSecret;
    let dir = std::env::temp_dir().join(format!("beacon-bench-deliveries-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let beacon = match &args.beacon {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("beacon"),
    };
    let port = free_port()?;
    let _nginx = Nginx::start(&dir, port, 1)?;
    let db = dir.join("data").join("beacon.db");
    let store = SqliteStore::open(&db).await?;
    let svc = store.create_service("bench", "", now_ms()).await?;
    let hook = beacon_store::WebhookSpec {
        url: CheckUrl::parse(&format!("http://127.0.0.1:{port}/hook"))?,
        events: vec![beacon_core::event::EventKind::IncidentStart.as_str().into()],
        secret: WebhookSecret::generate([3; 24]),
        headers: vec![],
    };
    store.create_webhook(svc.id, &hook, now_ms()).await?;
    let mut endpoints = Vec::new();
    for i in 0..(args.backlog + args.live) {
        let spec = EndpointSpec::create(EndpointInput {
            name: Some(format!("e{i}")),
            url: Some(format!("http://127.0.0.1:{port}/e/{i}")),
            // One slot now, the next a day away: the server's own checks stay out of the measurement.
            interval_seconds: Some(86_400),
            alert_threshold: Some(1),
            ..Default::default()
        })?;
        endpoints.push(
            store
                .create_endpoint(svc.id, &spec, now_ms() - 86_400_000)
                .await?,
        );
    }
    let (backlog, _) = endpoints.split_at(args.backlog as usize);
    open_incidents(&store, backlog, now_ms()).await?;
    eprintln!("queued {} deliveries", backlog.len());
    // Hold the live endpoints' slots (long lease) so the server does not run or skip them; they are completed one
    // by one below, as a worker would.
    let held = store
        .claim_slots(&beacon_store::Claim {
            owner: "bench-live",
            region_pk: 1,
            now: now_ms(),
            horizon: now_ms(),
            limit: args.live,
            lease_margin_ms: 3_600_000,
        })
        .await?;
    anyhow::ensure!(
        held.len() == args.live as usize,
        "expected {} live slots, got {}",
        args.live,
        held.len()
    );

    let mut server = Command::new(&beacon)
        .args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "warn",
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .stdout(Stdio::null())
        .spawn()
        .context("starting beacon server")?;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let delivered = |pool: sqlx::SqlitePool| async move {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'")
            .fetch_one(&pool)
            .await?
            .get(0);
        anyhow::Ok(n)
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while delivered(pool.clone()).await? < i64::from(args.backlog) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "backlog not delivered within 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let span = sqlx::query("SELECT MIN(started_at), MAX(started_at + latency_us / 1000), COUNT(*) FROM delivery_attempts")
        .fetch_one(&pool)
        .await?;
    let (first, last, attempts): (i64, i64, i64) = (span.get(0), span.get(1), span.get(2));
    let per_s = attempts as f64 / ((last - first).max(1) as f64 / 1000.0);

    eprintln!("backlog: {attempts} attempts, {per_s:.0} deliveries/s");
    // Live: open incidents one at a time; latency = response received − event written.
    for c in &held {
        let ping = failed_ping(c.slot);
        let done = beacon_store::Completion {
            schedule_pk: c.schedule_pk,
            endpoint_pk: c.endpoint_pk,
            slot: c.slot,
            next_slot: c.slot + c.spec.interval_ms(),
            ping: Some(ping),
        };
        store.complete_slots("bench-live", 1, &[done]).await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    while delivered(pool.clone()).await? < i64::from(args.backlog + args.live) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "live deliveries not delivered in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = sqlx::query(
        "SELECT a.started_at + a.latency_us / 1000 - ev.created_at FROM delivery_attempts a \
         JOIN deliveries d ON d.pk = a.delivery_pk JOIN events ev ON ev.pk = d.event_pk \
         WHERE a.number = 1 ORDER BY ev.pk DESC LIMIT $1",
    )
    .bind(i64::from(args.live))
    .fetch_all(&pool)
    .await?;
    let mut lat: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>(0)).collect();
    lat.sort_unstable();
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()?;
    server.wait()?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "backlog": args.backlog,
            "deliveries_per_s": per_s,
            "backlog_attempts": attempts,
            "live": args.live,
            "event_to_received_ms": {"p50": percentile(&lat, 50.0), "p99": percentile(&lat, 99.0),
                                     "max": lat.last().copied().unwrap_or(0)},
        }))?
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn checks(args: Args) -> Result<()> {
    let warmup = args.warmup.unwrap_or(args.interval as u64 + 5);
    let dir = std::env::temp_dir().join(format!("beacon-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let beacon = match &args.beacon {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("beacon"),
    };
    anyhow::ensure!(
        beacon.exists(),
        "{} not found: cargo build --release -p beacon",
        beacon.display()
    );

    let port = free_port()?;
    let nginx = Nginx::start(&dir, port, args.nginx_workers)?;
    let dns = match args.kind.as_str() {
        "dns" => Some(beacon_probe::testkit::dns_server().await.to_string()),
        _ => None,
    };
    let db = dir.join("data").join("beacon.db");
    let t = Instant::now();
    {
        let store = SqliteStore::open(&db).await?;
        let svc = store.create_service("bench", "", now_ms()).await?;
        for i in 0..args.endpoints {
            let mut input = EndpointInput {
                name: Some(format!("e{i}")),
                interval_seconds: Some(args.interval),
                ..Default::default()
            };
            match args.kind.as_str() {
                "http" => input.url = Some(format!("http://127.0.0.1:{port}/e/{i}")),
                "tcp" => {
                    input.kind = Some("tcp".into());
                    input.target = Some(format!("127.0.0.1:{port}"));
                }
                "dns" => {
                    input.kind = Some("dns".into());
                    input.target = Some("ok.test".into());
                    input.dns_server = dns.clone();
                }
                other => bail!("--kind {other}: http, tcp or dns"),
            }
            let spec = EndpointSpec::create(input)?;
            store.create_endpoint(svc.id, &spec, now_ms()).await?;
        }
    }
    eprintln!(
        "created {} endpoints in {:.1}s",
        args.endpoints,
        t.elapsed().as_secs_f64()
    );
    if args.expired_days > 0 {
        let t = Instant::now();
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
        let minutes = i64::from(args.expired_days) * 1_440;
        let first = now_ms() - 8 * 86_400_000;
        let first = first - first.rem_euclid(60_000);
        // Realistic rows: an IP-literal HTTP check (no DNS, no TLS), connect and first-byte times that vary.
        sqlx::query(
            "WITH RECURSIVE m (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i + 1 < $1) \
             INSERT INTO pings (endpoint_pk, slot, region_pk, start_delay, success, status_code, error_kind, error, \
               dns_us, connect_us, tls_us, first_byte_us, total_us) \
             SELECT e.pk, $2 + m.i * 60000, 1, 1 + (e.pk + m.i) % 7, 1, 200, NULL, NULL, NULL, \
               90 + (e.pk * 7 + m.i * 13) % 400, NULL, 900 + (e.pk * 31 + m.i * 17) % 20000, \
               1000 + (e.pk * 31 + m.i * 17) % 20000 + (e.pk + m.i) % 400 FROM endpoints e, m",
        )
        .bind(minutes)
        .bind(first)
        .execute(&pool)
        .await?;
        pool.close().await;
        eprintln!(
            "stored {} expired results in {:.1}s",
            minutes * i64::from(args.endpoints),
            t.elapsed().as_secs_f64()
        );
    }

    let started_ms = now_ms();
    let mut server = Command::new(&beacon)
        .args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "warn",
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .env("WORKER_CONCURRENCY", args.concurrency.to_string())
        .stdout(Stdio::null())
        .spawn()
        .context("starting beacon server")?;
    let pid = server.id();
    tokio::time::sleep(Duration::from_secs(warmup)).await;
    let (cpu0, _, _) = sample(pid).context("server exited early")?;
    let target0 = target_cpu(nginx.child.id());
    let window_start = now_ms();
    let mut peak_rss = 0;
    let mut rss_now = 0;
    let mut cleanup: Option<(Instant, Child)> = None;
    let mut cleanup_report = serde_json::Value::Null;
    for second in 0..args.duration {
        if args.expired_days > 0 && second == args.cleanup_after {
            let child = Command::new(&beacon)
                .args(["cleanup", "-o", "json", "--data-dir"])
                .arg(dir.join("data"))
                .stdout(Stdio::piped())
                .spawn()
                .context("starting beacon cleanup")?;
            cleanup = Some((Instant::now(), child));
        }
        if let Some((t, child)) = cleanup.as_mut()
            && child.try_wait()?.is_some()
        {
            let elapsed = t.elapsed().as_secs_f64();
            let (_, child) = cleanup.take().expect("running");
            let out = child.wait_with_output()?;
            cleanup_report = serde_json::json!({
                "seconds": elapsed,
                "exit": out.status.code(),
                "report": serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default(),
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (_, rss, hwm) = sample(pid).context("server exited during the run")?;
        peak_rss = peak_rss.max(hwm);
        rss_now = rss;
    }
    let window_end = now_ms();
    let (cpu1, _, _) = sample(pid).context("server exited")?;
    let target1 = target_cpu(nginx.child.id());
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    let status = server.wait()?;

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let window = sqlx::query(
        "SELECT start_delay, success FROM pings WHERE slot >= $1 AND slot < $2 ORDER BY start_delay",
    )
    .bind(window_start)
    .bind(window_end)
    .fetch_all(&pool)
    .await?;
    let lateness: Vec<i64> = window
        .iter()
        .map(|r| i64::from(r.get::<i32, _>(0)))
        .collect();
    let failures = window.iter().filter(|r| !r.get::<bool, _>(1)).count();
    let expected = f64::from(args.endpoints) * (window_end - window_start) as f64
        / (args.interval as f64 * 1000.0);
    let first_checks =
        sqlx::query("SELECT MIN(slot + start_delay) FROM pings GROUP BY endpoint_pk")
            .fetch_all(&pool)
            .await?;
    let all_checked_after = first_checks
        .iter()
        .map(|r| r.get::<i64, _>(0))
        .max()
        .map(|t| t - started_ms);
    let window_s = (window_end - window_start) as f64 / 1000.0;
    let checks = lateness.len() as f64;
    // What the stored data costs on disk (dbstat: pages of each table and index, unused space included).
    let sizes = sqlx::query(
        "SELECT name, SUM(pgsize) FROM dbstat WHERE name IN ('pings', 'rollups') GROUP BY name ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap_or_default();
    let rows = sqlx::query("SELECT (SELECT COUNT(*) FROM pings), (SELECT COUNT(*) FROM rollups)")
        .fetch_one(&pool)
        .await?;
    let (ping_rows, rollup_rows): (i64, i64) = (rows.get(0), rows.get(1));
    let size = |name: &str| {
        sizes
            .iter()
            .find(|r| r.get::<String, _>(0) == name)
            .map_or(0, |r| r.get::<i64, _>(1))
    };
    let storage = serde_json::json!({
        "pings_rows": ping_rows,
        "pings_bytes": size("pings"),
        "bytes_per_ping": size("pings") as f64 / (ping_rows.max(1) as f64),
        "rollup_rows": rollup_rows,
        "rollups_bytes": size("rollups"),
        "bytes_per_rollup_row": size("rollups") as f64 / (rollup_rows.max(1) as f64),
        "file_bytes": std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0),
    });
    let report = serde_json::json!({
        "endpoints": args.endpoints,
        "interval_s": args.interval,
        "concurrency": args.concurrency,
        "window_s": window_s,
        "checks_per_s": checks / window_s,
        "expected_checks_per_s": expected / window_s,
        "completed_ratio": checks / expected,
        "failures": failures,
        "lateness_ms": {"p50": percentile(&lateness, 50.0), "p99": percentile(&lateness, 99.0),
                        "max": lateness.last().copied().unwrap_or(0)},
        "cpu_ms_per_check": (cpu1 - cpu0) * 1000.0 / checks.max(1.0),
        "cpu_cores_used": (cpu1 - cpu0) / window_s,
        "target_cpu_cores_used": (target1 - target0) / window_s,
        "rss_mib": rss_now as f64 / 1024.0,
        "peak_rss_mib": peak_rss as f64 / 1024.0,
        "endpoints_checked": first_checks.len(),
        "all_checked_after_start_s": all_checked_after.map(|ms| ms as f64 / 1000.0),
        "server_exit": status.code(),
        "cleanup": cleanup_report,
        "storage": storage,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
