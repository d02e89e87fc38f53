//! Conformance of the outbox: events fan out to subscribed webhooks, deliveries are claimed in order and
//! finished once, and endpoints' own webhooks follow their endpoints.

use super::*;

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
    assert_eq!(
        test.url.as_ref().map(|u| u.as_str()),
        Some("http://127.0.0.1:9/b")
    );
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
