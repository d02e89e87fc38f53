//! Conformance of degraded endpoints: a result that passes with a warning makes the endpoint degraded (one
//! `degraded_start`), a clean one or an incident ends it (one `degraded_end`); uptime counts degraded results
//! as up and rollups count them.

use super::*;
use beacon_core::rollup::Resolution;
use std::collections::HashMap;

fn degraded(why: &'static str) -> impl FnOnce(&mut PingRecord) {
    move |r: &mut PingRecord| {
        r.observation.failure = Some((ErrorKind::Degraded, why.to_owned()));
    }
}

/// A ping keeps its kind's details (a certificate's expiry, the protocol, DNS answers) and reads them back;
/// one without any keeps none.
pub async fn pings_keep_what_the_check_saw(store: Arc<dyn Store>) {
    let (_, ep) = setup(&store, 60).await;
    let seen = beacon_core::ping::Details {
        certificate_expires_at: Some(T0 + 40 * 86_400_000),
        protocol: Some("HTTP/2".into()),
        rcode: Some("NOERROR".into()),
        answers: vec!["10.0.0.1".into(), "mail.example.com.".into()],
    };
    let kept = seen.clone();
    run_slot_with(
        &store,
        T0 + 60_000,
        move |r: &mut PingRecord| r.observation.details = kept,
        true,
    )
    .await;
    run_slot(&store, T0 + 120_000, false).await;
    let all = PingQuery {
        limit: 10,
        failed_only: false,
        before: None,
    };
    let pings = store.list_pings(ep.id, all).await.expect("pings");
    let details: Vec<_> = pings
        .iter()
        .map(|p| p.observation.details.clone())
        .collect();
    assert_eq!(details, [beacon_core::ping::Details::default(), seen]);
}

pub async fn degraded_results_start_and_end_degradation_once(store: Arc<dyn Store>) {
    let (svc, ep) = setup(&store, 60).await;
    webhook_for(
        &store,
        svc.id,
        &["degraded_start", "degraded_end", "incident_start"],
    )
    .await;
    run_slot(&store, T0 + 60_000, true).await;
    run_slot_with(
        &store,
        T0 + 120_000,
        degraded("slow: 900 ms, above 500 ms"),
        true,
    )
    .await;
    run_slot_with(
        &store,
        T0 + 180_000,
        degraded("slow: 950 ms, above 500 ms"),
        true,
    )
    .await;
    let e = store.get_endpoint(ep.id).await.expect("endpoint");
    assert_eq!(e.status, Status::Degraded);
    assert_eq!(e.consecutive_failures, 0, "a degraded check passed");
    let kinds = |store: Arc<dyn Store>| async move { delivered_kinds(&store, None).await };
    assert_eq!(
        kinds(store.clone()).await,
        ["degraded_start"],
        "once, not per result"
    );
    let start = store
        .list_events(0, 100)
        .await
        .expect("events")
        .into_iter()
        .find(|e| e.payload.kind().as_str() == "degraded_start")
        .expect("event");
    match &start.payload {
        beacon_core::event::Payload::DegradedStart(d) => {
            assert_eq!(d.reason, "slow: 900 ms, above 500 ms");
            // When the first degraded check ran (its slot, on the endpoint's grid, plus 7 ms).
            assert!(d.at > T0 + 60_000 && d.at <= T0 + 120_007, "{}", d.at);
            assert_eq!(d.since, None);
        }
        other => panic!("{other:?}"),
    }

    run_slot(&store, T0 + 240_000, true).await;
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("endpoint").status,
        Status::Up
    );
    assert_eq!(
        kinds(store.clone()).await,
        ["degraded_start", "degraded_end"]
    );
    // Degraded, then down: the incident ends the degradation.
    run_slot_with(
        &store,
        T0 + 300_000,
        degraded("certificate expires in 20 days"),
        true,
    )
    .await;
    run_slot(&store, T0 + 360_000, false).await;
    run_slot(&store, T0 + 420_000, false).await;
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("endpoint").status,
        Status::Down
    );
    assert_eq!(
        kinds(store.clone()).await,
        [
            "degraded_start",
            "degraded_end",
            "degraded_start",
            "degraded_end",
            "incident_start"
        ]
    );

    let windows = store
        .rollup_windows(ep.id, Resolution::Hour, T0, T0 + 3_600_000, None)
        .await
        .expect("rollups");
    let total: (u64, u64, u64) = windows.iter().fold((0, 0, 0), |(c, s, d), (_, w)| {
        (c + w.count, s + w.successes, d + w.degraded)
    });
    assert_eq!(total, (7, 5, 3), "degraded results are up, and counted");
}

