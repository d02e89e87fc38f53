//! Conformance of scheduling and results: exclusive leases that expire, results stored once, pings listed
//! newest first, rollups that follow stored results.

use super::*;

pub async fn claims_are_exclusive_and_expire(store: Arc<dyn Store>) {
    let svc = store.create_service("s", "", T0).await.expect("service");
    for _ in 0..50 {
        store
            .create_endpoint(svc.id, &spec(60), T0)
            .await
            .expect("endpoint");
    }
    let now = T0 + 60_000;
    // Two claimers racing for the same due slots take disjoint sets that cover all of them.
    let (ca, cb) = (
        Claim {
            limit: 30,
            ..claim("a", now)
        },
        Claim {
            limit: 30,
            ..claim("b", now)
        },
    );
    let (a, b) = tokio::join!(store.claim_slots(&ca), store.claim_slots(&cb));
    let (a, b) = (a.expect("claim a"), b.expect("claim b"));
    let mut all: Vec<i64> = a.iter().chain(&b).map(|c| c.schedule_pk).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), a.len() + b.len(), "a slot was claimed twice");
    assert_eq!(all.len(), 50);
    assert!(
        store
            .claim_slots(&claim("c", now))
            .await
            .expect("claim")
            .is_empty(),
        "leases hold"
    );
    assert_eq!(store.queue_depth(REGION, now).await.expect("depth"), 0);
    // The holder died: after slot + timeout (10 s) + margin (5 s) the leases are free again, same slots.
    let later = store
        .claim_slots(&claim("c", now + 14_000))
        .await
        .expect("claim");
    assert!(later.is_empty(), "not yet expired");
    assert_eq!(
        store
            .queue_depth(REGION, now + 59_000)
            .await
            .expect("depth"),
        50
    );
    let again = store
        .claim_slots(&claim("c", now + 59_000))
        .await
        .expect("claim");
    assert_eq!(again.len(), 50);
    let slots_before: Vec<i64> = a.iter().chain(&b).map(|c| c.slot).collect();
    assert!(
        again.iter().all(|c| slots_before.contains(&c.slot)),
        "same slots reclaimed"
    );
}

pub async fn disabled_endpoints_are_not_claimed(store: Arc<dyn Store>) {
    let (_, ep) = setup(&store, 60).await;
    store
        .update_endpoint(
            ep.id,
            EndpointInput {
                enabled: Some(false),
                ..Default::default()
            },
            T0 + 1,
        )
        .await
        .expect("disable");
    assert!(
        store
            .claim_slots(&claim("w", T0 + 600_000))
            .await
            .expect("claim")
            .is_empty()
    );
    store
        .update_endpoint(
            ep.id,
            EndpointInput {
                enabled: Some(true),
                ..Default::default()
            },
            T0 + 600_000,
        )
        .await
        .expect("enable");
    // Re-enabled after ten minutes: resumes on the next slot, not with the backlog.
    let claimed = store
        .claim_slots(&claim("w", T0 + 660_000))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    assert!(claimed[0].slot >= T0 + 600_000);
}

pub async fn results_are_stored_once(store: Arc<dyn Store>) {
    let (_, ep) = setup(&store, 60).await;
    let now = T0 + 60_000;
    let c = store
        .claim_slots(&claim("a", now))
        .await
        .expect("claim")
        .remove(0);
    let done = |owner: &'static str| {
        let store = store.clone();
        let c = c.clone();
        async move {
            store
                .complete_slots(
                    owner,
                    REGION,
                    &[Completion {
                        schedule_pk: c.schedule_pk,
                        endpoint_pk: c.endpoint_pk,
                        slot: c.slot,
                        next_slot: c.slot + 60_000,
                        ping: Some(record(c.slot, false)),
                    }],
                )
                .await
                .expect("complete")
        }
    };
    let first = done("a").await;
    assert_eq!((first.inserted, first.duplicates), (1, 0));
    // A second worker whose lease had expired writes the same slot again: ignored, no effect on health.
    let second = done("b").await;
    assert_eq!((second.inserted, second.duplicates), (0, 1));
    let pings = store
        .list_pings(
            ep.id,
            PingQuery {
                limit: 10,
                failed_only: false,
                before: None,
            },
        )
        .await
        .expect("pings");
    assert_eq!(pings.len(), 1);
    assert_eq!(pings[0].scheduled_at, c.slot);
    assert_eq!(pings[0].started_at, c.slot + 7);
    assert_eq!(pings[0].region, "default");
    assert_eq!(pings[0].observation, record(c.slot, false).observation);
    // One failure counted, not two: alert threshold is 2, so no incident yet.
    assert!(
        store
            .list_incidents(IncidentFilter::default(), Page::default())
            .await
            .expect("incidents")
            .items
            .is_empty()
    );
    // The schedule advanced once: the next claim is the following slot.
    let next = store
        .claim_slots(&claim("a", now + 60_000))
        .await
        .expect("claim");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].slot, c.slot + 60_000);
}

