//! Heartbeats end to end with the real binary: ping URLs and seed 003's intake, every status a user sees,
//! staleness evaluated within a second of the deadline, incidents and webhook events, pause/resume, key
//! rotation, the seed's status/logs/services shapes, and bad input refused with nothing stored.

use crate::delivery::receiver;
use crate::harness::{Home, eventually, http, id};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

struct Hb<'a> {
    home: &'a Home,
    base: String,
    id: String,
    key: String,
}

impl Hb<'_> {
    fn ping(&self, suffix: &str, auth: bool, body: Option<&[u8]>) -> crate::harness::Resp {
        let bearer = format!("Bearer {}", self.key);
        let headers: Vec<(&str, &str)> = if auth {
            vec![("Authorization", bearer.as_str())]
        } else {
            vec![]
        };
        let method = if body.is_some() { "POST" } else { "GET" };
        http(
            &format!("{}/ping/{}{suffix}", self.base, self.id),
            method,
            &headers,
            body,
        )
    }

    fn get(&self) -> Value {
        self.home.json(&["heartbeats", "get", &self.id])
    }

    fn status(&self) -> String {
        self.get()["status"].as_str().unwrap_or_default().to_owned()
    }

    fn pings(&self) -> Vec<Value> {
        crate::harness::array(
            self.home
                .json(&["heartbeats", "pings", &self.id, "--limit", "100"]),
        )
    }
}

