//! Webhook delivery end to end: a real receiver on 127.0.0.1 that is down for a while and then comes back; every
//! event arrives, in order, signed per Standard Webhooks (checked here by an independent implementation).

use crate::harness::{Home, Mode, Target, eventually, id};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) type Seen = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// Start a receiver on `port` that answers 200 and records each request.
pub(crate) fn receiver(port: u16) -> Seen {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind receiver");
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
        let sink = sink.clone();
        async move {
            sink.lock().expect("seen").push((headers, body));
            "thanks"
        }
    });
    crate::harness::serve(listener, app);
    seen
}

/// Standard Webhooks verification written independently of Beacon's signer.
pub(crate) fn signature_valid(secret: &str, headers: &axum::http::HeaderMap, body: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret");
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", h("webhook-id"), h("webhook-timestamp"), body).as_bytes());
    let expected = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    h("webhook-signature").split(' ').any(|s| s == expected)
}

#[test]
fn every_event_arrives_after_the_receiver_comes_back() {
    let home = Home::sqlite();
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(
        &cfg,
        "delivery:\n  retry_base_ms: 200\n  retry_cap_seconds: 1\n  max_attempts: 1000\n",
    )
    .expect("config");
    let target = Target::start();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/svc", target.base),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    // The receiver's port, with nothing listening yet: connections are refused.
    let port = crate::harness::free_port();
    let hook = home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        &format!("http://127.0.0.1:{port}/hook"),
        "--events",
        "incident_start,incident_resolved",
        "--header",
        "X-Team: sre",
    ]);
    let secret = hook["secret"]
        .as_str()
        .expect("secret shown on create")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed = home.json(&["webhooks", "get", &id(&hook)]);
    assert!(
        listed.get("secret").is_none(),
        "the secret is shown once: {listed}"
    );

    let server = home.server(&["--config", cfg.to_str().expect("utf8")]);
    target.set(Mode::Error500);
    eventually(Duration::from_secs(20), "an incident", || {
        home.incidents(&eid)
            .into_iter()
            .find(|i| i["status"] == "open")
    });
    target.set(Mode::Ok);
    eventually(Duration::from_secs(20), "its resolution", || {
        home.incidents(&eid)
            .into_iter()
            .find(|i| i["status"] == "resolved")
    });
    // Both deliveries have been tried against the dead receiver by now, at least the first one more than once.
    let tried = eventually(Duration::from_secs(20), "failed attempts", || {
        let d = home.json(&["deliveries", "list", "--webhook-id", &id(&hook)]);
        d.as_array()
            .filter(|d| d.iter().any(|x| x["attempt_count"].as_u64() >= Some(2)))
            .cloned()
    });
    assert!(
        tried.iter().all(|d| d["status"] == "pending"),
        "refused connections are retried: {tried:?}"
    );

    let seen = receiver(port);
    let delivered = eventually(Duration::from_secs(30), "both deliveries delivered", || {
        let d = home.json(&["deliveries", "list", "--webhook-id", &id(&hook)]);
        let arr = d.as_array()?.clone();
        (arr.len() >= 2 && arr.iter().all(|x| x["status"] == "delivered")).then_some(arr)
    });
    assert_eq!(server.terminate(), 0);

    let seen = seen.lock().expect("seen").clone();
    let bodies: Vec<Value> = seen
        .iter()
        .map(|(_, b)| serde_json::from_str(b).expect("JSON body"))
        .collect();
    let kinds: Vec<&str> = bodies
        .iter()
        .filter_map(|b| b["data"]["event"].as_str())
        .collect();
    assert_eq!(
        kinds.first(),
        Some(&"incident_start"),
        "start first: {kinds:?}"
    );
    assert!(kinds.contains(&"incident_resolved"), "{kinds:?}");
    let first_resolved = kinds
        .iter()
        .position(|k| *k == "incident_resolved")
        .expect("resolved");
    assert!(
        kinds[..first_resolved].contains(&"incident_start"),
        "never resolved before start"
    );
    for ((headers, body), json) in seen.iter().zip(&bodies) {
        assert!(
            signature_valid(&secret, headers, body),
            "bad signature on {body}"
        );
        assert_eq!(
            headers.get("x-team").and_then(|v| v.to_str().ok()),
            Some("sre")
        );
        assert_eq!(
            headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let data = &json["data"];
        assert_eq!(data["endpoint_id"].as_str(), Some(eid.as_str()));
        // The monitor is named, with what it checks and its service, beside seed 000's fields.
        let url = format!("{}/svc", target.base);
        assert_eq!(data["endpoint_url"].as_str(), Some(url.as_str()), "{data}");
        assert!(
            data["endpoint_name"]
                .as_str()
                .is_some_and(|n| !n.is_empty())
                && data["service_name"].as_str().is_some_and(|n| !n.is_empty()),
            "{data}"
        );
        assert!(
            data["incident_id"].is_string()
                && data["started_at"].is_string()
                && data["message"].is_string()
        );
        assert!(
            json["type"].as_str().is_some_and(|t| t.ends_with(".v1"))
                && json["timestamp"].is_string()
        );
    }
    // webhook-id is the idempotency key: one per delivery, the same on every retry.
    let ids: std::collections::HashSet<String> = seen
        .iter()
        .filter_map(|(h, _)| {
            h.get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .collect();
    let delivery_ids: std::collections::HashSet<String> = delivered.iter().map(id).collect();
    assert!(ids.is_subset(&delivery_ids), "{ids:?} vs {delivery_ids:?}");
}

#[test]
fn bad_webhook_input_is_refused() {
    let home = Home::sqlite();
    let sid = home.service();
    for (args, field) in [
        (
            vec!["--url", "ftp://x", "--events", "incident_start"],
            "url",
        ),
        (
            vec!["--url", "http://x", "--events", "incident_exploded"],
            "events",
        ),
        (
            vec![
                "--url",
                "http://x",
                "--events",
                "incident_start",
                "--secret",
                "plain",
            ],
            "secret",
        ),
        (
            vec![
                "--url",
                "http://x",
                "--events",
                "incident_start",
                "--header",
                "oops",
            ],
            "header",
        ),
    ] {
        let mut all = vec!["webhooks", "create", "--service-id", sid.as_str()];
        all.extend(args.iter());
        let out = home.run(&all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(field), "{args:?}: {}", out.stderr);
    }
    assert_eq!(
        home.json(&["webhooks", "list"]),
        serde_json::json!([]),
        "nothing written"
    );
    let out = home.run(&["deliveries", "list", "--status", "lost"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown status \"lost\""),
        "{}",
        out.stderr
    );
    let out = home.run(&["deliveries", "get", "not-a-uuid"]);
    assert_eq!(out.code, 1);
}

/// Arrival time of each request, by path.
pub(crate) type Arrivals = Arc<Mutex<Vec<(String, std::time::Instant)>>>;

/// A receiver whose answer depends on the path: `/gone` → 404 always; `/busy` → 503 with `Retry-After: 1` for the
/// first two requests; `/s/<code>` → `<code>` the first time; `/moved` → 302 to `/landed`; 200 otherwise.
/// Returns the base URL and the arrivals.
pub(crate) fn picky_receiver() -> (String, Arrivals) {
    let seen: Arrivals = Arc::default();
    let sink = seen.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let sink = sink.clone();
        async move {
            use axum::http::StatusCode;
            use axum::response::IntoResponse;
            let path = uri.path().to_owned();
            let n = {
                let mut seen = sink.lock().expect("seen");
                seen.push((path.clone(), std::time::Instant::now()));
                seen.iter().filter(|(p, _)| *p == path).count()
            };
            let first_status = path
                .strip_prefix("/s/")
                .and_then(|c| c.parse::<u16>().ok())
                .filter(|_| n == 1)
                .and_then(|c| StatusCode::from_u16(c).ok());
            if let Some(code) = first_status {
                return (code, "answer").into_response();
            }
            match path.as_str() {
                "/gone" => (StatusCode::NOT_FOUND, "no such hook").into_response(),
                "/moved" => (StatusCode::FOUND, [("location", "/landed")], "").into_response(),
                "/busy" if n <= 2 => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "1")],
                    "busy",
                )
                    .into_response(),
                _ => (StatusCode::OK, "ok").into_response(),
            }
        }
    });
    crate::harness::serve(listener, app);
    (base, seen)
}

