//! Benchmarks of the scale-out path on PostgreSQL.
//!
//! `beacon-bench claims`: N endpoints all due, then K concurrent claimers (distinct lease owners, as K workers'
//! servers would be) lease them in batches through the store and complete each batch (the schedules move on, as
//! after a check) until none is left: slots per second, and a check that no slot was handed out twice.
//!
//! `beacon-bench workers`: N endpoints in region `bench` against nginx, a `beacon server --no-local-worker` on a
//! fresh PostgreSQL schema, and K `beacon worker` processes (optionally each pinned to a CPU with `taskset`);
//! after a warm-up, the stored pings with a slot in the measured window give checks/s, completion and lateness,
//! and /proc gives each process's CPU.

use super::{Nginx, free_port, now_ms, percentile, sample};
use anyhow::{Context, Result, bail};
use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_store::{Claim, Completion, DatabaseUrl, Store};
use sqlx::Row;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct ClaimsArgs {
    /// PostgreSQL URL (a fresh schema is made in it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    database: String,
    #[arg(long, default_value_t = 100_000)]
    endpoints: u32,
    /// Concurrent claimers.
    #[arg(long, default_value_t = 4)]
    claimers: usize,
    /// Slots per claim.
    #[arg(long, default_value_t = 500)]
    batch: u32,
}

#[derive(Debug, clap::Args)]
pub struct WorkersArgs {
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    database: String,
    #[arg(long, default_value_t = 10_000)]
    endpoints: u32,
    #[arg(long, default_value_t = 10)]
    interval: i64,
    /// Worker processes.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// WORKER_CONCURRENCY of each worker.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Pin worker i to CPU i mod cores (taskset).
    #[arg(long)]
    pin: bool,
    #[arg(long, default_value_t = 30)]
    duration: u64,
    #[arg(long)]
    warmup: Option<u64>,
    #[arg(long)]
    beacon: Option<PathBuf>,
    /// SIGSTOP worker 0 this many seconds into the window (and report how late its leased slots ran elsewhere).
    #[arg(long)]
    stop_one_after: Option<u64>,
    /// Check timeout in seconds (the lease is slot + timeout + 15 s).
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
}

/// CPU seconds of every PostgreSQL process on this machine.
fn postgres_cpu() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(|pid| sample(pid).map(|s| s.0))
        .sum()
}

/// A fresh schema in `url`: the URL that uses it, and the schema's name.
async fn fresh_schema(url: &str) -> Result<(String, String)> {
    let schema = format!("bench_{}", uuid_like());
    let pool = sqlx::PgPool::connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok((
        format!("{url}{sep}options=-csearch_path%3D{schema}"),
        schema,
    ))
}

fn uuid_like() -> String {
    format!("{:016x}{:08x}", rand::random::<u64>(), std::process::id())
}

async fn drop_schema(url: &str, schema: &str) {
    if std::env::var_os("BENCH_KEEP_SCHEMA").is_some() {
        eprintln!("kept schema {schema}");
        return;
    }
    if let Ok(pool) = sqlx::PgPool::connect(url).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&pool)
            .await;
    }
}

/// N endpoints in region `region` (made first), each with a unique URL under `base`, created through the store.
async fn endpoints(
    store: &Arc<dyn Store>,
    n: u32,
    interval: i64,
    timeout: f64,
    base: &str,
    region: &str,
) -> Result<()> {
    store.create_region(region).await?;
    let svc = store.create_service("bench", "", now_ms()).await?;
    for i in 0..n {
        let spec = EndpointSpec::create(EndpointInput {
            name: Some(format!("e{i}")),
            url: Some(format!("{base}/e/{i}")),
            interval_seconds: Some(interval),
            timeout_seconds: Some(timeout.min(interval as f64)),
            regions: Some(vec![region.to_owned()]),
            ..Default::default()
        })?;
        store.create_endpoint(svc.id, &spec, now_ms()).await?;
    }
    Ok(())
}

/// Planner statistics for the tables just filled, as autovacuum would have them in a running deployment (a
/// fresh table's empty statistics make PostgreSQL pick plans it never would at this size).
async fn analyze(url: &str) -> Result<()> {
    let pool = sqlx::PgPool::connect(url).await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    Ok(())
}

