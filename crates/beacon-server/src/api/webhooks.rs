//! Webhooks and their deliveries: create, list, read, change, delete, test; deliveries listed, read, retried.

use super::*;

pub(crate) fn check_events(events: &[String]) -> Result<(), ValidationError> {
    if events.is_empty() {
        return Err(ValidationError::new(
            "events",
            "name at least one event kind",
        ));
    }
    for e in events {
        if !EventKind::SUBSCRIBABLE.iter().any(|k| k.as_str() == e) {
            let known: Vec<&str> = EventKind::SUBSCRIBABLE.iter().map(|k| k.as_str()).collect();
            let known = known.join(", ");
            return Err(ValidationError::new(
                "events",
                format!("unknown event kind {e:?}: use {known}"),
            ));
        }
    }
    Ok(())
}

pub(crate) fn webhook_headers(
    map: Option<BTreeMap<String, String>>,
) -> Result<Option<Vec<Header>>, ValidationError> {
    headers(map)?
        .map(|lines| lines.iter().map(|h| Header::for_webhook(h)).collect())
        .transpose()
}

#[async_trait]
pub trait WebhookOps: Send + Sync {
    async fn create_webhook(&self, body: WebhookCreate) -> Result<CreatedWebhookView, ApiError>;
    async fn list_webhooks(&self, service_id: Option<Uuid>) -> Result<WebhookList, ApiError>;
    async fn get_webhook(&self, id: Uuid) -> Result<WebhookView, ApiError>;
    async fn update_webhook(
        &self,
        id: Uuid,
        body: WebhookPatchBody,
    ) -> Result<WebhookView, ApiError>;
    async fn delete_webhook(&self, id: Uuid) -> Result<(), ApiError>;
    /// Send a `test` event to the webhook now; the delivery with its one attempt.
    async fn test_webhook(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError>;
    async fn list_deliveries(
        &self,
        webhook_id: Option<Uuid>,
        status: Option<String>,
    ) -> Result<DeliveryList, ApiError>;
    async fn get_delivery(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError>;
    async fn retry_delivery(&self, id: Uuid) -> Result<DeliveryView, ApiError>;
}

impl App {
    /// A webhook URL, parsed, and refused when the private-network deny-list is on and it points inside.
    pub(crate) async fn webhook_url(&self, url: &str) -> Result<CheckUrl, ApiError> {
        let url = CheckUrl::parse(url)?;
        if self.deny_private_networks
            && let Some(reason) = beacon_runtime::delivery::denied_destination(&url).await
        {
            return Err(ValidationError::new("url", reason).into());
        }
        Ok(url)
    }
}

#[async_trait]
impl WebhookOps for App {
    async fn create_webhook(&self, body: WebhookCreate) -> Result<CreatedWebhookView, ApiError> {
        let url = self.webhook_url(&body.url).await?;
        check_events(&body.events)?;
        let secret = match &body.secret {
            Some(s) => WebhookSecret::parse(s)?,
            None => WebhookSecret::generate(rand::random()),
        };
        let headers = webhook_headers(body.headers)?.unwrap_or_default();
        let spec = beacon_store::WebhookSpec {
            url,
            events: body.events,
            secret: secret.clone(),
            headers,
        };
        let w = self
            .store
            .create_webhook(body.service_id, &spec, self.now())
            .await?;
        Ok(CreatedWebhookView {
            webhook: (&w).into(),
            secret: secret.expose(),
        })
    }

    async fn list_webhooks(&self, service_id: Option<Uuid>) -> Result<WebhookList, ApiError> {
        let hooks = self.store.list_webhooks(service_id).await?;
        Ok(WebhookList {
            data: hooks
                .iter()
                .map(|w| {
                    let mut view = WebhookView::from(w);
                    mask_values(&mut view.headers);
                    view
                })
                .collect(),
            next_cursor: None,
        })
    }

    async fn get_webhook(&self, id: Uuid) -> Result<WebhookView, ApiError> {
        Ok((&self.store.get_webhook(id).await?).into())
    }

    async fn update_webhook(
        &self,
        id: Uuid,
        body: WebhookPatchBody,
    ) -> Result<WebhookView, ApiError> {
        // Everything is validated before the database is touched.
        let url = match &body.url {
            Some(u) => Some(self.webhook_url(u).await?),
            None => None,
        };
        if let Some(events) = &body.events {
            check_events(events)?;
        }
        let patch = WebhookPatch {
            url,
            events: body.events,
            secret: body
                .secret
                .as_deref()
                .map(WebhookSecret::parse)
                .transpose()?,
            headers: webhook_headers(body.headers)?,
        };
        Ok((&self.store.update_webhook(id, patch, self.now()).await?).into())
    }

    async fn delete_webhook(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_webhook(id).await?)
    }

    async fn test_webhook(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError> {
        let sender = self.sender.as_ref().ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the HTTP client for webhooks could not be built",
            )
        })?;
        let detail = beacon_runtime::delivery::send_test(
            self.store.as_ref(),
            sender,
            self.test_lease,
            id,
            self.now(),
        )
        .await?;
        Ok((&detail).into())
    }

    async fn list_deliveries(
        &self,
        webhook_id: Option<Uuid>,
        status: Option<String>,
    ) -> Result<DeliveryList, ApiError> {
        let status = match status.as_deref() {
            None | Some("") => None,
            Some(st) => Some(beacon_store::DeliveryStatus::parse(st).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unknown status {st:?}: use pending, delivered, failed or cancelled"
                ))
                .with_field("status")
            })?),
        };
        let list = self.store.list_deliveries(webhook_id, status).await?;
        Ok(DeliveryList {
            data: list.iter().map(Into::into).collect(),
            next_cursor: None,
        })
    }

    async fn get_delivery(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError> {
        Ok((&self.store.get_delivery(id).await?).into())
    }

    async fn retry_delivery(&self, id: Uuid) -> Result<DeliveryView, ApiError> {
        Ok((&self.store.retry_delivery(id, self.now()).await?).into())
    }
}
