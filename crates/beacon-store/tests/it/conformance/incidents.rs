//! Conformance of incidents: opened and resolved by thresholds with their events, resolved by hand, closed by a
//! pause (and not reopened by a result that arrives after it).

use super::*;

pub async fn incidents_follow_thresholds_and_write_events(store: Arc<dyn Store>) {
    let (_, ep) = setup(&store, 60).await;
    let mut now = T0 + 60_000;
    let mut step = |ok| {
        let t = now;
        now += 60_000;
        run_slot(&store, t, ok)
    };
    assert_eq!(step(false).await.incidents_opened, 0);
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("get").status,
        Status::Up
    );
    assert_eq!(
        step(false).await.incidents_opened,
        1,
        "second consecutive failure opens"
    );
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("get").status,
        Status::Down
    );
    assert_eq!(store.count_open_incidents().await.expect("count"), 1);
    assert_eq!(
        step(false).await.incidents_opened,
        0,
        "at most one open incident"
    );
    let open = store
        .list_incidents(
            IncidentFilter {
                status: Some(IncidentStatus::Open),
                endpoint_id: Some(ep.id),
                heartbeat_id: None,
            },
            Page::default(),
        )
        .await
        .expect("list")
        .items;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].failure_count, 3);
    assert_eq!(open[0].cause, "status: unexpected status 500");
    assert_eq!(
        step(true).await.incidents_resolved,
        0,
        "recovery threshold is 2"
    );
    assert_eq!(step(true).await.incidents_resolved, 1);
    let inc = store.get_incident(open[0].id).await.expect("get");
    assert_eq!(inc.status, IncidentStatus::Resolved);
    assert_eq!(inc.resolved_by, Some(ResolvedBy::Auto));
    assert!(inc.resolved_at.expect("resolved_at") > inc.started_at);
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("get").status,
        Status::Up
    );
    let events = store.list_events(0, 10).await.expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e.payload.kind().as_str()).collect();
    assert_eq!(kinds, ["incident_start", "incident_resolved"]);
    assert_eq!(json(&events[0].payload)["incident_id"], inc.id.to_string());
    assert_eq!(json(&events[1].payload)["resolved_by"], "auto");
}

pub async fn manual_resolve_resets_failure_count(store: Arc<dyn Store>) {
    let (_, ep) = setup(&store, 60).await;
    let mut now = T0 + 60_000;
    for _ in 0..2 {
        run_slot(&store, now, false).await;
        now += 60_000;
    }
    let inc = store
        .list_incidents(IncidentFilter::default(), Page::default())
        .await
        .expect("list")
        .items
        .remove(0);
    let resolved = store.resolve_incident(inc.id, now).await.expect("resolve");
    assert_eq!(
        (resolved.status, resolved.resolved_by, resolved.resolved_at),
        (
            IncidentStatus::Resolved,
            Some(ResolvedBy::Manual),
            Some(now)
        )
    );
    assert!(matches!(
        store.resolve_incident(inc.id, now).await,
        Err(StoreError::Conflict(_))
    ));
    // Failures go on: a new incident opens only after alert_threshold (2) more.
    assert_eq!(run_slot(&store, now, false).await.incidents_opened, 0);
    assert_eq!(
        run_slot(&store, now + 60_000, false).await.incidents_opened,
        1
    );
    let all = store
        .list_incidents(
            IncidentFilter {
                endpoint_id: Some(ep.id),
                status: None,
                heartbeat_id: None,
            },
            Page::default(),
        )
        .await
        .expect("list")
        .items;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].status, IncidentStatus::Open, "newest first");
    let kinds: Vec<String> = store
        .list_events(0, 10)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.payload.kind().as_str().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["incident_start", "incident_resolved", "incident_start"]
    );
}

/// Pausing (disabling) a failing endpoint resolves its open incident (`resolved_by: paused`, with an
/// `incident_resolved` event) and starts its health afresh; after it resumes, a new outage opens a new
/// incident. Before, the incident stayed open and the endpoint kept showing its last health.
pub async fn pausing_a_failing_endpoint_resolves_its_incident(store: Arc<dyn Store>) {
    let (_, ep) = setup(&store, 60).await;
    let mut now = T0 + 60_000;
    for _ in 0..2 {
        run_slot(&store, now, false).await;
        now += 60_000;
    }
    // A check already running when the endpoint is paused: its result is kept, but it opens nothing.
    let in_flight = store
        .claim_slots(&claim("w", now))
        .await
        .expect("claim")
        .remove(0);
    let paused = store
        .update_endpoint(
            ep.id,
            EndpointInput {
                enabled: Some(false),
                ..Default::default()
            },
            now,
        )
        .await
        .expect("pause");
    assert!(!paused.spec.enabled);
    assert_eq!(
        (paused.status, paused.consecutive_failures),
        (Status::Unknown, 0)
    );
    let incidents = |store: Arc<dyn Store>| async move {
        store
            .list_incidents(IncidentFilter::default(), Page::default())
            .await
            .expect("incidents")
            .items
    };
    let first = incidents(store.clone()).await;
    assert_eq!(
        (first[0].status, first[0].resolved_by, first[0].resolved_at),
        (
            IncidentStatus::Resolved,
            Some(ResolvedBy::Paused),
            Some(now)
        )
    );
    store
        .complete_slots(
            "w",
            REGION,
            &[Completion {
                schedule_pk: in_flight.schedule_pk,
                endpoint_pk: in_flight.endpoint_pk,
                slot: in_flight.slot,
                next_slot: in_flight.slot + 60_000,
                ping: Some(record(in_flight.slot, false)),
            }],
        )
        .await
        .expect("late result");
    assert_eq!(
        incidents(store.clone()).await.len(),
        1,
        "a result arriving after the pause opens no incident"
    );
    let still = store.get_endpoint(ep.id).await.expect("endpoint");
    assert_eq!(
        (still.status, still.consecutive_failures),
        (Status::Unknown, 0)
    );
    let events = store.list_events(0, 10).await.expect("events");
    let last = json(&events.last().expect("event").payload);
    assert_eq!(
        (events.len(), last["resolved_by"].as_str()),
        (2, Some("paused"))
    );
    assert!(
        store
            .claim_slots(&claim("w", now + 600_000))
            .await
            .expect("claim")
            .is_empty(),
        "a paused endpoint is not checked"
    );
    // Resumed: failures count afresh and a new outage is a new incident.
    now += 60_000;
    store
        .update_endpoint(
            ep.id,
            EndpointInput {
                enabled: Some(true),
                ..Default::default()
            },
            now,
        )
        .await
        .expect("resume");
    let mut opened = 0;
    for _ in 0..2 {
        now += 60_000;
        opened += run_slot(&store, now, false).await.incidents_opened;
    }
    assert_eq!(opened, 1);
    let all = incidents(store.clone()).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].status, IncidentStatus::Open);
}
