//! Check kinds end to end with the real binary: `checks run` tries a check and prints its conditions; TCP,
//! DNS and TLS endpoints are made with their flags, refused with bad ones (nothing stored), and run on schedule
//! against servers the test starts (beacon_probe::testkit), a failing condition showing what was seen.

use crate::harness::{Home, Mode, Target, array, eventually, id};
use beacon_probe::testkit::{Cert, TestCa, closed_port, dns_server, tcp_greeter};
use std::time::Duration;

/// A runtime for the test servers, alive as long as the test holds it.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn checks_run_tries_every_kind_and_shows_each_condition() {
    let home = Home::sqlite();
    let rt = runtime();
    let greeter = rt.block_on(tcp_greeter("+OK ready\r\n"));
    let dns = rt.block_on(dns_server()).to_string();
    let target = Target::start();

    let tcp = home.run(&[
        "checks",
        "run",
        "--kind",
        "tcp",
        "--target",
        &format!("127.0.0.1:{greeter}"),
        "--send",
        "PING\\r\\n",
        "--expect",
        "PONG",
        "--condition",
        "[CONNECTED] == true",
        "--condition",
        "[RESPONSE_TIME] < 5s",
    ]);
    assert_eq!(tcp.code, 0, "{}{}", tcp.stdout, tcp.stderr);
    assert!(
        tcp.stdout.contains("pass [CONNECTED] (true) == true"),
        "{}",
        tcp.stdout
    );
    assert!(
        tcp.stdout.contains("pass [RESPONSE_TIME] ("),
        "{}",
        tcp.stdout
    );

    let http = home.run(&[
        "checks",
        "run",
        "--url",
        &format!("{}/health", target.base),
        "--condition",
        "[STATUS] == 200",
        "--condition",
        "[BODY] == pat(*ok*)",
    ]);
    assert_eq!(http.code, 0, "{}{}", http.stdout, http.stderr);
    target.set(Mode::Error500);
    let failing = home.run(&[
        "checks",
        "run",
        "--url",
        &format!("{}/health", target.base),
        "--condition",
        "[STATUS] == 200",
        "--condition",
        "[RESPONSE_TIME] < 5s",
    ]);
    assert_eq!(
        failing.code, 2,
        "a failing check exits 2: {}",
        failing.stdout
    );
    assert!(
        failing.stdout.contains("FAIL [STATUS] (500) == 200"),
        "{}",
        failing.stdout
    );
    assert!(
        failing.stdout.contains("pass [RESPONSE_TIME]"),
        "{}",
        failing.stdout
    );
    assert!(
        failing.stderr.contains("the check failed"),
        "{}",
        failing.stderr
    );

    let answer = home.json(&[
        "checks",
        "run",
        "--kind",
        "dns",
        "--target",
        "ok.test",
        "--dns-server",
        &dns,
        "--expect",
        "10.0.0.1",
        "--condition",
        "[DNS_RCODE] == NOERROR",
    ]);
    assert_eq!(answer["kind"], "dns", "{answer}");
    assert_eq!(answer["success"], true, "{answer}");
    assert!(answer["timings"]["dns_ms"].is_number(), "{answer}");
    assert_eq!(
        answer["conditions"][0]["condition"],
        "[DNS_RCODE] (NOERROR) == NOERROR"
    );
    assert_eq!(
        answer["details"],
        serde_json::json!({"rcode": "NOERROR", "answers": ["10.0.0.1", "10.0.0.2"]}),
        "what the server answered is shown: {answer}"
    );
    let shown = home.run(&[
        "checks",
        "run",
        "--kind",
        "dns",
        "--target",
        "ok.test",
        "--dns-server",
        &dns,
    ]);
    assert!(
        shown.stdout.contains("answers") && shown.stdout.contains("10.0.0.2"),
        "{}",
        shown.stdout
    );

    let bad = home.run(&[
        "checks",
        "run",
        "--kind",
        "dns",
        "--target",
        "ok.test",
        "--record-type",
        "PTRX",
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("record_type"), "{}", bad.stderr);
    assert!(
        home.json(&["endpoints", "list"])
            .as_array()
            .is_some_and(Vec::is_empty),
        "checks run stores nothing"
    );
}

