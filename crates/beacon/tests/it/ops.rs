//! Ops endpoints of `beacon server`: liveness, readiness, health JSON and Prometheus metrics.

use crate::harness::{Home, Target, eventually, postgres_base};
use std::process::Command;
use std::time::Duration;

#[test]
fn health_ready_and_metrics() {
    let home = Home::sqlite();
    let target = Target::start();
    let sid = home.service();
    home.endpoint(&sid, &format!("{}/m", target.base), &["--interval", "1"]);
    let server = home.server(&[]);

    let (code, body) = server.get("/healthz");
    assert_eq!(code, 200);
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    assert_eq!(server.get("/ready").0, 200);

    let (code, body) = server.get("/health");
    assert_eq!(code, 200);
    let health: serde_json::Value = serde_json::from_str(&body).expect("json");
    // "ok", unless a dependency says why not: a slow database round trip (this machine is shared and the suite
    // runs in parallel) or storage pressure make it "degraded", and only those.
    let deps = &health["dependencies"];
    let slow = deps["database"]["status"] == "degraded";
    let pressure =
        ["warning", "critical"].contains(&deps["storage"]["status"].as_str().unwrap_or(""));
    assert_eq!(
        health["status"],
        if slow || pressure { "degraded" } else { "ok" },
        "{health}"
    );
    assert!(health["uptime_seconds"].is_u64());
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        health["started_at"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z'))
    );
    assert!(
        ["ok", "degraded"].contains(&deps["database"]["status"].as_str().unwrap_or("")),
        "{health}"
    );
    assert!(health["dependencies"]["database"]["latency_ms"].is_f64());

    // The lag histogram is recorded when a check starts, the duration when it ends, the gauges every 5 s: wait
    // for the whole set rather than the first of them.
    let names = [
        "beacon_checks_total{result=\"success\"}",
        "beacon_check_duration_seconds_bucket",
        "beacon_schedule_lag_seconds_bucket",
        "beacon_worker_active_jobs",
        "beacon_queue_depth",
        // One server: it holds the leader lease.
        "beacon_leader 1",
        "beacon_incidents_open",
        "beacon_notifications_pending",
        "beacon_http_requests_total",
        // Per monitor, as the blackbox exporter: up, and the last check's time.
        "beacon_monitor_up{monitor=\"Health\",service=\"Production API\",kind=\"http\"} 1",
        "beacon_monitor_latency_seconds{monitor=\"Health\",service=\"Production API\",kind=\"http\"} ",
    ];
    let mut last = String::new();
    let complete = crate::harness::eventually_or(Duration::from_secs(20), || {
        last = server.get("/metrics").1;
        names.iter().all(|n| last.contains(n)).then_some(())
    });
    let missing: Vec<&&str> = names.iter().filter(|n| !last.contains(**n)).collect();
    assert!(complete.is_some(), "{missing:?} missing from:\n{last}");
    // Every family has its `# HELP` (Prometheus' linter wants one), and names follow the conventions.
    let families: Vec<&str> = last
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(families.len() >= names.len(), "{last}");
    for family in &families {
        assert!(family.starts_with("beacon_"), "{family}");
        assert!(
            last.lines()
                .any(|l| l.starts_with(&format!("# HELP {family} "))),
            "{family} has no HELP in:\n{last}"
        );
    }
    assert_eq!(server.terminate(), 0);
}

fn psql(sql: &str) {
    let ok = Command::new("psql")
        .args([&postgres_base(), "-q", "-c", sql])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("psql")
        .success();
    assert!(ok, "{sql}");
}

#[test]
fn ready_is_503_while_the_database_is_unreachable() {
    let (home, db) = Home::postgres_database();
    let server = home.server(&[]);
    assert_eq!(server.get("/ready").0, 200);
    psql(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"));
    psql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
    ));
    let body = eventually(Duration::from_secs(20), "/ready 503", || {
        let (code, body) = server.get("/ready");
        (code == 503).then_some(body)
    });
    assert!(body.contains("\"database\""), "{body}");
    let (code, health) = server.get("/health");
    assert_eq!(code, 200);
    assert!(health.contains("\"status\":\"down\""), "{health}");
    assert_eq!(
        server.get("/healthz").0,
        200,
        "alive even when the database is not"
    );

    psql(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"));
    eventually(Duration::from_secs(20), "/ready 200 again", || {
        (server.get("/ready").0 == 200).then_some(())
    });
    assert_eq!(server.terminate(), 0);
    psql(&format!("DROP DATABASE {db} WITH (FORCE)"));
}

