//! Webhook delivery end to end: a real receiver on 127.0.0.1 that is down for a while and then comes back; every
//! event arrives, in order, signed per Standard Webhooks (checked here by an independent implementation).

use crate::harness::{Home, Mode, Target, eventually, id};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Seen = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// Start a receiver on `port` that answers 200 and records each request.
fn receiver(port: u16) -> Seen {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind receiver");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let app = axum::Router::new().fallback(
                move |headers: axum::http::HeaderMap, body: String| {
                    let sink = sink.clone();
                    async move {
                        sink.lock().expect("seen").push((headers, body));
                        "thanks"
                    }
                },
            );
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        });
    });
    seen
}

/// Standard Webhooks verification written independently of Beacon's signer.
fn signature_valid(secret: &str, headers: &axum::http::HeaderMap, body: &str) -> bool {
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
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
            .filter(|d| d.iter().any(|x| x["attempts"].as_u64() >= Some(2)))
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
}
