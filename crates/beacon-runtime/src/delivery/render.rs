//! Bodies rendered from typed events, one function per output format: Standard Webhooks JSON (`standard`: a
//! versioned `type`, the event's `timestamp`, and `data` with seed 000's fields plus Beacon's) and seed 002's
//! Pulse alert (`pulse`). Each matches on the event's payload, so a new kind must say what it looks like here.

use beacon_core::Millis;
use beacon_core::event::{Monitor, Payload};
use beacon_store::{ClaimedDelivery, WebhookFormat};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

fn rfc3339(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The body for a delivery, in its webhook's format.
pub fn body(d: &ClaimedDelivery) -> Value {
    match d.format {
        WebhookFormat::Standard => standard(d.event_id, d.webhook_id, &d.event, d.event_at),
        WebhookFormat::Pulse => pulse(&d.event, d.event_at),
    }
}

/// The Standard Webhooks body of event `event_id` (at `at`) sent to webhook `webhook_id`.
pub fn standard(event_id: Uuid, webhook_id: Uuid, event: &Payload, at: Millis) -> Value {
    let kind = event.kind();
    let mut data = match event {
        Payload::IncidentStart(p) => incident(
            p.incident_id,
            &p.monitor,
            p.started_at,
            &p.cause,
            p.failure_count,
        ),
        Payload::IncidentResolved(p) => {
            let mut data = incident(
                p.incident_id,
                &p.monitor,
                p.started_at,
                &p.cause,
                p.failure_count,
            );
            if let Some(obj) = data.as_object_mut() {
                obj.insert("resolved_at".into(), json!(rfc3339(p.resolved_at)));
                obj.insert("resolved_by".into(), json!(p.resolved_by));
            }
            data
        }
        Payload::HeartbeatDown(p) | Payload::HeartbeatUp(p) => {
            let mut data = json!({
                "incident_id": p.incident_id,
                "heartbeat_id": p.heartbeat_id,
                "service_id": p.service_id,
                "slug": p.slug,
                "name": p.name,
                "status": p.status,
                "previous_status": p.previous_status,
                "started_at": rfc3339(p.started_at),
                "last_ping_at": p.last_ping_at.map(rfc3339),
                "message": p.cause,
                "cause": p.cause,
            });
            if let (Some(obj), Some(at)) = (data.as_object_mut(), p.resolved_at) {
                obj.insert("resolved_at".into(), json!(rfc3339(at)));
            }
            if let (Some(obj), Some(by)) = (data.as_object_mut(), &p.resolved_by) {
                obj.insert("resolved_by".into(), json!(by));
            }
            data
        }
        Payload::Test(p) => json!({ "webhook_id": webhook_id, "message": p.message }),
    };
    if let Some(obj) = data.as_object_mut() {
        obj.insert("event".into(), json!(kind.as_str()));
        obj.insert("event_id".into(), json!(event_id));
    }
    json!({ "type": format!("{kind}.v1"), "timestamp": rfc3339(at), "data": data })
}

/// `data` of an endpoint incident's event: seed 000's fields (`message` is the cause) and Beacon's, the monitor
/// named (null in events recorded before it was).
fn incident(
    incident_id: Uuid,
    m: &Monitor,
    started_at: Millis,
    cause: &str,
    failures: u32,
) -> Value {
    json!({
        "incident_id": incident_id,
        "endpoint_id": m.endpoint_id,
        "endpoint_name": m.endpoint_name,
        "endpoint_url": m.endpoint_url,
        "service_name": m.service_name,
        "started_at": rfc3339(started_at),
        "message": cause,
        "cause": cause,
        "failure_count": failures,
    })
}

/// Seed 002's alert body for a check's `webhook_url`: `failure` when an incident opens, `recovery` when it
/// resolves; `status` is the run's status and `timestamp` the run's time. Other kinds keep their name as
/// `type` (a `webhooks test` of such a webhook).
pub fn pulse(event: &Payload, at: Millis) -> Value {
    let (check_id, check_name, kind, status, error) = match event {
        Payload::IncidentStart(p) => (
            Some(p.monitor.endpoint_id),
            p.monitor.endpoint_name.as_deref(),
            "failure",
            p.run_status.as_deref().unwrap_or("fail"),
            p.error.as_deref().filter(|e| !e.is_empty()),
        ),
        Payload::IncidentResolved(p) => (
            Some(p.monitor.endpoint_id),
            p.monitor.endpoint_name.as_deref(),
            "recovery",
            p.run_status.as_deref().unwrap_or("success"),
            None,
        ),
        Payload::HeartbeatDown(_) | Payload::HeartbeatUp(_) => {
            (None, None, event.kind().as_str(), "success", None)
        }
        Payload::Test(p) => (p.endpoint_id, None, event.kind().as_str(), "success", None),
    };
    let mut body = json!({
        "check_id": check_id,
        "check_name": check_name,
        "type": kind,
        "status": status,
        "timestamp": rfc3339(at),
    });
    if let (Some(obj), Some(err)) = (body.as_object_mut(), error) {
        obj.insert("error".into(), json!(err));
    }
    body
}
