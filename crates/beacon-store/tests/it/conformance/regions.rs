//! Conformance of regions: the default one checks every endpoint so far; names are unique and validated.

use super::*;

pub async fn regions_are_named_once(store: Arc<dyn Store>) {
    setup(&store, 60).await;
    let listed = store.list_regions().await.expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|r| (r.name.as_str(), r.endpoints))
            .collect::<Vec<_>>(),
        [("default", 1)]
    );
    let eu = store.create_region(" eu-west ").await.expect("create");
    assert_eq!((eu.name.as_str(), eu.endpoints), ("eu-west", 0));
    assert!(matches!(
        store.create_region("eu-west").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_region("EU West").await,
        Err(StoreError::Invalid(e)) if e.field == "name"
    ));
    store.create_region("us-east").await.expect("another");
    let names: Vec<String> = store
        .list_regions()
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["default", "eu-west", "us-east"]);
}

/// One holder at a time per duty; renewed by its holder; taken over once expired; given up on release.
pub async fn leader_leases_have_one_holder(store: Arc<dyn Store>) {
    let ttl = 10_000;
    assert!(
        store
            .hold_lease("cleanup", "a", T0, ttl)
            .await
            .expect("a takes")
    );
    assert!(
        !store
            .hold_lease("cleanup", "b", T0 + 1, ttl)
            .await
            .expect("b waits")
    );
    assert!(
        store
            .hold_lease("storage", "b", T0 + 1, ttl)
            .await
            .expect("another duty is free")
    );
    assert!(
        store
            .hold_lease("cleanup", "a", T0 + 5_000, ttl)
            .await
            .expect("a renews")
    );
    assert!(
        !store
            .hold_lease("cleanup", "b", T0 + 12_000, ttl)
            .await
            .expect("renewed: still a's")
    );
    // a stops renewing (it died): b takes over once the lease has run out, and a is then refused.
    assert!(
        store
            .hold_lease("cleanup", "b", T0 + 15_000, ttl)
            .await
            .expect("b takes over")
    );
    assert!(
        !store
            .hold_lease("cleanup", "a", T0 + 15_001, ttl)
            .await
            .expect("a refused")
    );
    // Released on shutdown: free at once.
    store
        .release_lease("cleanup", "a")
        .await
        .expect("not a's: nothing");
    assert!(
        !store
            .hold_lease("cleanup", "a", T0 + 15_002, ttl)
            .await
            .expect("still b's")
    );
    store
        .release_lease("cleanup", "b")
        .await
        .expect("b gives up");
    assert!(
        store
            .hold_lease("cleanup", "a", T0 + 15_003, ttl)
            .await
            .expect("a takes again")
    );
}

/// Complete the slot of `region` due at `now` for the one endpoint there with a result.
async fn run_in(store: &Arc<dyn Store>, region: i32, now: i64, ok: bool) -> CompleteReport {
    let owner = format!("w{region}");
    let claimed = store
        .claim_slots(&Claim {
            region_pk: region,
            ..claim(&owner, now)
        })
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "one slot of region {region} due at {now}");
    let c = &claimed[0];
    store
        .complete_slots(
            &owner,
            region,
            &[Completion {
                schedule_pk: c.schedule_pk,
                endpoint_pk: c.endpoint_pk,
                slot: c.slot,
                next_slot: c.slot + c.spec.interval_ms(),
                ping: Some(record(c.slot, ok)),
            }],
        )
        .await
        .expect("complete")
}

