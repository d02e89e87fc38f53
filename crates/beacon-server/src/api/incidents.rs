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
    /// Someone takes the incident: reminders stop. `by` names them (the server decides it from the caller's
    /// credential; a client's value is not sent).
    async fn ack_incident(
        &self,
        id: Uuid,
        body: AckBody,
        by: &str,
    ) -> Result<IncidentView, ApiError>;
}

/// The key that signs acknowledgement links, shared by every server on the database (made by the first to ask).
pub async fn ack_key(
    store: &dyn beacon_store::Incidents,
    now: Millis,
) -> Result<Vec<u8>, beacon_store::StoreError> {
    let fresh: [u8; 32] = rand::random();
    store.server_key("ack_links", &fresh, now).await
}

impl App {
    /// The key that signs acknowledgement links.
    pub async fn ack_key(&self) -> Result<Vec<u8>, ApiError> {
        Ok(ack_key(self.store.as_ref(), self.now()).await?)
    }

    /// The incident an acknowledgement link names, if the link is genuine and unexpired.
    pub async fn ack_link_incident(&self, token: &str) -> Result<IncidentView, ApiError> {
        let key = self.ack_key().await?;
        let id = beacon_core::ack::verify(&key, token, self.now()).map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                e.to_string(),
            )
        })?;
        self.get_incident(id).await
    }
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

    async fn ack_incident(
        &self,
        id: Uuid,
        body: AckBody,
        by: &str,
    ) -> Result<IncidentView, ApiError> {
        let note = body
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if note.is_some_and(|n| {
            n.chars().count() > 1000 || n.chars().any(|c| c.is_control() && c != '\n')
        }) {
            return Err(ValidationError::new(
                "note",
                "at most 1,000 characters, without control characters",
            )
            .into());
        }
        let i = self
            .store
            .acknowledge_incident(id, by, note, self.now())
            .await?;
        Ok((&i).into())
    }

    async fn resolve_incident(&self, id: Uuid) -> Result<IncidentView, ApiError> {
        Ok((&self.store.resolve_incident(id, self.now()).await?).into())
    }
}
