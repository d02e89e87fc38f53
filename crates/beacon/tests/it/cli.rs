//! The CLI contract without a server: CRUD through the database, JSON field names, table output, bad input.

use crate::harness::{Home, array, id};
use serde_json::Value;

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

fn has_fields(v: &Value, fields: &[&str]) {
    let k = keys(v);
    for f in fields {
        assert!(k.contains(f), "field {f} missing from {v}");
    }
}

fn crud(home: &Home) {
    let svc = home.json(&[
        "services",
        "create",
        "--name",
        "Production API",
        "--description",
        "Main API endpoints",
    ]);
    has_fields(
        &svc,
        &["id", "name", "description", "created_at", "updated_at"],
    );
    assert_eq!(svc["name"], "Production API");
    let sid = id(&svc);
    assert_eq!(home.json(&["services", "get", &sid]), svc);
    // Global options work after the subcommand and before it.
    let listed = home.run(&["-o", "json", "services", "list"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(array(listed.json()), vec![svc.clone()]);
    let renamed = home.json(&["services", "update", &sid, "--name", "Prod"]);
    assert_eq!(
        (renamed["name"].as_str(), renamed["description"].as_str()),
        (Some("Prod"), Some("Main API endpoints"))
    );

    let ep = home.json(&[
        "endpoints",
        "create",
        "--service-id",
        &sid,
        "--name",
        "Health Check",
        "--url",
        "http://127.0.0.1:9/health",
        "--interval",
        "30",
        "--timeout",
        "2.5",
        "--expected-status",
        "200,201",
        "--header",
        "X-Token: abc",
        "--method",
        "post",
        "--body",
        "{}",
        "--alert-threshold",
        "4",
        "--recovery-threshold",
        "2",
        "--expect-body-contains",
        "ok",
        "--follow-redirects",
        "false",
    ]);
    has_fields(
        &ep,
        &[
            "id",
            "service_id",
            "name",
            "url",
            "method",
            "interval_seconds",
            "timeout_seconds",
            "expected_status",
            "headers",
            "body",
            "alert_threshold",
            "recovery_threshold",
            "enabled",
            "status",
            "created_at",
            "updated_at",
        ],
    );
    assert_eq!(ep["service_id"].as_str(), Some(sid.as_str()));
    assert_eq!(ep["method"], "POST");
    assert_eq!(ep["interval_seconds"], 30);
    assert_eq!(ep["timeout_seconds"], 2.5);
    assert_eq!(ep["expected_status"], "200,201");
    assert_eq!(ep["headers"]["X-Token"], "abc");
    assert_eq!(
        (
            ep["alert_threshold"].as_u64(),
            ep["recovery_threshold"].as_u64()
        ),
        (Some(4), Some(2))
    );
    assert_eq!(
        (ep["enabled"].as_bool(), ep["status"].as_str()),
        (Some(true), Some("unknown"))
    );
    assert_eq!(ep["follow_redirects"], false);
    let eid = id(&ep);
    assert_eq!(home.json(&["endpoints", "get", &eid]), ep);

    let defaults = home.json(&[
        "endpoints",
        "create",
        "--service-id",
        &sid,
        "--name",
        "d",
        "--url",
        "https://example.com",
    ]);
    assert_eq!(defaults["method"], "GET");
    assert_eq!(
        (
            defaults["interval_seconds"].as_u64(),
            defaults["timeout_seconds"].as_f64()
        ),
        (Some(60), Some(10.0))
    );
    assert_eq!(defaults["expected_status"], "200-299");
    assert_eq!(
        (
            defaults["alert_threshold"].as_u64(),
            defaults["recovery_threshold"].as_u64()
        ),
        (Some(3), Some(1))
    );

    let off = home.json(&["endpoints", "update", &eid, "--enabled=false"]);
    assert_eq!(off["enabled"], false);
    assert_eq!(off["interval_seconds"], 30, "other fields unchanged");
    assert_eq!(
        array(home.json(&["endpoints", "list", "--service-id", &sid])).len(),
        2
    );

    let table = home.run(&["endpoints", "list"]);
    assert_eq!(table.code, 0);
    assert!(
        table.stdout.contains("Health Check") && table.stdout.contains("http://127.0.0.1:9/health"),
        "{}",
        table.stdout
    );
    assert!(home.run(&["services", "list"]).stdout.contains("Prod"));
    assert!(array(home.json(&["pings", "list", "--endpoint-id", &eid])).is_empty());
    assert!(array(home.json(&["incidents", "list", "--status", "open"])).is_empty());

    // A service with endpoints is not deleted without --cascade, and the refusal names the count.
    let refused = home.run(&["services", "delete", &sid]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("2 endpoint"), "{}", refused.stderr);
    assert_eq!(home.run(&["endpoints", "delete", &eid]).code, 0);
    assert_eq!(home.run(&["endpoints", "get", &eid]).code, 1);
    assert_eq!(home.run(&["services", "delete", &sid, "--cascade"]).code, 0);
    assert!(array(home.json(&["services", "list"])).is_empty());
    assert!(array(home.json(&["endpoints", "list"])).is_empty());
}

#[test]
fn crud_on_sqlite() {
    crud(&Home::sqlite());
}

#[test]
fn crud_on_postgres() {
    crud(&Home::postgres());
}

/// Bad input: exit 1 with a message naming the field; nothing written.
#[test]
fn bad_endpoint_input_is_refused_and_nothing_is_written() {
    let home = Home::sqlite();
    let sid = home.service();
    let cases: &[(&[&str], &str)] = &[
        (&["--url", "ftp://example.com"], "url"),
        (&["--url", "not a url"], "url"),
        (&["--url", "http://x", "--interval", "0"], "interval"),
        (&["--url", "http://x", "--interval", "86401"], "interval"),
        (&["--url", "http://x", "--timeout", "0"], "timeout"),
        (&["--url", "http://x", "--timeout", "-1"], "timeout"),
        (
            &["--url", "http://x", "--interval", "5", "--timeout", "6"],
            "timeout",
        ),
        (
            &["--url", "http://x", "--expected-status", "2xx"],
            "expected_status",
        ),
        (&["--url", "http://x", "--header", "NoColon"], "header"),
        (
            &["--url", "http://x", "--alert-threshold", "0"],
            "alert_threshold",
        ),
    ];
    for (extra, field) in cases {
        let mut args = vec!["endpoints", "create", "--service-id", &sid, "--name", "x"];
        args.extend(*extra);
        let out = home.run(&args);
        assert_eq!(out.code, 1, "{extra:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(field),
            "{extra:?}: message should name {field}: {}",
            out.stderr
        );
    }
    assert!(
        array(home.json(&["endpoints", "list"])).is_empty(),
        "nothing written"
    );

    let unknown = uuid::Uuid::new_v4().to_string();
    for args in [
        vec![
            "endpoints",
            "create",
            "--service-id",
            &unknown,
            "--name",
            "x",
            "--url",
            "http://x",
        ],
        vec!["services", "get", &unknown],
        vec!["endpoints", "get", &unknown],
        vec!["endpoints", "update", &unknown, "--enabled=false"],
        vec!["incidents", "resolve", &unknown],
        vec!["pings", "list", "--endpoint-id", &unknown],
    ] {
        let out = home.run(&args);
        assert_eq!(out.code, 1, "{args:?}");
        assert!(
            out.stderr.contains(&unknown) && out.stderr.contains("not found"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = home.run(&["services", "get", "not-a-uuid"]);
    assert_eq!(out.code, 1, "usage errors exit 1");
    let out = home.run(&["services", "frobnicate"]);
    assert_eq!(out.code, 1);
    assert_eq!(home.run(&["--help"]).code, 0);
}

#[test]
fn bad_environment_exits_2_and_writes_nothing() {
    let home = Home::sqlite();
    // A data dir below a regular file cannot be created (even by root).
    let file = home.dir.join("plain-file");
    std::fs::write(&file, "x").expect("write");
    let bad_dir = file.join("data");
    let out = home.run(&[
        "services",
        "list",
        "--data-dir",
        bad_dir.to_str().expect("utf8"),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot create data directory"),
        "{}",
        out.stderr
    );

    let out = home.run(&[
        "services",
        "list",
        "--database",
        "postgres://postgres@127.0.0.1:1/none",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("127.0.0.1:1") || out.stderr.contains("connect"),
        "{}",
        out.stderr
    );

    let out = home.run(&["services", "list", "--database", "mysql://x/y"]);
    assert_eq!(out.code, 1, "an invalid URL is bad input: {}", out.stderr);
    assert!(
        out.stderr.contains("invalid database URL"),
        "{}",
        out.stderr
    );
    assert!(
        !home.dir.join("data").exists(),
        "nothing created for failed commands"
    );

    // Port in use: exit 2, naming the address, before anything is written.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = home.run(&["server", "--listen", &addr]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains(&addr), "{}", out.stderr);
    assert!(!home.dir.join("data").exists());

    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(&cfg, "listen: 127.0.0.1:0\nwokrer:\n  concurrency: 2\n").expect("write");
    let out = home.run(&["server", "--config", cfg.to_str().expect("utf8")]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("wokrer"),
        "a typo in the config is named: {}",
        out.stderr
    );
}

#[test]
fn migrate_applies_and_is_idempotent() {
    let home = Home::sqlite();
    assert_eq!(home.run(&["migrate"]).code, 0);
    assert!(home.dir.join("data/beacon.db").exists());
    assert_eq!(home.run(&["migrate"]).code, 0);
}
