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
    // The list leaves out the ping key that create and get show.
    let mut without_key = svc.clone();
    without_key
        .as_object_mut()
        .expect("object")
        .remove("ping_key")
        .expect("create shows the ping key");
    assert_eq!(array(listed.json()), vec![without_key]);
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
    // `get` shows the endpoint as created, plus its statistics (none yet).
    let mut got = home.json(&["endpoints", "get", &eid]);
    let stats = got.as_object_mut().expect("object").remove("stats");
    let regions = got.as_object_mut().expect("object").remove("region_status");
    assert_eq!(got, ep);
    assert_eq!(
        regions.expect("get shows each region")[0]["region"],
        "default"
    );
    let stats = stats.expect("get shows stats");
    assert_eq!(stats["checks_24h"], 0);
    assert!(
        stats["uptime_24h"].is_null() && stats["p95_24h_ms"].is_null(),
        "{stats}"
    );

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

#[test]
fn crud_through_a_server() {
    let home = Home::remote();
    crud(&home);
    // It really went through the server: the server counted the requests.
    let metrics = home.remote.as_ref().expect("server").get("/metrics").1;
    assert!(metrics.contains("beacon_http_requests_total"), "{metrics}");
}

#[test]
fn bad_input_on_the_database() {
    bad_endpoint_input_is_refused_and_nothing_is_written(&Home::sqlite());
}

#[test]
fn bad_input_through_a_server() {
    bad_endpoint_input_is_refused_and_nothing_is_written(&Home::remote());
}

/// The same command prints the same thing, byte for byte, whether it runs on the database or through a server.
#[test]
fn direct_and_remote_output_are_identical() {
    let home = Home::remote();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        "http://127.0.0.1:9/x",
        // Not checked: a check landing between the two calls would change what they print.
        &[
            "--header",
            "X-A: 1",
            "--interval",
            "30",
            "--enabled",
            "false",
        ],
    );
    let missing = uuid::Uuid::new_v4().to_string();
    for args in [
        vec!["services", "list"],
        vec!["services", "list", "-o", "json"],
        vec!["services", "get", &sid],
        vec!["endpoints", "get", &eid, "-o", "json"],
        vec!["endpoints", "list", "-o", "json"],
        vec!["pings", "list", "--endpoint-id", &eid, "-o", "json"],
        vec!["incidents", "list"],
        vec!["endpoints", "get", &missing],
        vec![
            "endpoints",
            "create",
            "--service-id",
            &sid,
            "--name",
            "x",
            "--url",
            "http://x",
            "--interval",
            "0",
        ],
        vec!["services", "delete", &sid],
    ] {
        let (remote, direct) = (home.run(&args), home.run_direct(&args));
        assert_eq!(
            remote.code, direct.code,
            "{args:?}: {} / {}",
            remote.stderr, direct.stderr
        );
        assert_eq!(remote.stdout, direct.stdout, "{args:?}");
        assert_eq!(remote.stderr, direct.stderr, "{args:?}");
    }
}

/// Bad input: exit 1 with a message naming the field; nothing written.
fn bad_endpoint_input_is_refused_and_nothing_is_written(home: &Home) {
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
    let help = home.run(&["incidents", "resolve", "--help"]);
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.contains("opens a new incident") && help.stdout.contains("endpoints pause"),
        "resolve --help says a still-failing endpoint reopens, and how to stop it: {}",
        help.stdout
    );
}

/// `endpoints pause` / `resume`, on the database and through a server: a paused endpoint shows `paused`, not its
/// last health, and is checked again once resumed.
#[test]
fn endpoints_pause_and_resume() {
    for home in [Home::sqlite(), Home::remote()] {
        let sid = home.service();
        let eid = home.endpoint(&sid, "http://127.0.0.1:9/health", &[]);
        let paused = home.json(&["endpoints", "pause", &eid]);
        assert_eq!(
            (paused["status"].as_str(), paused["enabled"].as_bool()),
            (Some("paused"), Some(false))
        );
        let got = home.json(&["endpoints", "get", &eid]);
        assert_eq!(got["status"], "paused");
        let resumed = home.json(&["endpoints", "resume", &eid]);
        assert_eq!(
            (resumed["status"].as_str(), resumed["enabled"].as_bool()),
            (Some("unknown"), Some(true))
        );
        let out = home.run(&["endpoints", "pause", &uuid::Uuid::new_v4().to_string()]);
        assert_eq!(out.code, 1, "{}", out.stderr);
    }
}

