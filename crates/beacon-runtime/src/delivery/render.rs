//! Bodies rendered from typed events, one function per output format: Standard Webhooks JSON (`standard`: a
//! versioned `type`, the event's `timestamp`, and `data` with seed 000's fields plus Beacon's) and seed 002's
//! Pulse alert (`pulse`). Each matches on the event's payload, so a new kind must say what it looks like here.

use beacon_core::Millis;
use beacon_core::event::{Flapper, Monitor, Payload};
use beacon_store::{ClaimedDelivery, CloudEventsOptions, WebhookFormat};
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
        WebhookFormat::CloudEvents => cloud_event(
            d.event_id,
            d.webhook_id,
            &d.event,
            d.event_at,
            &d.options.cloud_events.clone().unwrap_or_default(),
        ),
    }
}

/// Seed 001's CloudEvents 1.0 structured-mode body for a Kubernetes object's event: `source` is
/// `{source}/{namespace}/{Kind}`, `type` `{type_prefix}.created|deleted`, `subject` the object's name, and
/// `data` the resource and the metadata the options let through (annotations only those listed, labels all
/// unless some are listed). Other events keep their Standard Webhooks `data` under `{type_prefix}.{kind}`.
pub fn cloud_event(
    event_id: Uuid,
    webhook_id: Uuid,
    event: &Payload,
    at: Millis,
    o: &CloudEventsOptions,
) -> Value {
    let (e, change) = match event {
        Payload::KubernetesCreated(e) => (e, "created"),
        Payload::KubernetesDeleted(e) => (e, "deleted"),
        other => {
            let data = standard(event_id, webhook_id, other, at)
                .get("data")
                .cloned()
                .unwrap_or(Value::Null);
            return json!({
                "specversion": "1.0",
                "id": event_id,
                "source": o.source,
                "type": format!("{}.{}", o.type_prefix, other.kind()),
                "time": rfc3339(at),
                "datacontenttype": "application/json",
                "data": data,
            });
        }
    };
    let obj = &e.object;
    let namespace = obj.namespace.as_deref().unwrap_or("");
    let annotations: serde_json::Map<String, Value> = o
        .annotations
        .iter()
        .filter_map(|k| Some((k.clone(), json!(obj.annotations.get(k)?))))
        .collect();
    let labels: serde_json::Map<String, Value> = obj
        .labels
        .iter()
        .filter(|(k, _)| o.labels.is_empty() || o.labels.contains(k))
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!({
        "specversion": "1.0",
        "id": event_id,
        "source": format!("{}/{}/{}", o.source, namespace, obj.kind),
        "type": format!("{}.{}", o.type_prefix, change),
        "subject": obj.name,
        "time": rfc3339(at),
        "datacontenttype": "application/json",
        "data": {
            "resource": {
                "uid": obj.uid,
                "type": obj.kind,
                "name": obj.name,
                "namespace": namespace,
                "annotationValue": e.annotation_value,
            },
            "metadata": {
                "annotations": annotations,
                "labels": labels,
                "resourceVersion": obj.resource_version,
            },
        },
    })
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
        Payload::IncidentAcknowledged(p) => json!({
            "incident_id": p.incident_id,
            "subject": p.subject,
            "started_at": rfc3339(p.started_at),
            "message": p.cause,
            "cause": p.cause,
            "acknowledged_by": p.by,
            "note": p.note,
            "acknowledged_at": rfc3339(p.at),
        }),
        Payload::Reminder(p) | Payload::Escalation(p) => json!({
            "incident_id": p.incident_id,
            "subject": p.subject,
            "started_at": rfc3339(p.started_at),
            "message": p.cause,
            "cause": p.cause,
            "number": p.number,
            "of": p.of,
        }),
        Payload::Flapping(p) => {
            let mut data = match &p.monitor {
                Flapper::Endpoint(m) => incident(Uuid::nil(), m, at, "flapping", p.changes),
                Flapper::Heartbeat(h) => json!({
                    "heartbeat_id": h.heartbeat_id,
                    "name": h.name,
                    "message": "flapping",
                }),
            };
            if let Some(obj) = data.as_object_mut() {
                obj.remove("incident_id");
                obj.insert("started".into(), json!(p.started));
                obj.insert("state".into(), json!(p.state));
                obj.insert("changes".into(), json!(p.changes));
                obj.insert("window_seconds".into(), json!(p.window_ms / 1000));
            }
            data
        }
        Payload::DegradedStart(p) | Payload::DegradedEnd(p) => {
            let mut data = incident(Uuid::nil(), &p.monitor, p.since.unwrap_or(at), &p.reason, 0);
            if let Some(obj) = data.as_object_mut() {
                obj.remove("incident_id");
                obj.remove("failure_count");
                obj.insert("reason".into(), json!(p.reason));
                obj.insert("degraded_since".into(), json!(p.since.map(rfc3339)));
            }
            data
        }
        Payload::KubernetesCreated(p) | Payload::KubernetesDeleted(p) => json!({
            "uid": p.object.uid,
            "api_version": p.object.api_version,
            "kind": p.object.kind,
            "name": p.object.name,
            "namespace": p.object.namespace,
            "annotation_value": p.annotation_value,
            "labels": p.object.labels,
            "annotations": p.object.annotations,
            "resource_version": p.object.resource_version,
            "reason": p.reason.as_str(),
            "detected_at": rfc3339(p.detected_at),
        }),
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
        Payload::KubernetesCreated(_)
        | Payload::KubernetesDeleted(_)
        | Payload::IncidentAcknowledged(_)
        | Payload::Reminder(_)
        | Payload::Escalation(_)
        | Payload::Flapping(_)
        | Payload::DegradedStart(_)
        | Payload::DegradedEnd(_) => (None, None, event.kind().as_str(), "success", None),
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

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_core::kubernetes::{ObjectEvent, ObjectMeta, Reason};

    /// Seed 001's body, field by field: source and type from the options, the annotations filtered to the listed
    /// keys, the labels to the listed ones when some are listed.
    #[test]
    fn cloud_events_carry_seed_001s_shape() {
        let id = Uuid::from_u128(7);
        let object = ObjectMeta {
            uid: "u-1".into(),
            api_version: "serving.kserve.io/v1alpha1".into(),
            kind: "LLMInferenceService".into(),
            name: "llama".into(),
            namespace: Some("models".into()),
            labels: [("app", "llm"), ("tier", "gpu")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            annotations: [("bakerapps.net.maas", "true"), ("owner", "ml"), ("x", "y")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            resource_version: "42".into(),
        };
        let event = Payload::KubernetesDeleted(ObjectEvent {
            object,
            annotation_value: "true".into(),
            reason: Reason::Removed,
            detected_at: 0,
        });
        let options = CloudEventsOptions {
            source: "/beacon".into(),
            type_prefix: "net.bakerapps.beacon.resource".into(),
            annotations: vec!["owner".into(), "absent".into()],
            labels: vec!["app".into()],
        };
        let body = cloud_event(id, id, &event, 1_700_000_000_000, &options);
        assert_eq!(
            body,
            json!({
                "specversion": "1.0",
                "id": id,
                "source": "/beacon/models/LLMInferenceService",
                "type": "net.bakerapps.beacon.resource.deleted",
                "subject": "llama",
                "time": "2023-11-14T22:13:20.000Z",
                "datacontenttype": "application/json",
                "data": {
                    "resource": {
                        "uid": "u-1",
                        "type": "LLMInferenceService",
                        "name": "llama",
                        "namespace": "models",
                        "annotationValue": "true",
                    },
                    "metadata": {
                        "annotations": { "owner": "ml" },
                        "labels": { "app": "llm" },
                        "resourceVersion": "42",
                    },
                },
            })
        );
        let all = CloudEventsOptions::default();
        let body = cloud_event(id, id, &event, 0, &all);
        assert_eq!(body["data"]["metadata"]["annotations"], json!({}));
        assert_eq!(
            body["data"]["metadata"]["labels"],
            json!({"app": "llm", "tier": "gpu"})
        );
    }
}