#[test]
fn bad_check_input_names_the_field_and_stores_nothing() {
    let home = Home::sqlite();
    let sid = home.service();
    let create = |extra: &[&str]| {
        let mut args = vec!["endpoints", "create", "--service-id", &sid, "--name", "c"];
        args.extend(extra);
        home.run(&args)
    };
    for (args, says) in [
        (vec!["--kind", "ftp", "--target", "x:1"], "check kind"),
        (
            vec!["--kind", "tcp", "--url", "http://x", "--target", "x:1"],
            "a tcp check has no url",
        ),
        (vec!["--kind", "tcp"], "target"),
        (vec!["--kind", "tcp", "--target", "db:99999"], "1..65535"),
        (vec!["--kind", "tls", "--target", "db:0"], "1..65535"),
        (
            vec![
                "--kind",
                "dns",
                "--target",
                "example.com",
                "--record-type",
                "PTRX",
            ],
            "PTRX",
        ),
        (
            vec!["--kind", "dns", "--target", "example.com", "--send", "x"],
            "for tcp checks",
        ),
        (
            vec!["--url", "http://x", "--record-type", "A"],
            "for dns checks",
        ),
        (vec!["--url", "http://x", "--http2"], "needs an https URL"),
        (
            vec!["--kind", "tcp", "--target", "x:1", "--http2"],
            "for http checks",
        ),
        (
            vec!["--url", "http://x", "--condition", "[DNS_RCODE] == NOERROR"],
            "an http check has no [DNS_RCODE]",
        ),
        (
            vec!["--url", "http://x", "--condition", "[STATUS] => 200"],
            "at 10: expected an operator",
        ),
        (
            vec![
                "--kind",
                "tls",
                "--target",
                "x:443",
                "--condition",
                "[BODY] == x",
            ],
            "no [BODY]",
        ),
        (
            vec![
                "--kind",
                "tls",
                "--target",
                "x:443",
                "--cert-fail-days",
                "40",
            ],
            "cert_warn_days",
        ),
    ] {
        let out = create(&args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    assert!(
        home.json(&["endpoints", "list"])
            .as_array()
            .is_some_and(Vec::is_empty),
        "nothing stored"
    );
    // The API names the field too.
    let server = home.server(&[]);
    let token = home.admin_token();
    let resp = crate::harness::http(
        &format!("http://{}/api/v1/endpoints", server.addr),
        "POST",
        &[("Authorization", &format!("Bearer {token}")), ("Content-Type", "application/json")],
        Some(
            format!(r#"{{"service_id":"{sid}","name":"d","kind":"dns","target":"example.com","record_type":"NOPE"}}"#)
                .as_bytes(),
        ),
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(
        resp.body.contains("\"field\":\"record_type\""),
        "{}",
        resp.body
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn tcp_dns_and_tls_endpoints_run_on_schedule_and_open_incidents_with_what_was_seen() {
    let home = Home::sqlite();
    let rt = runtime();
    let ca = TestCa::new();
    let dns = rt.block_on(dns_server()).to_string();
    let soon = rt.block_on(ca.serve(Cert::Valid { days: 5 }, ""));
    let later = rt.block_on(ca.serve(Cert::Valid { days: 20 }, ""));
    let greeter = rt.block_on(tcp_greeter("+OK ready\r\n"));
    let h2 = rt.block_on(ca.serve_https(Cert::Valid { days: 50 }, &[b"h2", b"http/1.1"]));
    let ca_file = home.dir.join("checks-ca.pem");
    std::fs::write(&ca_file, &ca.pem).expect("write CA");
    let config = home.dir.join("beacon.yaml");
    std::fs::write(
        &config,
        format!("worker:\n  ca_file: {}\n", ca_file.display()),
    )
    .expect("write config");
    let sid = home.service();
    let create = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "endpoints",
            "create",
            "--service-id",
            &sid,
            "--name",
            name,
            "--interval",
            "1",
            "--alert-threshold",
            "1",
        ];
        args.extend(extra);
        home.json(&args)
    };
    let tls = create(
        "cert",
        &["--kind", "tls", "--target", &format!("localhost:{soon}")],
    );
    assert_eq!(
        (
            tls["kind"].as_str(),
            tls["cert_fail_days"].as_u64(),
            tls["cert_warn_days"].as_u64()
        ),
        (Some("tls"), Some(14), Some(30)),
        "{tls}"
    );
    assert!(
        tls.get("method").is_none(),
        "no http fields on a tls check: {tls}"
    );
    let rcode = create(
        "resolver",
        &[
            "--kind",
            "dns",
            "--target",
            "broken.test",
            "--dns-server",
            &dns,
            "--condition",
            "[DNS_RCODE] == NOERROR",
        ],
    );
    assert_eq!(rcode["conditions"][0], "[DNS_RCODE] == NOERROR", "{rcode}");
    let redis = create(
        "redis",
        &[
            "--kind",
            "tcp",
            "--target",
            &format!("127.0.0.1:{greeter}"),
            "--send",
            "PING\\r\\n",
            "--expect",
            "PONG",
        ],
    );
    let warned = create(
        "warned",
        &["--kind", "tls", "--target", &format!("localhost:{later}")],
    );
    home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        "http://127.0.0.1:9/hook",
        "--events",
        "degraded_start,degraded_end",
    ]);
    let closed = create(
        "closed",
        &[
            "--kind",
            "tcp",
            "--target",
            &format!("127.0.0.1:{}", closed_port()),
        ],
    );
    let modern = create(
        "modern",
        &[
            "--url",
            &format!("https://localhost:{h2}/"),
            "--http2",
            "--condition",
            "[BODY] == \"over HTTP/2\"",
        ],
    );
    assert_eq!(modern["http2"], true, "{modern}");
    let shown = home.run(&["endpoints", "get", "resolver"]);
    assert!(
        shown.stdout.contains("record_type") && shown.stdout.contains("[DNS_RCODE] == NOERROR"),
        "{}",
        shown.stdout
    );

    let server = home.spawn_server(
        &[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--config",
            &config.display().to_string(),
        ],
        &[],
    );
    let cause = |e: &serde_json::Value| {
        eventually(Duration::from_secs(30), "an incident", || {
            home.incidents(&id(e))
                .into_iter()
                .find(|i| i["status"] == "open")
                .and_then(|i| i["cause"].as_str().map(str::to_owned))
        })
    };
    assert_eq!(
        cause(&tls),
        "tls: certificate for localhost expires in 5 days, below the 14-day threshold"
    );
    assert_eq!(
        cause(&rcode),
        "condition: [DNS_RCODE] (SERVFAIL) == NOERROR"
    );
    assert!(cause(&closed).starts_with("connect: cannot connect to 127.0.0.1"));
    let degraded = eventually(Duration::from_secs(30), "a degraded certificate", || {
        let e = home.json(&["endpoints", "get", &id(&warned)]);
        (e["status"] == "degraded").then_some(e)
    });
    assert_eq!(
        degraded["last_error"],
        serde_json::Value::Null,
        "passing: {degraded}"
    );
    let ping = home.pings(&id(&warned)).remove(0);
    assert_eq!(
        (ping["success"].as_bool(), ping["error_kind"].as_str()),
        (Some(true), Some("degraded")),
        "{ping}"
    );
    assert_eq!(
        ping["error"],
        "certificate for localhost expires in 20 days, below the 30-day warning"
    );
    assert!(
        home.incidents(&id(&warned)).is_empty(),
        "degraded is not down"
    );
    let sent = array(home.json(&["deliveries", "list"]));
    assert_eq!(
        sent.iter()
            .filter(|d| d["event"] == "degraded_start")
            .count(),
        1,
        "one degraded_start, however many degraded checks: {sent:?}"
    );
    let stats = home.json(&["stats", "--endpoint-id", &id(&warned), "--since", "1h"]);
    assert!(
        stats["summary"]["degraded"]
            .as_u64()
            .is_some_and(|n| n >= 1)
            && stats["summary"]["uptime"] == 100.0,
        "{stats}"
    );
    let pings = eventually(Duration::from_secs(20), "redis checked", || {
        let p = home.pings(&id(&redis));
        (!p.is_empty()).then_some(p)
    });
    assert!(pings.iter().all(|p| p["success"] == true), "{pings:?}");
    assert!(home.incidents(&id(&redis)).is_empty());
    // Each result keeps what its kind saw: the certificate's expiry, the protocol, the DNS response code.
    assert!(
        ping["details"]["certificate_expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{ping}"
    );
    assert_eq!(home.pings(&id(&rcode))[0]["details"]["rcode"], "SERVFAIL");
    let spoke = eventually(Duration::from_secs(20), "the HTTP/2 check", || {
        home.pings(&id(&modern)).into_iter().next()
    });
    assert_eq!(
        (
            spoke["success"].as_bool(),
            spoke["details"]["protocol"].as_str()
        ),
        (Some(true), Some("HTTP/2")),
        "{spoke}"
    );
    let table = home.run(&["pings", "list", "--endpoint-id", &id(&modern)]);
    assert!(
        table.stdout.contains("HTTP/2 · certificate until"),
        "{}",
        table.stdout
    );
    // A worse threshold on the same certificate makes it pass: the update applies from the next check.
    home.json(&[
        "endpoints",
        "update",
        "cert",
        "--cert-fail-days",
        "3",
        "--cert-warn-days",
        "4",
    ]);
    eventually(
        Duration::from_secs(30),
        "the certificate's incident resolved",
        || {
            home.incidents(&id(&tls))
                .iter()
                .all(|i| i["status"] == "resolved")
                .then_some(())
        },
    );
    let listed = array(home.json(&["endpoints", "list"]));
    assert!(
        listed
            .iter()
            .any(|e| e["url"] == format!("tcp://127.0.0.1:{greeter}")),
        "{listed:?}"
    );
    assert_eq!(server.terminate(), 0);
    drop(rt);
}

#[test]
fn maintenance_holds_incidents_back_and_the_failure_opens_one_when_it_ends() {
    let home = Home::sqlite();
    let target = Target::start();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/shop", target.base),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    for (args, says) in [
        (vec!["--service", &sid, "--duration", "5x"], "duration"),
        (vec!["--service", &sid], "give an end or a duration"),
        (
            vec![
                "--service",
                &sid,
                "--cron",
                "0 25 * * *",
                "--duration",
                "1h",
            ],
            "hour",
        ),
        (
            vec![
                "--service",
                &sid,
                "--cron",
                "0 2 * * SUN",
                "--tz",
                "Mars/Base",
                "--duration",
                "1h",
            ],
            "time zone",
        ),
        (vec!["--service", &sid, "--end", "yesterday"], "RFC 3339"),
        (
            vec!["--monitor", "no-such-monitor", "--duration", "1h"],
            "no-such-monitor",
        ),
    ] {
        let mut all = vec!["maintenance", "create"];
        all.extend(args.iter().copied());
        let out = home.run(&all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    let both = home.run(&[
        "maintenance",
        "create",
        "--service",
        &sid,
        "--monitor",
        &eid,
        "--duration",
        "1h",
    ]);
    assert_ne!(both.code, 0, "a service or a monitor, not both");
    assert!(
        array(home.json(&["maintenance", "list"])).is_empty(),
        "nothing stored"
    );

    let weekly = home.json(&[
        "maintenance",
        "create",
        "--service",
        &sid,
        "--cron",
        "0 2 * * SUN",
        "--tz",
        "Europe/Berlin",
        "--duration",
        "2h",
        "--reason",
        "weekly backups",
    ]);
    assert_eq!(
        (
            weekly["kind"].as_str(),
            weekly["duration"].as_str(),
            weekly["tz"].as_str()
        ),
        (Some("recurring"), Some("2h"), Some("Europe/Berlin")),
        "{weekly}"
    );
    assert!(weekly["next_start"].is_string(), "{weekly}");

    let server = home.server(&[]);
    let token = home.admin_token();
    // A deploy script's one-liner: a window from now for one monitor.
    let resp = crate::harness::http(
        &format!(
            "http://{}/api/v1/maintenance/start?monitor={eid}&duration=30m&reason=deploy",
            server.addr
        ),
        "POST",
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    let window: serde_json::Value = serde_json::from_str(&resp.body).expect("json");
    assert_eq!(window["active"], true, "{window}");
    assert_eq!(window["monitor_kind"], "endpoint");
    let unauthenticated = crate::harness::http(
        &format!(
            "http://{}/api/v1/maintenance/start?monitor={eid}",
            server.addr
        ),
        "POST",
        &[],
        None,
    );
    assert_eq!(unauthenticated.status, 401);

    target.set(Mode::Error500);
    let failing = eventually(Duration::from_secs(20), "failed checks stored", || {
        let p = home.pings(&eid);
        (p.iter().filter(|p| p["success"] == false).count() >= 3).then_some(p)
    });
    assert!(!failing.is_empty());
    assert!(
        home.incidents(&eid).is_empty(),
        "held back during the window"
    );
    let shown = home.json(&["endpoints", "get", &eid]);
    assert_eq!(shown["status"], "maintenance", "{shown}");
    // The public status page and the badge say so, and a failing endpoint in maintenance is no problem there.
    home.json(&[
        "status-pages",
        "create",
        "--slug",
        "shop",
        "--title",
        "Shop",
        "--service",
        &sid,
    ]);
    let page = crate::harness::http(
        &format!("http://{}/status/shop.json", server.addr),
        "GET",
        &[],
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let page: serde_json::Value = serde_json::from_str(&page.body).expect("json");
    assert_eq!(page["status"], "operational", "{page}");
    let monitor = &page["services"][0]["monitors"][0];
    assert_eq!(monitor["status"], "maintenance", "{page}");
    // It announces the maintenance: the deploy's, in force, and the weekly backups, within the week.
    let announced = page["maintenance"].as_array().expect("maintenance");
    assert!(
        announced.iter().any(|m| m["about"] == monitor["name"]
            && m["ongoing"] == true
            && m["reason"] == "deploy"),
        "{page}"
    );
    assert!(
        announced
            .iter()
            .any(|m| m["about"] == "Production API" && m["reason"] == "weekly backups"),
        "{page}"
    );
    let html = crate::harness::http(
        &format!("http://{}/status/shop", server.addr),
        "GET",
        &[],
        None,
    );
    assert!(
        html.body.contains("under maintenance") && html.body.contains("weekly backups"),
        "{}",
        html.body
    );
    let badge = home.json(&["badges", "create", &eid]);
    let key = badge["key"].as_str().expect("key");
    let svg = crate::harness::http(
        &format!("http://{}/badge/{key}/status.svg", server.addr),
        "GET",
        &[],
        None,
    );
    assert!(svg.body.contains("Health: maintenance"), "{}", svg.body);
    let listed = home.run(&["maintenance", "list"]);
    assert!(
        listed.stdout.contains("in force until"),
        "{}",
        listed.stdout
    );
    assert!(
        listed.stdout.contains("deploy") && listed.stdout.contains("weekly backups"),
        "{}",
        listed.stdout
    );

    let ended = home.json(&["maintenance", "end", &id(&window)]);
    assert_eq!(ended["active"], false, "{ended}");
    assert!(ended["ended_at"].is_string());
    eventually(
        Duration::from_secs(20),
        "the incident opened after the window",
        || {
            home.incidents(&eid)
                .into_iter()
                .find(|i| i["status"] == "open")
        },
    );
    let again = home.run(&["maintenance", "end", &id(&window)]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("ended already"), "{}", again.stderr);
    assert_eq!(server.terminate(), 0);
}
