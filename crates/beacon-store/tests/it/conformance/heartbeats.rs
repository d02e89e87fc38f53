//! Conformance of heartbeats: keys, the batched intake, every status transition, incidents and events, pause
//! and resume, pruning.

use super::*;

/// Heartbeats: keys, batched intake, every status transition through pings and the evaluator, incidents and
/// events, run durations with run ids, pause/resume, logs, pruning, slug conflicts.
pub async fn heartbeats_intake_transitions_and_incidents(store: Arc<dyn Store>) {
    use beacon_core::heartbeat::{HbStatus, HeartbeatInput, HeartbeatSpec, PingKind};
    use beacon_core::token::{generate_ping_key, hash_ping_key};
    let svc = store.create_service("jobs", "", T0).await.expect("service");
    let spec = HeartbeatSpec::create(HeartbeatInput {
        name: Some("backup".into()),
        period_seconds: Some(60),
        grace_seconds: Some(30),
        ..Default::default()
    })
    .expect("spec");
    let (key, key_hash) = generate_ping_key([7; 24]);
    let hb = store
        .create_heartbeat(svc.id, "backup", &spec, &key_hash, T0)
        .await
        .expect("create");
    assert_eq!((hb.status, hb.slug.as_str()), (HbStatus::New, "backup"));
    assert!(matches!(
        store
            .create_heartbeat(svc.id, "backup", &spec, &key_hash, T0)
            .await,
        Err(StoreError::Conflict(_))
    ));
    webhook_for(&store, svc.id, &["heartbeat_down", "heartbeat_up"]).await;
    let ping = |target: HeartbeatRef, key: Option<&str>, kind: PingKind, at: i64| IncomingPing {
        target,
        key_hash: key.map(hash_ping_key),
        kind,
        rid: None,
        client_status: Some("up".into()),
        body: Some(format!("at {at}")),
        metadata: None,
        received_at: at,
        url_authenticated: false,
    };
    let by_id = HeartbeatRef::Id(hb.id);
    let by_slug = HeartbeatRef::Slug("backup".into());
    let outcomes = store
        .record_heartbeat_pings(&[
            ping(by_id.clone(), Some(&key), PingKind::Success, T0 + 1_000),
            ping(
                by_slug.clone(),
                Some("hbk_wrong"),
                PingKind::Success,
                T0 + 1_001,
            ),
            ping(by_slug.clone(), None, PingKind::Success, T0 + 1_002),
            ping(
                HeartbeatRef::Slug("nope".into()),
                Some(&key),
                PingKind::Success,
                T0 + 1_003,
            ),
            ping(
                HeartbeatRef::Id(Uuid::new_v4()),
                Some(&key),
                PingKind::Success,
                T0 + 1_004,
            ),
            ping(by_slug.clone(), Some(&key), PingKind::Log, T0 + 1_005),
        ])
        .await
        .expect("record");
    assert_eq!(
        outcomes,
        [
            PingOutcome::Accepted,
            PingOutcome::Unauthorized,
            PingOutcome::Unauthorized,
            PingOutcome::NotFound,
            PingOutcome::NotFound,
            PingOutcome::Accepted,
        ]
    );
    let pings = store.list_heartbeat_pings(hb.id, 10).await.expect("pings");
    assert_eq!(
        pings.iter().map(|p| p.kind.as_str()).collect::<Vec<_>>(),
        ["log", "success"],
        "only accepted pings are stored, newest first"
    );
    let got = store.get_heartbeat(&by_slug).await.expect("get");
    assert_eq!(got.status, HbStatus::Up);
    assert_eq!(got.last_ping_at, Some(T0 + 1_005));
    assert_eq!(got.next_check_at, Some(T0 + 61_001), "due after the period");

    // Nothing is due before then; late after the period, down after the grace.
    assert_eq!(
        store
            .evaluate_heartbeats(T0 + 61_000, 100, T0)
            .await
            .expect("eval"),
        0
    );
    assert_eq!(
        store
            .evaluate_heartbeats(T0 + 61_001, 100, T0)
            .await
            .expect("eval"),
        1
    );
    assert_eq!(
        store.get_heartbeat(&by_id).await.expect("get").status,
        HbStatus::Late
    );
    assert_eq!(
        store
            .evaluate_heartbeats(T0 + 91_001, 100, T0)
            .await
            .expect("eval"),
        1
    );
    let down = store.get_heartbeat(&by_id).await.expect("get");
    assert_eq!((down.status, down.next_check_at), (HbStatus::Down, None));
    let open = store
        .list_incidents(
            IncidentFilter {
                status: Some(IncidentStatus::Open),
                endpoint_id: None,
                heartbeat_id: Some(hb.id),
            },
            Page::default(),
        )
        .await
        .expect("incidents")
        .items;
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].heartbeat_id, open[0].endpoint_id),
        (Some(hb.id), None)
    );
    assert!(open[0].cause.contains("no ping"), "{}", open[0].cause);

    // A run: start, then success with a run id → up again, duration recorded, incident resolved.
    let mut start = ping(by_id.clone(), Some(&key), PingKind::Start, T0 + 100_000);
    start.rid = Some("run-1".into());
    let mut done = ping(by_id.clone(), Some(&key), PingKind::Success, T0 + 104_500);
    done.rid = Some("run-1".into());
    store.record_heartbeat_pings(&[start]).await.expect("start");
    assert_eq!(
        store.get_heartbeat(&by_id).await.expect("get").status,
        HbStatus::Started
    );
    store.record_heartbeat_pings(&[done]).await.expect("done");
    let up = store.get_heartbeat(&by_id).await.expect("get");
    assert_eq!(up.status, HbStatus::Up);
    let pings = store.list_heartbeat_pings(hb.id, 1).await.expect("pings");
    assert_eq!(pings[0].duration_ms, Some(4_500));
    let resolved = store.get_incident(open[0].id).await.expect("incident");
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    let kinds: Vec<String> = store
        .list_events(0, 100)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.payload.kind().as_str().to_owned())
        .collect();
    assert_eq!(kinds, ["heartbeat_down", "heartbeat_up"]);
    assert_eq!(
        store
            .list_deliveries(None, None)
            .await
            .expect("deliveries")
            .len(),
        2,
        "both went to the subscribed webhook"
    );
    // A failure (exit status 3) is down at once; a started run that overruns its grace is down.
    store
        .record_heartbeat_pings(&[ping(
            by_id.clone(),
            Some(&key),
            PingKind::Exit(3),
            T0 + 110_000,
        )])
        .await
        .expect("fail");
    let failed = store.get_heartbeat(&by_id).await.expect("get");
    assert_eq!(failed.status, HbStatus::Down);
    assert_eq!(
        store.list_heartbeat_pings(hb.id, 1).await.expect("p")[0].exit_status,
        Some(3)
    );
    store
        .record_heartbeat_pings(&[
            ping(by_id.clone(), Some(&key), PingKind::Success, T0 + 120_000),
            ping(by_id.clone(), Some(&key), PingKind::Start, T0 + 121_000),
        ])
        .await
        .expect("start");
    assert_eq!(
        store
            .evaluate_heartbeats(T0 + 151_000, 100, T0)
            .await
            .expect("eval"),
        0
    );
    assert_eq!(
        store
            .evaluate_heartbeats(T0 + 151_001, 100, T0)
            .await
            .expect("eval"),
        1
    );
    let overran = store.get_heartbeat(&by_id).await.expect("get");
    assert_eq!(overran.status, HbStatus::Down);
    // Resolving a heartbeat's incident by hand writes heartbeat_up (resolved_by: manual) and nothing else.
    let open = store
        .list_incidents(
            IncidentFilter {
                status: Some(IncidentStatus::Open),
                endpoint_id: None,
                heartbeat_id: Some(hb.id),
            },
            Page::default(),
        )
        .await
        .expect("incidents")
        .items;
    let resolved = store
        .resolve_incident(open[0].id, T0 + 152_000)
        .await
        .expect("resolve");
    assert_eq!(
        (resolved.status, resolved.resolved_by),
        (IncidentStatus::Resolved, Some(ResolvedBy::Manual))
    );
    let last = store
        .list_events(0, 100)
        .await
        .expect("events")
        .pop()
        .expect("event");
    assert_eq!(last.payload.kind().as_str(), "heartbeat_up");
    assert_eq!(json(&last.payload)["resolved_by"], "manual");
    assert_eq!(
        json(&last.payload)["heartbeat_id"],
        serde_json::json!(hb.id)
    );
    let log = store.list_heartbeat_log(&by_slug, 100).await.expect("log");
    let steps: Vec<(String, String)> = log
        .iter()
        .rev()
        .map(|l| (l.from.clone(), l.to.clone()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("new", "up"),
        ("up", "late"),
        ("late", "down"),
        ("down", "started"),
        ("started", "up"),
        ("up", "down"),
        ("down", "up"),
        ("up", "started"),
        ("started", "down"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(steps, expected);

    // Pause silences; resume starts afresh; a ping resumes too.
    let paused = store
        .set_heartbeat_paused(hb.id, true, T0 + 200_000)
        .await
        .expect("pause");
    assert_eq!(
        (paused.status, paused.next_check_at),
        (HbStatus::Paused, None)
    );
    let resumed = store
        .set_heartbeat_paused(hb.id, false, T0 + 201_000)
        .await
        .expect("resume");
    assert_eq!(resumed.status, HbStatus::New);
    store
        .set_heartbeat_paused(hb.id, true, T0 + 202_000)
        .await
        .expect("pause");
    store
        .record_heartbeat_pings(&[ping(
            by_id.clone(),
            Some(&key),
            PingKind::Success,
            T0 + 203_000,
        )])
        .await
        .expect("ping");
    assert_eq!(
        store.get_heartbeat(&by_id).await.expect("get").status,
        HbStatus::Up
    );

    // Update the schedule: status is re-evaluated at once.
    let updated = store
        .update_heartbeat(
            hb.id,
            HeartbeatInput {
                cron: Some("0 3 * * *".into()),
                tz: Some("Europe/Berlin".into()),
                ..Default::default()
            },
            T0 + 204_000,
        )
        .await
        .expect("update");
    assert!(matches!(
        updated.spec.schedule,
        beacon_core::heartbeat::Schedule::Cron(_)
    ));
    assert_eq!(store.get_heartbeat(&by_id).await.expect("get"), updated);
    assert!(matches!(
        store
            .update_heartbeat(
                hb.id,
                HeartbeatInput {
                    cron: Some("61 * * * *".into()),
                    ..Default::default()
                },
                T0
            )
            .await,
        Err(StoreError::Invalid(_))
    ));

    // A new key: the old one stops working.
    let (new_key, new_hash) = generate_ping_key([9; 24]);
    store
        .set_heartbeat_key(hb.id, &new_hash, None, T0 + 205_000)
        .await
        .expect("rotate");
    let outcomes = store
        .record_heartbeat_pings(&[
            ping(by_id.clone(), Some(&key), PingKind::Success, T0 + 206_000),
            ping(
                by_id.clone(),
                Some(&new_key),
                PingKind::Success,
                T0 + 206_001,
            ),
        ])
        .await
        .expect("record");
    assert_eq!(outcomes, [PingOutcome::Unauthorized, PingOutcome::Accepted]);
    let old_secret = store.get_heartbeat(&by_id).await.expect("get").ping_secret;
    assert_eq!(
        store
            .heartbeat_for_ping_url(old_secret, T0 + 206_002)
            .await
            .expect("lookup"),
        Some(hb.id)
    );

    // Rotated with grace: the old key and ping URL work until the grace ends, the new ones at once.
    let (newer_key, newer_hash) = generate_ping_key([10; 24]);
    let rotated = store
        .set_heartbeat_key(hb.id, &newer_hash, Some(T0 + 210_000), T0 + 207_000)
        .await
        .expect("rotate with grace");
    assert_ne!(rotated.ping_secret, old_secret);
    let outcomes = store
        .record_heartbeat_pings(&[
            ping(
                by_id.clone(),
                Some(&new_key),
                PingKind::Success,
                T0 + 209_000,
            ),
            ping(
                by_id.clone(),
                Some(&newer_key),
                PingKind::Success,
                T0 + 209_001,
            ),
            ping(
                by_id.clone(),
                Some(&new_key),
                PingKind::Success,
                T0 + 210_001,
            ),
        ])
        .await
        .expect("record");
    assert_eq!(
        outcomes,
        [
            PingOutcome::Accepted,
            PingOutcome::Accepted,
            PingOutcome::Unauthorized
        ]
    );
    for (secret, at, expected) in [
        (old_secret, T0 + 209_000, Some(hb.id)),
        (old_secret, T0 + 210_001, None),
        (rotated.ping_secret, T0 + 999_000, Some(hb.id)),
        (Uuid::new_v4(), T0, None),
        // The public id is not a ping URL secret.
        (hb.id, T0, None),
    ] {
        assert_eq!(
            store
                .heartbeat_for_ping_url(secret, at)
                .await
                .expect("lookup"),
            expected
        );
    }
    // A service's ping key names its heartbeats by slug.
    let ping_key = store.service_ping_key(svc.id).await.expect("ping key");
    assert_eq!(ping_key.len(), 22);
    assert_eq!(
        store
            .heartbeat_for_ping_slug(&ping_key, &hb.slug)
            .await
            .expect("slug"),
        Some((svc.id, Some(hb.id)))
    );
    assert_eq!(
        store
            .heartbeat_for_ping_slug(&ping_key, "nope")
            .await
            .expect("slug"),
        Some((svc.id, None))
    );
    assert_eq!(
        store
            .heartbeat_for_ping_slug("wrong-key", &hb.slug)
            .await
            .expect("slug"),
        None
    );

    // Retention: keep the newest N per heartbeat.
    let total = store
        .list_heartbeat_pings(hb.id, 1000)
        .await
        .expect("all")
        .len();
    assert!(total > 3);
    let deleted = prune_all(&store, 3).await;
    assert_eq!(deleted as usize, total - 3);
    let kept = store.list_heartbeat_pings(hb.id, 1000).await.expect("kept");
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0].received_at, T0 + 209_001, "the newest stay");

    let listed = store
        .list_heartbeats(Some(svc.id), Page::default())
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1);
    // Pruning goes through the heartbeats a few hundred at a time: every one of 205 more is reached.
    let mut many = Vec::new();
    for i in 0..205 {
        let h = store
            .create_heartbeat(svc.id, &format!("job-{i}"), &spec, &new_hash, T0)
            .await
            .expect("create");
        for n in 0..3 {
            many.push(ping(
                HeartbeatRef::Id(h.id),
                Some(&new_key),
                PingKind::Log,
                T0 + 300_000 + n,
            ));
        }
    }
    let outcomes = store.record_heartbeat_pings(&many).await.expect("record");
    assert!(outcomes.iter().all(|o| *o == PingOutcome::Accepted));
    assert_eq!(prune_all(&store, 2).await, 205 + 1);
    store.delete_heartbeat(hb.id).await.expect("delete");
    assert!(matches!(
        store.get_heartbeat(&by_id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_heartbeat(hb.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A whole pruning sweep, in small steps as the evaluator runs it; the number deleted.
pub async fn prune_all(store: &Arc<dyn Store>, keep: u32) -> u64 {
    let (mut after, mut deleted) = (0, 0);
    loop {
        let step = store
            .prune_heartbeat_pings(keep, after, 2)
            .await
            .expect("prune");
        deleted += step.deleted;
        match step.last {
            Some(last) => after = last,
            None => return deleted,
        }
    }
}

/// Pausing a down heartbeat resolves its incident (`resolved_by: paused`, with `heartbeat_up`), so after resuming
/// the next outage is a new incident with its own `heartbeat_down`; a ping while paused resumes it without an
/// event. Before, the old incident stayed open through pause and resume and swallowed the next outage.
pub async fn pausing_a_down_heartbeat_resolves_its_incident(store: Arc<dyn Store>) {
    use beacon_core::heartbeat::{HbStatus, HeartbeatInput, HeartbeatSpec, PingKind};
    use beacon_core::token::{generate_ping_key, hash_ping_key};
    let svc = store.create_service("jobs", "", T0).await.expect("service");
    let spec = HeartbeatSpec::create(HeartbeatInput {
        name: Some("backup".into()),
        period_seconds: Some(60),
        grace_seconds: Some(30),
        ..Default::default()
    })
    .expect("spec");
    let (key, key_hash) = generate_ping_key([9; 24]);
    let hb = store
        .create_heartbeat(svc.id, "backup", &spec, &key_hash, T0)
        .await
        .expect("create");
    webhook_for(&store, svc.id, &["heartbeat_down", "heartbeat_up"]).await;
    let ping = |kind: PingKind, at: i64| {
        let store = store.clone();
        let key = key.clone();
        async move {
            let ping = IncomingPing {
                target: HeartbeatRef::Id(hb.id),
                key_hash: Some(hash_ping_key(&key)),
                kind,
                rid: None,
                client_status: None,
                body: None,
                metadata: None,
                received_at: at,
                url_authenticated: false,
            };
            let out = store.record_heartbeat_pings(&[ping]).await.expect("ping");
            assert_eq!(out, [PingOutcome::Accepted]);
            store
                .get_heartbeat(&HeartbeatRef::Id(hb.id))
                .await
                .expect("get")
        }
    };
    let events = || async {
        store
            .list_events(0, 100)
            .await
            .expect("events")
            .into_iter()
            .map(|e| {
                let p = json(&e.payload);
                (
                    e.payload.kind().as_str().to_owned(),
                    p["incident_id"].as_str().unwrap_or_default().to_owned(),
                    p["resolved_by"].as_str().map(str::to_owned),
                )
            })
            .collect::<Vec<_>>()
    };
    let incidents = || async {
        store
            .list_incidents(
                IncidentFilter {
                    heartbeat_id: Some(hb.id),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .expect("incidents")
            .items
    };

    assert_eq!(
        ping(PingKind::Fail, T0 + 1_000).await.status,
        HbStatus::Down
    );
    let first = incidents().await;
    assert_eq!(first.len(), 1);
    let first_id = first[0].id.to_string();

    let paused = store
        .set_heartbeat_paused(hb.id, true, T0 + 2_000)
        .await
        .expect("pause");
    assert_eq!(paused.status, HbStatus::Paused);
    let after_pause = incidents().await;
    assert_eq!(
        (
            after_pause[0].status,
            after_pause[0].resolved_by,
            after_pause[0].resolved_at
        ),
        (
            IncidentStatus::Resolved,
            Some(ResolvedBy::Paused),
            Some(T0 + 2_000)
        )
    );
    assert_eq!(
        events().await,
        [
            ("heartbeat_down".to_owned(), first_id.clone(), None),
            (
                "heartbeat_up".to_owned(),
                first_id.clone(),
                Some("paused".to_owned())
            ),
        ]
    );

    // Resumed, pinged, then failing again: a new incident, and a second heartbeat_down.
    let resumed = store
        .set_heartbeat_paused(hb.id, false, T0 + 3_000)
        .await
        .expect("resume");
    assert_eq!(resumed.status, HbStatus::New);
    assert_eq!(
        ping(PingKind::Success, T0 + 4_000).await.status,
        HbStatus::Up
    );
    assert_eq!(
        events().await.len(),
        2,
        "up after a resume is not an incident's end"
    );
    assert_eq!(
        ping(PingKind::Fail, T0 + 5_000).await.status,
        HbStatus::Down
    );
    let second = incidents().await;
    assert_eq!(second.len(), 2);
    let open: Vec<_> = second
        .iter()
        .filter(|i| i.status == IncidentStatus::Open)
        .collect();
    assert_eq!(open.len(), 1, "the new outage opened its own incident");
    let second_id = open[0].id.to_string();
    assert_ne!(second_id, first_id);
    assert_eq!(
        events().await[2],
        ("heartbeat_down".to_owned(), second_id.clone(), None)
    );

    // Paused while down again, then a ping while paused: it resumes and counts, without an event.
    store
        .set_heartbeat_paused(hb.id, true, T0 + 6_000)
        .await
        .expect("pause");
    assert_eq!(
        events().await[3],
        (
            "heartbeat_up".to_owned(),
            second_id,
            Some("paused".to_owned())
        )
    );
    assert_eq!(
        ping(PingKind::Success, T0 + 7_000).await.status,
        HbStatus::Up
    );
    assert_eq!(events().await.len(), 4);
    assert!(
        incidents()
            .await
            .iter()
            .all(|i| i.status == IncidentStatus::Resolved)
    );
}

/// Beacon's own outage: a deadline that passed while Beacon could not take pings is held until a period and grace
/// after it resumed; no incident or event meanwhile; still silent after that, the heartbeat goes down once.
pub async fn deadlines_missed_during_beacons_outage_are_held(store: Arc<dyn Store>) {
    use beacon_core::heartbeat::{HbStatus, HeartbeatInput, HeartbeatSpec, PingKind};
    use beacon_core::token::{generate_ping_key, hash_ping_key};
    let svc = store.create_service("jobs", "", T0).await.expect("service");
    let spec = HeartbeatSpec::create(HeartbeatInput {
        name: Some("sync".into()),
        period_seconds: Some(60),
        grace_seconds: Some(30),
        ..Default::default()
    })
    .expect("spec");
    let (key, key_hash) = generate_ping_key([5; 24]);
    let hb = store
        .create_heartbeat(svc.id, "sync", &spec, &key_hash, T0)
        .await
        .expect("create");
    webhook_for(&store, svc.id, &["heartbeat_down", "heartbeat_up"]).await;
    let ping = IncomingPing {
        target: HeartbeatRef::Id(hb.id),
        key_hash: Some(hash_ping_key(&key)),
        kind: PingKind::Success,
        rid: None,
        client_status: None,
        body: None,
        metadata: None,
        received_at: T0 + 1_000,
        url_authenticated: false,
    };
    store.record_heartbeat_pings(&[ping]).await.expect("ping");
    // The database was away from T0+5s to T0+300s; the deadline (T0+91s) passed meanwhile.
    let resumed = T0 + 300_000;
    let by_id = HeartbeatRef::Id(hb.id);
    assert_eq!(
        store
            .evaluate_heartbeats(resumed, 100, resumed)
            .await
            .expect("eval"),
        1
    );
    let held = store.get_heartbeat(&by_id).await.expect("get");
    assert_eq!(held.status, HbStatus::Late);
    assert_eq!(held.next_check_at, Some(resumed + 90_001));
    assert!(store.list_events(0, 100).await.expect("events").is_empty());
    // Nothing due until then.
    assert_eq!(
        store
            .evaluate_heartbeats(resumed + 90_000, 100, resumed)
            .await
            .expect("eval"),
        0
    );
    store
        .evaluate_heartbeats(resumed + 90_001, 100, resumed)
        .await
        .expect("eval");
    assert_eq!(
        store.get_heartbeat(&by_id).await.expect("get").status,
        HbStatus::Down
    );
    let kinds: Vec<String> = store
        .list_events(0, 100)
        .await
        .expect("events")
        .iter()
        .map(|e| e.payload.kind().as_str().to_owned())
        .collect();
    assert_eq!(kinds, ["heartbeat_down"]);
}
