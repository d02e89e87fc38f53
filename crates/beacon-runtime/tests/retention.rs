//! Retention with an injected clock, on a real SQLite file and a real PostgreSQL schema: each tier expires on
//! time — nothing kept that should go, nothing lost that should stay.

use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_core::ping::{Observation, PingRecord, Timings};
use beacon_core::rollup::Resolution;
use beacon_runtime::cleanup::{RetentionConfig, cleanup_once};
use beacon_store::{Completion, PingQuery, PostgresStore, SqliteStore, Store};
use std::sync::Arc;
use std::time::Duration;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// "Now" for the test: a UTC midnight plus a bit, far from the epoch.
const NOW: i64 = 20_000 * DAY + 7 * HOUR + 30 * MIN + 1_234;

fn result(slot: i64) -> PingRecord {
    PingRecord {
        scheduled_at: slot,
        started_at: slot + 3,
        observation: Observation {
            details: Default::default(),
            status_code: Some(200),
            timings: Timings {
                dns_us: None,
                connect_us: None,
                tls_us: None,
                first_byte_us: None,
                total_us: 2_000,
            },
            failure: None,
        },
    }
}

async fn check(store: Arc<dyn Store>) {
    let svc = store.create_service("api", "", 0).await.expect("service");
    let spec = EndpointSpec::create(EndpointInput {
        name: Some("health".into()),
        url: Some("http://127.0.0.1:9/health".into()),
        interval_seconds: Some(60),
        ..Default::default()
    })
    .expect("spec");
    let mut endpoints = Vec::new();
    for _ in 0..3 {
        endpoints.push(
            store
                .create_endpoint(svc.id, &spec, 0)
                .await
                .expect("endpoint"),
        );
    }
    // Results at ages just past and just inside each tier's limit (slots on the minute grid).
    let grid = |t: i64| t - t.rem_euclid(MIN);
    let ages = [
        7 * DAY + 2 * MIN,
        7 * DAY - 2 * MIN,
        2 * DAY + 6 * MIN,
        2 * DAY - 2 * MIN,
        30 * DAY + 11 * MIN,
        30 * DAY - 6 * MIN,
        400 * DAY + 2 * HOUR,
        400 * DAY - 2 * HOUR,
        1_000 * DAY,
        5 * MIN,
    ];
    let slots: Vec<i64> = ages.iter().map(|a| grid(NOW - a)).collect();
    // Which endpoint pks these are: completions name them by pk; read them off one claim each.
    let claimed = store
        .claim_slots(&beacon_store::Claim {
            owner: "t",
            region_pk: 1,
            now: 0,
            horizon: i64::MAX / 4,
            limit: 10,
            lease_margin_ms: 0,
        })
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 3);
    for c in &claimed {
        let batch: Vec<Completion> = slots
            .iter()
            .map(|s| Completion {
                schedule_pk: c.schedule_pk,
                endpoint_pk: c.endpoint_pk,
                slot: *s,
                next_slot: c.slot + MIN,
                ping: Some(result(*s)),
            })
            .collect();
        store.complete_slots("t", 1, &batch).await.expect("store");
    }
    let config = RetentionConfig {
        endpoints_per_step: 2, // several steps
        pause: Duration::ZERO,
        ..RetentionConfig::default()
    };
    let report = cleanup_once(&*store, NOW, &config).await.expect("cleanup");
    let deleted = |label: &str| {
        report
            .deleted
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, n)| *n)
            .expect("listed")
    };
    // Raw pings: 7 days. Older than that: the 7d+2m, 30d, 400d and 1000d results (5 per endpoint).
    assert_eq!(deleted("pings"), 3 * 6, "{report:?}");
    for e in &endpoints {
        let left = store
            .list_pings(
                e.id,
                PingQuery {
                    limit: 100,
                    failed_only: false,
                    before: None,
                },
            )
            .await
            .expect("pings");
        let mut got: Vec<i64> = left.iter().map(|p| p.scheduled_at).collect();
        got.sort_unstable();
        let mut want: Vec<i64> = slots
            .iter()
            .copied()
            .filter(|s| *s >= NOW - 7 * DAY)
            .collect();
        want.sort_unstable();
        assert_eq!(got, want);
        // Each rollup tier keeps exactly the windows that start at or after its limit.
        for (res, keep) in [
            (Resolution::Minute, Some(2 * DAY)),
            (Resolution::FiveMinutes, Some(30 * DAY)),
            (Resolution::Hour, Some(400 * DAY)),
            (Resolution::Day, None),
        ] {
            let windows = store
                .rollup_windows(e.id, res, 0, NOW + DAY, None)
                .await
                .expect("windows");
            let got: Vec<i64> = windows.iter().map(|(s, _)| *s).collect();
            let mut want: Vec<i64> = slots
                .iter()
                .map(|s| res.window_start(*s))
                .filter(|w| keep.is_none_or(|k| *w >= NOW - k))
                .collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(got, want, "{res:?}");
        }
    }
    // Nothing more to do a second time.
    let again = cleanup_once(&*store, NOW, &config).await.expect("cleanup");
    assert!(again.deleted.iter().all(|(_, n)| *n == 0), "{again:?}");
    // Forever means forever: with every tier off, nothing goes even much later.
    let off = RetentionConfig {
        raw_pings: None,
        rollups_1m: None,
        rollups_5m: None,
        rollups_1h: None,
        rollups_1d: None,
        ..config
    };
    let later = cleanup_once(&*store, NOW + 5_000 * DAY, &off)
        .await
        .expect("cleanup");
    assert!(later.deleted.iter().all(|(_, n)| *n == 0));
}

#[tokio::test]
async fn sqlite_tiers_expire_on_time() {
    let dir = std::env::temp_dir().join(format!("beacon-retention-{}", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&dir.join("beacon.db"))
        .await
        .expect("open");
    check(Arc::new(store)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_tiers_expire_on_time() {
    let url = std::env::var("BEACON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let store = PostgresStore::open(&url, Some(&schema))
        .await
        .expect("open postgres");
    check(Arc::new(store)).await;
}
