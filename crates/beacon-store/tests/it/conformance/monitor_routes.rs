//! Conformance of a monitor's own notification rules: channels it adds or mutes over its service's
//! subscriptions, and its own reminders and escalation policy.

use super::*;
use beacon_core::channel::{ChannelInput, ChannelKind, ChannelSpec};
use beacon_core::heartbeat::{HeartbeatInput, HeartbeatSpec, PingKind};
use beacon_core::token::{generate_ping_key, hash_ping_key};

async fn ntfy(store: &Arc<dyn Store>, name: &str, route: Option<Route>) -> Channel {
    let spec = ChannelSpec::create(
        ChannelKind::Ntfy,
        &ChannelInput {
            url: Some("http://127.0.0.1:9".into()),
            topic: Some(name.into()),
            ..ChannelInput::default()
        },
    )
    .expect("ntfy");
    store
        .create_channel(
            &NewChannel {
                name: name.into(),
                spec,
                webhook: None,
                route,
            },
            T0,
        )
        .await
        .expect("channel")
}

pub async fn a_monitor_adds_and_mutes_channels_and_has_its_own_follow_ups(store: Arc<dyn Store>) {
    let (svc, ep) = setup(&store, 60).await;
    let every = |kinds: &[&str]| kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    let team = ntfy(
        &store,
        "team",
        Some(Route {
            service_id: svc.id,
            events: every(&["incident_start", "reminder", "heartbeat_down", "escalation"]),
        }),
    )
    .await;
    let oncall = ntfy(&store, "oncall", None).await;
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
        .expect("service reminders");
    let (key, key_hash) = generate_ping_key([9; 24]);
    let hb_spec = HeartbeatSpec::create(HeartbeatInput {
        name: Some("backup".into()),
        period_seconds: Some(60),
        grace_seconds: Some(30),
        ..Default::default()
    })
    .expect("spec");
    let hb = store
        .create_heartbeat(svc.id, "backup", &hb_spec, &key_hash, T0)
        .await
        .expect("heartbeat");

    // The endpoint mutes the service's channel and adds its own; its reminders are its own.
    let muted = store
        .route_monitor(team.id, ep.id, None, T0)
        .await
        .expect("mute");
    assert_eq!(
        muted.monitors,
        [MonitorRoute {
            monitor_id: ep.id,
            monitor_kind: "endpoint",
            events: vec![],
            muted: true,
        }]
    );
    store
        .route_monitor(
            oncall.id,
            ep.id,
            Some(&every(&["incident_start", "reminder"])),
            T0,
        )
        .await
        .expect("add");
    let own = Reminders {
        every_ms: 300_000,
        max: 2,
    };
    let n = store
        .set_monitor_follow_ups(ep.id, Some(Setting::Own(Some(own))), None, T0)
        .await
        .expect("own reminders");
    assert_eq!(n.reminders, Setting::Own(Some(own)));
    assert_eq!(n.escalation, Setting::Inherit, "untouched");
    assert_eq!(
        n.channels
            .iter()
            .map(|(_, name, r)| (name.clone().unwrap_or_default(), r.muted))
            .collect::<Vec<_>>(),
        [("team".to_owned(), true), ("oncall".to_owned(), false)]
    );
    // The heartbeat has no reminders though its service has, and escalates to on-call by its own policy.
    let policy = store
        .create_policy(
            "hb-policy",
            &[PolicyStep {
                delay_ms: 0,
                channels: vec![oncall.id],
            }],
            0,
            T0,
        )
        .await
        .expect("policy");
    store
        .set_monitor_follow_ups(
            hb.id,
            Some(Setting::Own(None)),
            Some(Setting::Own(Some(policy.id))),
            T0,
        )
        .await
        .expect("heartbeat follow-ups");

    run_slot(&store, T0 + 60_000, false).await;
    run_slot(&store, T0 + 120_000, false).await;
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
    store
        .evaluate_heartbeats(T0 + 91_001, 100, T0)
        .await
        .expect("evaluate");

    let kinds_to = |c: Uuid| {
        let store = store.clone();
        async move {
            let mut kinds: Vec<String> = store
                .list_deliveries(Some(c), None)
                .await
                .expect("deliveries")
                .into_iter()
                .map(|d| d.event_kind.as_str().to_owned())
                .collect();
            kinds.sort();
            kinds
        }
    };
    assert_eq!(
        kinds_to(team.id).await,
        ["heartbeat_down"],
        "muted on the endpoint, not on the heartbeat (and no heartbeat reminders)"
    );
    assert_eq!(
        kinds_to(oncall.id).await,
        ["escalation", "incident_start", "reminder", "reminder"],
        "the endpoint's own two reminders, and the heartbeat's policy"
    );

    // Inherit again: the service's settings show through; unsubscribing and unmuting remove the rows.
    let back = store
        .set_monitor_follow_ups(ep.id, Some(Setting::Inherit), Some(Setting::Inherit), T0)
        .await
        .expect("inherit");
    assert_eq!(
        (back.reminders, back.escalation),
        (Setting::Inherit, Setting::Inherit)
    );
    store.delete_policy(policy.id).await.expect("delete policy");
    assert_eq!(
        store
            .monitor_notifications(hb.id)
            .await
            .expect("read")
            .escalation,
        Setting::Own(None),
        "a deleted policy leaves none, not the service's"
    );
    let left = store
        .unsubscribe_channel(oncall.id, ep.id, T0)
        .await
        .expect("unsubscribe");
    assert!(left.monitors.is_empty());
    assert!(
        matches!(
            store.unsubscribe_channel(team.id, ep.id, T0).await,
            Err(StoreError::NotFound { .. })
        ),
        "a mute is not a subscription"
    );
    let unmuted = store
        .unmute_channel(team.id, ep.id, T0)
        .await
        .expect("unmute");
    assert!(unmuted.monitors.is_empty());
    assert!(matches!(
        store.unmute_channel(team.id, ep.id, T0).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.route_monitor(team.id, Uuid::new_v4(), None, T0).await,
        Err(StoreError::NotFound {
            kind: "monitor",
            ..
        })
    ));
    assert!(matches!(
        store.monitor_notifications(svc.id).await,
        Err(StoreError::NotFound {
            kind: "monitor",
            ..
        })
    ));
    // Deleting the endpoint takes its rules with it.
    store
        .route_monitor(oncall.id, ep.id, Some(&every(&["incident_start"])), T0)
        .await
        .expect("again");
    store.delete_endpoint(ep.id).await.expect("delete endpoint");
    assert!(
        store
            .get_channel(oncall.id)
            .await
            .expect("get")
            .monitors
            .is_empty()
    );
}
