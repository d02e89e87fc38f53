//! Conformance of the catalog: services and endpoints created, changed, deleted, found or not, listed in pages.

use super::*;

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
