//! Test harness: a Beacon home (data dir or database URL) to run commands in, running servers, HTTP targets.

use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_beacon");

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Where a Beacon keeps its data: a temp data dir (SQLite) or a fresh PostgreSQL schema. In remote mode a server
/// runs on it and every command goes through `--server` (with the admin token the server wrote).
pub struct Home {
    pub dir: PathBuf,
    pub database: Option<String>,
    pub remote: Option<Server>,
}

pub fn postgres_base() -> String {
    std::env::var("BEACON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql failed: {sql}");
}

impl Home {
    /// A raw HTTP request to this home's running server (remote mode), with exactly the headers given.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        let server = self
            .remote
            .as_ref()
            .expect("a running server (remote home)");
        http(
            &format!("http://{}{path}", server.addr),
            method,
            headers,
            body,
        )
    }

    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("beacon-e2e-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self {
            dir,
            database: None,
            remote: None,
        }
    }

    /// A SQLite home with a server running on it; commands go through the REST API.
    pub fn remote() -> Self {
        let mut home = Self::sqlite();
        home.remote = Some(home.server(&[]));
        home
    }

    /// The admin token the server wrote on first start.
    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.dir.join("data/admin-token"))
            .expect("admin token")
            .trim()
            .to_owned()
    }

    pub fn postgres() -> Self {
        let schema = format!("e2e_{}", uuid::Uuid::new_v4().simple());
        let base = postgres_base();
        psql(&base, &format!("CREATE SCHEMA {schema}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        let mut home = Self::sqlite();
        home.database = Some(format!("{base}{sep}options=-csearch_path%3D{schema}"));
        home
    }

    /// A dedicated PostgreSQL database that a test may take offline.
    pub fn postgres_database() -> (Self, String) {
        let name = format!("beacon_e2e_{}", uuid::Uuid::new_v4().simple());
        psql(&postgres_base(), &format!("CREATE DATABASE {name}"));
        let url = match postgres_base().rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("unexpected postgres URL"),
        };
        let mut home = Self::sqlite();
        home.database = Some(url);
        (home, name)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("BEACON_DATA_DIR", self.dir.join("data"))
            .env_remove("DATABASE_URL")
            .env_remove("BEACON_URL")
            .env_remove("BEACON_TOKEN")
            // Tests start on a fresh data dir; the refusal without it has its own test.
            .env("BEACON_INIT", "1");
        if let Some(server) = self
            .remote
            .as_ref()
            .filter(|_| args.first() != Some(&"server"))
        {
            c.env("BEACON_URL", format!("http://{}", server.addr));
        }
        if let Some(url) = &self.database {
            c.env("DATABASE_URL", url);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Out {
        let o = self.command(args).output().expect("beacon runs");
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Run on the database even when a server runs (remote mode).
    pub fn run_direct(&self, args: &[&str]) -> Out {
        let o = self
            .command(args)
            .env_remove("BEACON_URL")
            .output()
            .expect("beacon runs");
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Run with `-o json`, require exit 0, return the JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.run(&all);
        assert_eq!(out.code, 0, "beacon {args:?} failed: {}", out.stderr);
        out.json()
    }

    pub fn service(&self) -> String {
        id(&self.json(&[
            "services",
            "create",
            "--name",
            "Production API",
            "--description",
            "Main API endpoints",
        ]))
    }

    pub fn endpoint(&self, service: &str, url: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "endpoints",
            "create",
            "--service-id",
            service,
            "--name",
            "Health",
            "--url",
            url,
        ];
        args.extend(extra);
        id(&self.json(&args))
    }

    pub fn pings(&self, endpoint: &str) -> Vec<Value> {
        array(self.json(&[
            "pings",
            "list",
            "--endpoint-id",
            endpoint,
            "--limit",
            "10000",
        ]))
    }

    pub fn incidents(&self, endpoint: &str) -> Vec<Value> {
        array(self.json(&["incidents", "list", "--endpoint-id", endpoint]))
    }

    pub fn server(&self, extra: &[&str]) -> Server {
        let mut args = vec!["server", "--listen", "127.0.0.1:0", "--log-format", "json"];
        args.extend(extra);
        self.spawn_server(&args, &[])
    }

    /// Start `beacon <args>` (a command that serves HTTP) with extra environment variables, and wait until
    /// it logs the address it listens on.
    pub fn spawn_server(&self, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr: String = rest
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '"')
                        .collect();
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("server did not start: {}", log.lock().expect("log"))
            });
        Server { child, addr, log }
    }
}

pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

pub fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("expected an array, got {other}"),
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if let Some(server) = self.remote.take() {
            server.kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Server {
    pub child: Child,
    pub addr: String,
    pub log: Arc<Mutex<String>>,
}

impl Server {
    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(&format!("http://{}{path}", self.addr))
    }

    /// SIGTERM, then wait; returns the exit code.
    pub fn terminate(mut self) -> i32 {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "server ignored SIGTERM: {}",
                self.log.lock().expect("log")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Minimal HTTP/1.1 GET over a fresh connection; returns status and body.
pub fn http_get(url: &str) -> (u16, String) {
    let r = http(url, "GET", &[], None);
    (r.status, r.body)
}

pub struct Resp {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// Minimal HTTP/1.1 request over a fresh connection (`Connection: close`), so the test sees exactly the bytes.
pub fn http(url: &str, method: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("write");
    if let Some(b) = body {
        // The server may answer (413) and close before reading everything.
        let _ = s.write_all(b);
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status: {raw:?}"));
    let (headers, body) = match raw.split_once("\r\n\r\n") {
        Some((h, b)) => (h.to_owned(), b.to_owned()),
        None => (raw.clone(), String::new()),
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// Poll `f` until it returns Some, or give up after `timeout` with None (the caller reports what is missing).
pub fn eventually_or<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Poll `f` until it returns Some, or fail after `timeout`.
pub fn eventually<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Serve `app` on `listener` from a thread of its own (with its own runtime), so that tests, which are plain
/// blocking code, can run HTTP receivers and targets beside the `beacon` processes they start.
pub fn serve(listener: std::net::TcpListener, app: axum::Router) {
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        });
    });
}

/// How a `Target` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Ok = 0,
    Error500 = 1,
    /// Answers after 3 s: beyond a check's timeout.
    Slow = 2,
}

/// An HTTP server on 127.0.0.1 that counts requests per path and answers as its mode says.
pub struct Target {
    pub base: String,
    mode: Arc<AtomicU8>,
    hits: Arc<Mutex<HashMap<String, u64>>>,
}

impl Target {
    pub fn start() -> Self {
        let mode = Arc::new(AtomicU8::new(Mode::Ok as u8));
        let hits: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (m, h) = (mode.clone(), hits.clone());
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let (m, h) = (m.clone(), h.clone());
            async move {
                *h.lock()
                    .expect("hits")
                    .entry(uri.path().to_owned())
                    .or_default() += 1;
                match m.load(Ordering::SeqCst) {
                    0 => (axum::http::StatusCode::OK, "ok"),
                    1 => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom"),
                    _ => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        (axum::http::StatusCode::OK, "late")
                    }
                }
            }
        });
        crate::harness::serve(listener, app);
        Self { base, mode, hits }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    pub fn hits(&self, path: &str) -> u64 {
        self.hits
            .lock()
            .expect("hits")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

/// A port on 127.0.0.1 where nothing listens (until the test starts something there).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A URL on 127.0.0.1 where nothing listens.
pub fn refused_url() -> String {
    format!("http://127.0.0.1:{}/", free_port())
}
