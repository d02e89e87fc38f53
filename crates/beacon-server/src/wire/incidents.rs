//! Incidents: the view.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct IncidentView {
    pub id: Uuid,
    /// The endpoint the incident is about; null for a heartbeat's incident.
    pub endpoint_id: Option<Uuid>,
    /// The heartbeat the incident is about; null for an endpoint's incident.
    pub heartbeat_id: Option<Uuid>,
    pub status: String,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub cause: String,
    pub failure_count: u32,
    pub resolved_by: Option<String>,
    /// When someone acknowledged it (no reminders follow), who, and their note.
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub ack_note: Option<String>,
}

impl From<&Incident> for IncidentView {
    fn from(i: &Incident) -> Self {
        Self {
            id: i.id,
            endpoint_id: i.endpoint_id,
            heartbeat_id: i.heartbeat_id,
            status: i.status.as_str().to_owned(),
            started_at: rfc3339(i.started_at),
            resolved_at: opt_rfc3339(i.resolved_at),
            cause: i.cause.clone(),
            failure_count: i.failure_count,
            resolved_by: i.resolved_by.map(|r| r.as_str().to_owned()),
            acknowledged_at: opt_rfc3339(i.acknowledged_at),
            acknowledged_by: i.acknowledged_by.clone(),
            ack_note: i.ack_note.clone(),
        }
    }
}

list_type!(IncidentList, IncidentView);

/// Acknowledge an open incident.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    /// What the person is doing about it (at most 1,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
