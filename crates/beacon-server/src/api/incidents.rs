//! Incidents: list, read, resolve by hand.

use super::*;

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentParams {
    /// open or resolved.
    pub status: Option<String>,
    pub endpoint_id: Option<Uuid>,
    pub heartbeat_id: Option<Uuid>,
    /// Items per page, 1..1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[async_trait]
pub trait IncidentOps: Send + Sync {
    async fn list_incidents(&self, params: IncidentParams) -> Result<IncidentList, ApiError>;
    async fn get_incident(&self, id: Uuid) -> Result<IncidentView, ApiError>;
    async fn resolve_incident(&self, id: Uuid) -> Result<IncidentView, ApiError>;
}

#[async_trait]
impl IncidentOps for App {
    async fn list_incidents(&self, params: IncidentParams) -> Result<IncidentList, ApiError> {
        let status = match params.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(IncidentStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!("unknown status {s:?}: use open or resolved"))
                    .with_field("status")
            })?),
        };
        let got = self
            .store
            .list_incidents(
                IncidentFilter {
                    status,
                    endpoint_id: params.endpoint_id,
                    heartbeat_id: params.heartbeat_id,
                },
                page(params.limit, params.cursor.as_deref())?,
            )
            .await?;
        Ok(IncidentList {
            data: got.items.iter().map(Into::into).collect(),
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_incident(&self, id: Uuid) -> Result<IncidentView, ApiError> {
        Ok((&self.store.get_incident(id).await?).into())
    }

    async fn resolve_incident(&self, id: Uuid) -> Result<IncidentView, ApiError> {
        Ok((&self.store.resolve_incident(id, self.now()).await?).into())
    }
}
