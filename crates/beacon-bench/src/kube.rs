//! `beacon-bench kube`: the Kubernetes watcher against the fake API server (beacon-kube's `fake-apiserver`) with
//! N annotated objects, delivering to a receiver in this process. Reports how long the first listing and
//! reconciliation of N new objects takes and how long until all N are delivered; the watch-event → receiver
//! latency of objects created one by one at a steady rate (p50/p99/max); the time to relist and reconcile N
//! tracked objects after a 410 and after a restart; and the process's memory with N objects tracked.

use crate::{percentile, sample};
use anyhow::{Context, Result, bail};
use beacon_kube::fake::{FakeCluster, KindDef};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "bakerapps.net.maas";

#[derive(Debug, clap::Args)]
pub struct KubeArgs {
    /// Annotated objects in the cluster before Beacon starts.
    #[arg(long, default_value_t = 10_000)]
    objects: u32,
    /// Objects created one by one afterwards, for latency.
    #[arg(long, default_value_t = 500)]
    live: u32,
    /// Live objects created per second.
    #[arg(long, default_value_t = 50)]
    rate: u32,
    /// The `beacon` binary [default: next to this one]
    #[arg(long)]
    beacon: Option<PathBuf>,
    /// A PostgreSQL URL instead of the SQLite default.
    #[arg(long)]
    database: Option<String>,
}

type Seen = Arc<Mutex<HashMap<String, Instant>>>;

/// An HTTP receiver on 127.0.0.1 noting when each subject first arrived.
fn receiver(seen: Seen) -> Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/events", listener.local_addr()?);
    listener.set_nonblocking(true)?;
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let app = axum::Router::new().fallback(move |body: String| {
                let seen = seen.clone();
                async move {
                    let at = Instant::now();
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body)
                        && let Some(subject) = v["subject"].as_str()
                    {
                        seen.lock()
                            .expect("seen")
                            .entry(subject.to_owned())
                            .or_insert(at);
                    }
                    "ok"
                }
            });
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        });
    });
    Ok(url)
}

/// `beacon kubernetes run`, its log lines handed to `lines`.
struct Beacon {
    child: Child,
    reconciled: std::sync::mpsc::Receiver<f64>,
}

impl Beacon {
    fn start(beacon: &Path, config: &Path, database: Option<&str>) -> Result<Self> {
        let mut cmd = Command::new(beacon);
        cmd.args(["kubernetes", "run", "--config"])
            .arg(config)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd.spawn().context("starting beacon kubernetes run")?;
        let stderr = child.stderr.take().context("stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("\"reconciled\"")
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && let Some(s) = v["fields"]["seconds"].as_f64()
                {
                    let _ = tx.send(s);
                }
            }
        });
        Ok(Self {
            child,
            reconciled: rx,
        })
    }

    fn next_reconcile(&self) -> Result<f64> {
        self.reconciled
            .recv_timeout(Duration::from_secs(120))
            .context("no reconciliation logged within 120 s")
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn wait_for(seen: &Seen, n: usize, within: Duration) -> Result<Duration> {
    let start = Instant::now();
    while seen.lock().expect("seen").len() < n {
        if start.elapsed() > within {
            bail!(
                "only {} of {n} delivered within {within:?}",
                seen.lock().expect("seen").len()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(start.elapsed())
}

pub fn kube(args: KubeArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("beacon-bench-kube-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let beacon = match &args.beacon {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("beacon"),
    };
    let cluster = FakeCluster::start(vec![KindDef::new("v1", "ConfigMap", "configmaps", true)]);
    let made = Instant::now();
    for i in 0..args.objects {
        cluster.apply(
            "configmaps",
            "bench",
            &format!("cm-{i}"),
            &[(KEY, "managed"), ("owner", "bench")],
            &[("app", "bench"), ("tier", "web")],
        );
    }
    println!(
        "fake cluster: {} annotated ConfigMaps made in {:.2} s",
        args.objects,
        made.elapsed().as_secs_f64()
    );
    let seen: Seen = Arc::default();
    let url = receiver(seen.clone())?;
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "app:\n  version: bench\n  logFormat: json\nresources:\n  - apiVersion: v1\n    kind: ConfigMap\n\
             endpoint:\n  url: {url}\nworker:\n  concurrency: 16\nstorage:\n  dbPath: {}\nkubeconfig: {}\n",
            dir.join("data").join("events.db").display(),
            cluster.kubeconfig(&dir).display()
        ),
    )?;
    let database = args.database.as_deref();

    // 1. First start: every object is new.
    let started = Instant::now();
    let b = Beacon::start(&beacon, &config, database)?;
    let first = b.next_reconcile()?;
    wait_for(&seen, args.objects as usize, Duration::from_secs(600))?;
    println!(
        "first listing + reconciliation of {} new objects: {first:.2} s (the watcher's own measure); all delivered \
         {:.2} s after the process started",
        args.objects,
        started.elapsed().as_secs_f64()
    );
    let pid = b.child.id();
    std::thread::sleep(Duration::from_secs(2));
    if let Some((_, rss, hwm)) = sample(pid) {
        println!(
            "memory with {} objects tracked: RSS {:.1} MiB (peak {:.1} MiB)",
            args.objects,
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    }

    // 2. Live objects one by one: watch event → receiver.
    let mut applied: HashMap<String, Instant> = HashMap::new();
    let gap = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let mut next = Instant::now();
    for i in 0..args.live {
        next += gap;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let name = format!("live-{i}");
        applied.insert(name.clone(), Instant::now());
        cluster.apply("configmaps", "bench", &name, &[(KEY, "managed")], &[]);
    }
    wait_for(
        &seen,
        (args.objects + args.live) as usize,
        Duration::from_secs(120),
    )?;
    let mut lat: Vec<i64> = {
        let seen = seen.lock().expect("seen");
        applied
            .iter()
            .filter_map(|(name, at)| {
                seen.get(name)
                    .map(|r| i64::try_from(r.duration_since(*at).as_micros()).unwrap_or(i64::MAX))
            })
            .collect()
    };
    lat.sort_unstable();
    println!(
        "watch event → receiver, {} objects at {}/s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        args.rate,
        percentile(&lat, 50.0) as f64 / 1000.0,
        percentile(&lat, 99.0) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    );

    // 3. A 410 under the open watch: relist and reconcile everything tracked.
    let tracked = args.objects + args.live;
    cluster.expire_watches();
    let gone = b.next_reconcile()?;
    println!("relist + reconciliation after a 410, {tracked} objects tracked: {gone:.2} s");
    b.stop();

    // 4. A restart: the start-up reconciliation of everything tracked.
    let b = Beacon::start(&beacon, &config, database)?;
    let restart = b.next_reconcile()?;
    println!("start-up relist + reconciliation, {tracked} objects tracked: {restart:.2} s");
    if let Some((_, rss, hwm)) = sample(b.child.id()) {
        println!(
            "memory after the restart: RSS {:.1} MiB (peak {:.1} MiB)",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    }
    b.stop();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
