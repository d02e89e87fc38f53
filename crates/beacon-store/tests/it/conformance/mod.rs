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
        .create_token("ci", Scope::Read, &ci, T0)
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

pub async fn events_fan_out_to_subscribed_webhooks(store: Arc<dyn Store>) {
    use beacon_core::endpoint::CheckUrl;
    use beacon_core::webhook::WebhookSecret;
    let (svc, _) = setup(&store, 60).await;
    let other = store
        .create_service("other", "", T0)
        .await
        .expect("service");
    let spec = |events: &[&str]| WebhookSpec {
        url: CheckUrl::parse("https://hooks.example.com/beacon").expect("url"),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        secret: WebhookSecret::generate([9; 24]),
        headers: vec!["X-Team: sre".parse().expect("header")],
    };
    let starts = store
        .create_webhook(svc.id, &spec(&["incident_start"]), T0)
        .await
        .expect("webhook");
    let both = store
        .create_webhook(svc.id, &spec(&["incident_start", "incident_resolved"]), T0)
        .await
        .expect("webhook");
    let elsewhere = store
        .create_webhook(other.id, &spec(&["incident_start"]), T0)
        .await
        .expect("webhook");
    assert_eq!(
        store.get_webhook(both.id).await.expect("get"),
        both,
        "secret and headers round-trip"
    );
    assert_eq!(
        store.list_webhooks(Some(svc.id)).await.expect("list").len(),
        2
    );
    assert_eq!(store.list_webhooks(None).await.expect("list").len(), 3);

    // Open (alert threshold 2) and resolve (recovery threshold 2) one incident.
    for (i, ok) in [false, false, true, true].into_iter().enumerate() {
        run_slot(&store, T0 + 60_000 * (i as i64 + 1), ok).await;
    }
    let deliveries = store.list_deliveries(None, None).await.expect("deliveries");
    let to = |w: Uuid| {
        deliveries
            .iter()
            .filter(|d| d.webhook_id == w)
            .map(|d| d.event_kind.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(to(starts.id), ["incident_start"]);
    assert_eq!(
        to(both.id),
        ["incident_start", "incident_resolved"],
        "in event order"
    );
    assert!(
        to(elsewhere.id).is_empty(),
        "another service's webhook hears nothing"
    );
    assert!(
        deliveries
            .iter()
            .all(|d| d.status == DeliveryStatus::Pending && d.attempts == 0)
    );
    let events = store.list_events(0, 10).await.expect("events");
    assert_eq!(
        deliveries[0].event_id, events[0].id,
        "a delivery points at its event"
    );

    store.delete_webhook(both.id).await.expect("delete");
    assert_eq!(
        store
            .list_deliveries(None, None)
            .await
            .expect("deliveries")
            .len(),
        1,
        "its deliveries went with it"
    );
    assert!(matches!(
        store.get_webhook(both.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .create_webhook(Uuid::new_v4(), &spec(&["test"]), T0)
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn deliveries_are_claimed_in_order_and_finished_once(store: Arc<dyn Store>) {
    use beacon_core::endpoint::CheckUrl;
    use beacon_core::webhook::WebhookSecret;
    let (svc, _) = setup(&store, 60).await;
    let spec = WebhookSpec {
        url: CheckUrl::parse("http://127.0.0.1:9/hook").expect("url"),
        events: vec!["incident_start".into(), "incident_resolved".into()],
        secret: WebhookSecret::generate([5; 24]),
        headers: vec![],
    };
    let hook = store
        .create_webhook(svc.id, &spec, T0)
        .await
        .expect("webhook");
    for (i, ok) in [false, false, true, true].into_iter().enumerate() {
        run_slot(&store, T0 + 60_000 * (i as i64 + 1), ok).await;
    }
    let now = T0 + 600_000;
    let attempt = |t: i64| AttemptRecord {
        started_at: t,
        request_url: spec.url.as_str().into(),
        latency_us: 5,
        ..Default::default()
    };

    let first = store
        .claim_deliveries("a", now, 30_000, 10)
        .await
        .expect("claim");
    assert_eq!(
        first.len(),
        1,
        "the resolved event waits behind the start event"
    );
    assert_eq!(first[0].event.kind().as_str(), "incident_start");
    assert_eq!(first[0].webhook_id, hook.id);
    assert_eq!(first[0].secret, spec.secret);
    assert!(
        store
            .claim_deliveries("b", now, 30_000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leased"
    );

    // A retry later: nothing is due until then, and the second event still waits.
    let retry = FinishedAttempt {
        delivery_pk: first[0].pk,
        attempt: attempt(now),
        next: NextStep::Retry { at: now + 1_000 },
    };
    assert!(store.finish_attempt("a", &retry).await.expect("finish"));
    assert!(
        store
            .claim_deliveries("b", now + 500, 30_000, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let again = store
        .claim_deliveries("b", now + 1_000, 30_000, 10)
        .await
        .expect("claim");
    assert_eq!(
        (again.len(), again[0].id, again[0].attempts),
        (1, first[0].id, 1)
    );
    // A node whose lease was taken over cannot record its attempt.
    let stale = FinishedAttempt {
        delivery_pk: first[0].pk,
        attempt: attempt(now),
        next: NextStep::Delivered,
    };
    assert!(!store.finish_attempt("a", &stale).await.expect("finish"));
    let done = FinishedAttempt {
        delivery_pk: again[0].pk,
        attempt: attempt(now + 1_000),
        next: NextStep::Delivered,
    };
    assert!(store.finish_attempt("b", &done).await.expect("finish"));

    let second = store
        .claim_deliveries("a", now + 2_000, 30_000, 10)
        .await
        .expect("claim");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].event.kind().as_str(), "incident_resolved");
    assert_eq!(json(&second[0].event)["resolved_by"], "auto");
    let fail = FinishedAttempt {
        delivery_pk: second[0].pk,
        attempt: AttemptRecord {
            response_status: Some(404),
            error: Some("404 Not Found".into()),
            ..attempt(now + 2_000)
        },
        next: NextStep::Failed,
    };
    assert!(store.finish_attempt("a", &fail).await.expect("finish"));
    let all = store
        .list_deliveries(Some(hook.id), None)
        .await
        .expect("list");
    let states: Vec<(DeliveryStatus, u32)> = all.iter().map(|d| (d.status, d.attempts)).collect();
    assert_eq!(
        states,
        [(DeliveryStatus::Delivered, 2), (DeliveryStatus::Failed, 1)]
    );
    assert!(
        store
            .claim_deliveries("a", now + 99_000, 30_000, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    // Every attempt is kept for review.
    let first_detail = store.get_delivery(all[0].id).await.expect("detail");
    assert_eq!(
        first_detail
            .attempts
            .iter()
            .map(|a| a.number)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let failed = store.get_delivery(all[1].id).await.expect("detail");
    assert_eq!(failed.attempts[0].record.response_status, Some(404));
    assert_eq!(failed.last_error.as_deref(), Some("404 Not Found"));
    assert!(failed.finished_at.is_some());
    let only_failed = store
        .list_deliveries(None, Some(DeliveryStatus::Failed))
        .await
        .expect("list");
    assert_eq!(
        only_failed.iter().map(|d| d.id).collect::<Vec<_>>(),
        [all[1].id]
    );
    // Replay: a failed delivery is sent again; a pending one cannot be.
    let replayed = store
        .retry_delivery(all[1].id, now + 5_000)
        .await
        .expect("retry");
    assert_eq!(
        (replayed.status, replayed.next_attempt_at),
        (DeliveryStatus::Pending, now + 5_000)
    );
    assert!(matches!(
        store.retry_delivery(all[1].id, now + 5_000).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.get_delivery(Uuid::new_v4()).await,
        Err(StoreError::NotFound { .. })
    ));
    let again = store
        .claim_deliveries("c", now + 5_000, 30_000, 10)
        .await
        .expect("claim");
    assert_eq!(
        (again.len(), again[0].id, again[0].attempts),
        (1, all[1].id, 1)
    );
    // Shutdown gives leases back.
    assert_eq!(store.release_deliveries("a").await.expect("release"), 0);
    assert_eq!(store.release_deliveries("c").await.expect("release"), 1);
}

pub async fn deliveries_of_different_endpoints_go_out_in_parallel(store: Arc<dyn Store>) {
    use beacon_core::endpoint::CheckUrl;
    use beacon_core::webhook::WebhookSecret;
    let svc = store.create_service("s", "", T0).await.expect("service");
    let one = |name: &str| {
        EndpointSpec::create(EndpointInput {
            name: Some(name.into()),
            url: Some("http://127.0.0.1:9/x".into()),
            alert_threshold: Some(1),
            ..Default::default()
        })
        .expect("spec")
    };
    for name in ["a", "b", "c"] {
        store
            .create_endpoint(svc.id, &one(name), T0)
            .await
            .expect("endpoint");
    }
    let spec = WebhookSpec {
        url: CheckUrl::parse("http://127.0.0.1:9/hook").expect("url"),
        events: vec!["incident_start".into(), "incident_resolved".into()],
        secret: WebhookSecret::generate([1; 24]),
        headers: vec![],
    };
    store
        .create_webhook(svc.id, &spec, T0)
        .await
        .expect("webhook");
    // Each endpoint fails (incident_start) and then recovers (incident_resolved).
    for (t, ok) in [(T0 + 60_000, false), (T0 + 120_000, true)] {
        let claimed = store.claim_slots(&claim("w", t)).await.expect("claim");
        assert_eq!(claimed.len(), 3);
        let batch: Vec<Completion> = claimed
            .iter()
            .map(|c| Completion {
                schedule_pk: c.schedule_pk,
                endpoint_pk: c.endpoint_pk,
                slot: c.slot,
                next_slot: c.slot + 60_000,
                ping: Some(record(c.slot, ok)),
            })
            .collect();
        store
            .complete_slots("w", REGION, &batch)
            .await
            .expect("complete");
    }
    let now = T0 + 600_000;
    let first = store
        .claim_deliveries("a", now, 30_000, 10)
        .await
        .expect("claim");
    assert_eq!(first.len(), 3, "one per endpoint at once");
    assert!(
        first
            .iter()
            .all(|d| d.event.kind().as_str() == "incident_start"),
        "each endpoint's start before its resolve"
    );
}

/// Seed 002's per-check webhook_url: a webhook owned by the endpoint, kept in step with it, hearing only that
/// endpoint's events (and no manual resolves), guarded against direct change; plus webhook health, updates,
/// test deliveries and the per-endpoint event and attempt logs.
pub async fn endpoint_webhooks_updates_tests_and_health(store: Arc<dyn Store>) {
    use beacon_core::endpoint::CheckUrl;
    use beacon_core::webhook::WebhookSecret;
    let svc = store.create_service("s", "", T0).await.expect("service");
    let with_url = EndpointSpec::create(EndpointInput {
        name: Some("shop".into()),
        url: Some("http://127.0.0.1:9/shop".into()),
        alert_threshold: Some(1),
        webhook_url: Some("http://127.0.0.1:9/pulse".into()),
        ..Default::default()
    })
    .expect("spec");
    let ep = store
        .create_endpoint(svc.id, &with_url, T0)
        .await
        .expect("endpoint");
    let hooks = store.list_webhooks(None).await.expect("list");
    assert_eq!(hooks.len(), 1, "created with the endpoint");
    let managed = hooks[0].clone();
    assert_eq!(
        (
            managed.endpoint_id,
            managed.format,
            managed.spec.url.as_str()
        ),
        (
            Some(ep.id),
            WebhookFormat::Pulse,
            "http://127.0.0.1:9/pulse"
        )
    );
    assert!(matches!(
        store.delete_webhook(managed.id).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .update_webhook(managed.id, WebhookPatch::default(), T0)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // A service webhook next to it, then changed.
    let service_hook = store
        .create_webhook(
            svc.id,
            &WebhookSpec {
                url: CheckUrl::parse("http://127.0.0.1:9/a").expect("url"),
                events: vec!["incident_start".into()],
                secret: WebhookSecret::generate([2; 24]),
                headers: vec![],
            },
            T0,
        )
        .await
        .expect("webhook");
    let changed = store
        .update_webhook(
            service_hook.id,
            WebhookPatch {
                url: Some(CheckUrl::parse("http://127.0.0.1:9/b").expect("url")),
                events: Some(vec!["incident_start".into(), "incident_resolved".into()]),
                ..Default::default()
            },
            T0 + 1,
        )
        .await
        .expect("update");
    assert_eq!(
        store.get_webhook(service_hook.id).await.expect("get"),
        changed
    );
    assert_eq!(changed.spec.secret, service_hook.spec.secret, "kept");
    assert_eq!(changed.updated_at, T0 + 1);
    assert!(matches!(
        store
            .update_webhook(Uuid::new_v4(), WebhookPatch::default(), T0)
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // Fail (incident opens), then resolve by hand: the check's webhook hears the start only.
    let claimed = store
        .claim_slots(&claim("w", T0 + 60_000))
        .await
        .expect("claim");
    let c = &claimed[0];
    store
        .complete_slots(
            "w",
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
        .expect("complete");
    let open = store
        .list_incidents(IncidentFilter::default(), Page::default())
        .await
        .expect("incidents")
        .items;
    store
        .resolve_incident(open[0].id, T0 + 90_000)
        .await
        .expect("resolve");
    let to_managed = store
        .list_deliveries(Some(managed.id), None)
        .await
        .expect("list");
    assert_eq!(
        to_managed
            .iter()
            .map(|d| d.event_kind.as_str())
            .collect::<Vec<_>>(),
        ["incident_start"],
        "no manual resolve to a check's webhook_url"
    );
    assert_eq!(
        store
            .list_deliveries(Some(service_hook.id), None)
            .await
            .expect("list")
            .len(),
        2,
        "the service webhook hears both"
    );
    let claimed = store
        .claim_deliveries("d", T0 + 100_000, 30_000, 10)
        .await
        .expect("claim");
    let pulse = claimed
        .iter()
        .find(|d| d.webhook_id == managed.id)
        .expect("the check's delivery");
    assert_eq!(pulse.format, WebhookFormat::Pulse);
    assert_eq!(json(&pulse.event)["endpoint_name"], "shop");
    assert_eq!(json(&pulse.event)["run_status"], "fail");
    assert_eq!(json(&pulse.event)["error"], "unexpected status 500");
    // Two failed attempts, then a success: health follows.
    for (i, next) in [
        NextStep::Retry { at: 0 },
        NextStep::Retry { at: 0 },
        NextStep::Delivered,
    ]
    .into_iter()
    .enumerate()
    {
        let at = T0 + 100_000 + i as i64;
        if i > 0 {
            let again = store
                .claim_deliveries("d", T0 + 200_000, 30_000, 10)
                .await
                .expect("claim");
            assert!(again.iter().any(|d| d.pk == pulse.pk));
        }
        let done = FinishedAttempt {
            delivery_pk: pulse.pk,
            attempt: AttemptRecord {
                started_at: at,
                request_url: "http://127.0.0.1:9/pulse".into(),
                request_headers: "{}".into(),
                request_body: "{}".into(),
                response_status: Some(if matches!(next, NextStep::Delivered) {
                    200
                } else {
                    500
                }),
                ..AttemptRecord::default()
            },
            next,
        };
        assert!(store.finish_attempt("d", &done).await.expect("finish"));
        let h = store.get_webhook(managed.id).await.expect("get");
        let expected = if i < 2 { i as u32 + 1 } else { 0 };
        assert_eq!(
            (h.consecutive_failures, h.last_attempt_at),
            (expected, Some(at))
        );
    }
    let events = store.list_endpoint_events(ep.id, 10).await.expect("events");
    assert_eq!(
        events
            .iter()
            .map(|e| e.payload.kind().as_str())
            .collect::<Vec<_>>(),
        ["incident_resolved", "incident_start"],
        "newest first"
    );
    assert_eq!(
        events[1].sent_at,
        Some(T0 + 100_002),
        "first delivered to the check's webhook"
    );
    assert_eq!(events[0].sent_at, None);
    let attempts = store
        .list_endpoint_attempts(ep.id, 10)
        .await
        .expect("attempts");
    assert_eq!(
        attempts.iter().map(|a| a.number).collect::<Vec<_>>(),
        [3, 2, 1],
        "newest first"
    );
    assert!(attempts.iter().all(|a| a.event_id == events[1].id));
    assert_ne!(attempts[0].id, attempts[1].id);
    assert_eq!(
        store
            .list_endpoint_attempts(ep.id, 1)
            .await
            .expect("one")
            .len(),
        1
    );

    // A test delivery: written leased to its sender, so the engine does not take it.
    let test = store
        .create_test_delivery(service_hook.id, "tester", 30_000, T0 + 300_000)
        .await
        .expect("test delivery");
    assert_eq!((test.event.kind().as_str(), test.attempts), ("test", 0));
    assert_eq!(test.url.as_str(), "http://127.0.0.1:9/b");
    assert!(
        store
            .claim_deliveries("engine", T0 + 300_000, 30_000, 10)
            .await
            .expect("claim")
            .iter()
            .all(|d| d.pk != test.pk)
    );
    let done = FinishedAttempt {
        delivery_pk: test.pk,
        attempt: AttemptRecord {
            started_at: T0 + 300_000,
            response_status: Some(204),
            ..AttemptRecord::default()
        },
        next: NextStep::Delivered,
    };
    assert!(store.finish_attempt("tester", &done).await.expect("finish"));
    let detail = store.get_delivery(test.id).await.expect("detail");
    assert_eq!(detail.delivery.status, DeliveryStatus::Delivered);
    assert!(matches!(
        store
            .create_test_delivery(Uuid::new_v4(), "tester", 30_000, T0)
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // The endpoint's URL moves, then is cleared: the webhook follows, then goes.
    let moved = store
        .update_endpoint(
            ep.id,
            EndpointInput {
                webhook_url: Some("http://127.0.0.1:9/moved".into()),
                ..Default::default()
            },
            T0 + 400_000,
        )
        .await
        .expect("update");
    assert_eq!(
        moved.spec.webhook_url.as_ref().map(CheckUrl::as_str),
        Some("http://127.0.0.1:9/moved")
    );
    let after = store.get_webhook(managed.id).await.expect("same webhook");
    assert_eq!(after.spec.url.as_str(), "http://127.0.0.1:9/moved");
    store
        .update_endpoint(
            ep.id,
            EndpointInput {
                webhook_url: Some(String::new()),
                ..Default::default()
            },
            T0 + 500_000,
        )
        .await
        .expect("clear");
    assert!(matches!(
        store.get_webhook(managed.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.list_webhooks(None).await.expect("list").len(), 1);
}

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
            .evaluate_heartbeats(T0 + 61_000, 100)
            .await
            .expect("eval"),
        0
    );
    assert_eq!(
        store
            .evaluate_heartbeats(T0 + 61_001, 100)
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
            .evaluate_heartbeats(T0 + 91_001, 100)
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
            .evaluate_heartbeats(T0 + 151_000, 100)
            .await
            .expect("eval"),
        0
    );
    assert_eq!(
        store
            .evaluate_heartbeats(T0 + 151_001, 100)
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
        .set_heartbeat_key(hb.id, &new_hash, T0 + 205_000)
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
    assert_eq!(kept[0].received_at, T0 + 206_001, "the newest stay");

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

/// An event's payload as the JSON it is stored as.
fn json(payload: &beacon_core::event::Payload) -> serde_json::Value {
    serde_json::to_value(payload).expect("payload serialises")
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
