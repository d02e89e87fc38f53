//! Conformance of channels: channels of any kind with their settings, subscriptions to services (a webhook's
//! own and further ones), one delivery per channel and event, names unique, kinds fixed.

use super::*;
use beacon_core::channel::{ChannelInput, ChannelKind, ChannelSpec};

pub(super) fn slack(url: &str) -> ChannelSpec {
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

pub async fn reminders_are_delayed_rows_that_ack_and_resolution_cancel(store: Arc<dyn Store>) {
    let (svc, _) = setup(&store, 60).await;
    store
        .set_service_reminders(
            svc.id,
            Some(Reminders {
                every_ms: 600_000,
                max: 3,
            }),
            T0,
        )
        .await
        .expect("reminders");
    assert_eq!(
        store.get_service(svc.id).await.expect("service").reminders,
        Some(Reminders {
            every_ms: 600_000,
            max: 3
        })
    );
    let pager = store
        .create_channel(
            &NewChannel {
                name: "pager".into(),
                spec: slack("https://hooks.slack.com/services/T0/B0/p"),
                webhook: None,
                route: Some(Route {
                    service_id: svc.id,
                    events: vec![
                        "incident_start".into(),
                        "reminder".into(),
                        "incident_resolved".into(),
                    ],
                }),
            },
            T0,
        )
        .await
        .expect("channel");
    // A machine's webhook hears of the start, and of an acknowledgement only if it subscribes to it.
    let machine = webhook_for(&store, svc.id, &["incident_start"]).await;
    // Opens at the second failure (threshold 2).
    run_slot(&store, T0 + 60_000, false).await;
    run_slot(&store, T0 + 120_000, false).await;
    let of = |kind: &str| {
        let kind = kind.to_owned();
        let store = store.clone();
        async move {
            store
                .list_deliveries(Some(pager.id), None)
                .await
                .expect("deliveries")
                .into_iter()
                .filter(|d| d.event_kind.as_str() == kind)
                .collect::<Vec<_>>()
        }
    };
    let reminders = of("reminder").await;
    assert_eq!(reminders.len(), 3, "one delayed row per reminder");
    let mut due: Vec<i64> = reminders.iter().map(|d| d.next_attempt_at).collect();
    due.sort_unstable();
    // Due every ten minutes from when the incident's start was written.
    let written = of("incident_start").await[0].created_at;
    assert_eq!(
        due,
        [written + 600_000, written + 1_200_000, written + 1_800_000]
    );
    let opened_at = written;
    // Not claimable before they are due; the first is at its time.
    let early = store
        .claim_deliveries("engine", opened_at + 599_999, 30_000, 100)
        .await
        .expect("claim");
    assert!(
        early.iter().all(|d| d.event.kind().as_str() != "reminder"),
        "{early:?}"
    );
    let incident = store
        .list_incidents(IncidentFilter::default(), Page::default())
        .await
        .expect("incidents")
        .items[0]
        .clone();
    let acked = store
        .acknowledge_incident(incident.id, "ada", Some("on it"), opened_at + 60_000)
        .await
        .expect("ack");
    assert_eq!(acked.acknowledged_by.as_deref(), Some("ada"));
    assert_eq!(acked.ack_note.as_deref(), Some("on it"));
    let again = store
        .acknowledge_incident(incident.id, "bob", None, opened_at + 70_000)
        .await
        .expect("second ack");
    assert_eq!(
        again.acknowledged_by.as_deref(),
        Some("ada"),
        "the first acknowledgement stands"
    );
    let reminders = of("reminder").await;
    assert!(
        reminders.iter().all(|d| d.status.as_str() == "cancelled"),
        "ack cancels what has not gone out: {reminders:?}"
    );
    // The channel told of the start is told of the acknowledgement, once; the machine's webhook is not.
    let told = of("incident_acknowledged").await;
    assert_eq!(told.len(), 1, "{told:?}");
    let event = store
        .list_events(0, 100)
        .await
        .expect("events")
        .into_iter()
        .find(|e| e.id == told[0].event_id)
        .expect("the acknowledgement's event");
    match &event.payload {
        beacon_core::event::Payload::IncidentAcknowledged(a) => {
            assert_eq!(
                (a.by.as_str(), a.note.as_deref(), a.incident_id),
                ("ada", Some("on it"), incident.id)
            );
            assert!(a.subject.starts_with("Production API / "), "{}", a.subject);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        store
            .list_deliveries(Some(machine.id), None)
            .await
            .expect("deliveries")
            .iter()
            .all(|d| d.event_kind.as_str() == "incident_start")
    );
    // Resolution still reaches the channel (nothing pending blocks it), and a resolved incident cannot be taken.
    run_slot(&store, T0 + 180_000, true).await;
    run_slot(&store, T0 + 240_000, true).await;
    assert_eq!(of("incident_resolved").await.len(), 1);
    let later = opened_at + 3_600_000;
    let mut claimed = store
        .claim_deliveries("engine", later, 30_000, 100)
        .await
        .expect("claim");
    let kinds: Vec<&str> = claimed.iter().map(|d| d.event.kind().as_str()).collect();
    assert_eq!(
        kinds,
        ["incident_start", "incident_start"],
        "first in line at each channel; no reminder goes out"
    );
    for then in ["incident_acknowledged", ""] {
        for d in &claimed {
            store
                .finish_attempt(
                    "engine",
                    &FinishedAttempt {
                        delivery_pk: d.pk,
                        attempt: AttemptRecord::default(),
                        next: NextStep::Delivered,
                    },
                )
                .await
                .expect("finish");
        }
        if then.is_empty() {
            break;
        }
        let next = store
            .claim_deliveries("engine", later, 30_000, 100)
            .await
            .expect("claim");
        let kinds: Vec<&str> = next.iter().map(|d| d.event.kind().as_str()).collect();
        assert_eq!(kinds, [then], "in the order they happened");
        claimed = next;
    }
    let claimed = store
        .claim_deliveries("engine", later, 30_000, 100)
        .await
        .expect("claim");
    let kinds: Vec<&str> = claimed.iter().map(|d| d.event.kind().as_str()).collect();
    assert_eq!(
        kinds,
        ["incident_resolved"],
        "cancelled reminders block nothing"
    );
    assert!(matches!(
        store
            .acknowledge_incident(incident.id, "ada", None, T0 + 300_000)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // The link key is made once and shared.
    let k1 = store
        .server_key("ack_links", &[1; 32], T0)
        .await
        .expect("key");
    let k2 = store
        .server_key("ack_links", &[2; 32], T0)
        .await
        .expect("key");
    assert_eq!((k1.clone(), k1), (k2, vec![1; 32]));
}

pub async fn escalation_steps_reach_their_channels_unless_acknowledged(store: Arc<dyn Store>) {
    let (svc, _) = setup(&store, 60).await;
    let chan = |name: &'static str| {
        let store = store.clone();
        async move {
            store
                .create_channel(
                    &NewChannel {
                        name: name.into(),
                        spec: slack(&format!("https://hooks.slack.com/services/T0/B0/{name}")),
                        webhook: None,
                        route: None,
                    },
                    T0,
                )
                .await
                .expect("channel")
        }
    };
    let (a, b, c) = (chan("a").await, chan("b").await, chan("c").await);
    let policy = store
        .create_policy(
            "oncall",
            &[
                PolicyStep {
                    delay_ms: 0,
                    channels: vec![a.id],
                },
                PolicyStep {
                    delay_ms: 900_000,
                    channels: vec![b.id, c.id],
                },
            ],
            1,
            T0,
        )
        .await
        .expect("policy");
    assert_eq!(
        store.list_policies().await.expect("list"),
        vec![policy.clone()]
    );
    assert!(matches!(
        store.create_policy("oncall", &[], 0, T0).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .create_policy(
                "ghost",
                &[PolicyStep {
                    delay_ms: 0,
                    channels: vec![Uuid::new_v4()]
                }],
                0,
                T0
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let followed = store
        .set_service_policy(svc.id, Some(policy.id), T0)
        .await
        .expect("attach");
    assert_eq!(followed.escalation_policy_id, Some(policy.id));

    run_slot(&store, T0 + 60_000, false).await;
    run_slot(&store, T0 + 120_000, false).await;
    let to = |ch: Uuid| {
        let store = store.clone();
        async move {
            let mut d: Vec<(i64, String)> = store
                .list_deliveries(Some(ch), None)
                .await
                .expect("deliveries")
                .into_iter()
                .map(|d| (d.next_attempt_at, d.status.as_str().to_owned()))
                .collect();
            d.sort();
            d
        }
    };
    let first_a = to(a.id).await;
    assert_eq!(
        first_a.len(),
        2,
        "step 1 now and again in round 2: {first_a:?}"
    );
    let opened = first_a[0].0;
    assert_eq!(
        first_a[1].0,
        opened + 1_800_000,
        "round 2 starts one gap after the last step"
    );
    let bs = to(b.id).await;
    assert_eq!(
        bs.iter().map(|d| d.0 - opened).collect::<Vec<_>>(),
        [900_000, 2_700_000]
    );
    // Step 1 goes out now; step 2 is not due yet.
    let now = store
        .claim_deliveries("engine", opened, 30_000, 100)
        .await
        .expect("claim");
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].webhook_id, a.id);
    for d in &now {
        store
            .finish_attempt(
                "engine",
                &FinishedAttempt {
                    delivery_pk: d.pk,
                    attempt: AttemptRecord::default(),
                    next: NextStep::Delivered,
                },
            )
            .await
            .expect("finish");
    }
    // Step 2 at 15 minutes: b and c.
    let step2 = store
        .claim_deliveries("engine", opened + 900_000, 30_000, 100)
        .await
        .expect("claim");
    let mut who: Vec<Uuid> = step2.iter().map(|d| d.webhook_id).collect();
    who.sort();
    let mut want = vec![b.id, c.id];
    want.sort();
    assert_eq!(who, want);
    store
        .finish_attempt(
            "engine",
            &FinishedAttempt {
                delivery_pk: step2.iter().find(|d| d.webhook_id == b.id).expect("b").pk,
                attempt: AttemptRecord::default(),
                next: NextStep::Delivered,
            },
        )
        .await
        .expect("finish");
    // Acknowledged: round 2 never goes out.
    let incident = store
        .list_incidents(IncidentFilter::default(), Page::default())
        .await
        .expect("incidents")
        .items[0]
        .clone();
    store
        .acknowledge_incident(incident.id, "ada", None, opened + 1_000_000)
        .await
        .expect("ack");
    let later = store
        .claim_deliveries("other", opened + 10_000_000, 30_000, 100)
        .await
        .expect("claim");
    // Nothing more of the policy; a and b, whom it reached, hear of the acknowledgement (c's step was cancelled
    // before it went out).
    let mut told: Vec<(Uuid, &str)> = later
        .iter()
        .map(|d| (d.webhook_id, d.event.kind().as_str()))
        .collect();
    told.sort();
    let mut want = vec![
        (a.id, "incident_acknowledged"),
        (b.id, "incident_acknowledged"),
    ];
    want.sort();
    assert_eq!(told, want, "{later:?}");
    for d in &later {
        store
            .finish_attempt(
                "other",
                &FinishedAttempt {
                    delivery_pk: d.pk,
                    attempt: AttemptRecord::default(),
                    next: NextStep::Delivered,
                },
            )
            .await
            .expect("finish");
    }
    // The resolution reaches a and b, whom the escalation reached, though neither subscribes to the service.
    run_slot(&store, T0 + 180_000, true).await;
    run_slot(&store, T0 + 240_000, true).await;
    let resolved = |ch: Uuid| {
        let store = store.clone();
        async move {
            store
                .list_deliveries(Some(ch), None)
                .await
                .expect("deliveries")
                .iter()
                .filter(|d| d.event_kind.as_str() == "incident_resolved")
                .count()
        }
    };
    assert_eq!((resolved(a.id).await, resolved(b.id).await), (1, 1));
    store.delete_policy(policy.id).await.expect("delete");
    assert_eq!(
        store
            .get_service(svc.id)
            .await
            .expect("service")
            .escalation_policy_id,
        None
    );
}
