//! Services: create, list, read, change, delete (with `--cascade`).

use super::*;

#[async_trait]
pub trait ServiceOps: Send + Sync {
    async fn create_service(&self, body: ServiceCreate) -> Result<ServiceView, ApiError>;
    async fn list_services(&self, params: ListParams) -> Result<ServiceList, ApiError>;
    async fn get_service(&self, id: Uuid) -> Result<ServiceView, ApiError>;
    async fn update_service(&self, id: Uuid, body: ServicePatch) -> Result<ServiceView, ApiError>;
    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<(), ApiError>;
}

#[async_trait]
impl ServiceOps for App {
    async fn create_service(&self, body: ServiceCreate) -> Result<ServiceView, ApiError> {
        let s = self
            .store
            .create_service(
                &body.name,
                body.description.as_deref().unwrap_or(""),
                self.now(),
            )
            .await?;
        let mut view = ServiceView::from(&s);
        view.ping_key = Some(self.store.service_ping_key(s.id).await?);
        Ok(view)
    }

    async fn list_services(&self, params: ListParams) -> Result<ServiceList, ApiError> {
        let got = self
            .store
            .list_services(page(params.limit, params.cursor.as_deref())?)
            .await?;
        Ok(ServiceList {
            data: got.items.iter().map(Into::into).collect(),
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_service(&self, id: Uuid) -> Result<ServiceView, ApiError> {
        let mut view = ServiceView::from(&self.store.get_service(id).await?);
        view.ping_key = Some(self.store.service_ping_key(id).await?);
        Ok(view)
    }

    async fn update_service(&self, id: Uuid, body: ServicePatch) -> Result<ServiceView, ApiError> {
        let s = self
            .store
            .update_service(
                id,
                body.name.as_deref(),
                body.description.as_deref(),
                self.now(),
            )
            .await?;
        Ok((&s).into())
    }

    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<(), ApiError> {
        Ok(self.store.delete_service(id, cascade).await?)
    }
}
