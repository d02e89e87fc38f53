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
        }
    }
}

list_type!(IncidentList, IncidentView);
