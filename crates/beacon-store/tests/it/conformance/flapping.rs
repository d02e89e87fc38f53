//! Conformance of flapping: an endpoint or a heartbeat that changes state too often notifies once that it flaps
//! and once when it is stable again; a service's own rule decides, and 0 switches flapping off.

use super::channels::slack;
use super::*;

pub async fn a_flapping_endpoint_notifies_once_then_once_when_stable(store: Arc<dyn Store>) {
    let (svc, ep) = setup(&store, 60).await;
    let ch = store
        .create_channel(
            &NewChannel {
                name: "ops".into(),
                spec: slack("https://hooks.slack.com/services/T0/B0/ops"),
                webhook: None,
                route: Some(Route {
                    service_id: svc.id,
                    events: vec!["incident_start".into(), "incident_resolved".into()],
                }),
            },
            T0,
        )
        .await
        .expect("channel");
    let kinds = || delivered_kinds(&store, Some(ch.id));
    // Thresholds 2/2: each fail-fail-ok-ok is two changes. Three outages, then a fourth start: seven changes in
    // a quarter of an hour.
    let mut t = T0;
    let mut slot = |ok: bool| {
        t += 60_000;
        run_slot(&store, t, ok)
    };
    for _ in 0..3 {
        for ok in [false, false, true, true] {
            slot(ok).await;
        }
    }
    slot(false).await;
    slot(false).await;
    let mut want: Vec<&str> = [["incident_start", "incident_resolved"]; 3].concat();
    want.push("flapping");
    assert_eq!(
        kinds().await,
        want,
        "the seventh change is a flapping notice, not a start"
    );
    // Still flapping: the next recovery is recorded, not sent.
    slot(true).await;
    slot(true).await;
    assert_eq!(kinds().await, want);
    let incidents = store
        .list_incidents(
            IncidentFilter {
                endpoint_id: Some(ep.id),
                ..IncidentFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("incidents")
        .items;
    assert_eq!(incidents.len(), 4, "every incident is recorded");
    // Half an hour without a change: one more notice, with the state it settled in.
    for _ in 0..31 {
        slot(true).await;
    }
    want.push("flapping");
    assert_eq!(kinds().await, want);
    let events = store.list_events(0, 1000).await.expect("events");
    let last = events
        .iter()
        .rev()
        .find(|e| e.payload.kind().as_str() == "flapping")
        .expect("the notice");
    match &last.payload {
        beacon_core::event::Payload::Flapping(f) => {
            assert!(!f.started);
            assert_eq!(f.state, "up");
        }
        other => panic!("{other:?}"),
    }
    // Notifications resume: the next outage is sent as usual.
    slot(false).await;
    slot(false).await;
    want.push("incident_start");
    assert_eq!(kinds().await, want);
}

/// A heartbeat flaps as an endpoint does: the seventh change within half an hour is one `flapping` notice instead
/// of a `heartbeat_down`, changes while it flaps are recorded but not sent, and the heartbeat evaluator says so
/// once more when it has been stable for half an hour.
pub async fn a_flapping_heartbeat_notifies_once_then_once_when_stable(store: Arc<dyn Store>) {
    use beacon_core::heartbeat::PingKind;
    let (svc, hb, key) = backup_heartbeat(&store).await;
    let hook = webhook_for(&store, svc.id, &["heartbeat_down", "heartbeat_up"]).await;
    let kinds = || delivered_kinds(&store, Some(hook.id));
    let mut t = T0;
    let mut ping = |kind: PingKind| {
        t += 60_000;
        let at = t;
        let store = store.clone();
        let ping = keyed_ping(hb.id, &key, kind, at);
        async move {
            store.record_heartbeat_pings(&[ping]).await.expect("ping");
            store
                .evaluate_heartbeats(at, 100, T0)
                .await
                .expect("evaluate");
        }
    };
    // The job fails and succeeds by turns: seven changes within seven minutes.
    for i in 0..7 {
        ping(if i % 2 == 0 {
            PingKind::Fail
        } else {
            PingKind::Success
        })
        .await;
    }
    let mut want: Vec<&str> = [["heartbeat_down", "heartbeat_up"]; 3].concat();
    want.push("flapping");
    assert_eq!(
        kinds().await,
        want,
        "the seventh change is a flapping notice"
    );
    // Still flapping: its recovery is recorded, not sent.
    ping(PingKind::Success).await;
    assert_eq!(kinds().await, want);
    let incidents = store
        .list_incidents(
            IncidentFilter {
                heartbeat_id: Some(hb.id),
                ..IncidentFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("incidents")
        .items;
    assert_eq!(incidents.len(), 4, "every incident is recorded");
    // Half an hour of pings on time: stable again, said once, up.
    for _ in 0..31 {
        ping(PingKind::Success).await;
    }
    want.push("flapping");
    assert_eq!(kinds().await, want);
    let events = store.list_events(0, 1000).await.expect("events");
    let notices: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.payload {
            beacon_core::event::Payload::Flapping(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].started && !notices[1].started);
    assert_eq!(
        (notices[0].state.as_str(), notices[1].state.as_str()),
        ("down", "up")
    );
    assert_eq!(notices[1].monitor.path(), format!("/heartbeats/{}", hb.id));
    assert_eq!(notices[1].monitor.name(), "backup");
    // Notifications resume: the next failure is sent as usual.
    ping(PingKind::Fail).await;
    want.push("heartbeat_down");
    assert_eq!(kinds().await, want);
}

/// A service's own flap rule decides for its monitors: two changes in ten minutes make the third a flapping
/// notice; switched off, a monitor never flaps.
pub async fn a_services_own_flap_rule_decides_and_zero_switches_it_off(store: Arc<dyn Store>) {
    use beacon_core::flapping::FlapRule;
    let (svc, _) = setup(&store, 60).await;
    let hook = webhook_for(&store, svc.id, &["incident_start", "incident_resolved"]).await;
    let set = store
        .set_service_flap_rule(svc.id, Some(FlapRule::new(2, 600_000).expect("rule")), T0)
        .await
        .expect("rule");
    assert_eq!(
        set.flap_rule,
        Some(FlapRule {
            changes: 2,
            window_ms: 600_000
        })
    );
    let kinds = || delivered_kinds(&store, Some(hook.id));
    // Thresholds 2/2: fail-fail opens, ok-ok resolves.
    let mut t = T0;
    let mut slot = |ok: bool| {
        t += 60_000;
        run_slot(&store, t, ok)
    };
    for ok in [false, false, true, true, false, false] {
        slot(ok).await;
    }
    assert_eq!(
        kinds().await,
        ["incident_start", "incident_resolved", "flapping"],
        "the third change within ten minutes"
    );
    // Ten quiet minutes settle it under the service's window.
    for _ in 0..10 {
        slot(false).await;
    }
    assert_eq!(
        kinds().await,
        [
            "incident_start",
            "incident_resolved",
            "flapping",
            "flapping"
        ]
    );
    // Off: changes go out however many there are.
    store
        .set_service_flap_rule(svc.id, Some(FlapRule::new(0, 600_000).expect("off")), T0)
        .await
        .expect("off");
    for _ in 0..3 {
        for ok in [true, true, false, false] {
            slot(ok).await;
        }
    }
    let all = kinds().await;
    assert_eq!(all.len(), 4 + 6, "{all:?}");
    assert!(all[4..].iter().all(|k| k != "flapping"), "{all:?}");
}
