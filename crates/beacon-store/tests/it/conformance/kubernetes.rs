//! Conformance of the Kubernetes watcher's records: objects follow their annotation, each change writes one
//! event delivered in order per object, reconciliation finds what was missed, and cleanup keeps what failed.

use super::*;
use beacon_core::endpoint::CheckUrl;
use beacon_core::kubernetes::{
    AnnotationRule, Change, DEFAULT_ANNOTATION_KEY, ObjectMeta, Reason, Sighting,
};
use std::collections::BTreeMap;

pub(crate) fn object(uid: &str, ns: &str, annotated: bool, rv: u32) -> ObjectMeta {
    let mut annotations = BTreeMap::new();
    if annotated {
        annotations.insert(DEFAULT_ANNOTATION_KEY.to_owned(), "managed".to_owned());
    }
    annotations.insert("team".to_owned(), "sre".to_owned());
    ObjectMeta {
        uid: uid.to_owned(),
        api_version: "v1".to_owned(),
        kind: "ConfigMap".to_owned(),
        name: format!("cm-{uid}"),
        namespace: Some(ns.to_owned()),
        labels: [("app".to_owned(), "web".to_owned())].into_iter().collect(),
        annotations,
        resource_version: rv.to_string(),
    }
}

pub(crate) fn seen(meta: ObjectMeta, present: bool) -> Sighting {
    Sighting::new(meta, &AnnotationRule::default(), present)
}

pub(crate) async fn target(store: &Arc<dyn Store>) -> KubeTargetIds {
    store
        .kube_target(
            &KubeTarget {
                service_name: "kubernetes".into(),
                webhook: Some(KubeWebhook {
                    url: CheckUrl::parse("http://127.0.0.1:9/events").expect("url"),
                    format: WebhookFormat::CloudEvents,
                    headers: vec!["Authorization: Bearer s3cret".parse().expect("header")],
                    options: WebhookOptions {
                        method: Some("PUT".into()),
                        user_agent: Some("beacon/1.2.3".into()),
                        cloud_events: Some(CloudEventsOptions::default()),
                    },
                }),
            },
            T0,
        )
        .await
        .expect("target")
}

async fn record(store: &Arc<dyn Store>, svc: Uuid, batch: &[Sighting]) -> Vec<KubeRecorded> {
    store
        .kube_record(svc, batch, None, T0)
        .await
        .expect("record")
}

