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
            details: Default::default(),
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
    run_slot_with(store, now, |_| {}, ok).await
}

/// As `run_slot`, with the record changed by `tweak` (e.g. a warning: degraded).
async fn run_slot_with(
    store: &Arc<dyn Store>,
    now: i64,
    tweak: impl FnOnce(&mut PingRecord),
    ok: bool,
) -> CompleteReport {
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
                ping: Some({
                    let mut r = record(c.slot, ok);
                    tweak(&mut r);
                    r
                }),
            }],
        )
        .await
        .expect("complete")
}

/// A service `jobs` with the heartbeat `backup` (every 60 s, 30 s grace), and the heartbeat's ping key.
async fn backup_heartbeat(store: &Arc<dyn Store>) -> (Service, Heartbeat, String) {
    use beacon_core::heartbeat::{HeartbeatInput, HeartbeatSpec};
    let svc = store.create_service("jobs", "", T0).await.expect("service");
    let spec = HeartbeatSpec::create(HeartbeatInput {
        name: Some("backup".into()),
        period_seconds: Some(60),
        grace_seconds: Some(30),
        ..Default::default()
    })
    .expect("spec");
    let (key, key_hash) = beacon_core::token::generate_ping_key([5; 24]);
    let hb = store
        .create_heartbeat(svc.id, "backup", &spec, &key_hash, T0)
        .await
        .expect("heartbeat");
    (svc, hb, key)
}

/// A ping of heartbeat `id` with its `key`, of `kind`, received at `at`.
fn keyed_ping(
    id: Uuid,
    key: &str,
    kind: beacon_core::heartbeat::PingKind,
    at: i64,
) -> IncomingPing {
    IncomingPing {
        target: HeartbeatRef::Id(id),
        key_hash: Some(beacon_core::token::hash_ping_key(key)),
        kind,
        rid: None,
        client_status: None,
        body: None,
        metadata: None,
        received_at: at,
        url_authenticated: false,
    }
}

/// A maintenance window for `target` in force for the day from T0.
async fn day_window(store: &Arc<dyn Store>, target: WindowTarget) -> MaintenanceWindow {
    store
        .create_window(
            &NewWindow {
                target,
                reason: None,
                schedule: beacon_core::maintenance::WindowSchedule::Once {
                    start: T0,
                    end: T0 + 86_400_000,
                },
            },
            T0,
        )
        .await
        .expect("window")
}

/// Every incident, as the store lists them.
async fn all_incidents(store: &Arc<dyn Store>) -> Vec<Incident> {
    store
        .list_incidents(IncidentFilter::default(), Page::default())
        .await
        .expect("incidents")
        .items
}

/// The event kinds of a channel's deliveries (every channel's with `None`), oldest first.
async fn delivered_kinds(store: &Arc<dyn Store>, channel: Option<Uuid>) -> Vec<String> {
    let mut d = store
        .list_deliveries(channel, None)
        .await
        .expect("deliveries");
    d.sort_by_key(|d| (d.created_at, d.id));
    d.iter().map(|d| d.event_kind.as_str().to_owned()).collect()
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

/// An event's payload as the JSON it is stored as.
fn json(payload: &beacon_core::event::Payload) -> serde_json::Value {
    serde_json::to_value(payload).expect("payload serialises")
}

mod catalog;
mod channels;
mod degraded;
mod deliveries;
mod flapping;
mod heartbeats;
mod incidents;
pub(crate) mod kubernetes;
mod monitor_routes;
mod publishing;
mod regions;
mod schedules;
mod tokens;
mod users;

pub use catalog::*;
pub use channels::*;
pub use degraded::*;
pub use deliveries::*;
pub use flapping::*;
pub use heartbeats::*;
pub use incidents::*;
pub use kubernetes::*;
pub use monitor_routes::*;
pub use publishing::*;
pub use regions::*;
pub use schedules::*;
pub use tokens::*;
pub use users::*;