#[test]
fn a_heartbeat_goes_through_every_status_with_incidents_and_webhooks() {
    let home = Home::remote();
    let base = format!("http://{}", home.remote.as_ref().expect("server").addr);
    let sid = home.service();
    let port = crate::harness::free_port();
    let seen = receiver(port);
    home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        &format!("http://127.0.0.1:{port}/hb"),
        "--events",
        "heartbeat_down,heartbeat_up",
    ]);
    let created = home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "Nightly backup",
        "--period",
        "2",
        "--grace",
        "1",
    ]);
    for f in [
        "id",
        "service_id",
        "slug",
        "name",
        "kind",
        "period_seconds",
        "cron",
        "tz",
        "grace_seconds",
        "status",
        "last_ping_at",
        "ping_url",
        "created_at",
        "key",
    ] {
        assert!(created.get(f).is_some(), "{f} missing: {created}");
    }
    assert_eq!(
        (
            created["slug"].as_str(),
            created["kind"].as_str(),
            created["status"].as_str()
        ),
        (Some("nightly-backup"), Some("period"), Some("new"))
    );
    let hb = Hb {
        home: &home,
        base: base.clone(),
        id: id(&created),
        key: created["key"].as_str().expect("key").to_owned(),
    };
    assert_eq!(
        created["key_ping_url"].as_str(),
        Some(format!("{base}/ping/{}", hb.id).as_str())
    );
    let secret_url = created["ping_url"].as_str().expect("ping_url");
    assert!(
        secret_url.starts_with(&format!("{base}/ping/")) && !secret_url.contains(&hb.id),
        "the ping URL carries a secret, not the id: {secret_url}"
    );
    assert!(hb.get().get("key").is_none(), "the key is shown once");

    // Rejected pings store nothing and change nothing.
    assert_eq!(hb.ping("", false, None).status, 401);
    let wrong = http(
        &format!("{base}/ping/{}", hb.id),
        "GET",
        &[("Authorization", "Bearer hbk_not-the-key")],
        None,
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(
        http(
            &format!("{base}/ping/{}", uuid::Uuid::new_v4()),
            "GET",
            &[],
            None
        )
        .status,
        404
    );
    assert_eq!(hb.ping("/restart", true, None).status, 404);
    assert_eq!(hb.ping("/256", true, None).status, 404);
    let long_rid = format!("/start?rid={}", "r".repeat(65));
    assert_eq!(hb.ping(&long_rid, true, None).status, 400);
    let huge = vec![b'x'; 2 * 1024 * 1024];
    assert_eq!(
        hb.ping("", true, Some(&huge)).status,
        413,
        "over the request body limit"
    );
    assert!(hb.pings().is_empty());
    assert_eq!(hb.status(), "new");
    assert_eq!(
        hb.get()["next_expected_at"],
        Value::Null,
        "nothing expected before the first ping"
    );

    // Success, by header, by ?key= and by HEAD.
    let ok = hb.ping("", true, None);
    assert_eq!((ok.status, ok.body.as_str()), (200, "OK\n"));
    assert_eq!(hb.status(), "up");
    // The next ping is expected one period (2 s) after this one.
    let got = hb.get();
    let at = |k: &str| {
        chrono::DateTime::parse_from_rfc3339(got[k].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{k}: {e} in {got}"))
    };
    assert_eq!(
        (at("next_expected_at") - at("last_ping_at")).num_milliseconds(),
        2_000
    );
    let by_query = http(
        &format!("{base}/ping/{}?key={}", hb.id, hb.key),
        "HEAD",
        &[],
        None,
    );
    assert_eq!(by_query.status, 200);

    // Silence: late after the period, down after the grace; the evaluator opens the incident within a second of
    // the deadline (period 2 s + grace 1 s after the last ping).
    let last = Instant::now();
    eventually(Duration::from_secs(5), "late", || {
        (hb.status() == "late").then_some(())
    });
    let incidents = eventually(Duration::from_secs(8), "an open incident", || {
        let list = home.json(&["incidents", "list", "--heartbeat-id", &hb.id]);
        (list[0]["status"] == "open").then_some(list)
    });
    let took = last.elapsed();
    assert!(
        took < Duration::from_millis(3_000 + 1_500),
        "opened within a second of period + grace (and a CLI call): {took:?}"
    );
    assert_eq!(hb.status(), "down");
    assert_eq!(incidents[0]["heartbeat_id"].as_str(), Some(hb.id.as_str()));
    assert!(incidents[0]["endpoint_id"].is_null());

    // A run: start, then exit status 0 with the same rid; the body is kept.
    assert_eq!(hb.ping("/start?rid=run-7", true, None).status, 200);
    assert_eq!(hb.status(), "started");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        hb.ping("/0?rid=run-7", true, Some(b"backup done: 42 files"))
            .status,
        200
    );
    assert_eq!(hb.status(), "up");
    let pings = hb.pings();
    assert_eq!(pings[0]["kind"], "success");
    assert_eq!(pings[0]["exit_status"], 0);
    assert_eq!(pings[0]["rid"], "run-7");
    assert_eq!(pings[0]["body"], "backup done: 42 files");
    assert!(
        pings[0]["duration_ms"].as_i64().is_some_and(|d| d >= 300),
        "{}",
        pings[0]
    );
    let incidents = home.json(&["incidents", "list", "--heartbeat-id", &hb.id]);
    assert_eq!(incidents[0]["status"], "resolved", "{incidents}");

    // A log ping changes nothing; a failure is down at once; a long body is cut at 10,000 bytes.
    assert_eq!(hb.ping("/log", true, Some(b"disk 91%")).status, 200);
    assert_eq!(hb.status(), "up");
    let big = vec![b'x'; 12_000];
    assert_eq!(hb.ping("/fail", true, Some(&big)).status, 200);
    assert_eq!(hb.status(), "down");
    assert_eq!(hb.pings()[0]["body"].as_str().map(str::len), Some(10_000));
    assert_eq!(hb.ping("/3", true, None).status, 200);
    assert_eq!(hb.pings()[0]["exit_status"], 3);
    assert_eq!(hb.ping("", true, None).status, 200);

    // Webhooks heard both ways, twice (silence, then the failure).
    let events = eventually(Duration::from_secs(15), "four heartbeat events", || {
        let seen = seen.lock().expect("seen");
        (seen.len() >= 4).then(|| {
            seen.iter()
                .map(|(_, b)| serde_json::from_str::<Value>(b).expect("JSON"))
                .collect::<Vec<_>>()
        })
    });
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "heartbeat_down.v1",
            "heartbeat_up.v1",
            "heartbeat_down.v1",
            "heartbeat_up.v1"
        ]
    );
    assert_eq!(
        events[0]["data"]["heartbeat_id"].as_str(),
        Some(hb.id.as_str())
    );
    assert_eq!(events[0]["data"]["slug"], "nightly-backup");
    assert!(
        events[0]["data"]["cause"]
            .as_str()
            .is_some_and(|c| c.contains("no ping"))
    );

    // Pause silences; resume starts afresh.
    assert_eq!(
        home.json(&["heartbeats", "pause", &hb.id])["status"],
        "paused"
    );
    std::thread::sleep(Duration::from_millis(3_500));
    assert_eq!(hb.status(), "paused");
    assert_eq!(
        home.json(&["heartbeats", "resume", &hb.id])["status"],
        "new"
    );

    // A new key: the old one stops working at once.
    let rotated = home.json(&["heartbeats", "rotate-key", &hb.id]);
    let new_key = rotated["key"].as_str().expect("key").to_owned();
    assert_ne!(new_key, hb.key);
    assert_eq!(hb.ping("", true, None).status, 401);
    let fresh = Hb { key: new_key, ..hb };
    assert_eq!(fresh.ping("", true, None).status, 200);

    let out = home.run(&["heartbeats", "delete", &fresh.id]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(fresh.ping("", true, None).status, 404);
}

