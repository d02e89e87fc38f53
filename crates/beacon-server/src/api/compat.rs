//! Domain reads for the seed-compatible routes (seed 002's `/checks`, seed 003's `/api/*`), whose wire shapes
//! are not `/api/v1`'s: they get models, not views, shape them themselves, and tell "not found" apart in their
//! own words (hence `StoreError`). Writes go through the same operations as `/api/v1`.

use super::*;
use beacon_store::{
    Endpoint, EndpointAttempt, EndpointEvent, HeartbeatLogEntry, Paged, Ping, Service, StoreError,
};

impl App {
    pub async fn endpoint_model(&self, id: Uuid) -> Result<Endpoint, StoreError> {
        self.store.get_endpoint(id).await
    }

    /// Endpoints of every service, in creation order.
    pub async fn endpoint_models(&self, page: Page) -> Result<Paged<Endpoint>, StoreError> {
        self.store.list_endpoints(None, page).await
    }

    pub async fn service_models(&self, page: Page) -> Result<Paged<Service>, StoreError> {
        self.store.list_services(page).await
    }

    /// Newest first.
    pub async fn endpoint_pings(
        &self,
        id: Uuid,
        query: PingQuery,
    ) -> Result<Vec<Ping>, StoreError> {
        self.store.list_pings(id, query).await
    }

    /// Events about one endpoint (seed 002's alerts), newest first.
    pub async fn endpoint_events(
        &self,
        id: Uuid,
        limit: u32,
    ) -> Result<Vec<EndpointEvent>, StoreError> {
        self.store.list_endpoint_events(id, limit).await
    }

    /// Delivery attempts of those events, newest first.
    pub async fn endpoint_attempts(
        &self,
        id: Uuid,
        limit: u32,
    ) -> Result<Vec<EndpointAttempt>, StoreError> {
        self.store.list_endpoint_attempts(id, limit).await
    }

    pub async fn heartbeat_model(&self, target: &HeartbeatRef) -> Result<Heartbeat, StoreError> {
        self.store.get_heartbeat(target).await
    }

    pub async fn heartbeat_models(&self, page: Page) -> Result<Paged<Heartbeat>, StoreError> {
        self.store.list_heartbeats(None, page).await
    }

    /// Status changes, newest first.
    pub async fn heartbeat_log(
        &self,
        target: &HeartbeatRef,
        limit: u32,
    ) -> Result<Vec<HeartbeatLogEntry>, StoreError> {
        self.store.list_heartbeat_log(target, limit).await
    }

    /// The database's upkeep role, for the ops endpoints (`/ready`, `/health`): round trips and storage.
    pub fn maintenance(&self) -> Arc<dyn beacon_store::Maintenance> {
        self.store.clone()
    }
}
