//! `beacon server` running checks: pings with timings, incidents opening and resolving, manual resolve, changes
//! made through the CLI while a server runs, two servers sharing one database, crash and restart.

use crate::harness::{Home, Mode, Target, eventually, id, refused_url};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn open_incident(home: &Home, endpoint: &str) -> Option<Value> {
    home.incidents(endpoint)
        .into_iter()
        .find(|i| i["status"] == "open")
}

#[test]
fn pings_record_timings_and_incidents_follow_the_target() {
    let home = Home::sqlite();
    let target = Target::start();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/health", target.base),
        &[
            "--interval",
            "1",
            "--timeout",
            "1",
            "--alert-threshold",
            "2",
        ],
    );
    let refused = home.endpoint(
        &sid,
        &refused_url(),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    let server = home.server(&[]);

    let pings = eventually(WAIT, "two successful pings", || {
        Some(home.pings(&eid)).filter(|p| p.len() >= 2)
    });
    let p = &pings[0];
    assert_eq!(
        (p["success"].as_bool(), p["status_code"].as_u64()),
        (Some(true), Some(200)),
        "{p}"
    );
    assert!(p["error_kind"].is_null() && p["error"].is_null());
    assert!(
        p["timings"]["connect_ms"]
            .as_f64()
            .is_some_and(|v| v >= 0.0),
        "{p}"
    );
    assert!(p["timings"]["first_byte_ms"].as_f64().is_some(), "{p}");
    assert!(
        p["timings"]["total_ms"].as_f64().is_some_and(|v| v > 0.0),
        "{p}"
    );
    assert!(
        p["timings"]["dns_ms"].is_null() && p["timings"]["tls_ms"].is_null(),
        "IP literal over http: {p}"
    );
    assert_eq!(p["region"], "default");
    assert!(
        pings[0]["scheduled_at"].as_str() > pings[1]["scheduled_at"].as_str(),
        "newest first"
    );
    assert_eq!(home.json(&["endpoints", "get", &eid])["status"], "up");

    let refused_ping = eventually(WAIT, "a refused ping", || {
        home.pings(&refused).into_iter().next()
    });
    assert_eq!(refused_ping["error_kind"], "connect", "{refused_ping}");
    let inc = eventually(WAIT, "incident on refused endpoint", || {
        open_incident(&home, &refused)
    });
    assert!(
        inc["cause"]
            .as_str()
            .is_some_and(|c| c.starts_with("connect:")),
        "{inc}"
    );

    target.set(Mode::Error500);
    let inc = eventually(WAIT, "an open incident", || open_incident(&home, &eid));
    assert_eq!(
        inc["cause"], "status: unexpected status 500 (expected 200-299); response: \"boom\"",
        "the cause quotes what the server said"
    );
    assert!(
        inc["failure_count"].as_u64().is_some_and(|n| n >= 2),
        "{inc}"
    );
    assert!(inc["resolved_at"].is_null() && inc["resolved_by"].is_null());
    assert_eq!(home.json(&["endpoints", "get", &eid])["status"], "down");
    let failed = home.json(&["pings", "list", "--endpoint-id", &eid, "--failed"]);
    assert!(
        failed
            .as_array()
            .is_some_and(|f| f.len() >= 2 && f.iter().all(|p| p["error_kind"] == "status"))
    );

    target.set(Mode::Ok);
    let resolved = eventually(WAIT, "auto resolution", || {
        Some(home.json(&["incidents", "get", &id(&inc)])).filter(|i| i["status"] == "resolved")
    });
    assert_eq!(resolved["resolved_by"], "auto");
    assert!(resolved["resolved_at"].as_str() > resolved["started_at"].as_str());
    assert_eq!(home.json(&["endpoints", "get", &eid])["status"], "up");
    assert_eq!(
        home.incidents(&eid).len(),
        1,
        "at most one incident for one outage"
    );

    target.set(Mode::Slow);
    let slow = eventually(WAIT, "a timed-out ping", || {
        home.pings(&eid)
            .into_iter()
            .find(|p| p["error_kind"] == "timeout")
    });
    assert!(
        slow["timings"]["total_ms"]
            .as_f64()
            .is_some_and(|t| (1000.0..2500.0).contains(&t)),
        "{slow}"
    );
    target.set(Mode::Ok);
    assert_eq!(server.terminate(), 0);
}

#[test]
fn manual_resolve_resets_the_failure_count() {
    let home = Home::sqlite();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &refused_url(),
        &["--interval", "1", "--alert-threshold", "3"],
    );
    let server = home.server(&[]);
    let first = eventually(WAIT, "an open incident", || open_incident(&home, &eid));
    let resolved = home.json(&["incidents", "resolve", &id(&first)]);
    assert_eq!(
        (
            resolved["status"].as_str(),
            resolved["resolved_by"].as_str()
        ),
        (Some("resolved"), Some("manual"))
    );
    let again = home.run(&["incidents", "resolve", &id(&first)]);
    assert_eq!(again.code, 1, "already resolved: {}", again.stderr);
    assert!(again.stderr.contains("already resolved"));

    let second = eventually(WAIT, "a new incident", || open_incident(&home, &eid));
    assert_ne!(id(&second), id(&first));
    // The count started afresh: three more failures (two intervals at least) after the manual resolve.
    let failures_after: Vec<Value> = home
        .pings(&eid)
        .into_iter()
        .filter(|p| p["started_at"].as_str() > resolved["resolved_at"].as_str())
        .filter(|p| p["started_at"].as_str() <= second["started_at"].as_str())
        .collect();
    assert!(
        failures_after.len() >= 3,
        "opened after {} failures: {failures_after:?}",
        failures_after.len()
    );
    // Two incidents now; `--limit 1` shows only the newest.
    let newest = home.json(&["incidents", "list", "--limit", "1"]);
    let newest = newest.as_array().expect("array");
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0]["id"], second["id"]);
    assert_eq!(
        home.json(&["incidents", "list"]).as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(home.run(&["incidents", "list", "--limit", "0"]).code, 1);
    assert_eq!(server.terminate(), 0);
}