#[test]
fn seed_003_routes_keep_their_shapes() {
    let home = Home::remote();
    let token = format!("Bearer {}", home.admin_token());
    let auth = [("Authorization", token.as_str())];
    let r = home.request("GET", "/api/status", &auth, None);
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"summary": null})),
        "no heartbeats yet"
    );
    let sid = home.service();
    let created = home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "Service 1",
        "--slug",
        "service-1",
        "--period",
        "120",
        "--grace",
        "30",
    ]);
    home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "Never",
        "--cron",
        "0 3 * * *",
        "--tz",
        "Europe/Berlin",
    ]);
    let key = format!("Bearer {}", created["key"].as_str().expect("key"));
    let json_headers = [
        ("Authorization", key.as_str()),
        ("Content-Type", "application/json"),
    ];
    let send = |body: &str, headers: &[(&str, &str)]| {
        home.request("POST", "/api/heartbeat", headers, Some(body.as_bytes()))
    };

    let r = send(
        r#"{"serviceId":"service-1","status":"up","metadata":{"hostname":"server-1"},"message":"Heartbeat from server-1"}"#,
        &json_headers,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (v["success"].as_bool(), v["message"].as_str()),
        (Some(true), Some("Heartbeat received"))
    );
    assert!(v["timestamp"].is_string());
    for (body, headers, status, error) in [
        (
            r#"{"status":"up"}"#,
            &json_headers[..],
            400,
            "serviceId is required",
        ),
        (
            r#"{"serviceId":"nope"}"#,
            &json_headers[..],
            404,
            "Unknown serviceId",
        ),
        (
            r#"{"serviceId":"service-1"}"#,
            &[("Content-Type", "application/json")][..],
            401,
            "Invalid API key",
        ),
        (
            r#"{"serviceId":"service-1"}"#,
            &[
                ("Authorization", "Bearer hbk_wrong"),
                ("Content-Type", "application/json"),
            ][..],
            401,
            "Invalid API key",
        ),
        (
            r#"{"serviceId":"service-1","status":5}"#,
            &json_headers[..],
            400,
            "status must be a string",
        ),
        (
            r#"{"serviceId":"service-1","metadata":"x"}"#,
            &json_headers[..],
            400,
            "metadata must be an object",
        ),
        (
            r#"[1,2]"#,
            &json_headers[..],
            400,
            "the body must be a JSON object",
        ),
    ] {
        let r = send(body, headers);
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert_eq!(r.json()["error"], error, "{body}");
    }
    let r = send("{not json", &json_headers);
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("Invalid JSON"))
    );
    let big = format!(
        r#"{{"serviceId":"service-1","message":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    assert_eq!(send(&big, &json_headers).status, 413);
    let pings = crate::harness::array(home.json(&["heartbeats", "pings", &id(&created)]));
    assert_eq!(pings.len(), 1, "only the good request was stored");
    assert_eq!(pings[0]["client_status"], "up");
    assert_eq!(pings[0]["metadata"], json!({"hostname": "server-1"}));
    assert_eq!(pings[0]["body"], "Heartbeat from server-1");

    let status = home.request("GET", "/api/status", &auth, None).json();
    let summary = &status["summary"];
    assert_eq!(
        (
            &summary["totalServices"],
            &summary["servicesUp"],
            &summary["servicesDown"],
            &summary["servicesUnknown"]
        ),
        (&json!(2), &json!(1), &json!(0), &json!(1))
    );
    assert_eq!(summary["servicesDegraded"], 0);
    let first = &summary["results"][0];
    assert_eq!(
        (first["serviceId"].as_str(), first["status"].as_str()),
        (Some("service-1"), Some("up"))
    );
    assert_eq!(first["serviceName"], "Service 1");
    assert_eq!(first["stalenessThreshold"], 150_000);
    assert!(
        first["lastSeen"].is_string()
            && first["timeSinceLastHeartbeat"].is_number()
            && first["timestamp"].is_string()
    );
    assert!(summary["results"][1]["lastSeen"].is_null());

    let r = home.request("GET", "/api/logs", &auth, None);
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "serviceId parameter required"}))
    );
    assert_eq!(
        home.request("GET", "/api/logs?serviceId=ghost", &auth, None)
            .json(),
        json!([])
    );
    let logs = home
        .request("GET", "/api/logs?serviceId=service-1", &auth, None)
        .json();
    assert_eq!(logs[0]["status"], "up", "{logs}");
    assert_eq!(
        (logs[0]["from"].as_str(), logs[0]["to"].as_str()),
        (Some("new"), Some("up"))
    );

    let services = home.request("GET", "/api/services", &auth, None).json();
    assert_eq!(
        services[0],
        json!({"id": "service-1", "name": "Service 1", "enabled": true, "stalenessThreshold": 150_000})
    );
    assert!(
        services.to_string().find("hbk_").is_none() && services[0].get("apiKey").is_none(),
        "never keys"
    );
    assert_eq!(
        home.request("GET", "/api/status", &[], None).status,
        401,
        "the read side needs a token"
    );
}

