//! Channels of every kind: create, list, read, change, delete, test, and their subscriptions to services.

use super::webhooks::{check_events, webhook_headers};
use super::*;
use beacon_core::channel::{ChannelKind, ChannelSpec};
use beacon_store::{ChannelPatch, NewChannel, Route, WebhookTarget};

#[async_trait]
pub trait ChannelOps: Send + Sync {
    async fn create_channel(&self, body: ChannelCreate) -> Result<CreatedChannelView, ApiError>;
    async fn list_channels(&self) -> Result<ChannelList, ApiError>;
    async fn get_channel(&self, id: Uuid) -> Result<ChannelView, ApiError>;
    async fn update_channel(
        &self,
        id: Uuid,
        body: ChannelPatchBody,
    ) -> Result<ChannelView, ApiError>;
    async fn delete_channel(&self, id: Uuid) -> Result<(), ApiError>;
    /// Send a `test` event through the channel now; the delivery with its one attempt.
    async fn test_channel(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError>;
    async fn subscribe_channel(
        &self,
        id: Uuid,
        body: SubscribeBody,
    ) -> Result<ChannelView, ApiError>;
    /// Remove its subscription to a service's or a monitor's events (`target`: the service's or monitor's id).
    async fn unsubscribe_channel(&self, id: Uuid, target: Uuid) -> Result<ChannelView, ApiError>;
    /// Silence the channel for one monitor, whatever its service subscribes it to.
    async fn mute_channel(&self, id: Uuid, body: MuteBody) -> Result<ChannelView, ApiError>;
    async fn unmute_channel(&self, id: Uuid, monitor_id: Uuid) -> Result<ChannelView, ApiError>;
}

/// A channel's name: as a service's, and without `,` or `:` (escalation steps list channels as `15m:a,b`).
/// Refuse a field no channel kind has, naming it (400, as the JSON extractor answers unknown fields elsewhere).
fn known_fields(f: &ChannelFields) -> Result<(), ApiError> {
    match f.unknown_field() {
        Some(name) => {
            Err(ApiError::bad_request(format!("unknown field `{name}`")).with_field(name))
        }
        None => Ok(()),
    }
}

fn channel_name(name: &str) -> Result<String, ValidationError> {
    let name = beacon_core::endpoint::validate_name(name)?;
    if name.contains([',', ':']) {
        return Err(ValidationError::new(
            "name",
            format!(
                "{name:?} has a ',' or ':'; channel names are listed as 'delay:name,name' in escalation steps"
            ),
        ));
    }
    if Uuid::try_parse(&name).is_ok() {
        return Err(ValidationError::new(
            "name",
            "a channel's name cannot be a UUID (channels are named by either)",
        ));
    }
    Ok(name)
}

impl App {
    /// The URL a channel sends to, refused when the private-network deny-list is on and it points inside.
    async fn check_destination(&self, spec: &ChannelSpec) -> Result<(), ApiError> {
        if !self.deny_private_networks {
            return Ok(());
        }
        let url = match spec {
            ChannelSpec::Slack(s)
            | ChannelSpec::Discord(s)
            | ChannelSpec::Teams(s)
            | ChannelSpec::GoogleChat(s) => &s.url,
            ChannelSpec::Telegram(s) => &s.base,
            ChannelSpec::PagerDuty(s) => &s.base,
            ChannelSpec::Ntfy(s) => &s.base,
            ChannelSpec::Gotify(s) => &s.base,
            ChannelSpec::Pushover(s) => &s.base,
            ChannelSpec::Matrix(s) => &s.base,
            ChannelSpec::Webhook | ChannelSpec::Email(_) => return Ok(()),
        };
        self.webhook_url(url.as_str()).await.map(|_| ())
    }
}

#[async_trait]
impl ChannelOps for App {
    async fn create_channel(&self, body: ChannelCreate) -> Result<CreatedChannelView, ApiError> {
        known_fields(&body.fields)?;
        let kind = ChannelKind::parse(&body.kind)?;
        let name = channel_name(&body.name)?;
        let input = body.fields.input();
        let spec = ChannelSpec::create(kind, &input)?;
        self.check_destination(&spec).await?;
        let (webhook, secret) = if kind == ChannelKind::Webhook {
            let url = match &body.fields.url {
                Some(u) => self.webhook_url(u).await?,
                None => {
                    return Err(ValidationError::new("url", "a webhook channel needs url").into());
                }
            };
            let secret = WebhookSecret::generate(rand::random());
            let headers = webhook_headers(body.fields.headers.clone())?.unwrap_or_default();
            (
                Some(WebhookTarget {
                    url,
                    secret: secret.clone(),
                    headers,
                }),
                Some(secret.expose()),
            )
        } else {
            if body.fields.headers.is_some() {
                return Err(ValidationError::new(
                    "headers",
                    format!("a {kind} channel has no headers; only webhooks take them"),
                )
                .into());
            }
            (None, None)
        };
        let route = match (body.service_id, body.events) {
            (Some(service_id), Some(events)) => {
                check_events(&events)?;
                Some(Route { service_id, events })
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(
                    ValidationError::new("events", "name the event kinds to subscribe to").into(),
                );
            }
            (None, Some(_)) => {
                return Err(ValidationError::new(
                    "service_id",
                    "name the service whose events to subscribe to",
                )
                .into());
            }
        };
        let c = self
            .store
            .create_channel(
                &NewChannel {
                    name,
                    spec,
                    webhook,
                    route,
                },
                self.now(),
            )
            .await?;
        Ok(CreatedChannelView {
            channel: (&c).into(),
            secret,
        })
    }