#[test]
fn a_running_server_follows_cli_changes_within_two_seconds() {
    let home = Home::sqlite();
    let target = Target::start();
    let sid = home.service();
    let server = home.server(&[]);
    // Created while the server runs: checked within its first interval (plus the 2 s allowance).
    let eid = home.endpoint(&sid, &format!("{}/new", target.base), &["--interval", "1"]);
    eventually(
        Duration::from_secs(4),
        "first ping of a new endpoint",
        || home.pings(&eid).into_iter().next(),
    );

    home.json(&["endpoints", "update", &eid, "--enabled=false"]);
    std::thread::sleep(Duration::from_secs(2));
    let hits = target.hits("/new");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        target.hits("/new"),
        hits,
        "a disabled endpoint is not checked"
    );

    home.json(&[
        "endpoints",
        "update",
        &eid,
        "--enabled=true",
        "--url",
        &format!("{}/moved", target.base),
    ]);
    eventually(Duration::from_secs(4), "checks of the changed URL", || {
        (target.hits("/moved") > 0).then_some(())
    });
    assert_eq!(server.terminate(), 0);
}

/// Two servers on one database: every slot runs exactly once (target hits equal stored pings per endpoint), and
/// both servers do part of the work.
fn two_servers_share_the_work(home: Home) {
    let target = Target::start();
    let sid = home.service();
    let endpoints: Vec<(String, String)> = (0..20)
        .map(|i| {
            let path = format!("/e/{i}");
            (
                home.endpoint(
                    &sid,
                    &format!("{}{path}", target.base),
                    &["--interval", "1"],
                ),
                path,
            )
        })
        .collect();
    let (a, b) = (home.server(&[]), home.server(&[]));
    std::thread::sleep(Duration::from_secs(6));
    let checks = |m: String| -> f64 {
        m.lines()
            .filter(|l| l.starts_with("beacon_checks_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let (ca, cb) = (checks(a.get("/metrics").1), checks(b.get("/metrics").1));
    assert!(
        ca > 0.0 && cb > 0.0,
        "both servers run checks: {ca} and {cb}"
    );
    assert_eq!(a.terminate(), 0);
    assert_eq!(b.terminate(), 0);
    let mut total = 0;
    for (eid, path) in &endpoints {
        let pings = home.pings(eid);
        let slots: HashSet<&str> = pings
            .iter()
            .filter_map(|p| p["scheduled_at"].as_str())
            .collect();
        assert_eq!(slots.len(), pings.len(), "one result per slot");
        assert_eq!(
            target.hits(path),
            pings.len() as u64,
            "{path}: each slot ran once and was stored"
        );
        total += pings.len();
    }
    assert!(
        total >= 20 * 4,
        "about 6 checks per endpoint expected, got {total} in all"
    );
}

#[test]
fn two_servers_on_sqlite_run_each_slot_once() {
    two_servers_share_the_work(Home::sqlite());
}

#[test]
fn two_servers_on_postgres_run_each_slot_once() {
    two_servers_share_the_work(Home::postgres());
}

#[test]
fn sigkill_loses_nothing_stored_and_restart_resumes() {
    let home = Home::sqlite();
    let target = Target::start();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/k", target.base),
        &["--interval", "1", "--timeout", "0.5"],
    );
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(&cfg, "worker:\n  lease_margin_seconds: 1\n").expect("config");
    let cfg = cfg.to_str().expect("utf8").to_owned();
    let server = home.server(&["--config", &cfg]);
    eventually(WAIT, "three pings", || {
        Some(home.pings(&eid)).filter(|p| p.len() >= 3)
    });
    server.kill();
    let before = home.pings(&eid);
    let last = before[0]["scheduled_at"].as_str().expect("time").to_owned();

    let server = home.server(&["--config", &cfg]);
    let after = eventually(WAIT, "three more pings", || {
        Some(home.pings(&eid)).filter(|p| p.len() >= before.len() + 3)
    });
    let after_slots: HashSet<&str> = after
        .iter()
        .filter_map(|p| p["scheduled_at"].as_str())
        .collect();
    assert_eq!(after_slots.len(), after.len(), "no slot stored twice");
    for p in &before {
        assert!(after.contains(p), "a stored ping was lost: {p}");
    }
    assert!(
        after[0]["scheduled_at"]
            .as_str()
            .is_some_and(|s| s > last.as_str()),
        "schedule resumed"
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn sigterm_finishes_running_checks_and_exits_zero() {
    let home = Home::sqlite();
    let target = Target::start();
    target.set(Mode::Slow);
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/slow", target.base),
        &["--interval", "5", "--timeout", "4"],
    );
    let server = home.server(&[]);
    // Wait until the check is in flight (the target has seen it), then stop the server.
    eventually(Duration::from_secs(8), "a check in flight", || {
        (target.hits("/slow") > 0).then_some(())
    });
    assert_eq!(server.terminate(), 0);
    let pings = home.pings(&eid);
    assert_eq!(
        pings.len(),
        1,
        "the running check finished and was stored before exit"
    );
    assert_eq!(
        pings[0]["success"], true,
        "slow (3 s) but within the 4 s timeout"
    );
}
