//! Store behaviour every backend must show.

use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_core::incident::Status;
use beacon_core::ping::{ErrorKind, Observation, PingRecord, Timings};
use beacon_store::*;
use std::sync::Arc;
use uuid::Uuid;

const T0: i64 = 1_800_000_000_000;
const REGION: i32 = 1;

fn spec(interval: i64) -> EndpointSpec {
    EndpointSpec::create(EndpointInput {
        name: Some("health".into()),
        url: Some("http://127.0.0.1:9/health".into()),
        interval_seconds: Some(interval),
        alert_threshold: Some(2),
        recovery_threshold: Some(2),
        ..Default::default()
    })
    .expect("valid spec")
}

fn claim(owner: &str, now: i64) -> Claim<'_> {
    Claim {
        owner,
        region_pk: REGION,
        now,
        horizon: now,
        limit: 1000,
        lease_margin_ms: 5_000,
    }
}

fn record(slot: i64, ok: bool) -> PingRecord {
    PingRecord {
        scheduled_at: slot,
        started_at: slot + 7,
        observation: Observation {
            status_code: Some(if ok { 200 } else { 500 }),
            timings: Timings {
                dns_us: None,
                connect_us: Some(120),
                tls_us: None,
                first_byte_us: Some(900),
                total_us: 1_000,
            },
            failure: (!ok).then(|| (ErrorKind::Status, "unexpected status 500".to_owned())),
        },
    }
}

/// Claim the single endpoint's due slot at `now` and complete it with a result.
async fn run_slot(store: &Arc<dyn Store>, now: i64, ok: bool) -> CompleteReport {
    let claimed = store.claim_slots(&claim("w", now)).await.expect("claim");
    assert_eq!(claimed.len(), 1, "one slot due at {now}");
    let c = &claimed[0];
    let next = c.slot + c.spec.interval_ms();
    store
        .complete_slots(
            "w",
            REGION,
            &[Completion {
                schedule_pk: c.schedule_pk,
                endpoint_pk: c.endpoint_pk,
                slot: c.slot,
                next_slot: next,
                ping: Some(record(c.slot, ok)),
            }],
        )
        .await
        .expect("complete")
}

async fn setup(store: &Arc<dyn Store>, interval: i64) -> (Service, Endpoint) {
    let svc = store
        .create_service("Production API", "Main", T0)
        .await
        .expect("service");
    let ep = store
        .create_endpoint(svc.id, &spec(interval), T0)
        .await
        .expect("endpoint");
    (svc, ep)
}

