//! Events as stored: the `kind` column and the payload as JSON text (`beacon_core::event::Payload` serialised as
//! it is). Reading picks the payload struct by kind; payloads written by earlier versions decode through the
//! structs' serde defaults.

use crate::Result;
use crate::error::corrupt;
use beacon_core::event::{EventKind, Payload};

/// The `kind` and `payload` columns of an event.
pub(crate) fn to_columns(payload: &Payload) -> Result<(&'static str, String)> {
    Ok((
        payload.kind().as_str(),
        serde_json::to_string(payload).map_err(corrupt)?,
    ))
}

/// An event's payload from its `kind` and `payload` columns.
pub(crate) fn from_columns(kind: &str, payload: &str) -> Result<Payload> {
    let kind = EventKind::parse(kind).map_err(corrupt)?;
    let bad = |e: serde_json::Error| corrupt(format!("{kind} payload: {e}"));
    Ok(match kind {
        EventKind::IncidentStart => {
            Payload::IncidentStart(serde_json::from_str(payload).map_err(bad)?)
        }
        EventKind::IncidentResolved => {
            Payload::IncidentResolved(serde_json::from_str(payload).map_err(bad)?)
        }
        EventKind::HeartbeatDown => {
            Payload::HeartbeatDown(serde_json::from_str(payload).map_err(bad)?)
        }
        EventKind::HeartbeatUp => Payload::HeartbeatUp(serde_json::from_str(payload).map_err(bad)?),
        EventKind::Test => Payload::Test(serde_json::from_str(payload).map_err(bad)?),
        EventKind::IncidentAcknowledged => {
            Payload::IncidentAcknowledged(serde_json::from_str(payload).map_err(bad)?)
        }
        EventKind::KubernetesCreated => {
            Payload::KubernetesCreated(serde_json::from_str(payload).map_err(bad)?)
        }
        EventKind::KubernetesDeleted => {
            Payload::KubernetesDeleted(serde_json::from_str(payload).map_err(bad)?)
        }
        EventKind::Reminder => Payload::Reminder(serde_json::from_str(payload).map_err(bad)?),
        EventKind::Escalation => Payload::Escalation(serde_json::from_str(payload).map_err(bad)?),
        EventKind::Flapping => Payload::Flapping(serde_json::from_str(payload).map_err(bad)?),
        EventKind::DegradedStart => {
            Payload::DegradedStart(serde_json::from_str(payload).map_err(bad)?)
        }
        EventKind::DegradedEnd => Payload::DegradedEnd(serde_json::from_str(payload).map_err(bad)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Payloads as versions before typed events wrote them (`json!` objects) still decode, and a decoded
    /// payload is stored again as the same JSON.
    #[test]
    fn earlier_payloads_decode() {
        let id = "6f1c1c52-5a57-4a39-9a3e-0f6f3b3c2a10";
        let old = [
            (
                "incident_start",
                format!(
                    r#"{{"incident_id":"{id}","endpoint_id":"{id}","started_at":5,"cause":"timeout: slow","failure_count":3,"endpoint_name":"api","run_status":"timeout","error":"slow"}}"#
                ),
            ),
            (
                "incident_resolved",
                format!(
                    r#"{{"incident_id":"{id}","started_at":5,"resolved_at":9,"cause":"x","resolved_by":"manual","endpoint_id":"{id}","failure_count":4}}"#
                ),
            ),
            (
                "heartbeat_down",
                format!(
                    r#"{{"heartbeat_id":"{id}","service_id":"{id}","slug":"s","name":"n","status":"down","previous_status":"up","last_ping_at":null,"incident_id":"{id}","started_at":7,"cause":"c"}}"#
                ),
            ),
            (
                "heartbeat_up",
                format!(
                    r#"{{"incident_id":"{id}","started_at":5,"resolved_at":9,"cause":"x","resolved_by":"manual","heartbeat_id":"{id}"}}"#
                ),
            ),
            (
                "test",
                format!(
                    r#"{{"webhook_id":"{id}","service_id":"{id}","endpoint_id":null,"message":"m"}}"#
                ),
            ),
        ];
        for (kind, text) in old {
            let payload = from_columns(kind, &text).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(payload.kind().as_str(), kind);
            let (k, again) = to_columns(&payload).expect("encode");
            assert_eq!(k, kind);
            assert_eq!(from_columns(k, &again).expect("decode again"), payload);
        }
        assert!(from_columns("incident_started", "{}").is_err());
        assert!(from_columns("incident_start", r#"{"cause":"x"}"#).is_err());
    }
}