pub async fn pings_are_listed_newest_first(store: Arc<dyn Store>) {
    let (_, ep) = setup(&store, 60).await;
    let outcomes = [true, false, true, true, false];
    for (i, ok) in outcomes.iter().enumerate() {
        run_slot(&store, T0 + 60_000 * (i as i64 + 1), *ok).await;
    }
    let pings = store
        .list_pings(
            ep.id,
            PingQuery {
                limit: 100,
                failed_only: false,
                before: None,
            },
        )
        .await
        .expect("pings");
    assert_eq!(pings.len(), 5);
    assert!(
        pings
            .windows(2)
            .all(|w| w[0].scheduled_at > w[1].scheduled_at)
    );
    assert_eq!(
        pings
            .iter()
            .map(|p| p.observation.success())
            .collect::<Vec<_>>(),
        [false, true, true, false, true]
    );
    assert_eq!(
        store
            .list_pings(
                ep.id,
                PingQuery {
                    limit: 2,
                    failed_only: false,
                    before: None
                }
            )
            .await
            .expect("pings")
            .len(),
        2
    );
    let failed = store
        .list_pings(
            ep.id,
            PingQuery {
                limit: 100,
                failed_only: true,
                before: None,
            },
        )
        .await
        .expect("pings");
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|p| p.observation.failure.as_ref().map(|f| f.0) == Some(ErrorKind::Status))
    );
    assert_eq!(
        store
            .get_endpoint(ep.id)
            .await
            .expect("get")
            .last_checked_at,
        Some(pings[0].started_at)
    );
}

