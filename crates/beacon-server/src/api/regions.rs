//! Regions: create and list.

use super::*;

#[async_trait]
pub trait RegionOps: Send + Sync {
    async fn create_region(&self, body: RegionCreate) -> Result<RegionView, ApiError>;
    async fn list_regions(&self) -> Result<RegionList, ApiError>;
}

fn view(r: &beacon_store::Region) -> RegionView {
    RegionView {
        name: r.name.clone(),
        endpoints: r.endpoints,
    }
}

#[async_trait]
impl RegionOps for App {
    async fn create_region(&self, body: RegionCreate) -> Result<RegionView, ApiError> {
        Ok(view(&self.store.create_region(&body.name).await?))
    }

    async fn list_regions(&self) -> Result<RegionList, ApiError> {
        Ok(RegionList {
            data: self.store.list_regions().await?.iter().map(view).collect(),
            next_cursor: None,
        })
    }
}
