//! Webhook management and the edges of delivery: `webhooks update` and `webhooks test`, the retry decision for
//! each documented status, seed 002's per-check `webhook_url` with its alerts and attempt log, webhook health
//! metrics, and the private-network deny-list.

use crate::delivery::{picky_receiver, receiver, signature_valid};
use crate::harness::{Home, Mode, Target, eventually, free_port, id, refused_url};
use serde_json::{Value, json};
use std::time::Duration;

fn header<'a>(h: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// A call to the running server with the admin token.
fn api(home: &Home, method: &str, path: &str, body: Option<Value>) -> crate::harness::Resp {
    let token = format!("Bearer {}", home.admin_token());
    let body = body.map(|b| b.to_string());
    let mut headers = vec![("Authorization", token.as_str())];
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    home.request(method, path, &headers, body.as_deref().map(str::as_bytes))
}

#[test]
fn webhooks_update_changes_what_is_sent_and_test_sends_now() {
    // Through the REST API (remote CLI) and on the database directly: both send from the process that serves
    // the command, so `webhooks test` works without a delivery engine.
    let home = Home::remote();
    let port = free_port();
    let seen = receiver(port);
    let sid = home.service();
    let hook = home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        &format!("http://127.0.0.1:{port}/first"),
        "--events",
        "incident_start",
    ]);
    let hid = id(&hook);
    let secret = hook["secret"].as_str().expect("secret").to_owned();

    let tested = home.json(&["webhooks", "test", &hid]);
    assert_eq!(tested["status"], "delivered", "{tested}");
    assert_eq!(tested["event"], "test");
    assert_eq!(tested["attempts"][0]["response_status"], 200);
    assert_eq!(tested["attempts"][0]["response_body"], "thanks");
    {
        let seen = seen.lock().expect("seen");
        let (headers, body) = seen.last().expect("the test event arrived");
        let json: Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["type"], "test.v1", "{json}");
        assert_eq!(json["data"]["webhook_id"].as_str(), Some(hid.as_str()));
        assert!(signature_valid(&secret, headers, body));
        assert_eq!(header(headers, "webhook-id"), tested["id"].as_str());
    }

    let new_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let updated = home.json(&[
        "webhooks",
        "update",
        &hid,
        "--url",
        &format!("http://127.0.0.1:{port}/second"),
        "--events",
        "incident_start,incident_resolved",
        "--secret",
        new_secret,
        "--header",
        "X-Team: sre",
    ]);
    assert_eq!(
        updated["url"].as_str(),
        Some(format!("http://127.0.0.1:{port}/second").as_str())
    );
    assert_eq!(
        updated["events"],
        json!(["incident_start", "incident_resolved"])
    );
    assert_eq!(updated["headers"], json!({"X-Team": "sre"}));
    assert!(updated.get("secret").is_none(), "never shown again");
    assert_eq!(home.json(&["webhooks", "get", &hid]), updated);

    // On the database directly this time.
    let out = home.run_direct(&["webhooks", "test", &hid, "-o", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    {
        let seen = seen.lock().expect("seen");
        assert_eq!(seen.len(), 2);
        let (headers, body) = seen.last().expect("second test");
        assert!(
            signature_valid(new_secret, headers, body),
            "new secret used"
        );
        assert!(!signature_valid(&secret, headers, body));
        assert_eq!(header(headers, "x-team"), Some("sre"));
    }

    // Bad updates change nothing.
    let updated = home.json(&["webhooks", "get", &hid]);
    for (args, needle) in [
        (vec!["--url", "ftp://nope"], "url"),
        (vec!["--events", "incident_exploded"], "events"),
        (vec!["--secret", "plain"], "secret"),
        (vec!["--header", "oops"], "header"),
        (vec![], "nothing to change"),
    ] {
        let mut all = vec!["webhooks", "update", hid.as_str()];
        all.extend(args.iter());
        let out = home.run(&all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    assert_eq!(home.json(&["webhooks", "get", &hid]), updated);
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        home.run(&["webhooks", "update", &unknown, "--url", "http://x"])
            .code,
        1
    );
    assert_eq!(home.run(&["webhooks", "test", &unknown]).code, 1);
    let r = api(
        &home,
        "PATCH",
        &format!("/api/v1/webhooks/{hid}"),
        Some(json!({"colour": "red"})),
    );
    assert_eq!(r.status, 400, "{}", r.body);

    // A test to a dead receiver: printed, kept as failed, exit 2, never retried.
    let dead = home.json(&[
        "webhooks",
        "update",
        &hid,
        "--url",
        &refused_url(),
        "--clear-headers",
    ]);
    assert_eq!(dead["headers"], json!({}));
    let out = home.run(&["webhooks", "test", &hid, "-o", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("not delivered"), "{}", out.stderr);
    let failed = out.json();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"].as_array().map(Vec::len), Some(1));
    assert!(
        failed["attempts"][0]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    let listed = home.json(&["webhooks", "get", &hid]);
    assert_eq!(listed["consecutive_failures"], 1, "{listed}");
}

#[test]
fn each_retriable_status_is_retried_and_each_permanent_one_is_not() {
    let home = Home::sqlite();
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(
        &cfg,
        "delivery:\n  retry_base_ms: 50\n  retry_cap_seconds: 1\n  max_attempts: 10\n",
    )
    .expect("cfg");
    // `/s/<code>` answers <code> the first time and 200 after; `/moved` redirects to `/landed`.
    let (base, hits) = picky_receiver();

    let sid = home.service();
    let retriable = [408, 429, 500, 502, 503, 504];
    let permanent = [400, 401, 403, 404, 410, 422];
    let mut hooks = Vec::new();
    for code in retriable.iter().chain(&permanent) {
        let url = format!("{base}/s/{code}");
        let h = home.json(&[
            "webhooks",
            "create",
            "--service-id",
            &sid,
            "--url",
            &url,
            "--events",
            "incident_start",
        ]);
        hooks.push((*code, id(&h)));
    }
    let moved = id(&home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        &format!("{base}/moved"),
        "--events",
        "incident_start",
    ]));
    home.endpoint(
        &sid,
        &refused_url(),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    let server = home.server(&["--config", cfg.to_str().expect("utf8")]);

    let settled = |hook: &str| -> Option<Value> {
        let list = home.json(&["deliveries", "list", "--webhook-id", hook]);
        list.as_array()
            .and_then(|l| l.first().cloned())
            .filter(|d| d["status"] != "pending")
    };
    for (code, hook) in &hooks {
        let d = eventually(Duration::from_secs(30), "the delivery to settle", || {
            settled(hook)
        });
        if retriable.contains(code) {
            assert_eq!(d["status"], "delivered", "{code} is retried: {d}");
            assert_eq!(d["attempt_count"], 2, "{code}: one failure, then 200");
        } else {
            assert_eq!(d["status"], "failed", "{code} is permanent: {d}");
            assert_eq!(d["attempt_count"], 1, "{code} is not retried");
            let detail = home.json(&["deliveries", "get", &id(&d)]);
            assert_eq!(detail["attempts"][0]["response_status"], *code);
        }
    }
    let d = eventually(Duration::from_secs(30), "the redirect to settle", || {
        settled(&moved)
    });
    assert_eq!(d["status"], "failed", "redirects are not followed: {d}");
    assert!(
        !hits
            .lock()
            .expect("hits")
            .iter()
            .any(|(p, _)| p == "/landed")
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn a_checks_webhook_url_receives_pulse_alerts_logged_under_the_check() {
    let home = Home::remote();
    let target = Target::start();
    let port = free_port();
    let seen = receiver(port);
    let r = api(
        &home,
        "POST",
        "/checks",
        Some(
            json!({"name": "Shop", "url": format!("{}/shop", target.base), "interval_seconds": 1,
                    "alert_threshold": 2, "timeout_ms": 800,
                    "webhook_url": format!("http://127.0.0.1:{port}/pulse")}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let check = r.json();
    let cid = id(&check);
    target.set(Mode::Error500);
    let failure = eventually(Duration::from_secs(20), "a failure alert", || {
        seen.lock().expect("seen").first().cloned()
    });
    let body: Value = serde_json::from_str(&failure.1).expect("JSON");
    assert_eq!(body["check_id"].as_str(), Some(cid.as_str()), "{body}");
    assert_eq!(body["check_name"], "Shop");
    assert_eq!(body["type"], "failure");
    assert_eq!(body["status"], "fail");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("500")),
        "{body}"
    );
    assert!(body["timestamp"].is_string());
    assert_eq!(header(&failure.0, "content-type"), Some("application/json"));
    assert!(header(&failure.0, "webhook-signature").is_some_and(|s| s.starts_with("v1,")));

    target.set(Mode::Ok);
    let recovery = eventually(Duration::from_secs(20), "a recovery alert", || {
        seen.lock().expect("seen").get(1).cloned()
    });
    let body: Value = serde_json::from_str(&recovery.1).expect("JSON");
    assert_eq!(
        (body["type"].as_str(), body["status"].as_str()),
        (Some("recovery"), Some("success"))
    );
    assert!(body.get("error").is_none(), "omitted when empty: {body}");

    let alerts = eventually(Duration::from_secs(10), "both alerts sent", || {
        let a = api(&home, "GET", &format!("/checks/{cid}/alerts"), None).json();
        (a["count"] == 2
            && a["alerts"]
                .as_array()?
                .iter()
                .all(|x| x["sent_at"].is_string()))
        .then_some(a)
    });
    let list = alerts["alerts"].as_array().expect("alerts");
    assert_eq!(list[0]["type"], "recovery", "newest first");
    assert_eq!(list[1]["type"], "failure");
    assert_eq!(list[1]["check_id"].as_str(), Some(cid.as_str()));
    assert_eq!(list[1]["payload"]["check_name"], "Shop");
    let log = api(
        &home,
        "GET",
        &format!("/checks/{cid}/webhooks?limit=10"),
        None,
    )
    .json();
    assert_eq!(log["count"], 2, "{log}");
    let first = &log["webhooks"][1];
    assert_eq!(first["alert_id"], list[1]["id"]);
    assert_eq!(first["status"], "success");
    assert_eq!(first["response_code"], 200);
    assert_eq!(first["retry_number"], 0);
    assert_eq!(
        first["url"].as_str(),
        Some(format!("http://127.0.0.1:{port}/pulse").as_str())
    );
    assert!(
        first["request_body"]
            .as_str()
            .is_some_and(|b| b.contains("\"failure\""))
    );
    assert!(first["request_headers"]["webhook-id"].is_string());
    for bad in ["/alerts?limit=0", "/webhooks?limit=1001"] {
        let r = api(&home, "GET", &format!("/checks/{cid}{bad}"), None);
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(
            r.json(),
            json!({"error": "Invalid limit. Must be between 1 and 1000"})
        );
    }
    let r = api(
        &home,
        "GET",
        &format!("/checks/{}/alerts", uuid::Uuid::new_v4()),
        None,
    );
    assert_eq!(
        (r.status, r.json()),
        (404, json!({"error": "Check not found"}))
    );

    // The check's webhook is listed, healthy, and managed through the check.
    let hooks = home.json(&["webhooks", "list"]);
    let managed = hooks
        .as_array()
        .and_then(|h| h.iter().find(|w| w["endpoint_id"] == check["id"]))
        .expect("listed")
        .clone();
    assert_eq!(managed["format"], "pulse");
    assert_eq!(managed["consecutive_failures"], 0);
    let mid = id(&managed);
    let out = home.run(&["webhooks", "delete", &mid]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("webhook_url"), "{}", out.stderr);
    let out = home.run(&["webhooks", "update", &mid, "--url", "http://example.com"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let metrics = eventually(Duration::from_secs(10), "webhook health metrics", || {
        let m = api(&home, "GET", "/metrics", None).body;
        m.contains(&format!("beacon_webhook_up{{webhook=\"{mid}\"}} 1"))
            .then_some(m)
    });
    assert!(metrics.contains(&format!(
        "beacon_webhook_consecutive_failures{{webhook=\"{mid}\"}} 0"
    )));

    // Clearing the check's webhook_url removes its webhook.
    let out = home.run(&["endpoints", "update", &cid, "--webhook-url", ""]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let hooks = home.json(&["webhooks", "list"]);
    assert!(
        hooks
            .as_array()
            .is_some_and(|h| h.iter().all(|w| w["id"] != managed["id"])),
        "{hooks}"
    );
}

#[test]
fn the_private_network_deny_list_blocks_internal_destinations() {
    let home = Home::sqlite();
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(
        &cfg,
        "delivery:\n  deny_private_networks: true\n  retry_base_ms: 50\n",
    )
    .expect("cfg");
    let port = free_port();
    let seen = receiver(port);
    let sid = home.service();
    // Created on the database directly (no deny-list there): the server must still refuse to call them.
    let literal = id(&home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        &format!("http://127.0.0.1:{port}/a"),
        "--events",
        "incident_start",
    ]));
    let named = id(&home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        &format!("http://localhost:{port}/b"),
        "--events",
        "incident_start",
    ]));
    home.endpoint(
        &sid,
        &refused_url(),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    let mut home = home;
    home.remote = Some(home.server(&["--config", cfg.to_str().expect("utf8")]));

    for hook in [&literal, &named] {
        let d = eventually(Duration::from_secs(20), "the delivery to fail", || {
            let list = home.json(&["deliveries", "list", "--webhook-id", hook]);
            list.as_array()
                .and_then(|l| l.first().cloned())
                .filter(|d| d["status"] == "failed")
        });
        assert_eq!(d["attempt_count"], 1, "a denied destination is not retried");
        let detail = home.json(&["deliveries", "get", &id(&d)]);
        let err = detail["attempts"][0]["error"].as_str().unwrap_or_default();
        assert!(err.contains("deny_private_networks"), "{err}");
    }
    assert!(
        seen.lock().expect("seen").is_empty(),
        "nothing reached the private receiver"
    );

    // Through the server, such URLs are refused up front, on create and on update.
    for url in [
        format!("http://127.0.0.1:{port}/c"),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        format!("http://localhost:{port}/d"),
        "http://[::1]/e".to_owned(),
    ] {
        let out = home.run(&[
            "webhooks",
            "create",
            "--service-id",
            &sid,
            "--url",
            &url,
            "--events",
            "incident_start",
        ]);
        assert_eq!(out.code, 1, "{url}: {}", out.stderr);
        assert!(out.stderr.contains("private"), "{url}: {}", out.stderr);
    }
    let out = home.run(&["webhooks", "update", &literal, "--url", "http://10.0.0.8/x"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    eventually(Duration::from_secs(10), "the webhook reported down", || {
        let m = api(&home, "GET", "/metrics", None).body;
        m.contains(&format!("beacon_webhook_up{{webhook=\"{literal}\"}} 0"))
            .then_some(())
    });
}

/// Headers Beacon sets itself cannot be set on a webhook or a check: a forged `webhook-signature` or `Host` was
/// sent beside the real one (and logged) before. The API answers 422 naming the header, the CLI exits 1, and
/// nothing is written.
#[test]
fn reserved_headers_are_refused_on_webhooks_and_checks() {
    let home = Home::remote();
    let sid = home.service();
    let r = api(
        &home,
        "POST",
        "/api/v1/webhooks",
        Some(serde_json::json!({
            "service_id": sid,
            "url": "http://127.0.0.1:9/hook",
            "events": ["incident_start"],
            "headers": {"webhook-signature": "v1,forged"},
        })),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let err: Value = serde_json::from_str(&r.body).expect("JSON error");
    assert_eq!(err["error"]["field"], "header", "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("webhook-signature")),
        "{err}"
    );
    let out = home.run(&[
        "endpoints",
        "create",
        "--service-id",
        &sid,
        "--name",
        "api",
        "--url",
        "http://127.0.0.1:9/health",
        "--header",
        "Host: evil.example",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("Host"), "{}", out.stderr);
    let count = |v: Value| v.as_array().or(v["data"].as_array()).map(Vec::len);
    assert_eq!(
        count(home.json(&["webhooks", "list"])),
        Some(0),
        "nothing written"
    );
    assert_eq!(
        count(home.json(&["endpoints", "list"])),
        Some(0),
        "nothing written"
    );
}