/// Every object (or those of one status), newest first.
async fn all_objects(store: &Arc<dyn Store>, status: Option<KubeObjectStatus>) -> Vec<KubeObject> {
    store
        .list_kube_objects(&KubeObjectFilter {
            status,
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("objects")
}

async fn all_events(store: &Arc<dyn Store>) -> Vec<KubeEventRow> {
    store
        .list_kube_events(&KubeEventFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("events")
}

fn changes(r: &[KubeRecorded]) -> Vec<(&str, Change, Reason)> {
    r.iter()
        .map(|r| (r.uid.as_str(), r.change, r.reason))
        .collect()
}

pub async fn kube_objects_follow_their_annotation(store: Arc<dyn Store>) {
    let ids = target(&store).await;
    assert!(ids.new_secret.is_some(), "a new webhook gets a secret");
    let again = target(&store).await;
    assert_eq!(
        (
            again.service_id,
            again.webhook_id,
            again.new_secret.is_none()
        ),
        (ids.service_id, ids.webhook_id, true),
        "a second start finds the same service and webhook"
    );
    let svc = ids.service_id;
    let rec = |batch: Vec<Sighting>, rv: &'static str, t: i64| {
        let store = store.clone();
        async move {
            store
                .kube_record(svc, &batch, Some(("v1/ConfigMap/default", rv)), t)
                .await
                .expect("record")
        }
    };
    let r = rec(
        vec![
            seen(object("a", "default", true, 1), true),
            seen(object("plain", "default", false, 2), true),
            seen(object("a", "default", true, 3), true),
        ],
        "3",
        T0 + 1,
    )
    .await;
    assert_eq!(changes(&r), vec![("a", Change::Created, Reason::Added)]);
    assert_eq!(
        store
            .kube_position("v1/ConfigMap/default")
            .await
            .expect("position")
            .as_deref(),
        Some("3")
    );
    let r = rec(
        vec![
            seen(object("a", "default", false, 4), true),
            seen(object("a", "default", true, 5), true),
            seen(object("a", "default", true, 6), false),
            seen(object("a", "default", true, 6), false),
        ],
        "6",
        T0 + 2,
    )
    .await;
    assert_eq!(
        changes(&r),
        vec![
            ("a", Change::Deleted, Reason::AnnotationRemoved),
            ("a", Change::Created, Reason::AnnotationAdded),
            ("a", Change::Deleted, Reason::Removed),
        ]
    );

    let objects = all_objects(&store, None).await;
    assert_eq!(objects.len(), 1, "the unannotated object is not recorded");
    assert_eq!(objects[0].status, KubeObjectStatus::Deleted);
    assert_eq!(objects[0].annotation_value, "managed");
    assert_eq!(objects[0].meta.resource_version, "6");
    assert_eq!(objects[0].deleted_at, Some(T0 + 2));
    for (filter, n) in [
        (
            KubeObjectFilter {
                status: Some(KubeObjectStatus::Active),
                limit: 10,
                ..Default::default()
            },
            0,
        ),
        (
            KubeObjectFilter {
                namespace: Some("other".into()),
                limit: 10,
                ..Default::default()
            },
            0,
        ),
        (
            KubeObjectFilter {
                kind: Some("ConfigMap".into()),
                namespace: Some("default".into()),
                limit: 10,
                ..Default::default()
            },
            1,
        ),
    ] {
        assert_eq!(
            store.list_kube_objects(&filter).await.expect("list").len(),
            n,
            "{filter:?}"
        );
    }

    // Four events, delivered one at a time in order, in the CloudEvents format with the options stored.
    let events = all_events(&store).await;
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.pending == 1 && e.delivered == 0));
    assert_eq!(events[0].change, Change::Deleted, "newest first");
    assert_eq!(events[3].event.reason, Reason::Added);
    assert_eq!(
        events[3].event.object.labels.get("app").map(String::as_str),
        Some("web")
    );
    let mut order = Vec::new();
    for i in 0..5 {
        let now = T0 + 10 + i;
        let claimed = store
            .claim_deliveries("k", now, 30_000, 10)
            .await
            .expect("claim");
        if claimed.is_empty() {
            break;
        }
        assert_eq!(claimed.len(), 1, "one object's events go one at a time");
        let d = &claimed[0];
        assert_eq!(d.format, WebhookFormat::CloudEvents);
        assert_eq!(d.options.method.as_deref(), Some("PUT"));
        assert_eq!(
            d.options
                .cloud_events
                .as_ref()
                .map(|c| c.type_prefix.as_str()),
            Some("net.bakerapps.beacon.resource")
        );
        order.push(d.event.kind().as_str());
        let done = FinishedAttempt {
            delivery_pk: d.pk,
            attempt: AttemptRecord {
                started_at: now,
                latency_us: 1,
                ..Default::default()
            },
            next: NextStep::Delivered,
        };
        assert!(store.finish_attempt("k", &done).await.expect("finish"));
    }
    assert_eq!(
        order,
        vec![
            "kubernetes_created",
            "kubernetes_deleted",
            "kubernetes_created",
            "kubernetes_deleted"
        ]
    );
    let counts = store.kube_counts().await.expect("counts");
    assert_eq!(
        (counts.active, counts.deleted, counts.pending_notifications),
        (0, 1, 0)
    );
}

