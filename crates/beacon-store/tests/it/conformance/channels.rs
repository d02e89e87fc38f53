//! Conformance of channels: channels of any kind with their settings, subscriptions to services (a webhook's
//! own and further ones), one delivery per channel and event, names unique, kinds fixed.

use super::*;
use beacon_core::channel::{ChannelInput, ChannelKind, ChannelSpec};

fn slack(url: &str) -> ChannelSpec {
    ChannelSpec::create(
        ChannelKind::Slack,
        &ChannelInput {
            url: Some(url.into()),
            ..ChannelInput::default()
        },
    )
    .expect("slack")
}

pub async fn channels_route_events_of_the_services_they_subscribe(store: Arc<dyn Store>) {
    let (svc, _) = setup(&store, 60).await;
    let other = store
        .create_service("other", "", T0)
        .await
        .expect("service");
    let ops = store
        .create_channel(
            &NewChannel {
                name: "ops-slack".into(),
                spec: slack("https://hooks.slack.com/services/T0/B0/secret"),
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
    assert_eq!(ops.name.as_deref(), Some("ops-slack"));
    assert_eq!(ops.routes.len(), 1);
    assert_eq!(
        store.get_channel(ops.id).await.expect("get"),
        ops,
        "settings round-trip"
    );
    // A webhook of the other service, subscribed to this one's starts as well.
    let hook = webhook_for(&store, other.id, &["incident_start"]).await;
    let both = store
        .subscribe_channel(
            hook.id,
            &Route {
                service_id: svc.id,
                events: vec!["incident_start".into()],
            },
            T0,
        )
        .await
        .expect("subscribe");
    assert_eq!(
        both.routes.iter().map(|r| r.service_id).collect::<Vec<_>>(),
        [other.id, svc.id],
        "its own service first"
    );
    assert_eq!(
        store.list_webhooks(None).await.expect("webhooks").len(),
        1,
        "only webhooks"
    );
    assert_eq!(store.list_channels().await.expect("channels").len(), 2);

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
    assert_eq!(to(ops.id), ["incident_start", "incident_resolved"]);
    assert_eq!(to(hook.id), ["incident_start"]);
    let claimed = store
        .claim_deliveries("engine", T0 + 600_000, 30_000, 10)
        .await
        .expect("claim");
    let slack_claim = claimed
        .iter()
        .find(|d| d.webhook_id == ops.id)
        .expect("claimed");
    assert_eq!(
        slack_claim.channel, ops.spec,
        "the engine gets the channel's settings"
    );

    // Unsubscribed, it gets nothing more; the subscription to a service it does not have is not found.
    let gone = store
        .unsubscribe_channel(hook.id, svc.id, T0)
        .await
        .expect("unsubscribe");
    assert_eq!(gone.routes.len(), 1);
    assert!(matches!(
        store.unsubscribe_channel(hook.id, svc.id, T0).await,
        Err(StoreError::NotFound { .. })
    ));
    let own = store
        .unsubscribe_channel(hook.id, other.id, T0)
        .await
        .expect("unsubscribe its own service");
    assert!(own.routes.is_empty());
    assert!(
        store
            .get_webhook(hook.id)
            .await
            .expect("kept")
            .spec
            .events
            .is_empty()
    );
}

pub async fn channel_names_are_unique_and_kinds_fixed(store: Arc<dyn Store>) {
    let new = |name: &str| NewChannel {
        name: name.into(),
        spec: slack("https://hooks.slack.com/services/T0/B0/x"),
        webhook: None,
        route: None,
    };
    let a = store
        .create_channel(&new("team"), T0)
        .await
        .expect("create");
    assert!(a.routes.is_empty() && a.service_id.is_none());
    assert!(matches!(
        store.create_channel(&new("team"), T0).await,
        Err(StoreError::Conflict(_))
    ));
    let b = store
        .create_channel(&new("other"), T0)
        .await
        .expect("create");
    assert!(matches!(
        store
            .update_channel(
                b.id,
                ChannelPatch {
                    name: Some("team".into()),
                    ..ChannelPatch::default()
                },
                T0
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let moved = store
        .update_channel(
            a.id,
            ChannelPatch {
                spec: Some(slack("https://chat.example.com/hooks/abc")),
                ..ChannelPatch::default()
            },
            T0 + 1,
        )
        .await
        .expect("update");
    assert_eq!(moved.spec, slack("https://chat.example.com/hooks/abc"));
    assert_eq!(moved.name.as_deref(), Some("team"));
    let discord = ChannelSpec::create(
        ChannelKind::Discord,
        &ChannelInput {
            url: Some("https://discord.com/api/webhooks/1/x".into()),
            ..ChannelInput::default()
        },
    )
    .expect("discord");
    assert!(matches!(
        store
            .update_channel(
                a.id,
                ChannelPatch {
                    spec: Some(discord),
                    ..ChannelPatch::default()
                },
                T0
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .subscribe_channel(
                a.id,
                &Route {
                    service_id: Uuid::new_v4(),
                    events: vec!["incident_start".into()],
                },
                T0
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    store.delete_channel(a.id).await.expect("delete");
    assert!(matches!(
        store.get_channel(a.id).await,
        Err(StoreError::NotFound { .. })
    ));
}
