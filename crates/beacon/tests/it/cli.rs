//! The CLI contract without a server: CRUD through the database, JSON field names, table output, bad input.

use crate::harness::{Home, array, id, refused_url};
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
    assert_eq!(got, ep);
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

#[test]
fn remote_errors_exit_with_the_right_code() {
    let home = Home::remote();
    let out = home.run(&[
        "services",
        "list",
        "--token",
        "bcn_00000000000000000000000000000000_nope",
    ]);
    assert_eq!(
        out.code, 1,
        "a bad token is the user's to fix: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("invalid or revoked API token"),
        "{}",
        out.stderr
    );
    let read = home.json(&["tokens", "create", "--name", "ro", "--scope", "read"]);
    let token = read["token"].as_str().expect("token").to_owned();
    let out = home.run(&["services", "create", "--name", "x", "--token", &token]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("scope read"), "{}", out.stderr);
    assert_eq!(
        home.run(&["services", "list", "--token", &token]).code,
        0,
        "read scope reads"
    );

    let gone = refused_url();
    let out = home.run(&["services", "list", "--server", &gone]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(gone.trim_end_matches('/')),
        "names the URL: {}",
        out.stderr
    );
}

#[test]
fn tokens_are_shown_once_listed_and_revoked() {
    for home in [Home::sqlite(), Home::remote()] {
        let created = home.json(&["tokens", "create", "--name", "ci", "--scope", "write"]);
        let token = created["token"]
            .as_str()
            .expect("token shown on create")
            .to_owned();
        assert!(token.starts_with("bcn_"));
        let listed = array(home.json(&["tokens", "list"]));
        let ci = listed.iter().find(|t| t["name"] == "ci").expect("listed");
        assert!(
            ci.get("token").is_none(),
            "the secret is never listed: {ci}"
        );
        assert_eq!(ci["scope"], "write");
        let revoked = home.json(&["tokens", "revoke", &id(&created)]);
        assert!(revoked["revoked_at"].is_string());
        let again = home.run(&["tokens", "revoke", &id(&created)]);
        assert_eq!(again.code, 1);
        assert!(again.stderr.contains("already revoked"));
        let out = home.run(&["tokens", "create", "--name", "x", "--scope", "root"]);
        assert_eq!(out.code, 1);
        assert!(out.stderr.contains("scope"), "{}", out.stderr);
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

/// The database holds webhook secrets: the data directory Beacon creates is 0700, the database and its WAL files
/// 0600; a database an earlier version left world-readable is narrowed.
#[test]
fn the_data_dir_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::sqlite();
    let out = home.run(&["services", "create", "--name", "shop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mode = |p: &str| {
        std::fs::metadata(home.dir.join(p))
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("data"), 0o700);
    for file in ["data/beacon.db", "data/beacon.db-wal", "data/beacon.db-shm"] {
        if home.dir.join(file).exists() {
            assert_eq!(mode(file), 0o600, "{file}");
        }
    }
    assert_eq!(mode("data/beacon.db"), 0o600);
    let db = home.dir.join("data/beacon.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_eq!(home.run(&["services", "list"]).code, 0);
    assert_eq!(mode("data/beacon.db"), 0o600, "narrowed on the next open");
}

/// `--server host:port` without a scheme means http; another scheme is explained; a server that wants a token
/// the CLI did not find says where it looked and how to give one.
#[test]
fn server_urls_and_missing_tokens_are_explained() {
    let home = Home::remote();
    let addr = home.remote.as_ref().expect("server").addr.to_string();
    let out = home.run(&["services", "list", "--server", &addr]);
    assert_eq!(out.code, 0, "host:port alone is http: {}", out.stderr);

    let out = home.run(&["services", "list", "--server", "ftp://127.0.0.1:21"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("http:// or https://"), "{}", out.stderr);

    let elsewhere = home.dir.join("elsewhere");
    let o = home
        .command(&["services", "list", "--server", &format!("http://{addr}")])
        .env("BEACON_DATA_DIR", &elsewhere)
        .output()
        .expect("beacon runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--token")
            && stderr.contains("BEACON_TOKEN")
            && stderr.contains(&elsewhere.join("admin-token").display().to_string()),
        "{stderr}"
    );
    assert!(
        !elsewhere.exists(),
        "a remote command creates nothing locally"
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

#[test]
fn commands_never_create_a_database_without_init() {
    let home = Home::sqlite();
    let db = home.dir.join("data/beacon.db");
    for args in [
        &["services", "list"][..],
        &["endpoints", "list"],
        &["services", "create", "--name", "x"],
        &["cleanup"],
    ] {
        let out = home
            .command(args)
            .env_remove("BEACON_INIT")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no Beacon database at") && stderr.contains("--init"),
            "{args:?}: {stderr}"
        );
        assert!(!db.exists(), "{args:?} created {}", db.display());
    }
    // With --init it does; afterwards no flag is needed.
    let out = home
        .command(&["--init", "services", "create", "--name", "x"])
        .env_remove("BEACON_INIT")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(db.exists());
    let out = home
        .command(&["services", "list"])
        .env_remove("BEACON_INIT")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
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

#[test]
fn backup_copies_the_database_online() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::remote();
    home.json(&["services", "create", "--name", "kept"]);
    let to = home.dir.join("copy.db");
    let to_s = to.to_str().expect("utf8");
    // While the server runs on the database.
    let out = home.run_direct(&["backup", "--to", to_s]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("backed up"), "{}", out.stderr);
    let mode = std::fs::metadata(&to).expect("copy").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy holds secrets");
    // The copy is a complete database.
    let copied = home
        .command(&["-o", "json", "services", "list"])
        .env_remove("BEACON_URL")
        .env("DATABASE_URL", format!("sqlite://{to_s}"))
        .env_remove("BEACON_INIT")
        .output()
        .expect("runs");
    assert_eq!(
        copied.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert!(String::from_utf8_lossy(&copied.stdout).contains("\"kept\""));
    // Never over an existing file; PostgreSQL is pg_dump's job.
    let again = home.run_direct(&["backup", "--to", to_s]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    let pg = home
        .command(&["backup", "--to", "/tmp/x.db"])
        .env_remove("BEACON_URL")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
        .output()
        .expect("runs");
    assert_eq!(pg.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"));
}

/// Run `beacon args` with `input` on standard input.
fn with_stdin(home: &Home, args: &[&str], input: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = home
        .command(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn users_lifecycle(home: &Home) {
    let create = |name: &str, email: &str, role: &str, pw: &str| {
        with_stdin(
            home,
            &[
                "-o",
                "json",
                "users",
                "create",
                "--name",
                name,
                "--email",
                email,
                "--role",
                role,
                "--password-stdin",
            ],
            &format!("{pw}\n"),
        )
    };
    let (code, out, err) = create("Ada", "Ada@Example.com", "admin", "correct horse battery");
    assert_eq!(code, 0, "{err}");
    let ada: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (ada["email"].as_str(), ada["role"].as_str()),
        (Some("ada@example.com"), Some("admin"))
    );
    assert!(
        ada.get("password").is_none() && !out.contains("argon2"),
        "{out}"
    );
    // Bad input names the field and stores nothing.
    for (email, role, pw, field) in [
        ("not-an-email", "viewer", "long enough pw", "email"),
        ("bob@example.com", "root", "long enough pw", "role"),
        ("bob@example.com", "viewer", "short", "password"),
        ("ada@example.com", "viewer", "long enough pw", "exists"),
    ] {
        let (code, _, err) = create("Bob", email, role, pw);
        assert_eq!(code, 1, "{email} {role}: {err}");
        assert!(err.contains(field), "{field}: {err}");
    }
    assert_eq!(array(home.json(&["users", "list"])).len(), 1);
    let (code, _, err) = create("Bob", "bob@example.com", "viewer", "another long one");
    assert_eq!(code, 0, "{err}");
    // Named by email; the last admin stays.
    let bob = home.json(&["users", "update", "bob@example.com", "--role", "editor"]);
    assert_eq!(bob["role"], "editor");
    let demote = home.run(&["users", "update", "ada@example.com", "--role", "viewer"]);
    assert_eq!(demote.code, 1, "{}", demote.stderr);
    assert!(demote.stderr.contains("no admin"), "{}", demote.stderr);
    let delete = home.run(&["users", "delete", "ada@example.com"]);
    assert_eq!(delete.code, 1);
    let (code, _, err) = with_stdin(
        home,
        &[
            "users",
            "set-password",
            "bob@example.com",
            "--password-stdin",
        ],
        "a new password\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(home.run(&["users", "delete", "bob@example.com"]).code, 0);
    assert_eq!(array(home.json(&["users", "list"])).len(), 1);
}

#[test]
fn users_on_the_database_and_through_a_server() {
    users_lifecycle(&Home::sqlite());
    let remote = Home::remote();
    users_lifecycle(&remote);
    // Users are an admin's business: a write token gets 403.
    let token = remote.json(&["tokens", "create", "--name", "ci", "--scope", "write"])["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let listed = remote
        .command(&["users", "list"])
        .env("BEACON_TOKEN", &token)
        .output()
        .expect("runs");
    assert_eq!(listed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&listed.stderr).contains("admin"));
}