/// An endpoint checked from two regions with a quorum of two: one region down opens nothing, both do; one
/// recovering resolves it. Each region keeps its own health; unknown regions and quorums above the number of
/// regions are refused without writing anything.
pub async fn incidents_follow_the_regional_quorum(store: Arc<dyn Store>) {
    let svc = store.create_service("api", "", T0).await.expect("svc");
    store.create_region("eu-west").await.expect("eu");
    store.create_region("us-east").await.expect("us");
    let regions = |names: &[&str], k: i64| EndpointInput {
        regions: Some(names.iter().map(|n| n.to_string()).collect()),
        alert_regions: Some(k),
        alert_threshold: Some(1),
        recovery_threshold: Some(1),
        ..Default::default()
    };
    let bad = spec(60)
        .apply(regions(&["eu-west", "mars"], 1))
        .expect("valid names");
    assert!(matches!(
        store.create_endpoint(svc.id, &bad, T0).await,
        Err(StoreError::Invalid(e)) if e.field == "regions" && e.message.contains("mars")
    ));
    assert!(
        store
            .list_endpoints(None, Page::default())
            .await
            .expect("list")
            .items
            .is_empty(),
        "nothing stored"
    );
    let ep = store
        .create_endpoint(
            svc.id,
            &spec(60)
                .apply(regions(&["eu-west", "us-east"], 2))
                .expect("spec"),
            T0,
        )
        .await
        .expect("endpoint");
    let got = store.get_endpoint(ep.id).await.expect("get");
    assert_eq!(got.spec.regions, ["eu-west", "us-east"]);
    assert_eq!(got.spec.alert_regions, 2);
    let (eu, us) = (2, 3);
    let slot = got.next_check_at.expect("scheduled");
    // eu fails: that region sees it down; no incident with a quorum of two.
    let r = run_in(&store, eu, slot, false).await;
    assert_eq!((r.inserted, r.incidents_opened), (1, 0));
    let states = store.endpoint_regions(ep.id).await.expect("regions");
    assert_eq!(
        states
            .iter()
            .map(|s| (s.region.as_str(), s.status))
            .collect::<Vec<_>>(),
        [("eu-west", Status::Down), ("us-east", Status::Unknown)]
    );
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("get").status,
        Status::Up
    );
    // us fails the same slot: two regions down, the incident opens.
    let r = run_in(&store, us, slot, false).await;
    assert_eq!(r.incidents_opened, 1);
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("get").status,
        Status::Down
    );
    // The next slot: eu recovers, below the quorum: resolved.
    let r = run_in(&store, eu, slot + 60_000, true).await;
    assert_eq!(r.incidents_resolved, 1);
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("get").status,
        Status::Up
    );
    // Pings carry their region.
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
    let mut seen: Vec<&str> = pings.iter().map(|p| p.region.as_str()).collect();
    seen.sort();
    assert_eq!(seen, ["eu-west", "eu-west", "us-east"]);
    // Dropping a region keeps the other's stream; a quorum larger than what is left is refused by the spec.
    let changed = store
        .update_endpoint(ep.id, regions(&["us-east"], 1), T0 + 1)
        .await
        .expect("update");
    assert_eq!(changed.spec.regions, ["us-east"]);
    assert_eq!(
        store.endpoint_regions(ep.id).await.expect("regions").len(),
        1
    );
    assert!(matches!(
        store
            .update_endpoint(ep.id, EndpointInput { alert_regions: Some(2), ..Default::default() }, T0 + 2)
            .await,
        Err(StoreError::Invalid(e)) if e.field == "alert_regions"
    ));
    // Only schedules of the region named belong to it (a worker of eu cannot store us's results).
    let us_slot = store
        .claim_slots(&Claim {
            region_pk: us,
            ..claim("x", slot + 120_000)
        })
        .await
        .expect("claim");
    let pair = (us_slot[0].schedule_pk, us_slot[0].endpoint_pk);
    assert!(
        store
            .schedules_in_region(eu, &[pair])
            .await
            .expect("eu")
            .is_empty()
    );
    assert!(
        store
            .schedules_in_region(us, &[pair])
            .await
            .expect("us")
            .contains(&pair.0)
    );
    assert!(
        store
            .schedules_in_region(us, &[(pair.0, pair.1 + 1)])
            .await
            .expect("wrong endpoint")
            .is_empty()
    );
}

/// Worker tokens carry their region; workers are listed as they last reported and forgotten later.
pub async fn worker_tokens_and_reports(store: Arc<dyn Store>) {
    store.create_region("eu-west").await.expect("eu");
    let new = beacon_core::token::generate(Uuid::new_v4(), [7; 32]);
    assert!(matches!(
        store.create_worker_token("probe", "mars", &new, T0).await,
        Err(StoreError::Invalid(e)) if e.field == "region"
    ));
    let t = store
        .create_worker_token("probe", "eu-west", &new, T0)
        .await
        .expect("token");
    assert_eq!(
        (t.scope, t.region.as_deref()),
        (beacon_core::token::Scope::Worker, Some("eu-west"))
    );
    let creds = store
        .token_credentials(new.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(creds.region.as_deref(), Some("eu-west"));
    let listed = store.list_tokens().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].region.as_deref(), Some("eu-west"));
    let mut report = WorkerReport {
        instance: "i-1".into(),
        name: "probe-1".into(),
        region: "eu-west".into(),
        version: "0.1.0".into(),
        address: "127.0.0.1".into(),
        connected_at: T0,
        last_seen_at: T0,
        in_flight: 3,
        checks_per_minute: 600,
        pending: 0,
    };
    store.record_worker(&report).await.expect("record");
    report.last_seen_at = T0 + 5_000;
    report.in_flight = 1;
    store.record_worker(&report).await.expect("update");
    let workers = store.list_workers(T0).await.expect("list");
    assert_eq!(workers, [report.clone()]);
    assert!(
        store
            .list_workers(T0 + 6_000)
            .await
            .expect("later")
            .is_empty()
    );
    assert_eq!(store.forget_workers(T0 + 6_000).await.expect("forget"), 1);
    // Worker certificates: recorded with their region, found by fingerprint.
    let cert = WorkerCert {
        fingerprint: [9; 32],
        name: "probe-1".into(),
        region: "eu-west".into(),
        created_at: T0,
        expires_at: T0 + 86_400_000,
        revoked_at: None,
    };
    store.add_worker_cert(&cert).await.expect("add");
    assert_eq!(
        store.worker_cert(&[9; 32]).await.expect("read"),
        Some(cert.clone())
    );
    assert_eq!(store.worker_cert(&[8; 32]).await.expect("read"), None);
    assert_eq!(
        store
            .revoke_worker_certs("probe-1", T0 + 1)
            .await
            .expect("revoke"),
        1
    );
    assert_eq!(
        store
            .revoke_worker_certs("probe-1", T0 + 2)
            .await
            .expect("again"),
        0
    );
    assert_eq!(
        store
            .worker_cert(&[9; 32])
            .await
            .expect("read")
            .and_then(|c| c.revoked_at),
        Some(T0 + 1)
    );
    assert!(matches!(
        store.add_worker_cert(&WorkerCert { fingerprint: [1; 32], region: "mars".into(), ..cert }).await,
        Err(StoreError::Invalid(e)) if e.field == "region"
    ));
    assert!(store.list_workers(0).await.expect("all").is_empty());
}