    async fn list_channels(&self) -> Result<ChannelList, ApiError> {
        Ok(ChannelList {
            data: self
                .store
                .list_channels()
                .await?
                .iter()
                .map(Into::into)
                .collect(),
            next_cursor: None,
        })
    }

    async fn get_channel(&self, id: Uuid) -> Result<ChannelView, ApiError> {
        Ok((&self.store.get_channel(id).await?).into())
    }

    async fn update_channel(
        &self,
        id: Uuid,
        body: ChannelPatchBody,
    ) -> Result<ChannelView, ApiError> {
        // Everything is validated before the database is touched.
        known_fields(&body.fields)?;
        let current = self.store.get_channel(id).await?;
        let name = body.name.as_deref().map(channel_name).transpose()?;
        let input = body.fields.input();
        let (spec, url, headers) = if current.kind() == ChannelKind::Webhook {
            let url = match &body.fields.url {
                Some(u) => Some(self.webhook_url(u).await?),
                None => None,
            };
            let only_url = beacon_core::channel::ChannelInput {
                url: None,
                ..input.clone()
            };
            ChannelSpec::create(ChannelKind::Webhook, &only_url)?;
            (None, url, webhook_headers(body.fields.headers.clone())?)
        } else {
            if body.fields.headers.is_some() {
                return Err(ValidationError::new(
                    "headers",
                    format!(
                        "a {} channel has no headers; only webhooks take them",
                        current.kind()
                    ),
                )
                .into());
            }
            let spec = current.spec.apply(&input)?;
            self.check_destination(&spec).await?;
            (Some(spec), None, None)
        };
        let patch = ChannelPatch {
            name,
            spec,
            url,
            headers,
        };
        Ok((&self.store.update_channel(id, patch, self.now()).await?).into())
    }

    async fn delete_channel(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_channel(id).await?)
    }

    async fn test_channel(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError> {
        self.store.get_channel(id).await?;
        self.test_webhook(id).await
    }

    async fn subscribe_channel(
        &self,
        id: Uuid,
        body: SubscribeBody,
    ) -> Result<ChannelView, ApiError> {
        check_events(&body.events)?;
        let now = self.now();
        let c = match (body.service_id, body.monitor_id) {
            (Some(service_id), None) => {
                let route = Route {
                    service_id,
                    events: body.events,
                };
                self.store.subscribe_channel(id, &route, now).await?
            }
            (None, Some(monitor_id)) => {
                self.store
                    .route_monitor(id, monitor_id, Some(&body.events), now)
                    .await?
            }
            _ => {
                return Err(ValidationError::new(
                    "service_id",
                    "name either a service (service_id) or a monitor (monitor_id)",
                )
                .into());
            }
        };
        Ok((&c).into())
    }

    async fn unsubscribe_channel(&self, id: Uuid, target: Uuid) -> Result<ChannelView, ApiError> {
        Ok((&self
            .store
            .unsubscribe_channel(id, target, self.now())
            .await?)
            .into())
    }

    async fn mute_channel(&self, id: Uuid, body: MuteBody) -> Result<ChannelView, ApiError> {
        Ok((&self
            .store
            .route_monitor(id, body.monitor_id, None, self.now())
            .await?)
            .into())
    }

    async fn unmute_channel(&self, id: Uuid, monitor_id: Uuid) -> Result<ChannelView, ApiError> {
        Ok((&self
            .store
            .unmute_channel(id, monitor_id, self.now())
            .await?)
            .into())
    }
}
