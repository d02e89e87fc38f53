//! `Operations` over HTTP: the CLI talking to a `beacon server` (`--server URL`). Answers and errors are the
//! server's, decoded into the same views and `ApiError`s the direct path produces, so output and exit codes match.

use async_trait::async_trait;
use beacon_server::api::{
    ByServiceParams, ChannelOps, EndpointOps, EscalationOps, HeartbeatOps, IncidentOps,
    IncidentParams, KubernetesOps, ListParams, MaintenanceOps, PingParams, RegionOps, ServiceOps,
    StatsParams, StatusPageOps, TokenOps, UserOps, WebhookOps, WorkerOps,
};
use beacon_server::error::{ApiError, ErrorResponse};
use beacon_server::wire::*;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use uuid::Uuid;

/// Send a request to the server at `base`: its status and body when it succeeded; otherwise the server's
/// `ApiError` (or one saying the server could not be reached, or answered something that is not Beacon's error).
/// The CLI's client and `beacon worker` both talk to the server through it.
pub(crate) async fn exchange(
    req: reqwest::RequestBuilder,
    base: &str,
) -> Result<(StatusCode, bytes::Bytes), ApiError> {
    let unreachable = |e: reqwest::Error| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unreachable",
            format!("cannot reach the server at {base}: {e}"),
        )
    };
    let resp = req.send().await.map_err(unreachable)?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(unreachable)?;
    if status.is_success() {
        return Ok((status, bytes));
    }
    Err(match serde_json::from_slice::<ErrorResponse>(&bytes) {
        Ok(e) => ApiError {
            status: status.as_u16(),
            code: e.error.code,
            message: e.error.message,
            field: e.error.field,
        },
        Err(_) => ApiError::new(
            status,
            "http_error",
            format!(
                "{base} answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            ),
        ),
    })
}

/// A successful answer's JSON body as `T`.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], base: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "bad_response",
            format!("unexpected answer from {base}: {e}"),
        )
    })
}

pub struct Remote {
    base: String,
    token: Option<String>,
    /// Where a token was looked for (for the "no token" error).
    token_hint: String,
    http: reqwest::Client,
}

const NO_QUERY: Option<&()> = None;
const NO_BODY: Option<&()> = None;

impl Remote {
    /// `token_hint` says where a token was looked for, for the error when the server wants one and none was sent.
    pub fn new(base: &str, token: Option<String>, token_hint: String) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "client",
                    format!("HTTP client: {e}"),
                )
            })?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            token_hint,
            http,
        })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: Option<&(impl Serialize + ?Sized)>,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<(StatusCode, bytes::Bytes), ApiError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method, &url);
        if let Some(q) = query {
            req = req.query(q);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        exchange(req, &self.base).await.map_err(|e| {
            if e.status == StatusCode::UNAUTHORIZED.as_u16() && self.token.is_none() {
                ApiError {
                    message: format!(
                        "{}: no API token was sent ({}); pass --token or set BEACON_TOKEN",
                        e.message, self.token_hint
                    ),
                    ..e
                }
            } else {
                e
            }
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: Option<&(impl Serialize + ?Sized)>,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, ApiError> {
        let (_, bytes) = self.send(method, path, query, body).await?;
        decode(&bytes, &self.base)
    }
}

#[async_trait]
impl ServiceOps for Remote {
    async fn create_service(&self, body: ServiceCreate) -> Result<ServiceView, ApiError> {
        self.call(Method::POST, "/api/v1/services", NO_QUERY, Some(&body))
            .await
    }

    async fn list_services(&self, params: ListParams) -> Result<ServiceList, ApiError> {
        self.call(Method::GET, "/api/v1/services", Some(&params), NO_BODY)
            .await
    }

    async fn get_service(&self, id: Uuid) -> Result<ServiceView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/services/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn update_service(&self, id: Uuid, body: ServicePatch) -> Result<ServiceView, ApiError> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/services/{id}"),
            NO_QUERY,
            Some(&body),
        )
        .await
    }

    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<(), ApiError> {
        let query = [("cascade", cascade)];
        self.send(
            Method::DELETE,
            &format!("/api/v1/services/{id}"),
            Some(&query),
            NO_BODY,
        )
        .await
        .map(|_| ())
    }
}