#[test]
fn bad_heartbeat_input_is_refused_and_nothing_is_stored() {
    let home = Home::sqlite();
    let sid = home.service();
    for (args, needle) in [
        (vec!["--name", "x", "--cron", "0 25 * * *"], "column 3"),
        (
            vec!["--name", "x", "--cron", "*/5 * * *"],
            "expected 5 fields",
        ),
        (
            vec!["--name", "x", "--cron", "0 3 * * *", "--tz", "Mars/Olympus"],
            "time zone",
        ),
        (vec!["--name", "x", "--period", "0"], "period"),
        (vec!["--name", "x", "--period", "60", "--grace=-5"], "grace"),
        (
            vec!["--name", "x", "--period", "60", "--slug", "Bad Slug"],
            "slug",
        ),
        (
            vec!["--name", "x", "--period", "60", "--cron", "* * * * *"],
            "cannot be used with",
        ),
        (vec!["--name", "x"], "--period"),
        (vec!["--name", "", "--period", "60"], "name"),
    ] {
        let mut all = vec!["heartbeats", "create", "--service-id", sid.as_str()];
        all.extend(args.iter());
        let out = home.run(&all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    assert_eq!(
        home.json(&["heartbeats", "list"]),
        json!([]),
        "nothing stored"
    );
    let ok = home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "Job",
        "--period",
        "60",
    ]);
    let dup = home.run(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "Job",
        "--period",
        "60",
    ]);
    assert_eq!(dup.code, 1, "{}", dup.stderr);
    assert!(dup.stderr.contains("slug"), "{}", dup.stderr);
    let out = home.run(&["heartbeats", "update", &id(&ok), "--cron", "61 * * * *"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("minute"), "{}", out.stderr);
    let out = home.run(&["heartbeats", "update", &id(&ok), "--tz", "Europe/Berlin"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("only to a cron schedule"),
        "{}",
        out.stderr
    );
    let out = home.run(&["heartbeats", "update", &id(&ok)]);
    assert_eq!(out.code, 1);
    assert_eq!(
        home.json(&["heartbeats", "get", &id(&ok)])["period_seconds"],
        60,
        "unchanged"
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(home.run(&["heartbeats", "get", &unknown]).code, 1);
    assert_eq!(home.run(&["heartbeats", "pause", &unknown]).code, 1);
}

/// The example clients in `examples/heartbeat-clients/` work against a real server: bash, Python and Node.js,
/// bare and wrapping a command, and the crontab line and systemd unit as written (placeholders filled in).
#[test]
fn the_example_clients_ping_a_real_server() {
    let home = Home::remote();
    let sid = home.service();
    let examples =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/heartbeat-clients");
    let run = |program: &str, args: &[&str], url: &str, key: &str| {
        let out = std::process::Command::new(program)
            .args(args)
            .env("BEACON_PING_URL", url)
            .env("BEACON_PING_KEY", key)
            .output()
            .expect("client runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let clients: [(&str, &str); 3] = [
        ("bash", "heartbeat.sh"),
        ("python3", "heartbeat.py"),
        ("node", "heartbeat.js"),
    ];
    for (program, file) in clients {
        let created = home.json(&[
            "heartbeats",
            "create",
            "--service-id",
            &sid,
            "--name",
            file,
            "--period",
            "3600",
        ]);
        // The example clients send the key: they use the URL by public id.
        let (url, key) = (
            created["key_ping_url"].as_str().expect("url"),
            created["key"].as_str().expect("key"),
        );
        let script = examples.join(file);
        let script = script.to_str().expect("utf8");
        let pings = || crate::harness::array(home.json(&["heartbeats", "pings", &id(&created)]));

        assert_eq!(run(program, &[script], url, key).0, Some(0), "{file} bare");
        assert_eq!(pings()[0]["kind"], "success", "{file}");
        let (code, stderr) = run(
            program,
            &[script, "sh", "-c", "echo copying; exit 3"],
            url,
            key,
        );
        assert_eq!(code, Some(3), "{file} passes the exit status on: {stderr}");
        let p = pings();
        assert_eq!(
            (p[0]["kind"].as_str(), p[0]["exit_status"].as_u64()),
            (Some("fail"), Some(3)),
            "{file}"
        );
        assert!(
            p[0]["body"].as_str().is_some_and(|b| b.contains("copying")),
            "{file}: {}",
            p[0]
        );
        assert!(
            p[0]["duration_ms"].is_number(),
            "{file}: start and finish paired: {}",
            p[0]
        );
        assert_eq!(p[1]["kind"], "start");
        assert_eq!(
            home.json(&["heartbeats", "get", &id(&created)])["status"],
            "down"
        );
        assert_eq!(run(program, &[script, "true"], url, key).0, Some(0));
        assert_eq!(
            home.json(&["heartbeats", "get", &id(&created)])["status"],
            "up",
            "{file}"
        );
        // A wrong key is reported, and never fails the job.
        let (code, stderr) = run(program, &[script, "true"], url, "hbk_wrong");
        assert_eq!(code, Some(0), "{file}");
        assert!(stderr.contains("failed"), "{file}: {stderr}");
    }

    // The crontab line and the systemd service, with their placeholders filled in, run as written.
    let fill = |text: &str, url: &str, key: &str| {
        text.replace("http://127.0.0.1:8080/ping/REPLACE-WITH-HEARTBEAT-ID", url)
            .replace("hbk_REPLACE", key)
            .replace(
                "/usr/local/bin/heartbeat.sh",
                examples.join("heartbeat.sh").to_str().expect("utf8"),
            )
            .replace("/usr/local/bin/backup.sh", "true")
            .replace("%H", "testhost")
    };
    let crontab = std::fs::read_to_string(examples.join("crontab")).expect("crontab");
    let line = crontab
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .expect("a cron line");
    let fields: Vec<&str> = line.split_whitespace().collect();
    let schedule = fields[..5].join(" ");
    let created = home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "cron job",
        "--cron",
        &schedule,
        "--tz",
        "Europe/Berlin",
    ]);
    let (url, key) = (
        created["ping_url"].as_str().expect("url"),
        created["key"].as_str().expect("key"),
    );
    let command = fill(&fields[5..].join(" "), url, key);
    let status = std::process::Command::new("sh")
        .args(["-c", &command])
        .status()
        .expect("sh");
    assert!(status.success(), "{command}");
    assert_eq!(
        home.json(&["heartbeats", "get", &id(&created)])["status"],
        "up"
    );

    let unit = std::fs::read_to_string(examples.join("beacon-heartbeat.service")).expect("unit");
    let created = home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "timer job",
        "--period",
        "120",
    ]);
    let (url, key) = (
        created["ping_url"].as_str().expect("url"),
        created["key"].as_str().expect("key"),
    );
    let unit = fill(&unit, url, key);
    let mut cmd = std::process::Command::new("sh");
    for line in unit.lines() {
        if let Some(kv) = line.strip_prefix("Environment=") {
            let (k, v) = kv.split_once('=').expect("K=V");
            cmd.env(k, v);
        }
    }
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let out = cmd.args(["-c", exec]).output().expect("unit command");
    assert!(out.status.success(), "{exec}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("job ran on testhost"));
    let pings = crate::harness::array(home.json(&["heartbeats", "pings", &id(&created)]));
    assert_eq!(pings[0]["kind"], "success");
    assert!(
        pings[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("job ran on testhost"))
    );
    let timer = std::fs::read_to_string(examples.join("beacon-heartbeat.timer")).expect("timer");
    assert!(timer.contains("OnUnitActiveSec=2min"));
}