pub async fn kube_reconciliation_finds_what_was_missed(store: Arc<dyn Store>) {
    let svc = target(&store).await.service_id;
    record(
        &store,
        svc,
        &[
            seen(object("gone", "default", true, 1), true),
            seen(object("kept", "default", true, 2), true),
            seen(object("unannotated", "default", true, 3), true),
            seen(object("elsewhere", "other", true, 4), true),
        ],
    )
    .await;
    let scope = KubeScope {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        include: vec!["default".into()],
        exclude: vec![],
    };
    let listing = vec![
        seen(object("kept", "default", true, 20), true),
        seen(object("unannotated", "default", false, 21), true),
        seen(object("new", "default", true, 22), true),
        seen(object("plain", "default", false, 23), true),
    ];
    let r = store
        .kube_reconcile(
            svc,
            &scope,
            &listing,
            Some(("v1/ConfigMap/default", "23")),
            T0 + 1,
        )
        .await
        .expect("reconcile");
    let got: std::collections::BTreeSet<_> = changes(&r).into_iter().collect();
    let want: std::collections::BTreeSet<_> = [
        ("unannotated", Change::Deleted, Reason::MissedDeletion),
        ("new", Change::Created, Reason::MissedCreation),
        ("gone", Change::Deleted, Reason::MissedDeletion),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want, "the other namespace's object is out of scope");
    let kept = all_objects(&store, Some(KubeObjectStatus::Active)).await;
    let mut uids: Vec<&str> = kept.iter().map(|o| o.meta.uid.as_str()).collect();
    uids.sort_unstable();
    assert_eq!(uids, vec!["elsewhere", "kept", "new"]);
    let kept_rv = kept
        .iter()
        .find(|o| o.meta.uid == "kept")
        .map(|o| o.meta.resource_version.clone());
    assert_eq!(
        kept_rv.as_deref(),
        Some("20"),
        "metadata of kept objects follows"
    );
    assert!(
        store
            .kube_reconcile(svc, &scope, &listing, None, T0 + 2)
            .await
            .expect("again")
            .is_empty(),
        "a second pass over the same listing finds nothing"
    );
}

pub async fn kube_cleanup_keeps_failed_notifications(store: Arc<dyn Store>) {
    let svc = target(&store).await.service_id;
    record(
        &store,
        svc,
        &[
            seen(object("ok", "default", true, 1), true),
            seen(object("bad", "default", true, 2), true),
            seen(object("live", "default", true, 3), true),
            seen(object("ok", "default", true, 4), false),
            seen(object("bad", "default", true, 5), false),
        ],
    )
    .await;
    // Deliver everything, except that "bad"'s deletion fails for good.
    loop {
        let claimed = store
            .claim_deliveries("k", T0 + 1, 30_000, 10)
            .await
            .expect("claim");
        if claimed.is_empty() {
            break;
        }
        for d in claimed {
            let bad = matches!(&d.event, beacon_core::event::Payload::KubernetesDeleted(e) if e.object.uid == "bad");
            let done = FinishedAttempt {
                delivery_pk: d.pk,
                attempt: AttemptRecord {
                    started_at: T0 + 1,
                    response_status: Some(if bad { 404 } else { 200 }),
                    latency_us: 1,
                    ..Default::default()
                },
                next: if bad {
                    NextStep::Failed
                } else {
                    NextStep::Delivered
                },
            };
            assert!(store.finish_attempt("k", &done).await.expect("finish"));
        }
    }
    assert_eq!(
        store.kube_cleanup(T0).await.expect("cleanup"),
        0,
        "nothing is older than the retention yet"
    );
    assert_eq!(store.kube_cleanup(T0 + 1).await.expect("cleanup"), 1);
    let left = all_objects(&store, None).await;
    let mut uids: Vec<&str> = left.iter().map(|o| o.meta.uid.as_str()).collect();
    uids.sort_unstable();
    assert_eq!(uids, vec!["bad", "live"]);
    let events = all_events(&store).await;
    assert_eq!(events.len(), 3, "the cleaned object's events went with it");
    assert_eq!(
        store
            .kube_counts()
            .await
            .expect("counts")
            .failed_notifications,
        1
    );
}

/// Two processes that see the same object (a leader handing over) store its event once.
pub async fn two_instances_record_an_object_once(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let svc = target(&a).await.service_id;
    let batch = vec![seen(object("x", "default", true, 1), true)];
    let (ra, rb) = tokio::join!(
        a.kube_record(svc, &batch, None, T0),
        b.kube_record(svc, &batch, None, T0)
    );
    assert_eq!(ra.expect("a").len() + rb.expect("b").len(), 1);
    let gone = vec![seen(object("x", "default", true, 2), false)];
    let (ra, rb) = tokio::join!(
        a.kube_record(svc, &gone, None, T0 + 1),
        b.kube_record(svc, &gone, None, T0 + 1)
    );
    assert_eq!(ra.expect("a").len() + rb.expect("b").len(), 1);
    assert_eq!(all_events(&a).await.len(), 2);
}