#[async_trait]
impl EndpointOps for Remote {
    async fn set_endpoint_paused(&self, id: Uuid, paused: bool) -> Result<EndpointView, ApiError> {
        let verb = if paused { "pause" } else { "resume" };
        self.call(
            Method::POST,
            &format!("/api/v1/endpoints/{id}/{verb}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn try_check(&self, body: EndpointPatch) -> Result<TriedView, ApiError> {
        self.call(Method::POST, "/api/v1/endpoints/try", NO_QUERY, Some(&body))
            .await
    }

    async fn create_endpoint(&self, body: EndpointCreate) -> Result<EndpointView, ApiError> {
        self.call(Method::POST, "/api/v1/endpoints", NO_QUERY, Some(&body))
            .await
    }

    async fn list_endpoints(&self, params: ByServiceParams) -> Result<EndpointList, ApiError> {
        self.call(Method::GET, "/api/v1/endpoints", Some(&params), NO_BODY)
            .await
    }

    async fn get_endpoint(&self, id: Uuid) -> Result<EndpointView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/endpoints/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn update_endpoint(
        &self,
        id: Uuid,
        body: EndpointPatch,
    ) -> Result<EndpointView, ApiError> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/endpoints/{id}"),
            NO_QUERY,
            Some(&body),
        )
        .await
    }

    async fn delete_endpoint(&self, id: Uuid) -> Result<(), ApiError> {
        self.send(
            Method::DELETE,
            &format!("/api/v1/endpoints/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
        .map(|_| ())
    }

    async fn list_pings(
        &self,
        endpoint_id: Uuid,
        params: PingParams,
    ) -> Result<PingList, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/endpoints/{endpoint_id}/pings"),
            Some(&params),
            NO_BODY,
        )
        .await
    }

    async fn endpoint_stats(&self, id: Uuid, params: StatsParams) -> Result<StatsView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/endpoints/{id}/stats"),
            Some(&params),
            NO_BODY,
        )
        .await
    }

    async fn endpoint_uptime(&self, id: Uuid) -> Result<UptimeView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/endpoints/{id}/uptime"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }
}

#[async_trait]
impl IncidentOps for Remote {
    async fn list_incidents(&self, params: IncidentParams) -> Result<IncidentList, ApiError> {
        self.call(Method::GET, "/api/v1/incidents", Some(&params), NO_BODY)
            .await
    }