pub async fn claims(args: ClaimsArgs) -> Result<()> {
    let (url, schema) = fresh_schema(&args.database).await?;
    let store = beacon_store::open(&DatabaseUrl::parse(&url)?).await?;
    let t = Instant::now();
    endpoints(
        &store,
        args.endpoints,
        3_600,
        5.0,
        "http://127.0.0.1:9",
        "bench",
    )
    .await?;
    analyze(&url).await?;
    eprintln!(
        "{} endpoints in {:.1} s",
        args.endpoints,
        t.elapsed().as_secs_f64()
    );
    let region = store.region_pk("bench").await?.context("region")?;
    // Every slot is due within the next hour; claim as if it were an hour later.
    let at = now_ms() + 3_600_000;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..args.claimers {
        let store = store.clone();
        let batch = args.batch;
        tasks.push(tokio::spawn(async move {
            let owner = format!("claimer-{k}");
            let mut mine = Vec::new();
            let mut claims = 0u32;
            let mut claiming = Duration::ZERO;
            loop {
                let t = Instant::now();
                let got = store
                    .claim_slots(&Claim {
                        owner: &owner,
                        region_pk: region,
                        now: at,
                        horizon: at,
                        limit: batch,
                        lease_margin_ms: 60_000,
                    })
                    .await?;
                claiming += t.elapsed();
                claims += 1;
                if got.is_empty() {
                    break;
                }
                // Done with them, as a worker would be: each schedule moves on (past the claims' horizon here), so
                // the leased set stays what is in flight, as in steady state.
                let done: Vec<Completion> = got
                    .iter()
                    .map(|c| Completion {
                        schedule_pk: c.schedule_pk,
                        endpoint_pk: c.endpoint_pk,
                        slot: c.slot,
                        next_slot: c.slot + 2 * 3_600_000,
                        ping: None,
                    })
                    .collect();
                store.complete_slots(&owner, region, &done).await?;
                mine.extend(got.into_iter().map(|c| (c.schedule_pk, c.slot)));
            }
            anyhow::Ok((mine, claims, claiming))
        }));
    }
    let mut all = Vec::new();
    let mut per = Vec::new();
    let mut claims = 0;
    let mut claiming = Duration::ZERO;
    for t in tasks {
        let (mine, c, spent) = t.await??;
        per.push(mine.len());
        claims += c;
        claiming += spent;
        all.extend(mine);
    }
    let took = started.elapsed().as_secs_f64();
    let unique: HashSet<(i64, i64)> = all.iter().copied().collect();
    println!(
        "claims: {} slots leased and completed by {} claimers ({per:?}) in {took:.2} s = {:.0} slots/s; {claims} claims \
         of up to {} (mean {:.1} ms each, completion excluded); handed out twice: {}; never handed out: {}",
        all.len(),
        args.claimers,
        all.len() as f64 / took,
        args.batch,
        claiming.as_secs_f64() * 1000.0 / f64::from(claims.max(1)),
        all.len() - unique.len(),
        args.endpoints as usize - unique.len(),
    );
    drop_schema(&args.database, &schema).await;
    if all.len() != unique.len() {
        bail!("a slot was handed out twice");
    }
    Ok(())
}