/// True once the peer has closed `conn` (read returns 0 or an error), false if it is still open after `wait`.
fn closed_within(conn: &mut std::net::TcpStream, wait: Duration) -> bool {
    use std::io::Read;
    conn.set_read_timeout(Some(wait)).expect("timeout");
    let mut buf = [0u8; 512];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 or similar before the close
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

#[test]
fn idle_and_slow_header_connections_are_closed_and_capped() {
    use std::io::Write;
    use std::net::TcpStream;
    let home = Home::sqlite();
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(
        &cfg,
        "api:\n  header_read_timeout_seconds: 2\n  max_connections: 250\n",
    )
    .expect("config");
    let server = home.server(&["--config", cfg.to_str().expect("utf8")]);

    // 200 connections that never finish their headers or send nothing at all.
    let mut held: Vec<TcpStream> = (0..200)
        .map(|i| {
            let mut c = TcpStream::connect(&server.addr).expect("connect");
            if i % 2 == 0 {
                c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                    .expect("partial headers");
            }
            c
        })
        .collect();
    // The service stays up for everyone else meanwhile.
    for _ in 0..5 {
        assert_eq!(server.get("/healthz").0, 200);
    }
    // Every one of them is closed by the server (a keep-alive connection after its answer, too).
    let mut kept = TcpStream::connect(&server.addr).expect("connect");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("request");
    held.push(kept);
    for (i, c) in held.iter_mut().enumerate() {
        assert!(
            closed_within(c, Duration::from_secs(30)),
            "connection {i} still open"
        );
    }
    assert_eq!(server.get("/healthz").0, 200);
    drop(held);

    // Above max_connections a new connection is closed at once while the open ones are served.
    let full: Vec<TcpStream> = (0..250)
        .map(|_| TcpStream::connect(&server.addr).expect("connect"))
        .collect();
    let mut extra = TcpStream::connect(&server.addr).expect("accepted by the kernel");
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        closed_within(&mut extra, Duration::from_secs(1)),
        "connection over the cap was served"
    );
    drop(full);
    eventually(Duration::from_secs(10), "served again", || {
        let mut c = TcpStream::connect(&server.addr).ok()?;
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut c, &mut answer).ok()?;
        answer.starts_with("HTTP/1.1 200").then_some(())
    });
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("beacon_http_connections_refused_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn incidents_and_failed_deliveries_are_logged() {
    use crate::harness::{Mode, refused_url};
    let home = Home::sqlite();
    let target = Target::start();
    target.set(Mode::Error500);
    let sid = home.service();
    home.endpoint(
        &sid,
        &format!("{}/down", target.base),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        &refused_url(),
        "--events",
        "incident_start",
    ]);
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(&cfg, "delivery:\n  retry_base_ms: 50\n").expect("config");
    let server = home.server(&["--config", cfg.to_str().expect("utf8")]);
    let line = |needle: &str| {
        let log = server.log.lock().expect("log").clone();
        log.lines()
            .find(|l| l.contains(needle))
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON log line"))
    };
    let opened = eventually(Duration::from_secs(20), "incident opened logged", || {
        line("\"incident opened\"")
    });
    assert_eq!(opened["level"], "INFO");
    assert_eq!(opened["fields"]["name"], "Health");
    let failed = eventually(Duration::from_secs(20), "failed delivery logged", || {
        line("webhook delivery failed")
    });
    assert_eq!(failed["level"], "INFO");
    assert!(
        failed["fields"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{failed}"
    );
    // From the third failure in a row on, a warning: this webhook keeps failing.
    let keeps = eventually(Duration::from_secs(20), "keeps failing warned", || {
        line("webhook keeps failing")
    });
    assert_eq!(keeps["level"], "WARN");
    assert!(keeps["fields"]["attempt"].as_u64() >= Some(3), "{keeps}");
    target.set(Mode::Ok);
    let resolved = eventually(Duration::from_secs(20), "incident resolved logged", || {
        line("\"incident resolved\"")
    });
    assert_eq!(resolved["fields"]["resolved_by"], "auto");
}

/// The systemd unit runs the server as written: its ExecStart and Environment, with the data dir and listen
/// address pointed at the test's own, start a server that answers and stops cleanly on SIGTERM (its KillSignal).
#[test]
fn the_systemd_unit_starts_the_server() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/systemd/beacon.service"
    ))
    .expect("unit file");
    let value = |key: &str| -> Vec<String> {
        unit.lines()
            .filter_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(value("KillSignal"), ["SIGTERM"]);
    assert_eq!(value("UMask"), ["0077"]);
    let exec = value("ExecStart").pop().expect("ExecStart");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/beacon"));
    let args: Vec<&str> = words.collect();
    assert_eq!(args, ["server"]);
    let home = Home::sqlite();
    let mut env: Vec<(String, String)> = value("Environment")
        .iter()
        .filter_map(|e| e.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    assert!(
        env.iter()
            .any(|(k, v)| k == "BEACON_DATA_DIR" && v == "/var/lib/beacon")
    );
    for (k, v) in &mut env {
        match k.as_str() {
            "BEACON_DATA_DIR" => *v = home.dir.join("state").display().to_string(),
            "BEACON_LISTEN" => *v = "127.0.0.1:0".into(),
            _ => {}
        }
    }
    let mut cmd = home.command(&args);
    cmd.env_remove("BEACON_INIT");
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server log");
        // BEACON_LOG_FORMAT=json from the unit: every line is JSON.
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
        assert!(v["level"].is_string(), "{line}");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '"')
                .collect::<String>();
        }
    };
    assert_eq!(
        crate::harness::http_get(&format!("http://{addr}/healthz")).0,
        200
    );
    assert!(home.dir.join("state/beacon.db").exists());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn per_monitor_series_can_be_switched_off() {
    let home = Home::sqlite();
    let target = Target::start();
    let sid = home.service();
    home.endpoint(&sid, &format!("{}/m", target.base), &["--interval", "1"]);
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(&cfg, "api:\n  per_monitor_metrics: false\n").expect("config");
    let server = home.server(&["--config", cfg.to_str().expect("utf8")]);
    // Checks run and are counted; only the per-monitor families are absent.
    let metrics = eventually(Duration::from_secs(20), "a check counted", || {
        let (_, m) = server.get("/metrics");
        m.contains("beacon_checks_total{result=\"success\"}")
            .then_some(m)
    });
    assert!(!metrics.contains("beacon_monitor_up"), "{metrics}");
    assert!(
        !metrics.contains("beacon_monitor_latency_seconds"),
        "{metrics}"
    );
    assert_eq!(server.terminate(), 0);
}