pub async fn services_crud_and_guarded_delete(store: Arc<dyn Store>) {
    let svc = store
        .create_service("  API ", "desc", T0)
        .await
        .expect("create");
    assert_eq!(svc.name, "API");
    assert!(
        matches!(store.create_service(" ", "", T0).await, Err(StoreError::Invalid(e)) if e.field == "name")
    );
    let updated = store
        .update_service(svc.id, Some("API v2"), None, T0 + 5)
        .await
        .expect("update");
    assert_eq!(
        (
            updated.name.as_str(),
            updated.description.as_str(),
            updated.updated_at
        ),
        ("API v2", "desc", T0 + 5)
    );
    assert_eq!(store.get_service(svc.id).await.expect("get"), updated);
    assert_eq!(
        store
            .list_services(Page::default())
            .await
            .expect("list")
            .items,
        vec![updated.clone()]
    );

    store
        .create_endpoint(svc.id, &spec(60), T0)
        .await
        .expect("endpoint");
    store
        .create_endpoint(svc.id, &spec(60), T0)
        .await
        .expect("endpoint");
    match store.delete_service(svc.id, false).await {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("2 endpoint"), "{msg}"),
        other => panic!("expected conflict, got {other:?}"),
    }
    assert_eq!(
        store
            .list_endpoints(None, Page::default())
            .await
            .expect("list")
            .items
            .len(),
        2,
        "refused delete removed nothing"
    );
    store
        .delete_service(svc.id, true)
        .await
        .expect("cascade delete");
    assert!(
        store
            .list_services(Page::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(
        store
            .list_endpoints(None, Page::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
}

pub async fn endpoints_crud_and_reschedule(store: Arc<dyn Store>) {
    let (svc, ep) = setup(&store, 60).await;
    let got = store.get_endpoint(ep.id).await.expect("get");
    assert_eq!(got, ep);
    assert_eq!(got.status, Status::Unknown);
    assert_eq!(
        store
            .list_endpoints(Some(svc.id), Page::default())
            .await
            .expect("list")
            .items,
        vec![ep.clone()]
    );

    let changed = store
        .update_endpoint(
            ep.id,
            EndpointInput {
                interval_seconds: Some(10),
                timeout_seconds: Some(2.5),
                ..Default::default()
            },
            T0 + 1,
        )
        .await
        .expect("update");
    assert_eq!(
        (changed.spec.interval_seconds, changed.spec.timeout_ms),
        (10, 2_500)
    );
    assert_eq!(
        store.get_endpoint(ep.id).await.expect("get").spec,
        changed.spec
    );
    // The new 10 s grid applies at once: a slot is due within 10 s of the change.
    let due = store
        .claim_slots(&claim("w", T0 + 11_000))
        .await
        .expect("claim");
    assert_eq!(due.len(), 1);
    assert!(
        due[0].slot > T0 && due[0].slot < T0 + 11_001,
        "slot {}",
        due[0].slot - T0
    );
    assert_eq!(
        due[0].spec.timeout_ms, 2_500,
        "claims carry the current config"
    );

    // An invalid change is refused as a whole.
    let err = store
        .update_endpoint(
            ep.id,
            EndpointInput {
                interval_seconds: Some(2),
                ..Default::default()
            },
            T0 + 2,
        )
        .await
        .expect_err("timeout > interval");
    assert!(
        matches!(err, StoreError::Invalid(ref e) if e.field == "timeout"),
        "{err}"
    );
    assert_eq!(
        store
            .get_endpoint(ep.id)
            .await
            .expect("get")
            .spec
            .interval_seconds,
        10
    );

    store.delete_endpoint(ep.id).await.expect("delete");
    assert!(
        store
            .list_endpoints(None, Page::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(
        store
            .claim_slots(&claim("w", T0 + 3_600_000))
            .await
            .expect("claim")
            .is_empty()
    );
}

pub async fn unknown_ids_are_not_found(store: Arc<dyn Store>) {
    let id = Uuid::new_v4();
    let nf = |r: Result<(), StoreError>| matches!(r, Err(StoreError::NotFound { id: got, .. }) if got == id);
    assert!(nf(store.get_service(id).await.map(|_| ())));
    assert!(nf(store.delete_service(id, true).await));
    assert!(nf(store
        .update_service(id, Some("x"), None, T0)
        .await
        .map(|_| ())));
    assert!(nf(store
        .create_endpoint(id, &spec(60), T0)
        .await
        .map(|_| ())));
    assert!(nf(store.get_endpoint(id).await.map(|_| ())));
    assert!(nf(store
        .update_endpoint(id, EndpointInput::default(), T0)
        .await
        .map(|_| ())));
    assert!(nf(store.delete_endpoint(id).await));
    assert!(nf(store
        .list_pings(
            id,
            PingQuery {
                limit: 10,
                failed_only: false,
                before: None
            }
        )
        .await
        .map(|_| ())));
    assert!(nf(store.get_incident(id).await.map(|_| ())));
    assert!(nf(store.resolve_incident(id, T0).await.map(|_| ())));
    assert!(nf(store
        .list_endpoints(Some(id), Page::default())
        .await
        .map(|_| ())));
}

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

pub async fn lists_page_with_cursors(store: Arc<dyn Store>) {
    let svc = store.create_service("s", "", T0).await.expect("service");
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            store
                .create_endpoint(svc.id, &spec(60), T0)
                .await
                .expect("endpoint")
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut page = Page {
        after: None,
        limit: Some(2),
    };
    loop {
        let got = store
            .list_endpoints(Some(svc.id), page)
            .await
            .expect("page");
        assert!(got.items.len() <= 2);
        seen.extend(got.items.iter().map(|e| e.id));
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every endpoint once, in creation order");
    let all = store
        .list_services(Page {
            after: None,
            limit: Some(1),
        })
        .await
        .expect("services");
    assert_eq!(all.items.len(), 1);
    assert!(
        store
            .list_services(Page {
                after: all.next,
                limit: Some(1)
            })
            .await
            .expect("page")
            .items
            .is_empty()
    );

    // Pings page backwards in time with `before`.
    store.delete_service(svc.id, true).await.expect("cleanup");
    let (_, ep) = setup(&store, 60).await;
    for i in 1..=5 {
        run_slot(&store, T0 + 60_000 * i, true).await;
    }
    let first = store
        .list_pings(
            ep.id,
            PingQuery {
                limit: 3,
                failed_only: false,
                before: None,
            },
        )
        .await
        .expect("pings");
    let rest = store
        .list_pings(
            ep.id,
            PingQuery {
                limit: 3,
                failed_only: false,
                before: Some(first[2].scheduled_at),
            },
        )
        .await
        .expect("pings");
    assert_eq!((first.len(), rest.len()), (3, 2));
    assert!(rest[0].scheduled_at < first[2].scheduled_at);
}

pub async fn tokens_bootstrap_once_and_revoke(store: Arc<dyn Store>) {
    use beacon_core::token::{self, Scope};
    let boot = token::generate(Uuid::new_v4(), [1; 32]);
    let rival = token::generate(Uuid::new_v4(), [2; 32]);
    let (a, b) = tokio::join!(
        store.create_bootstrap_token(&boot, T0),
        store.create_bootstrap_token(&rival, T0)
    );
    assert_eq!(
        [a.expect("bootstrap"), b.expect("bootstrap")]
            .iter()
            .filter(|c| **c)
            .count(),
        1,
        "exactly one bootstrap token"
    );
    let ci = token::generate(Uuid::new_v4(), [3; 32]);
    let created = store
        .create_token("ci", Scope::Read, &ci, None, T0)
        .await
        .expect("create");
    assert_eq!((created.name.as_str(), created.scope), ("ci", Scope::Read));
    let creds = store
        .token_credentials(ci.id)
        .await
        .expect("creds")
        .expect("exists");
    assert_eq!((creds.scope, creds.revoked), (Scope::Read, false));
    assert!(token::hashes_match(&creds.secret_hash, &ci.secret_hash));
    assert_eq!(store.list_tokens().await.expect("list").len(), 2);
    let revoked = store.revoke_token(ci.id, T0 + 1).await.expect("revoke");
    assert_eq!(revoked.revoked_at, Some(T0 + 1));
    assert!(
        store
            .token_credentials(ci.id)
            .await
            .expect("creds")
            .expect("exists")
            .revoked
    );
    assert!(matches!(
        store.revoke_token(ci.id, T0 + 2).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.revoke_token(Uuid::new_v4(), T0).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        store
            .token_credentials(Uuid::new_v4())
            .await
            .expect("creds")
            .is_none()
    );
    // Even after every token is revoked, a second bootstrap never happens.
    assert!(
        !store
            .create_bootstrap_token(&token::generate(Uuid::new_v4(), [4; 32]), T0)
            .await
            .expect("again")
    );
}

async fn webhook_for(store: &Arc<dyn Store>, service: Uuid, events: &[&str]) -> Webhook {
    use beacon_core::endpoint::CheckUrl;
    use beacon_core::webhook::WebhookSecret;
    store
        .create_webhook(
            service,
            &WebhookSpec {
                url: CheckUrl::parse("http://127.0.0.1:9/hook").expect("url"),
                events: events.iter().map(|e| e.to_string()).collect(),
                secret: WebhookSecret::generate([3; 24]),
                headers: vec![],
            },
            T0,
        )
        .await
        .expect("webhook")
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

/// An event's payload as the JSON it is stored as.
fn json(payload: &beacon_core::event::Payload) -> serde_json::Value {
    serde_json::to_value(payload).expect("payload serialises")
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

mod deliveries;
mod heartbeats;

pub use deliveries::*;
pub use heartbeats::*;
mod users;
pub use users::*;
mod publishing;
pub use publishing::*;
mod regions;
pub use regions::*;
