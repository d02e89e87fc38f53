//! Conformance of publishing: status pages with their services in order, slugs unique, nothing half-made;
//! badge keys naming a monitor, replaced to revoke, gone with it.

use super::*;
use beacon_core::status_page::{StatusPageInput, StatusPageSpec};
use beacon_store::BadgeMonitor;

pub async fn status_pages_and_badge_keys(store: Arc<dyn Store>) {
    let (shop, ep) = setup(&store, 60).await;
    let blog = store.create_service("Blog", "", T0).await.expect("blog");
    let spec = |slug: &str, services: Vec<Uuid>| {
        StatusPageSpec::create(StatusPageInput {
            slug: Some(slug.into()),
            title: Some("Status".into()),
            services: Some(services),
            ..Default::default()
        })
        .expect("spec")
    };
    let page = store
        .create_status_page(&spec("acme", vec![blog.id, shop.id]), T0)
        .await
        .expect("page");
    assert_eq!(
        store
            .get_status_page(page.id)
            .await
            .expect("get")
            .spec
            .services,
        [blog.id, shop.id]
    );
    assert!(matches!(
        store
            .create_status_page(&spec("acme", vec![shop.id]), T0)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // A service that does not exist: named, and no page half-made.
    let ghost = Uuid::new_v4();
    assert!(matches!(
        store.create_status_page(&spec("ghost", vec![shop.id, ghost]), T0).await,
        Err(StoreError::NotFound { kind: "service", id }) if id == ghost
    ));
    assert!(
        store
            .status_page_by_slug("ghost")
            .await
            .expect("by slug")
            .is_none()
    );
    assert_eq!(store.list_status_pages().await.expect("list").len(), 1);
    // Changed: order and fields replaced together.
    let mut next = page.spec.clone();
    next.services = vec![shop.id];
    next.show_urls = true;
    next.slug = "acme-status".into();
    let changed = store
        .update_status_page(page.id, &next, T0 + 1)
        .await
        .expect("update");
    assert_eq!((changed.created_at, changed.updated_at), (T0, T0 + 1));
    let found = store
        .status_page_by_slug("acme-status")
        .await
        .expect("by slug")
        .expect("found");
    assert_eq!(
        (found.spec.services.clone(), found.spec.show_urls),
        (vec![shop.id], true)
    );
    // A deleted service leaves the pages that showed it.
    let both = store
        .create_status_page(&spec("both", vec![shop.id, blog.id]), T0)
        .await
        .expect("both");
    store
        .delete_service(blog.id, true)
        .await
        .expect("delete blog");
    assert_eq!(
        store
            .get_status_page(both.id)
            .await
            .expect("get")
            .spec
            .services,
        [shop.id]
    );
    store.delete_status_page(both.id).await.expect("delete");
    assert!(matches!(
        store.delete_status_page(both.id).await,
        Err(StoreError::NotFound { .. })
    ));

    // Badge keys: set, looked up, replaced (the old one stops naming anything), revoked; heartbeats too.
    assert_eq!(store.badge_key(ep.id).await.expect("none yet"), None);
    store
        .set_badge_key(ep.id, Some("bdg_one"))
        .await
        .expect("set");
    assert_eq!(
        store.badge_monitor("bdg_one").await.expect("lookup"),
        Some(BadgeMonitor::Endpoint(ep.id))
    );
    store
        .set_badge_key(ep.id, Some("bdg_two"))
        .await
        .expect("replace");
    assert_eq!(store.badge_monitor("bdg_one").await.expect("old"), None);
    assert_eq!(
        store.badge_key(ep.id).await.expect("key"),
        Some("bdg_two".into())
    );
    store.set_badge_key(ep.id, None).await.expect("revoke");
    assert_eq!(store.badge_monitor("bdg_two").await.expect("revoked"), None);
    let hb_spec =
        beacon_core::heartbeat::HeartbeatSpec::create(beacon_core::heartbeat::HeartbeatInput {
            name: Some("backup".into()),
            period_seconds: Some(60),
            ..Default::default()
        })
        .expect("hb spec");
    let hb = store
        .create_heartbeat(shop.id, "backup", &hb_spec, &[0; 32], T0)
        .await
        .expect("hb");
    store
        .set_badge_key(hb.id, Some("bdg_hb"))
        .await
        .expect("heartbeat badge");
    assert_eq!(
        store.badge_monitor("bdg_hb").await.expect("lookup"),
        Some(BadgeMonitor::Heartbeat(hb.id))
    );
    assert!(matches!(
        store.set_badge_key(Uuid::new_v4(), Some("bdg_x")).await,
        Err(StoreError::NotFound { .. })
    ));
    // Gone with the monitor.
    store
        .set_badge_key(ep.id, Some("bdg_three"))
        .await
        .expect("set again");
    store.delete_endpoint(ep.id).await.expect("delete endpoint");
    assert_eq!(store.badge_monitor("bdg_three").await.expect("gone"), None);
}
