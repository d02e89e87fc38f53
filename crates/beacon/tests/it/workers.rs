//! Remote workers (`beacon worker`): a worker token of one region runs that region's checks through the worker
//! protocol and nothing else; results are stored with their region; SIGTERM stops it cleanly; a worker keeps
//! the results it finished while its server was away and pushes them when the server is back.

use crate::harness::{Home, Mode, Target, eventually, free_port, id};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running `beacon worker` and what it logged.
pub(crate) struct Worker {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Worker {
    pub(crate) fn start(mut cmd: Command) -> Self {
        let mut child = cmd
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn worker");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self { child, log }
    }

    /// Wait for it to exit by itself; its exit code.
    fn wait(&mut self, within: Duration) -> i32 {
        let code = eventually(within, "the worker to exit", || {
            self.child
                .try_wait()
                .expect("wait")
                .map(|s| s.code().unwrap_or(-1))
        });
        // Let the log reader catch up with the last lines.
        std::thread::sleep(Duration::from_millis(100));
        code
    }

    fn terminate(&mut self) -> i32 {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        self.wait(Duration::from_secs(30))
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn worker_token(home: &Home, region: &str) -> String {
    home.json(&[
        "tokens", "create", "--name", "probe", "--scope", "worker", "--region", region,
    ])["token"]
        .as_str()
        .expect("token text")
        .to_owned()
}

fn claim_body(region: Option<&str>, protocol: u32) -> Vec<u8> {
    let mut body = serde_json::json!({
        "protocol": protocol, "instance": "t1", "name": "t", "version": "0", "limit": 10,
    });
    if let Some(r) = region {
        body["region"] = Value::from(r);
    }
    body.to_string().into_bytes()
}

#[test]
fn a_worker_runs_its_regions_checks_and_nothing_else() {
    let home = Home::remote();
    let target = Target::start();
    home.json(&["regions", "create", "eu-west"]);
    home.json(&["regions", "create", "us-east"]);
    let sid = home.service();
    // Bad input first: nothing is stored.
    let url = format!("{}/eu", target.base);
    let mut create = vec![
        "endpoints",
        "create",
        "--service-id",
        &sid,
        "--name",
        "EU",
        "--url",
        &url,
        "--interval",
        "1",
    ];
    for (extra, says) in [
        (&["--regions", "eu-west,mars"][..], "mars"),
        (
            &["--regions", "eu-west", "--alert-regions", "2"][..],
            "alert_regions",
        ),
    ] {
        let mut args = create.clone();
        args.extend(extra);
        let out = home.run(&args);
        assert_eq!(out.code, 1, "{extra:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{extra:?}: {}", out.stderr);
    }
    assert!(
        home.json(&["endpoints", "list"])
            .as_array()
            .expect("list")
            .is_empty(),
        "a refused endpoint was stored"
    );
    create.extend(["--regions", "eu-west"]);
    let endpoint = id(&home.json(&create));
    for (args, says) in [
        (
            &["tokens", "create", "--name", "p", "--scope", "worker"][..],
            "region",
        ),
        (
            &[
                "tokens", "create", "--name", "p", "--scope", "worker", "--region", "mars",
            ][..],
            "mars",
        ),
        (
            &["tokens", "create", "--name", "p", "--region", "eu-west"][..],
            "only worker tokens",
        ),
    ] {
        let out = home.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    // The server's own worker runs the default region only: nothing checks eu-west yet.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        target.hits("/eu"),
        0,
        "checked without a worker of its region"
    );

    // A DNS check in the same region: what it saw travels from the worker with its result.
    // The runtime's worker thread serves it for as long as the test holds the runtime.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dns = rt.block_on(beacon_probe::testkit::dns_server());
    let resolver = id(&home.json(&[
        "endpoints",
        "create",
        "--service-id",
        &sid,
        "--name",
        "resolver",
        "--kind",
        "dns",
        "--target",
        "ok.test",
        "--dns-server",
        &dns.to_string(),
        "--interval",
        "1",
        "--regions",
        "eu-west",
    ]));

    let token = worker_token(&home, "eu-west");
    let mut worker = Worker::start({
        let mut c = home.command(&["worker", "--token", &token, "--name", "probe-1"]);
        c.env("BEACON_LOG_FORMAT", "json");
        c
    });
    let pings = eventually(Duration::from_secs(30), "pings from the worker", || {
        let p = home.pings(&endpoint);
        (p.len() >= 3).then_some(p)
    });
    assert!(pings.iter().all(|p| p["region"] == "eu-west"), "{pings:?}");
    assert!(pings.iter().all(|p| p["success"] == true), "{pings:?}");
    let answered = eventually(Duration::from_secs(30), "the DNS check's result", || {
        home.pings(&resolver).into_iter().next()
    });
    assert_eq!(
        (answered["region"].as_str(), &answered["details"]),
        (
            Some("eu-west"),
            &serde_json::json!({"rcode": "NOERROR", "answers": ["10.0.0.1", "10.0.0.2"]})
        ),
        "{answered}"
    );
    let got = home.json(&["endpoints", "get", &endpoint]);
    assert_eq!(got["regions"], serde_json::json!(["eu-west"]));
    assert_eq!(got["region_status"][0]["region"], "eu-west");
    assert_eq!(got["region_status"][0]["status"], "up");
    let workers = home.json(&["workers", "list"]);
    let w = &workers.as_array().expect("list")[0];
    assert_eq!(
        (w["name"].as_str(), w["region"].as_str()),
        (Some("probe-1"), Some("eu-west"))
    );
    assert_eq!(w["connected"], true);
    assert_eq!(w["address"], "127.0.0.1");
    let server = home.remote.as_ref().expect("server");
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics.contains("beacon_worker_connected{worker=\"probe-1\",region=\"eu-west\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("beacon_region_workers_connected{region=\"eu-west\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# HELP beacon_worker_in_flight"),
        "{metrics}"
    );
    let table = home.run(&["workers", "list"]);
    assert!(
        table.stdout.contains("probe-1") && table.stdout.contains("CHECKS/S"),
        "{}",
        table.stdout
    );

    // The worker token reaches the worker routes of its own region only.
    let bearer = format!("Bearer {token}");
    let auth = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let r = home.request("GET", "/api/v1/services", &auth, None);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = home.request(
        "POST",
        "/api/v1/worker/claims",
        &auth,
        Some(&claim_body(Some("us-east"), 1)),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("us-east"), "{}", r.body);
    let r = home.request(
        "POST",
        "/api/v1/worker/claims",
        &auth,
        Some(&claim_body(None, 2)),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("protocol"), "{}", r.body);
    let json = [("content-type", "application/json")];
    let r = home.request(
        "POST",
        "/api/v1/worker/claims",
        &json,
        Some(&claim_body(None, 1)),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    // A read token is no worker; an admin token must say which region.
    let read = home.json(&["tokens", "create", "--name", "r", "--scope", "read"])["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let read = format!("Bearer {read}");
    let r = home.request(
        "POST",
        "/api/v1/worker/claims",
        &[
            ("authorization", read.as_str()),
            ("content-type", "application/json"),
        ],
        Some(&claim_body(Some("eu-west"), 1)),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let admin = format!("Bearer {}", home.admin_token());
    let r = home.request(
        "POST",
        "/api/v1/worker/claims",
        &[
            ("authorization", admin.as_str()),
            ("content-type", "application/json"),
        ],
        Some(&claim_body(None, 1)),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    // Results for another region's schedule are refused, not stored.
    let r = home.request(
        "POST",
        "/api/v1/worker/results",
        &auth,
        Some(
            serde_json::json!({
                "protocol": 1, "instance": "t1", "name": "t", "version": "0",
                "results": [{"schedule_key": 1, "endpoint_key": 999, "slot": "2026-01-01T00:00:00Z",
                    "next_slot": "2026-01-01T00:00:01Z",
                    "ping": {"started_at": "2026-01-01T00:00:00Z", "total_us": 5}}],
            })
            .to_string()
            .as_bytes(),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["refused"], 1, "{}", r.body);
    // A result's details must read: a date that is none is named.
    let r = home.request(
        "POST",
        "/api/v1/worker/results",
        &auth,
        Some(
            serde_json::json!({
                "protocol": 1, "instance": "t1", "name": "t", "version": "0",
                "results": [{"schedule_key": 1, "endpoint_key": 999, "slot": "2026-01-01T00:00:00Z",
                    "next_slot": "2026-01-01T00:00:01Z",
                    "ping": {"started_at": "2026-01-01T00:00:00Z", "total_us": 5,
                        "details": {"certificate_expires_at": "soon"}}}],
            })
            .to_string()
            .as_bytes(),
        ),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("details.certificate_expires_at"),
        "{}",
        r.body
    );

    // SIGTERM: finish, push, give the leases back, exit 0; no more checks afterwards.
    assert_eq!(worker.terminate(), 0, "{}", worker.log());
    let log = worker.log();
    assert!(log.contains("leases released"), "{log}");
    let hits = target.hits("/eu");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(target.hits("/eu"), hits, "checks after the worker stopped");

    // Revoked: the worker is refused and says so.
    let tokens = home.json(&["tokens", "list"]);
    let probe = tokens
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["region"] == "eu-west")
        .expect("the worker token is listed with its region");
    home.json(&["tokens", "revoke", &id(probe)]);
    let mut refused = Worker::start(home.command(&["worker", "--token", &token]));
    let code = refused.wait(Duration::from_secs(30));
    assert_eq!(code, 1, "{}", refused.log());
    assert!(
        refused.log().contains("refused this worker"),
        "{}",
        refused.log()
    );
    // Without a server or a token: usage errors.
    let out = home.run_direct(&["worker", "--token", &token]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--server"), "{}", out.stderr);
}

/// The server is killed while the worker's checks run; they finish, and their results wait in the worker until
/// a server is back on the same address: none is lost.
#[test]
fn a_worker_keeps_finished_results_while_its_server_is_away() {
    let home = Home::postgres();
    let target = Target::start();
    target.set(Mode::Slow);
    home.json(&["regions", "create", "eu-west"]);
    let sid = home.service();
    let endpoint = home.endpoint(
        &sid,
        &format!("{}/slow", target.base),
        &["--interval", "1", "--timeout", "1", "--regions", "eu-west"],
    );
    let token = worker_token(&home, "eu-west");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let start_server = || {
        let mut c = home.command(&["server", "--listen", &listen, "--no-local-worker"]);
        c.stderr(Stdio::null()).stdout(Stdio::null());
        let child = c.spawn().expect("server");
        eventually(Duration::from_secs(30), "the server up", || {
            (std::net::TcpStream::connect(&listen).is_ok()
                && crate::harness::http_get(&format!("http://{listen}/ready")).0 == 200)
                .then_some(())
        });
        child
    };
    let mut server = start_server();
    let _worker = Worker::start(home.command(&[
        "worker",
        "--server",
        &format!("http://{listen}"),
        "--token",
        &token,
    ]));
    eventually(Duration::from_secs(30), "the first checks", || {
        (target.hits("/slow") >= 2).then_some(())
    });
    server.kill().expect("kill");
    server.wait().expect("reaped");
    let started_before = target.hits("/slow");
    let killed_at = chrono::Utc::now();
    // The checks running now time out after a second; their results wait in the worker.
    std::thread::sleep(Duration::from_secs(4));
    let mut server = start_server();
    let stored_before_kill = |pings: &[Value]| {
        pings
            .iter()
            .filter(|p| {
                p["started_at"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t < killed_at)
            })
            .count() as u64
    };
    eventually(
        Duration::from_secs(30),
        "every check started before the kill stored",
        || (stored_before_kill(&home.pings(&endpoint)) >= started_before).then_some(()),
    );
    let _ = server.kill();
    let _ = server.wait();
}

/// An HTTPS client trusting the home's CA, with a client certificate (PEM cert + key) or none.
fn tls_client(ca: &std::path::Path, identity: Option<Vec<u8>>) -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut b = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(ca).expect("ca")).expect("ca pem"),
        )
        .timeout(Duration::from_secs(10));
    if let Some(pem) = identity {
        b = b.identity(reqwest::Identity::from_pem(&pem).expect("identity"));
    }
    b.build().expect("client")
}

/// A client certificate and key (PEM, concatenated) signed by `issuer`, valid between the dates given.
fn client_identity(
    issuer: Option<&rcgen::Issuer<'_, rcgen::KeyPair>>,
    from: (i32, u8, u8),
    until: (i32, u8, u8),
) -> Vec<u8> {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "intruder");
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    p.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = match issuer {
        Some(i) => p.signed_by(&key, i).expect("sign"),
        None => p.self_signed(&key).expect("self-sign"),
    };
    format!("{}{}", cert.pem(), key.serialize_pem()).into_bytes()
}

/// `certs init` makes a CA and a server certificate; `certs issue-worker` a client certificate of one region.
/// The server serves HTTPS and maps the certificate to its worker and region: the worker runs that region's
/// checks, cannot take another region's leases nor reach other routes; certificates the CA did not sign, or
/// expired ones, fail the handshake.
#[test]
fn mutual_tls_maps_a_workers_certificate_to_its_region() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::sqlite();
    let target = Target::start();
    home.json(&["regions", "create", "eu-west"]);
    home.json(&["regions", "create", "us-east"]);
    let made = home.run(&["certs", "init"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let tls = home.dir.join("data/tls");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("file").permissions().mode() & 0o777;
    assert_eq!(mode(&tls.join("ca.key")), 0o600);
    assert_eq!(mode(&tls.join("server.key")), 0o600);
    let again = home.run(&["certs", "init"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    let bad = home.run(&[
        "certs",
        "issue-worker",
        "--name",
        "probe-eu",
        "--region",
        "mars",
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("mars"), "{}", bad.stderr);
    assert!(
        !tls.join("workers/probe-eu.pem").exists(),
        "files written for a refused region"
    );
    for (args, says) in [
        (&["--name", "probe eu", "--region", "eu-west"][..], "--name"),
        (
            &["--name", "probe-eu", "--region", "eu-west", "--days", "0"][..],
            "--days",
        ),
    ] {
        let mut all = vec!["certs", "issue-worker"];
        all.extend(args);
        let out = home.run(&all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    assert!(
        !tls.join("workers/probe-eu.pem").exists(),
        "files written for refused input"
    );
    let issued = home.json(&[
        "certs",
        "issue-worker",
        "--name",
        "probe-eu",
        "--region",
        "eu-west",
    ]);
    let (cert, key) = (
        issued["cert"].as_str().expect("cert").to_owned(),
        issued["key"].as_str().expect("key").to_owned(),
    );
    assert_eq!(mode(std::path::Path::new(&key)), 0o600);
    let sid = home.service();
    let endpoint = home.endpoint(
        &sid,
        &format!("{}/tls", target.base),
        &["--interval", "1", "--regions", "eu-west"],
    );
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let tls_path = |f: &str| tls.join(f).display().to_string();
    let mut server = home
        .command(&[
            "server",
            "--listen",
            &listen,
            "--tls-cert",
            &tls_path("server.pem"),
            "--tls-key",
            &tls_path("server.key"),
            "--client-ca",
            &tls_path("ca.pem"),
        ])
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("server");
    let base = format!("https://{listen}");
    let ca = tls.join("ca.pem");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _inside = rt.enter();
    let anonymous = tls_client(&ca, None);
    eventually(Duration::from_secs(30), "the HTTPS server up", || {
        rt.block_on(anonymous.get(format!("{base}/ready")).send())
            .ok()
            .filter(|r| r.status() == 200)
    });
    let mut worker = Worker::start(home.command(&[
        "worker",
        "--server",
        &base,
        "--cert",
        &cert,
        "--key",
        &key,
        "--ca",
        &ca.display().to_string(),
        "--name",
        "probe-eu",
    ]));
    let pings = eventually(Duration::from_secs(30), "pings over mutual TLS", || {
        let p = home.pings(&endpoint);
        (!p.is_empty()).then_some(p)
    });
    assert!(pings.iter().all(|p| p["region"] == "eu-west"), "{pings:?}");

    let mut pem = std::fs::read(&cert).expect("cert");
    pem.extend(std::fs::read(&key).expect("key"));
    let probe = tls_client(&ca, Some(pem));
    let status =
        |c: &reqwest::Client, method: reqwest::Method, path: &str, body: Option<Vec<u8>>| {
            let mut req = c.request(method, format!("{base}{path}"));
            if let Some(b) = body {
                req = req.header("content-type", "application/json").body(b);
            }
            rt.block_on(req.send()).map(|r| r.status().as_u16())
        };
    // The certificate is a worker of eu-west: no other route, no other region.
    assert_eq!(
        status(&probe, reqwest::Method::GET, "/api/v1/services", None).ok(),
        Some(403)
    );
    let claim = |region| Some(claim_body(Some(region), 1));
    assert_eq!(
        status(
            &probe,
            reqwest::Method::POST,
            "/api/v1/worker/claims",
            claim("us-east")
        )
        .ok(),
        Some(403)
    );
    assert_eq!(
        status(
            &anonymous,
            reqwest::Method::POST,
            "/api/v1/worker/claims",
            claim("eu-west")
        )
        .ok(),
        Some(401)
    );
    // Not signed by the CA, or expired: refused in the handshake (no HTTP status at all).
    let stranger = tls_client(&ca, Some(client_identity(None, (2025, 1, 1), (2099, 1, 1))));
    assert!(
        status(&stranger, reqwest::Method::GET, "/ready", None).is_err(),
        "a self-signed client certificate was accepted"
    );
    let ca_key =
        rcgen::KeyPair::from_pem(&std::fs::read_to_string(tls.join("ca.key")).expect("ca key"))
            .expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Beacon worker CA");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Beacon");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let valid = tls_client(
        &ca,
        Some(client_identity(Some(&issuer), (2025, 1, 1), (2099, 1, 1))),
    );
    assert_eq!(
        status(&valid, reqwest::Method::GET, "/ready", None).ok(),
        Some(200),
        "a current certificate of the CA passes the handshake (the expired one below fails for its dates alone)"
    );
    assert_eq!(
        status(
            &valid,
            reqwest::Method::POST,
            "/api/v1/worker/claims",
            claim("eu-west")
        )
        .ok(),
        Some(401),
        "signed by the CA but never issued to a worker"
    );
    let expired = tls_client(
        &ca,
        Some(client_identity(Some(&issuer), (2020, 1, 1), (2021, 1, 1))),
    );
    assert!(
        status(&expired, reqwest::Method::GET, "/ready", None).is_err(),
        "an expired client certificate was accepted"
    );

    // A worker asking for a region its certificate is not for is refused and stops.
    let mut wrong = Worker::start(home.command(&[
        "worker",
        "--server",
        &base,
        "--cert",
        &cert,
        "--key",
        &key,
        "--ca",
        &ca.display().to_string(),
        "--region",
        "us-east",
    ]));
    assert_eq!(wrong.wait(Duration::from_secs(30)), 1, "{}", wrong.log());
    assert!(wrong.log().contains("us-east"), "{}", wrong.log());
    assert_eq!(worker.terminate(), 0, "{}", worker.log());
    // Revoked: the certificate still passes the handshake (the CA signed it) but names no worker any more.
    let out = home.run(&["certs", "revoke", "--name", "probe-eu"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(home.run(&["certs", "revoke", "--name", "probe-eu"]).code, 1);
    eventually(
        Duration::from_secs(15),
        "the revoked certificate refused",
        || {
            (status(
                &probe,
                reqwest::Method::POST,
                "/api/v1/worker/claims",
                claim("eu-west"),
            )
            .ok()
                == Some(401))
            .then_some(())
        },
    );
    let _ = server.kill();
    let _ = server.wait();
}