pub async fn maintenance_holds_incidents_back_until_its_window_ends(store: Arc<dyn Store>) {
    use beacon_core::maintenance::WindowSchedule;
    let (svc, ep) = setup(&store, 60).await;
    webhook_for(&store, svc.id, &["incident_start"]).await;
    let w = store
        .create_window(
            &NewWindow {
                target: WindowTarget::Service(svc.id),
                reason: Some("database upgrade".into()),
                schedule: WindowSchedule::Once {
                    start: T0,
                    end: T0 + 86_400_000,
                },
            },
            T0,
        )
        .await
        .expect("window");
    assert_eq!(
        (w.service_id, w.monitor_id, w.reason.as_deref()),
        (Some(svc.id), None, Some("database upgrade"))
    );
    assert_eq!(
        store
            .monitors_in_maintenance(&[ep.id], T0 + 1)
            .await
            .expect("in force"),
        HashMap::from([(ep.id, (T0, T0 + 86_400_000))])
    );
    // Two failures reach the threshold inside the window: recorded, no incident.
    run_slot(&store, T0 + 60_000, false).await;
    run_slot(&store, T0 + 120_000, false).await;
    let all = PingQuery {
        limit: 100,
        failed_only: false,
        before: None,
    };
    let pings = store.list_pings(ep.id, all).await.expect("pings");
    assert_eq!(pings.len(), 2);
    let open = |store: Arc<dyn Store>| async move { all_incidents(&store).await };
    assert!(open(store.clone()).await.is_empty(), "held back");
    assert!(
        store
            .list_deliveries(None, None)
            .await
            .expect("deliveries")
            .is_empty()
    );
    // The window ends (by hand, right after the second check); still failing after it, the incident opens then.
    store
        .end_window(w.id, pings[0].started_at + 1)
        .await
        .expect("end");
    run_slot(&store, T0 + 180_000, false).await;
    let incidents = open(store.clone()).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(
        store
            .list_deliveries(None, None)
            .await
            .expect("deliveries")
            .len(),
        1
    );

    // A monitor's own window, ended by hand.
    let mine = day_window(&store, WindowTarget::Monitor(ep.id)).await;
    assert_eq!(
        (mine.monitor_id, mine.monitor_kind),
        (Some(ep.id), Some("endpoint"))
    );
    let ended = store.end_window(mine.id, T0 + 200_000).await.expect("end");
    assert_eq!(ended.ended_at, Some(T0 + 200_000));
    assert_eq!(ended.active_at(T0 + 200_001), None);
    assert!(matches!(
        store.end_window(mine.id, T0 + 300_000).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        matches!(
            store.end_window(w.id, T0 + 300_000).await,
            Err(StoreError::Conflict(_))
        ),
        "ended already"
    );
    assert_eq!(store.list_windows().await.expect("list").len(), 2);
    assert!(matches!(
        store
            .create_window(
                &NewWindow {
                    target: WindowTarget::Monitor(Uuid::new_v4()),
                    reason: None,
                    schedule: WindowSchedule::Once {
                        start: T0,
                        end: T0 + 1
                    },
                },
                T0,
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn maintenance_holds_a_heartbeats_incident_until_its_window_ends(store: Arc<dyn Store>) {
    use beacon_core::heartbeat::PingKind;
    let (svc, hb, key) = backup_heartbeat(&store).await;
    webhook_for(&store, svc.id, &["heartbeat_down"]).await;
    let w = day_window(&store, WindowTarget::Service(svc.id)).await;
    store
        .record_heartbeat_pings(&[keyed_ping(hb.id, &key, PingKind::Success, T0 + 1_000)])
        .await
        .expect("ping");
    // Its deadline passes inside the window: down, but no incident.
    store
        .evaluate_heartbeats(T0 + 91_001, 100, T0)
        .await
        .expect("evaluate");
    let incidents = |store: Arc<dyn Store>| async move { all_incidents(&store).await };
    assert!(incidents(store.clone()).await.is_empty(), "held back");
    assert!(
        store
            .list_deliveries(None, None)
            .await
            .expect("deliveries")
            .is_empty()
    );
    assert!(
        store
            .monitors_in_maintenance(&[hb.id], T0 + 91_001)
            .await
            .expect("in force")
            .contains_key(&hb.id),
        "its service's window covers it"
    );
    // The window ends while it is still silent: the next evaluation opens the incident.
    store.end_window(w.id, T0 + 100_000).await.expect("end");
    store
        .evaluate_heartbeats(T0 + 100_001, 100, T0)
        .await
        .expect("evaluate");
    let open = incidents(store.clone()).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].heartbeat_id, Some(hb.id));
    assert_eq!(delivered_kinds(&store, None).await, ["heartbeat_down"]);
    // Once: later evaluations open nothing more.
    store
        .evaluate_heartbeats(T0 + 101_000, 100, T0)
        .await
        .expect("evaluate");
    assert_eq!(incidents(store.clone()).await.len(), 1);
}
