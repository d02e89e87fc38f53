//! Heartbeat intake with two store instances on one database — two processes sharing it (a server and the CLI,
//! or two servers). On SQLite the intake writes heartbeat rows behind the pings (migration 0007): these tests
//! prove that whatever one instance changes, the other's reads, writes and evaluations see.

use beacon_core::heartbeat::{HbStatus, HeartbeatInput, HeartbeatSpec, PingKind};
use beacon_core::token::{generate_ping_key, hash_ping_key};
use beacon_store::{HeartbeatRef, IncidentFilter, IncomingPing, Page, PingOutcome, Store};
use std::sync::Arc;
use uuid::Uuid;

const T0: i64 = 1_800_000_000_000;

fn ping(id: Uuid, key: &str, kind: PingKind, at: i64) -> IncomingPing {
    IncomingPing {
        target: HeartbeatRef::Id(id),
        key_hash: Some(hash_ping_key(key)),
        kind,
        rid: None,
        client_status: None,
        body: None,
        metadata: None,
        received_at: at,
        url_authenticated: false,
    }
}

async fn record(store: &Arc<dyn Store>, pings: &[IncomingPing]) -> Vec<PingOutcome> {
    store.record_heartbeat_pings(pings).await.expect("record")
}

/// `a` and `b` are two instances on the same database.
pub async fn two_instances_see_each_others_pings_and_changes(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let svc = a.create_service("jobs", "", T0).await.expect("service");
    let spec = HeartbeatSpec::create(HeartbeatInput {
        name: Some("backup".into()),
        period_seconds: Some(60),
        grace_seconds: Some(0),
        ..Default::default()
    })
    .expect("spec");
    let (key, key_hash) = generate_ping_key([3; 24]);
    let hb = a
        .create_heartbeat(svc.id, "backup", &spec, &key_hash, T0)
        .await
        .expect("create");
    let other = a
        .create_heartbeat(svc.id, "other", &spec, &key_hash, T0)
        .await
        .expect("create");

    // new → up (a status change, written at once), then pings that change nothing but the times.
    let ok = PingOutcome::Accepted;
    assert_eq!(
        record(&a, &[ping(hb.id, &key, PingKind::Success, T0 + 1_000)]).await,
        [ok]
    );
    assert_eq!(
        record(&a, &[ping(hb.id, &key, PingKind::Success, T0 + 50_000)]).await,
        [ok]
    );
    // Every read, from either instance, shows the newest ping at once.
    for s in [&a, &b] {
        let got = s
            .get_heartbeat(&HeartbeatRef::Id(hb.id))
            .await
            .expect("get");
        assert_eq!(got.last_ping_at, Some(T0 + 50_000));
        assert_eq!(got.state.last_result, Some((T0 + 50_000, true)));
        let listed = s
            .list_heartbeats(None, Page::default())
            .await
            .expect("list");
        assert_eq!(listed.items[0].last_ping_at, Some(T0 + 50_000));
        assert_eq!(
            s.list_heartbeat_pings(hb.id, 10)
                .await
                .expect("pings")
                .len(),
            2
        );
    }

    // The evaluator (in the other instance) at T0 + 70 s: the stored deadline (T0 + 61 s) has passed, but the
    // ping at T0 + 50 s moved it; nothing goes down.
    b.evaluate_heartbeats(T0 + 70_000, 100, T0)
        .await
        .expect("evaluate");
    let got = b
        .get_heartbeat(&HeartbeatRef::Id(hb.id))
        .await
        .expect("get");
    assert_eq!(got.status, HbStatus::Up);
    assert_eq!(
        got.next_check_at,
        Some(T0 + 110_001),
        "down just after the deadline"
    );
    let open = b
        .list_incidents(IncidentFilter::default(), Page::default())
        .await
        .expect("incidents");
    assert!(open.items.is_empty(), "no incident: {:?}", open.items);

    // A key rotated by the other instance: the intake must not accept the old key from its cache.
    assert_eq!(
        record(&a, &[ping(hb.id, &key, PingKind::Success, T0 + 80_000)]).await,
        [ok]
    );
    let (new_key, new_hash) = generate_ping_key([4; 24]);
    b.set_heartbeat_key(hb.id, &new_hash, None, T0 + 81_000)
        .await
        .expect("rotate");
    assert_eq!(
        record(
            &a,
            &[
                ping(hb.id, &key, PingKind::Success, T0 + 82_000),
                ping(hb.id, &new_key, PingKind::Start, T0 + 83_000),
            ]
        )
        .await,
        [PingOutcome::Unauthorized, ok]
    );
    // The rotation kept the ping at T0 + 80 s that only the intake had applied.
    let pings = b.list_heartbeat_pings(hb.id, 10).await.expect("pings");
    assert_eq!(pings.len(), 4);
    assert_eq!(pings[1].received_at, T0 + 80_000);

    // Pings through the other instance: the run started through `a` finishes through `b`, and `a` then sees
    // both (its cached row is stale: another process wrote pings).
    assert_eq!(
        record(&b, &[ping(hb.id, &new_key, PingKind::Success, T0 + 90_000)]).await,
        [ok]
    );
    assert_eq!(
        b.list_heartbeat_pings(hb.id, 1).await.expect("pings")[0].duration_ms,
        Some(7_000)
    );
    assert_eq!(
        record(
            &a,
            &[
                ping(hb.id, &new_key, PingKind::Start, T0 + 95_000),
                ping(other.id, &key, PingKind::Success, T0 + 95_000),
            ]
        )
        .await,
        [ok, ok]
    );
    assert_eq!(
        record(&b, &[ping(hb.id, &new_key, PingKind::Fail, T0 + 99_000)]).await,
        [ok]
    );
    let got = a
        .get_heartbeat(&HeartbeatRef::Id(hb.id))
        .await
        .expect("get");
    assert_eq!(got.status, HbStatus::Down, "a failure is down at once");
    assert_eq!(got.state.last_result, Some((T0 + 99_000, false)));
    let pings = a.list_heartbeat_pings(hb.id, 100).await.expect("pings");
    assert_eq!(pings.len(), 7);
    assert_eq!(pings[0].duration_ms, Some(4_000));
    let incidents = a
        .list_incidents(IncidentFilter::default(), Page::default())
        .await
        .expect("incidents");
    assert_eq!(incidents.items.len(), 1);

    // A row the intake writes behind must not undo a change made elsewhere meanwhile: `other` has a pending
    // ping in `a` when `b` pauses it; `a`'s next batch a second of ping time later (pinging another heartbeat)
    // writes its pending rows.
    assert_eq!(
        record(&a, &[ping(other.id, &key, PingKind::Success, T0 + 96_000)]).await,
        [ok]
    );
    b.set_heartbeat_paused(other.id, true, T0 + 100_000)
        .await
        .expect("pause");
    assert_eq!(
        record(&a, &[ping(hb.id, &new_key, PingKind::Log, T0 + 100_500)]).await,
        [ok]
    );
    let got = b
        .get_heartbeat(&HeartbeatRef::Id(other.id))
        .await
        .expect("get");
    assert_eq!(
        (got.status, got.state.paused, got.last_ping_at),
        (HbStatus::Paused, true, Some(T0 + 96_000))
    );

    // Paused, pinged through the other instance: a ping resumes it, and counts.
    assert_eq!(
        record(&a, &[ping(other.id, &key, PingKind::Success, T0 + 101_000)]).await,
        [ok]
    );
    let got = b
        .get_heartbeat(&HeartbeatRef::Id(other.id))
        .await
        .expect("get");
    assert_eq!((got.status, got.state.paused), (HbStatus::Up, false));
    assert_eq!(got.last_ping_at, Some(T0 + 101_000));

    // Deleted through one instance while `a` holds a ping not yet written to its row: the other's cached copy
    // does not take pings for it, and a heartbeat created next (on SQLite it may get the same pk) inherits
    // nothing of it.
    assert_eq!(
        record(&a, &[ping(other.id, &key, PingKind::Success, T0 + 101_500)]).await,
        [ok]
    );
    b.delete_heartbeat(other.id).await.expect("delete");
    assert_eq!(
        record(&a, &[ping(other.id, &key, PingKind::Success, T0 + 102_000)]).await,
        [PingOutcome::NotFound]
    );
    let third = b
        .create_heartbeat(svc.id, "third", &spec, &key_hash, T0 + 103_000)
        .await
        .expect("create");
    for s in [&a, &b] {
        let got = s
            .get_heartbeat(&HeartbeatRef::Id(third.id))
            .await
            .expect("get");
        assert_eq!((got.status, got.last_ping_at), (HbStatus::New, None));
        assert!(
            s.list_heartbeat_pings(third.id, 10)
                .await
                .expect("pings")
                .is_empty()
        );
    }
    // Its pings go with the next pruning sweep; the other heartbeat keeps its newest.
    // The other instance does not know `a`'s pending count, so it keeps at least the newest three; `a` (the
    // intake's own process, where the server prunes) keeps exactly three.
    crate::conformance::prune_all(&b, 3).await;
    let kept = a.list_heartbeat_pings(hb.id, 100).await.expect("pings");
    assert!(kept.len() >= 3);
    crate::conformance::prune_all(&a, 3).await;
    let kept = a.list_heartbeat_pings(hb.id, 100).await.expect("pings");
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0].received_at, T0 + 100_500);
}