pub async fn release_gives_leases_back(store: Arc<dyn Store>) {
    setup(&store, 60).await;
    let now = T0 + 60_000;
    assert_eq!(
        store
            .claim_slots(&claim("a", now))
            .await
            .expect("claim")
            .len(),
        1
    );
    assert!(
        store
            .claim_slots(&claim("b", now))
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(store.release_leases("a").await.expect("release"), 1);
    assert_eq!(
        store
            .claim_slots(&claim("b", now))
            .await
            .expect("claim")
            .len(),
        1,
        "free at once"
    );
}

pub async fn rollups_follow_stored_results_once(store: Arc<dyn Store>) {
    use beacon_core::rollup::{Resolution, buckets};
    let (_, ep) = setup(&store, 60).await;
    // 150 one-minute slots (2.5 hours): latencies spread over two orders of magnitude, every 7th a failure.
    let latency = |i: i64| 1_000 + (i * 7_919) % 150_000;
    let mut exact: Vec<(i64, bool, i64)> = Vec::new();
    for i in 0..150 {
        let now = T0 + 60_000 * (i + 1);
        let c = store
            .claim_slots(&claim("w", now))
            .await
            .expect("claim")
            .remove(0);
        let ok = i % 7 != 3;
        let mut ping = record(c.slot, ok);
        ping.observation.timings.total_us = u32::try_from(latency(i)).expect("fits");
        exact.push((c.slot, ok, latency(i)));
        let completion = Completion {
            schedule_pk: c.schedule_pk,
            endpoint_pk: c.endpoint_pk,
            slot: c.slot,
            next_slot: c.slot + 60_000,
            ping: Some(ping),
        };
        let report = store
            .complete_slots("w", REGION, std::slice::from_ref(&completion))
            .await
            .expect("complete");
        assert_eq!(report.inserted, 1);
        if i == 10 {
            // The same result again (a worker whose lease expired): counted once.
            let again = store
                .complete_slots("late", REGION, &[completion])
                .await
                .expect("complete again");
            assert_eq!(again.duplicates, 1);
        }
    }
    let to = T0 + 86_400_000;
    let minutes = store
        .rollup_windows(ep.id, Resolution::Minute, T0, to, None)
        .await
        .expect("1m");
    assert_eq!(minutes.len(), 150);
    assert!(minutes.iter().all(|(_, w)| w.count == 1));
    let hours = store
        .rollup_windows(ep.id, Resolution::Hour, T0, to, None)
        .await
        .expect("1h");
    assert_eq!(hours.len(), 3);
    for (start, w) in &hours {
        let in_hour: Vec<&(i64, bool, i64)> = exact
            .iter()
            .filter(|(slot, _, _)| Resolution::Hour.window_start(*slot) == *start)
            .collect();
        assert_eq!(w.count as usize, in_hour.len());
        assert_eq!(
            w.successes as usize,
            in_hour.iter().filter(|(_, ok, _)| *ok).count()
        );
        let mut ok_latencies: Vec<i64> = in_hour
            .iter()
            .filter(|(_, ok, _)| *ok)
            .map(|(_, _, l)| *l)
            .collect();
        ok_latencies.sort_unstable();
        assert_eq!(w.min_us, ok_latencies.first().copied());
        assert_eq!(w.max_us, ok_latencies.last().copied());
        assert_eq!(w.sum_us, ok_latencies.iter().sum::<i64>());
        for q in [0.5, 0.95, 0.99] {
            let want = ok_latencies[(q * (ok_latencies.len() - 1) as f64).floor() as usize] as f64
                / 1000.0;
            let got = w.quantile_ms(q).expect("quantile");
            assert!((got - want).abs() / want <= 0.01, "q {q}: {got} vs {want}");
        }
    }
    // The whole range from merged windows: uptime exact, percentiles within 1 %.
    let (summary, list) = buckets(Resolution::Hour, T0, to, hours.clone());
    assert_eq!(list.len(), 3);
    assert_eq!(summary.count, 150);
    let ok_count = exact.iter().filter(|(_, ok, _)| *ok).count();
    assert_eq!(summary.successes as usize, ok_count);
    assert_eq!(summary.uptime, Some(ok_count as f64 * 100.0 / 150.0));
    let days = store
        .rollup_windows(ep.id, Resolution::Day, T0 - 86_400_000, to, None)
        .await
        .expect("1d");
    assert_eq!(days.iter().map(|(_, w)| w.count).sum::<u64>(), 150);
    let fives = store
        .rollup_windows(ep.id, Resolution::FiveMinutes, T0, to, None)
        .await
        .expect("5m");
    assert_eq!(fives.len(), 30);
    // One region: all of these came from the default region; an unknown region is NotFound.
    let default = store
        .rollup_windows(ep.id, Resolution::Hour, T0, to, Some("default"))
        .await
        .expect("default region");
    assert_eq!(default.len(), hours.len());
    assert!(matches!(
        store
            .rollup_windows(ep.id, Resolution::Hour, T0, to, Some("mars"))
            .await,
        Err(StoreError::NotFound { kind: "region", .. })
    ));
    // Several endpoints at once (the overview's page): the same windows, named by endpoint; unknown ids left out.
    let of = store
        .rollup_windows_of(&[ep.id, Uuid::new_v4()], Resolution::Hour, T0, to)
        .await
        .expect("of several");
    assert_eq!(of.len(), hours.len());
    assert!(
        of.iter()
            .all(|(id, start, w)| *id == ep.id && hours.iter().any(|(s, h)| s == start && h == w))
    );
    assert!(
        store
            .rollup_windows_of(&[], Resolution::Hour, T0, to)
            .await
            .expect("none")
            .is_empty()
    );
    // An empty range, an unknown endpoint.
    assert!(
        store
            .rollup_windows(ep.id, Resolution::Hour, to, to + 1, None)
            .await
            .expect("empty")
            .is_empty()
    );
    assert!(matches!(
        store
            .rollup_windows(Uuid::new_v4(), Resolution::Hour, T0, to, None)
            .await,
        Err(StoreError::NotFound { .. })
    ));
}
