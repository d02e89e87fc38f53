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