/// Healthchecks' ping API by changing only the base URL: the secret ping URL needs no header (every suffix), the
/// slug form by a service's ping key with `?create=1`, and rotate-key --grace keeping the old URL and key alive.
#[test]
fn healthchecks_ping_urls_work_without_a_header() {
    let home = Home::remote();
    let base = format!("http://{}", home.remote.as_ref().expect("server").addr);
    let service = home.json(&["services", "create", "--name", "cron-jobs"]);
    let sid = id(&service);
    let ping_key = home.json(&["services", "get", &sid])["ping_key"]
        .as_str()
        .expect("a ping key on get")
        .to_owned();
    let created = home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "db-backup",
        "--period",
        "3600",
    ]);
    let hid = id(&created);
    let url = created["ping_url"].as_str().expect("url").to_owned();
    let get = |u: &str| http(u, "GET", &[], None);
    let pings = || crate::harness::array(home.json(&["heartbeats", "pings", &hid]));
    assert_eq!(get(&format!("{url}/start")).status, 200);
    assert_eq!(get(&url).status, 200);
    assert_eq!(get(&format!("{url}/log")).status, 200);
    assert_eq!(
        http(&format!("{url}/1"), "POST", &[], Some(b"disk full")).status,
        200
    );
    let kinds: Vec<String> = pings()
        .iter()
        .map(|p| p["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["fail", "log", "success", "start"]);
    assert_eq!(home.json(&["heartbeats", "get", &hid])["status"], "down");
    // The public id alone is not a credential.
    assert_eq!(get(&format!("{base}/ping/{hid}")).status, 401);

    // The slug form: an existing heartbeat, an unknown one (404), and one created on its first ping.
    assert_eq!(
        get(&format!("{base}/ping/{ping_key}/db-backup")).status,
        200
    );
    assert_eq!(
        get(&format!("{base}/ping/{ping_key}/db-backup/0")).status,
        200
    );
    assert_eq!(home.json(&["heartbeats", "get", &hid])["status"], "up");
    assert_eq!(get(&format!("{base}/ping/{ping_key}/report")).status, 404);
    assert_eq!(get(&format!("{base}/ping/not-a-key/db-backup")).status, 404);
    let made = get(&format!("{base}/ping/{ping_key}/report?create=1"));
    assert_eq!(made.status, 201, "{}", made.body);
    let listed = crate::harness::array(home.json(&["heartbeats", "list", "--service-id", &sid]));
    let report = listed
        .iter()
        .find(|h| h["slug"] == "report")
        .expect("created by its first ping");
    assert_eq!(report["status"], "up");
    assert_eq!(
        get(&format!("{base}/ping/{ping_key}/report?create=1")).status,
        200
    );

    // Rotation with grace: the old URL and key keep working, the new ones work at once.
    let old_key = created["key"].as_str().expect("key").to_owned();
    let rotated = home.json(&["heartbeats", "rotate-key", &hid, "--grace", "10m"]);
    let new_url = rotated["ping_url"].as_str().expect("url");
    assert_ne!(new_url, url);
    assert_eq!(get(new_url).status, 200);
    assert_eq!(get(&url).status, 200, "old URL within the grace");
    let by_key = |k: &str| get(&format!("{base}/ping/{hid}?key={k}")).status;
    assert_eq!(by_key(&old_key), 200, "old key within the grace");
    assert_eq!(by_key(rotated["key"].as_str().expect("key")), 200);
    // Without grace the old ones stop at once.
    let again = home.json(&["heartbeats", "rotate-key", &hid]);
    assert_eq!(get(new_url).status, 404);
    assert_eq!(get(&url).status, 404);
    assert_eq!(by_key(&old_key), 401);
    assert_eq!(get(again["ping_url"].as_str().expect("url")).status, 200);
    let bad = home.run(&["heartbeats", "rotate-key", &hid, "--grace", "soon"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("--grace"), "{}", bad.stderr);
}
