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
pub use heartbeats::*;
pub use incidents::*;
pub use kubernetes::*;
pub use monitor_routes::*;
pub use publishing::*;
pub use regions::*;
pub use schedules::*;
pub use tokens::*;
pub use users::*;