/// Names instead of UUIDs, `failing` below the threshold, names in tables, tables that fit the terminal.
#[test]
fn names_failing_status_and_tables_a_person_reads() {
    use crate::harness::{Mode, Target, eventually};
    use std::time::Duration;
    let home = Home::sqlite();
    let target = Target::start();
    target.set(Mode::Error500);
    home.json(&["services", "create", "--name", "Shop"]);
    let blog = id(&home.json(&["services", "create", "--name", "Blog"]));
    let url = format!(
        "{}/checkout-with-a-rather-long-path/that/goes/on/and/on/for/quite/a/while",
        target.base
    );
    let checkout = id(&home.json(&[
        "endpoints",
        "create",
        "--service",
        "Shop",
        "--name",
        "Checkout API",
        "--url",
        &url,
        "--interval",
        "1",
        "--alert-threshold",
        "1000",
    ]));
    // The same name in two services: by name it is ambiguous, and the error lists both.
    for svc in ["Shop", &blog] {
        home.json(&[
            "endpoints",
            "create",
            "--service-id",
            svc,
            "--name",
            "Flaky",
            "--url",
            "http://127.0.0.1:9/",
            "--enabled",
            "false",
        ]);
    }
    assert_eq!(
        id(&home.json(&["endpoints", "get", "Checkout API"])),
        checkout
    );
    assert_eq!(
        id(&home.json(&["endpoints", "get", "checkout api"])),
        checkout
    );
    let ambiguous = home.run(&["endpoints", "get", "Flaky"]);
    assert_eq!(ambiguous.code, 1, "{}", ambiguous.stderr);
    assert!(
        ambiguous.stderr.contains("2 endpoints are named \"Flaky\"")
            && ambiguous.stderr.contains("service Blog")
            && ambiguous.stderr.contains("service Shop"),
        "{}",
        ambiguous.stderr
    );
    let missing = home.run(&["pings", "list", "--endpoint", "Nope"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("no endpoint has the id or name \"Nope\""),
        "{}",
        missing.stderr
    );

    // Failing below its threshold: not up, and the table says why.
    let _server = home.server(&[]);
    let ep = eventually(Duration::from_secs(20), "a failed check", || {
        let ep = home.json(&["endpoints", "get", "Checkout API"]);
        (ep["consecutive_failures"].as_u64() >= Some(1)).then_some(ep)
    });
    assert_eq!(ep["status"], "failing");
    assert_eq!(ep["last_error"], "status");
    assert!(
        !home
            .json(&["pings", "list", "--endpoint", "Checkout API"])
            .as_array()
            .expect("list")
            .is_empty()
    );
    let table = home
        .command(&["endpoints", "list", "--service", "Shop"])
        .env("COLUMNS", "80")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("failing"), "{text}");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}\n{text}"
        );
    }

    // Incidents and webhooks name what they are about.
    home.json(&[
        "endpoints",
        "update",
        "Checkout API",
        "--alert-threshold",
        "1",
    ]);
    eventually(Duration::from_secs(20), "an incident", || {
        (home.json(&["incidents", "list", "--endpoint", "Checkout API"])[0]["status"] == "open")
            .then_some(())
    });
    let incidents = home.run(&["incidents", "list"]);
    assert!(
        incidents.stdout.contains("endpoint Checkout API"),
        "{}",
        incidents.stdout
    );
    home.json(&[
        "webhooks",
        "create",
        "--service",
        "Blog",
        "--url",
        "http://127.0.0.1:9/hook",
        "--events",
        "incident_start",
    ]);
    let hooks = home.run(&["webhooks", "list"]);
    assert!(hooks.stdout.contains("Blog"), "{}", hooks.stdout);
}
