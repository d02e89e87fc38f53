//! `beacon stats`, `/api/v1/endpoints/{id}/stats|uptime` and the uptime shown by `endpoints get`: rollups of real
//! checks agree with the raw pings they came from.

use crate::harness::{Home, Target, eventually};
use serde_json::Value;
use std::time::Duration;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn stats_and_uptime_agree_with_the_raw_pings() {
    let home = Home::remote();
    let target = Target::start();
    let sid = home.service();
    let up = home.endpoint(
        &sid,
        &format!("{}/health", target.base),
        &["--interval", "1"],
    );
    let down = home.endpoint(
        &sid,
        &crate::harness::refused_url(),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    eventually(
        Duration::from_secs(30),
        "six checks of each endpoint",
        || (home.pings(&up).len() >= 6 && home.pings(&down).len() >= 6).then_some(()),
    );
    // Stop checking, so the raw pings and the rollups describe the same set.
    for e in [&up, &down] {
        home.json(&["endpoints", "update", e, "--enabled", "false"]);
    }
    std::thread::sleep(Duration::from_secs(3));

    let pings = home.pings(&up);
    let stats = home.json(&[
        "stats",
        "--endpoint-id",
        &up,
        "--since",
        "1h",
        "--resolution",
        "1m",
    ]);
    let summary = &stats["summary"];
    assert_eq!(
        summary["count"].as_u64(),
        Some(pings.len() as u64),
        "{stats}"
    );
    assert_eq!(summary["failures"].as_u64(), Some(0));
    assert_eq!(f(&summary["uptime"]), 100.0);
    let buckets = stats["buckets"].as_array().expect("buckets");
    assert!(!buckets.is_empty() && buckets.len() <= 3, "{stats}");
    assert_eq!(
        buckets
            .iter()
            .map(|b| b["count"].as_u64().expect("a value"))
            .sum::<u64>(),
        pings.len() as u64
    );
    for key in [
        "start",
        "end",
        "successes",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "min_ms",
        "max_ms",
    ] {
        assert!(
            buckets[0].get(key).is_some(),
            "{key} missing: {}",
            buckets[0]
        );
    }
    // Percentiles within the sketch's 1 % of the exact ones (same rank rule), min and max exact.
    let mut exact: Vec<f64> = pings.iter().map(|p| f(&p["timings"]["total_ms"])).collect();
    exact.sort_by(f64::total_cmp);
    for (key, q) in [("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)] {
        let want = exact[(q * (exact.len() - 1) as f64).floor() as usize];
        let got = f(&summary[key]);
        assert!(
            (got - want).abs() <= want * 0.01 + 0.001,
            "{key}: {got} vs exact {want}"
        );
    }
    assert!((f(&summary["min_ms"]) - exact[0]).abs() < 0.001);
    assert!((f(&summary["max_ms"]) - exact[exact.len() - 1]).abs() < 0.001);

    // One region (every check here ran in the default one); an unknown region is an error.
    let default = home.json(&[
        "stats",
        "--endpoint-id",
        &up,
        "--since",
        "1h",
        "--region",
        "default",
    ]);
    assert_eq!(default["summary"]["count"], summary["count"]);
    let mars = home.run(&["stats", "--endpoint-id", &up, "--region", "mars"]);
    assert_eq!(mars.code, 1, "{}", mars.stderr);
    assert!(mars.stderr.contains("region"), "{}", mars.stderr);

    // The refused endpoint: every check failed, no latency.
    let refused = home.json(&["stats", "--endpoint-id", &down]);
    assert_eq!(f(&refused["summary"]["uptime"]), 0.0, "{refused}");
    assert!(refused["summary"]["p50_ms"].is_null());
    assert_eq!(
        refused["summary"]["failures"].as_u64(),
        Some(home.pings(&down).len() as u64)
    );

    // endpoints get: uptime over 24 h … 90 d and p95 over 24 h.
    let got = home.json(&["endpoints", "get", &up]);
    assert_eq!(f(&got["stats"]["uptime_24h"]), 100.0, "{got}");
    assert_eq!(f(&got["stats"]["uptime_90d"]), 100.0);
    assert_eq!(
        got["stats"]["checks_24h"].as_u64(),
        Some(pings.len() as u64)
    );
    assert!(f(&got["stats"]["p95_24h_ms"]) > 0.0);
    let table = home.run(&["endpoints", "get", &down]);
    assert!(table.stdout.contains("24h 0.00%"), "{}", table.stdout);
    let table = home.run(&["stats", "--endpoint-id", &up, "--since", "2h"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("uptime 100.000%"), "{}", table.stdout);

    // The API, with its errors.
    let auth = format!("Bearer {}", home.admin_token());
    let h = [("authorization", auth.as_str())];
    let r = home.request("GET", &format!("/api/v1/endpoints/{up}/uptime"), &h, None);
    assert_eq!(r.status, 200);
    assert_eq!(f(&r.json()["uptime_7d"]), 100.0);
    let r = home.request(
        "GET",
        &format!("/api/v1/endpoints/{up}/stats?resolution=1h&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z"),
        &h,
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["summary"]["count"].as_u64(), Some(0));
    assert!(r.json()["summary"]["uptime"].is_null());
    for (query, field) in [
        ("resolution=2h", "resolution"),
        ("resolution=1m&since=90d", "resolution"),
        ("since=soon", "since"),
        ("from=yesterday", "from"),
        ("from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "from"),
        ("from=2030-01-01T00:00:00Z&since=1h", "since"),
    ] {
        let r = home.request(
            "GET",
            &format!("/api/v1/endpoints/{up}/stats?{query}"),
            &h,
            None,
        );
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{query}");
    }
    let r = home.request(
        "GET",
        &format!("/api/v1/endpoints/{}/stats", uuid::Uuid::new_v4()),
        &h,
        None,
    );
    assert_eq!(r.status, 404);

    // The CLI: bad input is exit 1 with the reason.
    let bad = home.run(&["stats", "--endpoint-id", &up, "--resolution", "2h"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("1m, 5m, 1h, 1d"), "{}", bad.stderr);
    let bad = home.run(&[
        "stats",
        "--endpoint-id",
        &up,
        "--since",
        "1h",
        "--from",
        "2030-01-01T00:00:00Z",
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
}

/// `beacon cleanup` with a short retention, the storage section of `/health`, and the storage metrics.
#[test]
fn cleanup_applies_retention_and_health_reports_storage() {
    let home = Home::sqlite();
    let target = Target::start();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/health", target.base),
        &["--interval", "1"],
    );
    // Any used space is a warning: /health says degraded.
    let cfg = home.dir.join("pressure.yaml");
    std::fs::write(
        &cfg,
        "storage:\n  warning_percent: 0\n  critical_percent: 100\n",
    )
    .expect("config");
    let server = home.server(&["--config", cfg.to_str().expect("utf8")]);
    eventually(Duration::from_secs(30), "three checks", || {
        (home.pings(&eid).len() >= 3).then_some(())
    });
    let (code, body) = server.get("/health");
    assert_eq!(code, 200);
    let health: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(health["status"], "degraded", "{health}");
    let storage = &health["dependencies"]["storage"];
    assert_eq!(storage["status"], "warning", "{storage}");
    assert!(
        storage["db_bytes"].as_u64().is_some_and(|b| b > 0),
        "{storage}"
    );
    assert!(
        storage["volume"]["total_bytes"]
            .as_u64()
            .is_some_and(|b| b > 0)
    );
    let (_, metrics) = server.get("/metrics");
    for name in [
        "beacon_storage_db_bytes",
        "beacon_storage_volume_used_ratio",
        "beacon_storage_level 1",
        "beacon_db_rows{table=\"pings\"}",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
    assert_eq!(server.terminate(), 0);

    // Raw pings and 1-minute windows kept for one second only; hourly windows as usual.
    let before = home.pings(&eid).len();
    std::thread::sleep(Duration::from_millis(1_500));
    let cfg = home.dir.join("retention.yaml");
    std::fs::write(
        &cfg,
        "retention:\n  raw_pings: 1s\n  rollups_1m: 1s\n  rollups_5m: forever\n",
    )
    .expect("config");
    let report = home.json(&["cleanup", "--config", cfg.to_str().expect("utf8")]);
    assert_eq!(
        report["deleted"]["pings"].as_u64(),
        Some(before as u64),
        "{report}"
    );
    assert!(
        report["deleted"]["rollups_1m"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    );
    assert_eq!(report["deleted"]["rollups_1h"].as_u64(), Some(0));
    assert!(home.pings(&eid).is_empty());
    let minutes = home.json(&[
        "stats",
        "--endpoint-id",
        &eid,
        "--since",
        "1h",
        "--resolution",
        "1m",
    ]);
    assert_eq!(minutes["summary"]["count"].as_u64(), Some(0), "{minutes}");
    let hours = home.json(&[
        "stats",
        "--endpoint-id",
        &eid,
        "--since",
        "1d",
        "--resolution",
        "1h",
    ]);
    assert_eq!(
        hours["summary"]["count"].as_u64(),
        Some(before as u64),
        "{hours}"
    );
    // Again: nothing left to delete. As a table it says what it did.
    let again = home.run(&["cleanup", "--config", cfg.to_str().expect("utf8")]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("rollups_1h"), "{}", again.stdout);

    // Bad input: a retention that is not a span, and cleanup through a server.
    std::fs::write(&cfg, "retention:\n  raw_pings: soon\n").expect("config");
    let bad = home.run(&["cleanup", "--config", cfg.to_str().expect("utf8")]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("retention.raw_pings"), "{}", bad.stderr);
    std::fs::write(&cfg, "retention:\n  cleanup_interval: forever\n").expect("config");
    let bad = home.run(&["cleanup", "--config", cfg.to_str().expect("utf8")]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("cleanup_interval"), "{}", bad.stderr);
    // Storage thresholds out of order or range: the server refuses to start.
    for storage in [
        "warning_percent: 95\n  critical_percent: 90",
        "critical_percent: 150",
    ] {
        std::fs::write(&cfg, format!("storage:\n  {storage}\n")).expect("config");
        let bad = home.run(&[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--config",
            cfg.to_str().expect("utf8"),
        ]);
        assert_eq!(bad.code, 1, "{storage}: {}", bad.stderr);
        assert!(bad.stderr.contains("warning_percent"), "{}", bad.stderr);
    }
    let bad = home.run(&["--server", "http://127.0.0.1:9", "cleanup"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("on the database"), "{}", bad.stderr);
}