struct Proc {
    child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

pub async fn workers(args: WorkersArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("beacon-bench-workers-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let beacon = match &args.beacon {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("beacon"),
    };
    let port = free_port()?;
    let nginx = Nginx::start(&dir, port, 1)?;
    let (url, schema) = fresh_schema(&args.database).await?;
    let store = beacon_store::open(&DatabaseUrl::parse(&url)?).await?;
    endpoints(
        &store,
        args.endpoints,
        args.interval,
        args.timeout,
        &format!("http://127.0.0.1:{port}"),
        "bench",
    )
    .await?;
    analyze(&url).await?;
    let new = beacon_core::token::generate(uuid::Uuid::new_v4(), rand::random());
    store
        .create_worker_token("bench", "bench", &new, now_ms())
        .await?;
    let listen = format!("127.0.0.1:{}", free_port()?);
    let server = Proc {
        child: Command::new(&beacon)
            .args(["server", "--listen", &listen, "--no-local-worker"])
            .env("DATABASE_URL", &url)
            .env("BEACON_DATA_DIR", dir.join("data"))
            .env("BEACON_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("server.log"))?)
            .spawn()
            .context("starting beacon server")?,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(&listen).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut procs = vec![server];
    let started = now_ms();
    for i in 0..args.workers {
        let mut cmd = if args.pin {
            let mut c = Command::new("taskset");
            c.args(["-c", &(i % cores).to_string()]).arg(&beacon);
            c
        } else {
            Command::new(&beacon)
        };
        cmd.args([
            "worker",
            "--server",
            &format!("http://{listen}"),
            "--name",
            &format!("w{i}"),
        ])
        .env("BEACON_TOKEN", &new.text)
        .env("WORKER_CONCURRENCY", args.concurrency.to_string())
        .env("BEACON_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("worker-{i}.log")))?);
        procs.push(Proc {
            child: cmd.spawn().context("starting beacon worker")?,
        });
    }
    // This machine's PostgreSQL runs without autovacuum; a deployment has it. Do its work every 10 s, so the
    // schedules' dead row versions and statistics are what they would be in production.
    let vacuum = {
        let url = url.clone();
        tokio::spawn(async move {
            let Ok(pool) = sqlx::PgPool::connect(&url).await else {
                return;
            };
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let _ = sqlx::query("VACUUM ANALYZE schedules, endpoints")
                    .execute(&pool)
                    .await;
            }
        })
    };
    let warmup = args.warmup.unwrap_or(args.interval as u64 + 5);
    tokio::time::sleep(Duration::from_secs(warmup)).await;
    let from = now_ms();
    let cpu0: Vec<f64> = procs
        .iter()
        .map(|p| sample(p.child.id()).map_or(0.0, |s| s.0))
        .collect();
    let nginx0 = super::target_cpu(nginx.child.id());
    let pg0 = postgres_cpu();
    let mut stopped_at = None;
    match args.stop_one_after {
        Some(after) if after < args.duration && procs.len() > 1 => {
            tokio::time::sleep(Duration::from_secs(after)).await;
            stopped_at = Some(now_ms());
            Command::new("kill")
                .args(["-STOP", &procs[1].child.id().to_string()])
                .status()?;
            tokio::time::sleep(Duration::from_secs(args.duration - after)).await;
            Command::new("kill")
                .args(["-CONT", &procs[1].child.id().to_string()])
                .status()?;
        }
        _ => tokio::time::sleep(Duration::from_secs(args.duration)).await,
    }
    let to = now_ms();
    vacuum.abort();
    let cpu1: Vec<f64> = procs
        .iter()
        .map(|p| sample(p.child.id()).map_or(0.0, |s| s.0))
        .collect();
    let nginx1 = super::target_cpu(nginx.child.id());
    let pg1 = postgres_cpu();
    let secs = (to - from) as f64 / 1000.0;
    // Let results in flight arrive before reading.
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(procs.drain(1..).collect::<Vec<_>>());
    let pool = sqlx::PgPool::connect(&url).await?;
    let rows = sqlx::query("SELECT start_delay FROM pings WHERE slot >= $1 AND slot < $2")
        .bind(from)
        .bind(to)
        .fetch_all(&pool)
        .await?;
    let mut delays: Vec<i64> = rows.iter().map(|r| i64::from(r.get::<i32, _>(0))).collect();
    delays.sort_unstable();
    let offered = f64::from(args.endpoints) / args.interval as f64;
    let achieved = delays.len() as f64 / secs;
    println!(
        "workers: {} × concurrency {}{} | {} endpoints at {} s = {offered:.0}/s offered | {achieved:.0} checks/s \
         ({:.1} %) | lateness p50 {} / p99 {} / max {} ms | started {:.1} s before the window",
        args.workers,
        args.concurrency,
        if args.pin { " (pinned)" } else { "" },
        args.endpoints,
        args.interval,
        100.0 * achieved / offered,
        percentile(&delays, 50.0),
        percentile(&delays, 99.0),
        delays.last().copied().unwrap_or(0),
        (from - started) as f64 / 1000.0,
    );
    if let Some(at) = stopped_at {
        // Slots that ran later than their timeout were re-runs of the stopped worker's leases: how long after the
        // lease ran out (slot + timeout + 15 s) did another worker start them?
        let lease = (args.timeout * 1000.0) as i64 + 15_000;
        let rows = sqlx::query(
            "SELECT slot, start_delay FROM pings WHERE slot >= $1 AND slot < $2 AND start_delay > $3",
        )
        .bind(at - 5_000)
        .bind(to)
        .bind((args.timeout * 1000.0) as i32)
        .fetch_all(&pool)
        .await?;
        let mut after: Vec<i64> = rows
            .iter()
            .map(|r| i64::from(r.get::<i32, _>(1)) - lease)
            .collect();
        after.sort_unstable();
        println!(
            "  worker 0 stopped: {} slots re-run by another worker; started after the lease ran out by p50 {} / max {} ms",
            after.len(),
            percentile(&after, 50.0),
            after.last().copied().unwrap_or(0)
        );
    }
    for (i, name) in std::iter::once("server".to_owned())
        .chain((0..args.workers).map(|i| format!("worker {i}")))
        .enumerate()
    {
        println!("  {name}: {:.2} cores", (cpu1[i] - cpu0[i]) / secs);
    }
    println!("  nginx: {:.2} cores", (nginx1 - nginx0) / secs);
    println!(
        "  postgres (all its processes): {:.2} cores",
        (pg1 - pg0) / secs
    );
    drop(procs);
    drop(nginx);
    drop(pool);
    drop_schema(&args.database, &schema).await;
    if std::env::var_os("BENCH_KEEP_SCHEMA").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("kept logs in {}", dir.display());
    }
    Ok(())
}