    async fn get_incident(&self, id: Uuid) -> Result<IncidentView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/incidents/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn resolve_incident(&self, id: Uuid) -> Result<IncidentView, ApiError> {
        self.call(
            Method::POST,
            &format!("/api/v1/incidents/{id}/resolve"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    /// The server records the caller's token as who acknowledged; `_by` is not sent.
    async fn ack_incident(
        &self,
        id: Uuid,
        body: AckBody,
        _by: &str,
    ) -> Result<IncidentView, ApiError> {
        let path = format!("/api/v1/incidents/{id}/ack");
        self.call(Method::POST, &path, NO_QUERY, Some(&body)).await
    }
}

#[async_trait]
impl TokenOps for Remote {
    async fn create_token(&self, body: TokenCreate) -> Result<CreatedTokenView, ApiError> {
        self.call(Method::POST, "/api/v1/tokens", NO_QUERY, Some(&body))
            .await
    }

    async fn list_tokens(&self) -> Result<TokenList, ApiError> {
        self.call(Method::GET, "/api/v1/tokens", NO_QUERY, NO_BODY)
            .await
    }

    async fn revoke_token(&self, id: Uuid) -> Result<TokenView, ApiError> {
        self.call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }
}

#[async_trait]
impl RegionOps for Remote {
    async fn create_region(&self, body: RegionCreate) -> Result<RegionView, ApiError> {
        self.call(Method::POST, "/api/v1/regions", NO_QUERY, Some(&body))
            .await
    }

    async fn list_regions(&self) -> Result<RegionList, ApiError> {
        self.call(Method::GET, "/api/v1/regions", NO_QUERY, NO_BODY)
            .await
    }
}

#[async_trait]
impl WorkerOps for Remote {
    async fn list_workers(&self) -> Result<WorkerList, ApiError> {
        self.call(Method::GET, "/api/v1/workers", NO_QUERY, NO_BODY)
            .await
    }
}

#[async_trait]
impl KubernetesOps for Remote {
    async fn list_kube_objects(&self, q: KubeObjectQuery) -> Result<KubeObjectList, ApiError> {
        self.call(Method::GET, "/api/v1/kubernetes/objects", Some(&q), NO_BODY)
            .await
    }

    async fn list_kube_events(&self, q: KubeEventQuery) -> Result<KubeEventList, ApiError> {
        self.call(Method::GET, "/api/v1/kubernetes/events", Some(&q), NO_BODY)
            .await
    }
}

#[async_trait]
impl StatusPageOps for Remote {
    async fn create_status_page(&self, body: StatusPageCreate) -> Result<StatusPageView, ApiError> {
        self.call(Method::POST, "/api/v1/status-pages", NO_QUERY, Some(&body))
            .await
    }

    async fn list_status_pages(&self) -> Result<StatusPageList, ApiError> {
        self.call(Method::GET, "/api/v1/status-pages", NO_QUERY, NO_BODY)
            .await
    }

    async fn get_status_page(&self, id: Uuid) -> Result<StatusPageView, ApiError> {
        let path = format!("/api/v1/status-pages/{id}");
        self.call(Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    async fn update_status_page(
        &self,
        id: Uuid,
        body: StatusPagePatch,
    ) -> Result<StatusPageView, ApiError> {
        let path = format!("/api/v1/status-pages/{id}");
        self.call(Method::PATCH, &path, NO_QUERY, Some(&body)).await
    }

    async fn delete_status_page(&self, id: Uuid) -> Result<(), ApiError> {
        let path = format!("/api/v1/status-pages/{id}");
        self.send(Method::DELETE, &path, NO_QUERY, NO_BODY)
            .await
            .map(|_| ())
    }

    async fn create_badge(&self, monitor: Uuid) -> Result<BadgeView, ApiError> {
        let path = format!("/api/v1/monitors/{monitor}/badge");
        self.call(Method::POST, &path, NO_QUERY, NO_BODY).await
    }

    async fn get_badge(&self, monitor: Uuid) -> Result<Option<BadgeView>, ApiError> {
        let path = format!("/api/v1/monitors/{monitor}/badge");
        match self.call(Method::GET, &path, NO_QUERY, NO_BODY).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.status == 404 && e.message.contains("has no badge") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn revoke_badge(&self, monitor: Uuid) -> Result<(), ApiError> {
        let path = format!("/api/v1/monitors/{monitor}/badge");
        self.send(Method::DELETE, &path, NO_QUERY, NO_BODY)
            .await
            .map(|_| ())
    }
}

#[async_trait]
impl UserOps for Remote {
    async fn create_user(&self, body: UserCreate) -> Result<UserView, ApiError> {
        self.call(Method::POST, "/api/v1/users", NO_QUERY, Some(&body))
            .await
    }

    async fn list_users(&self) -> Result<UserList, ApiError> {
        self.call(Method::GET, "/api/v1/users", NO_QUERY, NO_BODY)
            .await
    }

    async fn get_user(&self, id: Uuid) -> Result<UserView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/users/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn update_user(&self, id: Uuid, body: UserPatch) -> Result<UserView, ApiError> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            NO_QUERY,
            Some(&body),
        )
        .await
    }

    async fn delete_user(&self, id: Uuid) -> Result<(), ApiError> {
        self.send(
            Method::DELETE,
            &format!("/api/v1/users/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
        .map(|_| ())
    }

    async fn set_user_password(&self, id: Uuid, body: PasswordSet) -> Result<(), ApiError> {
        self.send(
            Method::PUT,
            &format!("/api/v1/users/{id}/password"),
            NO_QUERY,
            Some(&body),
        )
        .await
        .map(|_| ())
    }
}

#[async_trait]
impl EscalationOps for Remote {
    async fn create_policy(
        &self,
        body: EscalationCreate,
    ) -> Result<EscalationPolicyView, ApiError> {
        self.call(
            Method::POST,
            "/api/v1/escalation-policies",
            NO_QUERY,
            Some(&body),
        )
        .await
    }

    async fn list_policies(&self) -> Result<EscalationPolicyList, ApiError> {
        self.call(
            Method::GET,
            "/api/v1/escalation-policies",
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn get_policy(&self, id: Uuid) -> Result<EscalationPolicyView, ApiError> {
        let path = format!("/api/v1/escalation-policies/{id}");
        self.call(Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    async fn delete_policy(&self, id: Uuid) -> Result<(), ApiError> {
        let path = format!("/api/v1/escalation-policies/{id}");
        self.send(Method::DELETE, &path, NO_QUERY, NO_BODY)
            .await
            .map(|_| ())
    }

    async fn monitor_notifications(&self, id: Uuid) -> Result<MonitorNotificationsView, ApiError> {
        let path = format!("/api/v1/monitors/{id}/notifications");
        self.call(Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    async fn update_monitor_notifications(
        &self,
        id: Uuid,
        body: MonitorNotificationsPatch,
    ) -> Result<MonitorNotificationsView, ApiError> {
        let path = format!("/api/v1/monitors/{id}/notifications");
        self.call(Method::PATCH, &path, NO_QUERY, Some(&body)).await
    }
}

#[async_trait]
impl MaintenanceOps for Remote {
    async fn create_maintenance(
        &self,
        body: MaintenanceCreate,
    ) -> Result<MaintenanceView, ApiError> {
        self.call(Method::POST, "/api/v1/maintenance", NO_QUERY, Some(&body))
            .await
    }

    async fn list_maintenance(&self) -> Result<MaintenanceList, ApiError> {
        self.call(Method::GET, "/api/v1/maintenance", NO_QUERY, NO_BODY)
            .await
    }

    async fn get_maintenance(&self, id: Uuid) -> Result<MaintenanceView, ApiError> {
        let path = format!("/api/v1/maintenance/{id}");
        self.call(Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    async fn end_maintenance(&self, id: Uuid) -> Result<MaintenanceView, ApiError> {
        let path = format!("/api/v1/maintenance/{id}/end");
        self.call(Method::POST, &path, NO_QUERY, NO_BODY).await
    }
}

#[async_trait]
impl ChannelOps for Remote {
    async fn create_channel(&self, body: ChannelCreate) -> Result<CreatedChannelView, ApiError> {
        self.call(Method::POST, "/api/v1/channels", NO_QUERY, Some(&body))
            .await
    }

    async fn list_channels(&self) -> Result<ChannelList, ApiError> {
        self.call(Method::GET, "/api/v1/channels", NO_QUERY, NO_BODY)
            .await
    }

    async fn get_channel(&self, id: Uuid) -> Result<ChannelView, ApiError> {
        let path = format!("/api/v1/channels/{id}");
        self.call(Method::GET, &path, NO_QUERY, NO_BODY).await
    }

    async fn update_channel(
        &self,
        id: Uuid,
        body: ChannelPatchBody,
    ) -> Result<ChannelView, ApiError> {
        let path = format!("/api/v1/channels/{id}");
        self.call(Method::PATCH, &path, NO_QUERY, Some(&body)).await
    }

    async fn delete_channel(&self, id: Uuid) -> Result<(), ApiError> {
        let path = format!("/api/v1/channels/{id}");
        self.send(Method::DELETE, &path, NO_QUERY, NO_BODY)
            .await
            .map(|_| ())
    }

    async fn test_channel(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError> {
        let path = format!("/api/v1/channels/{id}/test");
        self.call(Method::POST, &path, NO_QUERY, NO_BODY).await
    }

    async fn subscribe_channel(
        &self,
        id: Uuid,
        body: SubscribeBody,
    ) -> Result<ChannelView, ApiError> {
        let path = format!("/api/v1/channels/{id}/subscriptions");
        self.call(Method::POST, &path, NO_QUERY, Some(&body)).await
    }

    async fn unsubscribe_channel(&self, id: Uuid, target: Uuid) -> Result<ChannelView, ApiError> {
        let path = format!("/api/v1/channels/{id}/subscriptions/{target}");
        self.call(Method::DELETE, &path, NO_QUERY, NO_BODY).await
    }

    async fn mute_channel(&self, id: Uuid, body: MuteBody) -> Result<ChannelView, ApiError> {
        let path = format!("/api/v1/channels/{id}/mutes");
        self.call(Method::POST, &path, NO_QUERY, Some(&body)).await
    }

    async fn unmute_channel(&self, id: Uuid, monitor_id: Uuid) -> Result<ChannelView, ApiError> {
        let path = format!("/api/v1/channels/{id}/mutes/{monitor_id}");
        self.call(Method::DELETE, &path, NO_QUERY, NO_BODY).await
    }
}

#[async_trait]
impl WebhookOps for Remote {
    async fn create_webhook(&self, body: WebhookCreate) -> Result<CreatedWebhookView, ApiError> {
        self.call(Method::POST, "/api/v1/webhooks", NO_QUERY, Some(&body))
            .await
    }

    async fn list_webhooks(&self, service_id: Option<Uuid>) -> Result<WebhookList, ApiError> {
        let query: Vec<(&str, String)> = service_id
            .map(|id| ("service_id", id.to_string()))
            .into_iter()
            .collect();
        self.call(Method::GET, "/api/v1/webhooks", Some(&query), NO_BODY)
            .await
    }

    async fn get_webhook(&self, id: Uuid) -> Result<WebhookView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/webhooks/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn update_webhook(
        &self,
        id: Uuid,
        body: WebhookPatchBody,
    ) -> Result<WebhookView, ApiError> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            NO_QUERY,
            Some(&body),
        )
        .await
    }

    async fn test_webhook(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError> {
        self.call(
            Method::POST,
            &format!("/api/v1/webhooks/{id}/test"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn delete_webhook(&self, id: Uuid) -> Result<(), ApiError> {
        self.send(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
        .map(|_| ())
    }

    async fn list_deliveries(
        &self,
        webhook_id: Option<Uuid>,
        status: Option<String>,
    ) -> Result<DeliveryList, ApiError> {
        let mut query: Vec<(&str, String)> = webhook_id
            .map(|id| ("webhook_id", id.to_string()))
            .into_iter()
            .collect();
        query.extend(status.map(|st| ("status", st)));
        self.call(Method::GET, "/api/v1/deliveries", Some(&query), NO_BODY)
            .await
    }

    async fn get_delivery(&self, id: Uuid) -> Result<DeliveryDetailView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/deliveries/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn retry_delivery(&self, id: Uuid) -> Result<DeliveryView, ApiError> {
        self.call(
            Method::POST,
            &format!("/api/v1/deliveries/{id}/retry"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }
}

#[async_trait]
impl HeartbeatOps for Remote {
    async fn create_heartbeat(
        &self,
        body: HeartbeatCreate,
    ) -> Result<CreatedHeartbeatView, ApiError> {
        self.call(Method::POST, "/api/v1/heartbeats", NO_QUERY, Some(&body))
            .await
    }

    async fn list_heartbeats(&self, params: ByServiceParams) -> Result<HeartbeatList, ApiError> {
        self.call(Method::GET, "/api/v1/heartbeats", Some(&params), NO_BODY)
            .await
    }

    async fn get_heartbeat(&self, id: Uuid) -> Result<HeartbeatView, ApiError> {
        self.call(
            Method::GET,
            &format!("/api/v1/heartbeats/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn update_heartbeat(
        &self,
        id: Uuid,
        body: HeartbeatPatch,
    ) -> Result<HeartbeatView, ApiError> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/heartbeats/{id}"),
            NO_QUERY,
            Some(&body),
        )
        .await
    }

    async fn delete_heartbeat(&self, id: Uuid) -> Result<(), ApiError> {
        self.send(
            Method::DELETE,
            &format!("/api/v1/heartbeats/{id}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
        .map(|_| ())
    }

    async fn set_heartbeat_paused(
        &self,
        id: Uuid,
        paused: bool,
    ) -> Result<HeartbeatView, ApiError> {
        let verb = if paused { "pause" } else { "resume" };
        self.call(
            Method::POST,
            &format!("/api/v1/heartbeats/{id}/{verb}"),
            NO_QUERY,
            NO_BODY,
        )
        .await
    }

    async fn rotate_heartbeat_key(
        &self,
        id: Uuid,
        params: RotateKeyParams,
    ) -> Result<CreatedHeartbeatView, ApiError> {
        self.call(
            Method::POST,
            &format!("/api/v1/heartbeats/{id}/rotate-key"),
            Some(&params),
            NO_BODY,
        )
        .await
    }

    async fn list_heartbeat_pings(
        &self,
        id: Uuid,
        limit: Option<u32>,
    ) -> Result<HeartbeatPingList, ApiError> {
        let query: Vec<(&str, String)> = limit
            .map(|l| ("limit", l.to_string()))
            .into_iter()
            .collect();
        self.call(
            Method::GET,
            &format!("/api/v1/heartbeats/{id}/pings"),
            Some(&query),
            NO_BODY,
        )
        .await
    }
}