#[test]
fn permanent_failures_stop_retryable_ones_retry_and_failed_ones_replay() {
    let home = Home::sqlite();
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(
        &cfg,
        "delivery:\n  retry_base_ms: 50\n  retry_cap_seconds: 1\n  max_attempts: 100\n",
    )
    .expect("cfg");
    let (base, seen) = picky_receiver();
    let sid = home.service();
    let create = |path: &str, extra: &[&str]| {
        let url = format!("{base}{path}");
        let mut args = vec![
            "webhooks",
            "create",
            "--service-id",
            sid.as_str(),
            "--url",
            url.as_str(),
            "--events",
            "incident_start",
        ];
        args.extend(extra);
        id(&home.json(&args))
    };
    let gone = create("/gone", &["--header", "Authorization: Bearer s3cret"]);
    let busy = create("/busy", &[]);
    home.endpoint(
        &sid,
        &crate::harness::refused_url(),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    let server = home.server(&["--config", cfg.to_str().expect("utf8")]);

    let status_of = |hook: &str| -> Option<Value> {
        let list = home.json(&["deliveries", "list", "--webhook-id", hook]);
        list.as_array().and_then(|l| l.first().cloned())
    };
    let failed = eventually(Duration::from_secs(20), "the 404 delivery to fail", || {
        status_of(&gone).filter(|d| d["status"] == "failed")
    });
    assert_eq!(failed["attempt_count"], 1, "a 404 is not retried");
    let detail = home.json(&["deliveries", "get", &id(&failed)]);
    let attempt = &detail["attempts"][0];
    assert_eq!(attempt["response_status"], 404);
    assert_eq!(attempt["response_body"], "no such hook");
    assert_eq!(
        attempt["request_headers"]["Authorization"], "[redacted]",
        "{attempt}"
    );
    assert!(
        attempt["request_headers"]["webhook-signature"]
            .as_str()
            .is_some_and(|s| s.starts_with("v1,"))
    );
    assert!(
        attempt["request_body"]
            .as_str()
            .is_some_and(|b| b.contains("incident_start"))
    );

    let delivered = eventually(
        Duration::from_secs(20),
        "the 503 delivery to get through",
        || status_of(&busy).filter(|d| d["status"] == "delivered"),
    );
    assert_eq!(delivered["attempt_count"], 3, "two 503s, then 200");
    let times: Vec<std::time::Instant> = seen
        .lock()
        .expect("seen")
        .iter()
        .filter(|(p, _)| p == "/busy")
        .map(|(_, t)| *t)
        .collect();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(900),
            "Retry-After: 1 was honoured: {:?}",
            pair[1] - pair[0]
        );
    }
    let only_failed = home.json(&["deliveries", "list", "--status", "failed"]);
    assert_eq!(only_failed.as_array().map(Vec::len), Some(1));

    // Replay the failed delivery: it is sent again (and fails again: the hook is still gone).
    let replayed = home.json(&["deliveries", "retry", &id(&failed)]);
    assert_eq!(replayed[0]["status"], "pending");
    let again = eventually(Duration::from_secs(20), "the replay", || {
        Some(home.json(&["deliveries", "get", &id(&failed)]))
            // The delivery and its attempts are read by two statements: wait until both show the replay.
            .filter(|d| {
                d["attempts"].as_array().map(Vec::len) == Some(2) && d["status"] != "pending"
            })
    });
    assert_eq!(again["status"], "failed");
    let out = home.run(&["deliveries", "retry", &uuid::Uuid::new_v4().to_string()]);
    assert_eq!(out.code, 1);
    assert_eq!(server.terminate(), 0);
}

