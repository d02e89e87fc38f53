//! Webhooks and deliveries: views (headers of attempts as logged), the create/patch bodies.

use super::*;

/// A webhook as listed: its secret is never shown after creation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    /// The service it was made for; null for a webhook channel made with `channels create` (its subscriptions
    /// are on the channel).
    pub service_id: Option<Uuid>,
    /// Set when this webhook carries an endpoint's `webhook_url`: it receives only that endpoint's events, in
    /// Pulse's alert format, and is changed through the endpoint.
    pub endpoint_id: Option<Uuid>,
    /// Body format: `standard` (Standard Webhooks `{type, timestamp, data}`) or `pulse` (Pulse's alerts).
    pub format: String,
    pub url: String,
    /// Event kinds it receives: incident_start, incident_resolved, heartbeat_down, heartbeat_up.
    pub events: Vec<String>,
    /// Extra request headers; values read `********` in lists and to tokens that cannot change the webhook.
    pub headers: BTreeMap<String, String>,
    /// Failed attempts since the last successful one; 0 means the receiver is up.
    pub consecutive_failures: u32,
    pub last_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Webhook> for WebhookView {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id,
            service_id: w.service_id,
            endpoint_id: w.endpoint_id,
            format: w.format.as_str().to_owned(),
            url: w.spec.url.as_str().to_owned(),
            events: w.spec.events.clone(),
            headers: w
                .spec
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            consecutive_failures: w.consecutive_failures,
            last_attempt_at: w.last_attempt_at.map(rfc3339),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// A webhook just created, with its signing secret (`whsec_...`), shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CreatedWebhookView {
    #[serde(flatten)]
    pub webhook: WebhookView,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    pub service_id: Uuid,
    pub url: String,
    /// Event kinds: incident_start, incident_resolved, heartbeat_down, heartbeat_up.
    pub events: Vec<String>,
    /// `whsec_` + base64 of 24..64 bytes; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// Changes to a webhook; absent fields keep their value. `headers` replaces the whole set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub event: String,
    /// pending, delivered or failed.
    pub status: String,
    /// Tries so far (a delivery's detail lists them under `attempts`).
    pub attempt_count: u32,
    pub next_attempt_at: String,
    pub created_at: String,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            event_id: d.event_id,
            event: d.event_kind.as_str().to_owned(),
            status: d.status.as_str().to_owned(),
            attempt_count: d.attempts,
            next_attempt_at: rfc3339(d.next_attempt_at),
            created_at: rfc3339(d.created_at),
        }
    }
}

/// One try of a delivery: what was sent (secrets redacted) and what came back (body cut at 64 KiB).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct AttemptView {
    pub number: u32,
    pub started_at: String,
    pub request_url: String,
    pub request_headers: serde_json::Value,
    pub request_body: String,
    pub response_status: Option<u16>,
    pub response_headers: Option<serde_json::Value>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub latency_ms: f64,
    pub timed_out: bool,
}

impl From<&StoredAttempt> for AttemptView {
    fn from(a: &StoredAttempt) -> Self {
        let r = &a.record;
        let parse =
            |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::String(s.to_owned()));
        Self {
            number: a.number,
            started_at: rfc3339(r.started_at),
            request_url: r.request_url.clone(),
            request_headers: parse(&r.request_headers),
            request_body: r.request_body.clone(),
            response_status: r.response_status,
            response_headers: r.response_headers.as_deref().map(parse),
            response_body: r.response_body.clone(),
            error: r.error.clone(),
            latency_ms: r.latency_us as f64 / 1000.0,
            timed_out: r.timed_out,
        }
    }
}

/// A delivery with every attempt, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DeliveryDetailView {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    pub last_error: Option<String>,
    pub finished_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

impl From<&DeliveryDetail> for DeliveryDetailView {
    fn from(d: &DeliveryDetail) -> Self {
        Self {
            delivery: (&d.delivery).into(),
            last_error: d.last_error.clone(),
            finished_at: opt_rfc3339(d.finished_at),
            attempts: d.attempts.iter().map(Into::into).collect(),
        }
    }
}

list_type!(WebhookList, WebhookView);

list_type!(DeliveryList, DeliveryView);