/// Two instances recording batches that name the same heartbeats, some by id and some by slug, the other way
/// round in each: every batch goes through (rows are locked in one global order, so neither waits on the other
/// in a cycle — PostgreSQL would abort one as a deadlock).
pub async fn batches_mixing_ids_and_slugs_do_not_deadlock(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let svc = a.create_service("jobs", "", T0).await.expect("service");
    let spec = HeartbeatSpec::create(HeartbeatInput {
        name: Some("job".into()),
        period_seconds: Some(60),
        grace_seconds: Some(0),
        ..Default::default()
    })
    .expect("spec");
    let (key, key_hash) = generate_ping_key([5; 24]);
    let mut hbs = Vec::new();
    for i in 0..16 {
        let slug = format!("job-{i}");
        let hb = a
            .create_heartbeat(svc.id, &slug, &spec, &key_hash, T0)
            .await
            .expect("create");
        hbs.push((hb.id, slug));
    }
    // Instance `flip` names the even heartbeats by slug and the odd by id; the other the reverse. A fail and
    // a success alternate, so every ping changes a status and is written at once.
    let batch = |flip: bool, round: i64| -> Vec<IncomingPing> {
        let kind = if round % 2 == 0 {
            PingKind::Fail
        } else {
            PingKind::Success
        };
        let mut out: Vec<IncomingPing> = hbs
            .iter()
            .enumerate()
            .map(|(i, (id, slug))| {
                let mut p = ping(*id, &key, kind, T0 + 1_000 * (round + 1));
                if (i % 2 == 0) == flip {
                    p.target = HeartbeatRef::Slug(slug.clone());
                }
                p
            })
            .collect();
        if flip {
            out.reverse();
        }
        out
    };
    let run = |store: Arc<dyn Store>, flip: bool| {
        let batches: Vec<Vec<IncomingPing>> = (0..60).map(|r| batch(flip, r)).collect();
        async move {
            for pings in batches {
                let outcomes = store
                    .record_heartbeat_pings(&pings)
                    .await
                    .expect("a batch goes through");
                assert!(
                    outcomes.iter().all(|o| *o == PingOutcome::Accepted),
                    "{outcomes:?}"
                );
            }
        }
    };
    tokio::join!(run(a.clone(), false), run(b.clone(), true));
}