#[test]
fn a_delivery_interrupted_by_sigkill_is_sent_again_with_the_same_id() {
    let home = Home::sqlite();
    let cfg = home.dir.join("beacon.yaml");
    let yaml = "delivery:\n  request_timeout_seconds: 3\n  lease_margin_seconds: 1\n  retry_base_ms: 100\n";
    std::fs::write(&cfg, yaml).expect("cfg");
    let cfg = cfg.to_str().expect("utf8").to_owned();
    // The first request hangs (the server dies while waiting); later ones are answered at once.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = seen.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let sink = sink.clone();
        async move {
            let id = headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let first = {
                let mut seen = sink.lock().expect("seen");
                seen.push(id);
                seen.len() == 1
            };
            if first {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            "ok"
        }
    });
    crate::harness::serve(listener, app);
    let sid = home.service();
    let hook = home.json(&[
        "webhooks",
        "create",
        "--service-id",
        &sid,
        "--url",
        &url,
        "--events",
        "incident_start",
    ]);
    home.endpoint(
        &sid,
        &crate::harness::refused_url(),
        &["--interval", "1", "--alert-threshold", "1"],
    );

    let server = home.server(&["--config", &cfg]);
    eventually(
        Duration::from_secs(20),
        "the first request in flight",
        || (!seen.lock().expect("seen").is_empty()).then_some(()),
    );
    server.kill();
    let server = home.server(&["--config", &cfg]);
    let delivered = eventually(
        Duration::from_secs(30),
        "delivery after the restart",
        || {
            let list = home.json(&["deliveries", "list", "--webhook-id", &id(&hook)]);
            list.as_array()
                .and_then(|l| l.first().cloned())
                .filter(|d| d["status"] == "delivered")
        },
    );
    assert_eq!(server.terminate(), 0);
    let ids = seen.lock().expect("seen").clone();
    assert!(ids.len() >= 2, "sent again after the crash: {ids:?}");
    assert!(
        ids.iter().all(|i| *i == id(&delivered)),
        "the same webhook-id every time: {ids:?}"
    );
}
