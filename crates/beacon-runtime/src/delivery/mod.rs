//! The delivery engine: works off the outbox. Claims due deliveries with leases (first in line per webhook, so
//! events arrive in order), sends each as a Standard Webhooks request — `webhook-id` is the delivery id, the same
//! on every retry —, records the attempt, and decides by `beacon_core::delivery`: delivered, failed for good, or
//! another try later with backoff and jitter. Redirects are not followed. Leases are released on shutdown.

pub mod channels;
mod render;
mod smtp;

pub use render::{body, pulse, standard};

use crate::Clock;
use async_trait::async_trait;
use beacon_core::Millis;
use beacon_core::channel::ChannelSpec;
use beacon_core::delivery::{self, AttemptOutcome, RetryPolicy};
use beacon_core::endpoint::CheckUrl;
use beacon_core::net;
use beacon_core::notify::Message;
use beacon_store::{
    AttemptRecord, ClaimedDelivery, DeliveryDetail, FinishedAttempt, NextStep, Outbox, Store,
    StoreError, WebhookFormat,
};

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

const USER_AGENT: &str = concat!("beacon/", env!("CARGO_PKG_VERSION"));

/// A nudge for the delivery engine: whoever writes events in this process calls `wake`, and an idle engine
/// claims at once instead of at its next poll (events written by other processes wait for the poll).
#[derive(Debug, Clone, Default)]
pub struct Wake(Arc<tokio::sync::Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub owner: String,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub poll_interval: Duration,
    /// Added to the request timeout to form the lease.
    pub lease_margin: Duration,
    pub request_timeout: Duration,
    pub policy: RetryPolicy,
    /// Refuse webhook destinations in private and special-purpose ranges (SSRF protection); off by default.
    pub deny_private_networks: bool,
    /// Of a receiver's answer, this many bytes are read and kept in the attempt log; then the connection is
    /// closed (a receiver streaming an endless body cannot fill our memory).
    pub max_response_body: usize,
    /// Also trust certificates signed by this CA (PEM), e.g. a receiver inside a cluster.
    pub extra_root_ca: Option<Vec<u8>>,
    /// Do not verify receivers' certificates at all (seed 001's `endpoint.tls.insecureSkipVerify`).
    pub accept_invalid_certs: bool,
    /// Woken by this process's event writers (check results, the Kubernetes watcher).
    pub wake: Wake,
    /// The dashboard's public URL (no trailing slash): messages link to the monitor's page there.
    pub public_url: Option<String>,
    /// Signs the one-click acknowledgement links in messages (with `public_url`; the servers' shared key).
    pub ack_key: Option<Vec<u8>>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            owner: format!("delivery-{}", uuid::Uuid::new_v4()),
            concurrency: 64,
            poll_interval: Duration::from_millis(200),
            lease_margin: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            policy: RetryPolicy::default(),
            deny_private_networks: false,
            max_response_body: 64 * 1024,
            extra_root_ca: None,
            accept_invalid_certs: false,
            wake: Wake::default(),
            public_url: None,
            ack_key: None,
        }
    }
}

/// Resolves names like the system resolver but drops private and special-purpose addresses, so a webhook host
/// cannot be pointed at an internal service by DNS (including a record that changes after the URL was checked).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = public_addrs(&host).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The addresses `host` resolves to that are not private; an error naming the host when there are none.
async fn public_addrs(
    host: &str,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let all: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    let public: Vec<SocketAddr> = all
        .iter()
        .copied()
        .filter(|a| !net::is_private(a.ip()))
        .collect();
    if public.is_empty() && !all.is_empty() {
        return Err(format!(
            "{host} resolves only to private addresses ({}), which delivery.deny_private_networks forbids",
            all[0].ip()
        )
        .into());
    }
    Ok(public)
}

/// Why a URL may not be called under the private-network deny-list, if it may not.
pub async fn denied_destination(url: &CheckUrl) -> Option<String> {
    let parsed = reqwest::Url::parse(url.as_str()).ok()?;
    match parsed.host()? {
        url::Host::Ipv4(ip) if net::is_private(ip.into()) => Some(format!(
            "{ip} is a private address, which delivery.deny_private_networks forbids"
        )),
        url::Host::Ipv6(ip) if net::is_private(ip.into()) => Some(format!(
            "{ip} is a private address, which delivery.deny_private_networks forbids"
        )),
        url::Host::Domain(d) => public_addrs(d).await.err().map(|e| e.to_string()),
        _ => None,
    }
}

/// What one POST of a delivery came to: the attempt as logged, and what the receiver answered.
#[derive(Debug, Clone)]
pub struct Posted {
    pub record: AttemptRecord,
    /// The response status; `None` when no response came (connection failed, timed out).
    pub status: Option<u16>,
    /// How long the receiver asked us to wait before trying again (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// Never retried: not sent at all (the destination is forbidden by the deny-list, an email's address is
    /// unusable) or refused for good by an SMTP server (5xx).
    pub refused: bool,
}

/// Puts one delivery on the wire. `Sender` does it over HTTP; the engine's tests give it a scripted one.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    async fn post(&self, d: &ClaimedDelivery, now: Millis) -> Posted;
}

/// What follows an attempt: delivered, failed for good, or another try at a time from the retry policy (with
/// jitter from `unit`, in [0, 1)).
pub fn decide(
    policy: &RetryPolicy,
    d: &ClaimedDelivery,
    posted: &Posted,
    now: Millis,
    unit: f64,
) -> NextStep {
    if posted.refused {
        return NextStep::Failed;
    }
    match delivery::classify(posted.status, posted.retry_after) {
        AttemptOutcome::Delivered => NextStep::Delivered,
        AttemptOutcome::Permanent => NextStep::Failed,
        AttemptOutcome::Retryable { retry_after } => {
            match delivery::next_retry(policy, d.attempts + 1, unit, retry_after, d.created_at, now)
            {
                Some(at) => NextStep::Retry { at },
                None => NextStep::Failed,
            }
        }
    }
}

/// Sends deliveries: one HTTP client (redirects off, request timeout, optional private-range filter) and the
/// retry policy that decides what follows each attempt.
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    smtp: smtp::Smtp,
    policy: RetryPolicy,
    deny_private: bool,
    max_body: usize,
    public_url: Option<String>,
    ack_key: Option<Vec<u8>>,
}

impl Sender {
    pub fn new(config: &DeliveryConfig) -> Result<Self, StoreError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout);
        if config.deny_private_networks {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        if let Some(pem) = &config.extra_root_ca {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| StoreError::Unavailable(format!("the receivers' CA: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        if config.accept_invalid_certs {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building the HTTP client: {e}")))?;
        Ok(Self {
            http,
            smtp: smtp::Smtp::new(config),
            policy: config.policy,
            deny_private: config.deny_private_networks,
            max_body: config.max_response_body,
            public_url: config.public_url.clone(),
            ack_key: config.ack_key.clone(),
        })
    }

    /// Send one delivery and decide what comes next.
    pub async fn attempt(
        &self,
        d: &ClaimedDelivery,
        now: Millis,
        unit: f64,
    ) -> (AttemptRecord, NextStep) {
        let posted = self.post(d, now).await;
        let next = decide(&self.policy, d, &posted, now, unit);
        (posted.record, next)
    }
}

#[async_trait]
impl Transport for Sender {
    async fn post(&self, d: &ClaimedDelivery, now: Millis) -> Posted {
        let message = || self.message(d, now);
        match &d.channel {
            ChannelSpec::Webhook => self.post_webhook(d, now).await,
            ChannelSpec::Email(spec) => self.smtp.send(spec, &message(), d.id, now).await,
            spec => match channels::request(spec, &message(), d.id) {
                Some(out) => self.post_channel(spec, out, now).await,
                None => unreachable!("every kind but webhook and email renders a request"),
            },
        }
    }
}

impl Sender {
    /// The message of a delivery, with a link that acknowledges its incident while it is open.
    fn message(&self, d: &ClaimedDelivery, now: Millis) -> Message {
        let mut msg = Message::from_event(&d.event, d.event_at, self.public_url.as_deref());
        if let (Some(incident), Some(key), Some(base)) =
            (msg.open_incident(), &self.ack_key, &self.public_url)
        {
            let token =
                beacon_core::ack::sign(key, incident, now + beacon_core::ack::LINK_VALIDITY);
            msg.ack_link = Some(format!("{}/ack/{token}", base.trim_end_matches('/')));
        }
        msg
    }

    /// A channel of an HTTP kind: its service's request, logged without its secrets.
    async fn post_channel(
        &self,
        spec: &ChannelSpec,
        out: channels::Outgoing,
        now: Millis,
    ) -> Posted {
        let body = out.body.to_string();
        let mut req = self
            .http
            .request(out.method.clone(), out.url.as_str())
            .header("user-agent", USER_AGENT)
            .body(body);
        for (k, v) in &out.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let record = AttemptRecord {
            started_at: now,
            request_url: out.logged_url.clone(),
            request_headers: logged_headers(&out.headers),
            request_body: out.logged_body.to_string(),
            ..AttemptRecord::default()
        };
        let mut posted = self.send(req, &out.url, record, now).await;
        if let (Some(status), Some(body)) = (posted.status, &posted.record.response_body)
            && let Some(hint) = channels::retry_hint(spec, status, body)
        {
            posted.retry_after = Some(hint);
        }
        posted
    }

    /// A webhook: its format's body and headers, signed unless CloudEvents.
    async fn post_webhook(&self, d: &ClaimedDelivery, now: Millis) -> Posted {
        let Some(url) = &d.url else {
            return Posted {
                record: AttemptRecord {
                    started_at: now,
                    error: Some("the webhook has no URL".into()),
                    ..AttemptRecord::default()
                },
                status: None,
                retry_after: None,
                refused: true,
            };
        };
        let body = body(d).to_string();
        let msg_id = d.id.to_string();
        let ts = now / 1000;
        let user_agent = d.options.user_agent.as_deref().unwrap_or(USER_AGENT);
        let mut headers: Vec<(String, String)> = match d.format {
            // Seed 001's headers; the request id is the delivery's, the same on every retry.
            WebhookFormat::CloudEvents => vec![
                (
                    "content-type".into(),
                    "application/cloudevents+json; charset=UTF-8".into(),
                ),
                ("user-agent".into(), user_agent.into()),
                ("x-request-id".into(), msg_id.clone()),
            ],
            WebhookFormat::Standard | WebhookFormat::Pulse => vec![
                ("content-type".into(), "application/json".into()),
                ("user-agent".into(), user_agent.into()),
                ("webhook-id".into(), msg_id.clone()),
                ("webhook-timestamp".into(), ts.to_string()),
                (
                    "webhook-signature".into(),
                    d.secret.sign(&msg_id, ts, body.as_bytes()),
                ),
            ],
        };
        // Configured headers come after the standard ones and replace them, except the body's type.
        for h in &d.headers {
            let name = h.name.to_ascii_lowercase();
            if name == "content-type" {
                continue;
            }
            headers.retain(|(k, _)| *k != name);
            headers.push((h.name.clone(), h.value.clone()));
        }
        let method = match d.options.method.as_deref() {
            Some("PUT") => reqwest::Method::PUT,
            Some("PATCH") => reqwest::Method::PATCH,
            _ => reqwest::Method::POST,
        };
        let mut req = self.http.request(method, url.as_str()).body(body.clone());
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let record = AttemptRecord {
            started_at: now,
            request_url: redacted_url(url),
            request_headers: logged_headers(&headers),
            request_body: body,
            ..AttemptRecord::default()
        };
        self.send(req, url.as_str(), record, now).await
    }

    /// Send a request (unless the deny-list forbids its destination) and log the answer's status, headers and
    /// the first `max_response_body` bytes of its body.
    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        url: &str,
        mut record: AttemptRecord,
        now: Millis,
    ) -> Posted {
        if self.deny_private
            && let Ok(url) = CheckUrl::parse(url)
            && let Some(reason) = denied_destination(&url).await
        {
            record.error = Some(reason);
            return Posted {
                record,
                status: None,
                retry_after: None,
                refused: true,
            };
        }
        let started = Instant::now();
        let (status, retry_after) = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| delivery::parse_retry_after(v, now));
                let resp_headers: serde_json::Map<String, Value> = resp
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or("<binary>"))))
                    .collect();
                record.response_headers = Some(Value::Object(resp_headers).to_string());
                match read_prefix(resp, self.max_body).await {
                    Ok(kept) => {
                        record.response_body = Some(String::from_utf8_lossy(&kept).into_owned());
                    }
                    Err(e) => record.error = Some(format!("reading the response body failed: {e}")),
                }
                record.response_status = Some(status);
                if !(200..300).contains(&status) {
                    record
                        .error
                        .get_or_insert_with(|| format!("receiver answered {status}"));
                }
                (Some(status), retry_after)
            }
            Err(e) => {
                record.timed_out = e.is_timeout();
                record.error = Some(if e.is_timeout() {
                    "request timed out".to_owned()
                } else {
                    format!("request failed: {e}")
                });
                (None, None)
            }
        };
        record.latency_us = i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX);
        Posted {
            record,
            status,
            retry_after,
            refused: false,
        }
    }
}

/// Request headers as the attempt log keeps them: values of secret ones (by name) replaced.
fn logged_headers(headers: &[(String, String)]) -> String {
    let logged: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                json!(if beacon_core::endpoint::Header::is_secret_name(k) {
                    "[redacted]"
                } else {
                    v.as_str()
                }),
            )
        })
        .collect();
    Value::Object(logged).to_string()
}

/// The URL as the attempt log keeps it: credentials in it (`https://user:secret@host/`) are replaced, as secret
/// headers' values are.
fn redacted_url(url: &CheckUrl) -> String {
    let mut u = url.as_url().clone();
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_username("redacted");
        let _ = u.set_password(None);
    }
    u.to_string()
}

/// At most `max` bytes of a response's body; reading stops there and the response (its connection) is dropped.
async fn read_prefix(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut kept = Vec::new();
    while kept.len() < max {
        match resp.chunk().await? {
            Some(chunk) => kept.extend_from_slice(&chunk[..chunk.len().min(max - kept.len())]),
            None => break,
        }
    }
    Ok(kept)
}

/// Send a `test` event to one webhook now and return the delivery with its attempt. The delivery is written
/// already leased, so the engine leaves it alone; a test is tried once and never retried.
pub async fn send_test(
    store: &dyn Store,
    sender: &Sender,
    lease: Duration,
    webhook_id: uuid::Uuid,
    now: Millis,
) -> Result<DeliveryDetail, StoreError> {
    let owner = format!("test-{}", uuid::Uuid::new_v4());
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let d = store
        .create_test_delivery(webhook_id, &owner, lease_ms, now)
        .await?;
    let (record, next) = sender.attempt(&d, now, 0.0).await;
    let next = match next {
        NextStep::Retry { .. } => NextStep::Failed,
        other => other,
    };
    let done = FinishedAttempt {
        delivery_pk: d.pk,
        attempt: record,
        next,
    };
    store.finish_attempt(&owner, &done).await?;
    store.get_delivery(d.id).await
}

/// Run until `shutdown`, then let requests in flight finish and release leases. `transport` is a `Sender` built
/// from the same `config` outside tests.
pub async fn run(
    store: Arc<dyn Outbox>,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    config: DeliveryConfig,
    shutdown: CancellationToken,
) -> Result<(), StoreError> {
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let lease_ms = i64::try_from((config.request_timeout + config.lease_margin).as_millis())
        .unwrap_or(i64::MAX);
    let config = Arc::new(config);
    info!(owner = %config.owner, "delivery engine started");
    while !shutdown.is_cancelled() {
        // Wait for a free request slot (not for the poll interval: a busy engine claims again as soon as any
        // request finishes), then claim as many deliveries as there are free slots.
        let first = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let free = permits.available_permits() + 1;
        let batch = match store
            .claim_deliveries(
                &config.owner,
                clock.now(),
                lease_ms,
                u32::try_from(free).unwrap_or(64),
            )
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                warn!(error = %e, "claiming deliveries failed; retrying");
                Vec::new()
            }
        };
        if batch.is_empty() {
            drop(first);
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = config.wake.0.notified() => {}
                () = tokio::time::sleep(config.poll_interval) => {}
            }
            continue;
        }
        let mut first = Some(first);
        for d in batch {
            let permit = match first.take() {
                Some(p) => p,
                None => match permits.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let (store, clock, transport, config) = (
                store.clone(),
                clock.clone(),
                transport.clone(),
                config.clone(),
            );
            tokio::spawn(async move {
                let _permit = permit;
                let unit: f64 = rand::random();
                let now = clock.now();
                let posted = transport.post(&d, now).await;
                let next = decide(&config.policy, &d, &posted, now, unit);
                let record = posted.record;
                let result = match next {
                    NextStep::Delivered => "delivered",
                    NextStep::Failed => "failed",
                    NextStep::Retry { .. } => "retry",
                };
                metrics::counter!(
                    "beacon_notifications_total",
                    "kind" => d.channel.kind().as_str(),
                    "result" => result
                )
                .increment(1);
                metrics::histogram!("beacon_notification_duration_seconds")
                    .record(record.latency_us as f64 / 1e6);
                if d.attempts > 0 {
                    metrics::counter!("beacon_notification_retries_total").increment(1);
                }
                debug!(delivery = %d.id, result, status = ?record.response_status, "attempt");
                log_failure(&d, &record, &next);
                let done = FinishedAttempt {
                    delivery_pk: d.pk,
                    attempt: record,
                    next,
                };
                if let Err(e) = store.finish_attempt(&config.owner, &done).await {
                    warn!(delivery = %d.id, error = %e, "recording an attempt failed; the lease will expire");
                }
            });
        }
    }
    // Wait for requests in flight (each bounded by the request timeout), then give back what is left.
    let all = u32::try_from(config.concurrency.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(
        config.request_timeout + Duration::from_secs(1),
        permits.acquire_many(all),
    )
    .await;
    let released = store.release_deliveries(&config.owner).await?;
    info!(released, "delivery engine stopped");
    Ok(())
}

/// Failed attempts are logged at info level; from the third failure in a row of one delivery on, at warn level:
/// that webhook keeps failing and someone should look at it.
fn log_failure(d: &ClaimedDelivery, record: &AttemptRecord, next: &NextStep) {
    let attempt = d.attempts + 1;
    let error = record.error.as_deref().unwrap_or("");
    let url = match &d.url {
        Some(u) => redacted_url(u),
        None => d.channel.kind().as_str().to_owned(),
    };
    match next {
        NextStep::Delivered => {}
        NextStep::Retry { .. } if attempt < 3 => info!(
            delivery = %d.id, webhook = %d.webhook_id, %url, attempt, error,
            "webhook delivery failed; it will be retried"
        ),
        NextStep::Retry { .. } => warn!(
            delivery = %d.id, webhook = %d.webhook_id, %url, attempt, error,
            "webhook keeps failing; the delivery will be retried"
        ),
        NextStep::Failed => warn!(
            delivery = %d.id, webhook = %d.webhook_id, %url, attempt, error,
            "webhook delivery failed for good; `beacon deliveries retry` sends it again"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{MemOutbox, ScriptedTransport, T0, TokioClock, delivery};

    fn config(max_attempts: u32) -> DeliveryConfig {
        DeliveryConfig {
            owner: "engine-a".into(),
            poll_interval: Duration::from_millis(200),
            policy: RetryPolicy {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(60),
                max_attempts,
                max_age: Duration::from_secs(3_600),
            },
            ..DeliveryConfig::default()
        }
    }

    /// Run the engine over one delivery for `for_ms` of tokio time with the receiver's scripted answers; the
    /// delivery as it ended.
    async fn deliver(
        answers: &[(Option<u16>, Option<Duration>)],
        max_attempts: u32,
        for_ms: u64,
    ) -> crate::testkit::MemDelivery {
        let outbox = Arc::new(MemOutbox::new(vec![delivery(1)]));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run(
            outbox.clone(),
            Arc::new(ScriptedTransport::new(answers)),
            Arc::new(TokioClock::new()),
            config(max_attempts),
            shutdown.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(for_ms)).await;
        shutdown.cancel();
        task.await.expect("join").expect("engine ends cleanly");
        outbox.with(|all| all[0].clone())
    }

    /// An idle engine sleeps for its poll interval; a wake from an event writer of this process makes it claim
    /// at once.
    #[tokio::test(start_paused = true)]
    async fn a_woken_engine_sends_at_once_without_waiting_for_its_poll() {
        let outbox = Arc::new(MemOutbox::new(Vec::new()));
        let shutdown = CancellationToken::new();
        let config = DeliveryConfig {
            poll_interval: Duration::from_secs(60),
            ..config(3)
        };
        let wake = config.wake.clone();
        let task = tokio::spawn(run(
            outbox.clone(),
            Arc::new(ScriptedTransport::new(&[(Some(200), None)])),
            Arc::new(TokioClock::new()),
            config,
            shutdown.clone(),
        ));
        tokio::time::sleep(Duration::from_secs(1)).await;
        outbox.with(|all| all.push(delivery(1)));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            outbox.with(|all| all[0].status),
            "pending",
            "not before its poll"
        );
        wake.wake();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(outbox.with(|all| all[0].status), "delivered");
        shutdown.cancel();
        task.await.expect("join").expect("engine ends cleanly");
    }

    /// A receiver that answers 200 and then streams an endless body: the attempt keeps the configured prefix,
    /// stops reading and closes the connection (it grew the server by gigabytes before).
    #[tokio::test]
    async fn an_endless_answer_is_read_only_up_to_the_limit() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let receiver = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 8192];
            let _ = sock.read(&mut buf).await;
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
            sock.write_all(head).await.expect("head");
            let chunk = format!("2000\r\n{}\r\n", "x".repeat(0x2000));
            let mut sent: u64 = 0;
            // Until the sender hangs up.
            while sock.write_all(chunk.as_bytes()).await.is_ok() {
                sent += 0x2000;
            }
            sent
        });
        let config = DeliveryConfig {
            max_response_body: 10_000,
            request_timeout: Duration::from_secs(120),
            ..DeliveryConfig::default()
        };
        let sender = Sender::new(&config).expect("sender");
        let mut d = delivery(1).d;
        d.url = Some(CheckUrl::parse(&format!("http://{addr}/hook")).expect("url"));
        let posted = sender.post(&d, T0).await;
        assert_eq!(posted.status, Some(200));
        assert_eq!(posted.record.error, None);
        let body = posted.record.response_body.expect("the prefix is kept");
        assert_eq!(body.len(), 10_000);
        assert!(body.bytes().all(|b| b == b'x'));
        // The connection was closed: the receiver's writes fail and it stops.
        let sent = tokio::time::timeout(Duration::from_secs(60), receiver)
            .await
            .expect("the receiver was hung up on")
            .expect("receiver");
        assert!(sent < 64 << 20, "{sent} bytes went out before the hang-up");
    }

    #[test]
    fn credentials_in_a_webhook_url_are_not_logged() {
        let url = |s: &str| CheckUrl::parse(s).expect("url");
        assert_eq!(
            redacted_url(&url("https://user:s3cret@hooks.example.com/in?x=1")),
            "https://redacted@hooks.example.com/in?x=1"
        );
        assert_eq!(
            redacted_url(&url("https://token@hooks.example.com/")),
            "https://redacted@hooks.example.com/"
        );
        assert_eq!(
            redacted_url(&url("https://hooks.example.com/in")),
            "https://hooks.example.com/in"
        );
    }

    /// The receiver still gets the credentials (as basic auth); only the attempt log leaves them out.
    #[tokio::test]
    async fn an_attempt_to_a_url_with_credentials_logs_it_redacted() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let receiver = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.expect("accept");
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = sock.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
            sock.write_all(ok).await.expect("answer");
            String::from_utf8_lossy(&request).to_lowercase()
        });
        let sender = Sender::new(&DeliveryConfig::default()).expect("sender");
        let mut d = delivery(1).d;
        d.url = Some(CheckUrl::parse(&format!("http://user:s3cret@{addr}/hook")).expect("url"));
        let posted = sender.post(&d, T0).await;
        assert_eq!(posted.status, Some(200));
        assert_eq!(
            posted.record.request_url,
            format!("http://redacted@{addr}/hook")
        );
        assert!(!posted.record.request_headers.contains("s3cret"));
        let request = receiver.await.expect("receiver");
        assert!(request.contains("authorization: basic "), "{request}");
    }

    #[tokio::test(start_paused = true)]
    async fn retries_follow_the_backoff_schedule_until_delivered() {
        let unavailable = (Some(503), None);
        let d = deliver(&[unavailable, (None, None), unavailable], 10, 60_000).await;
        assert_eq!(d.status, "delivered");
        assert_eq!(d.finished.len(), 4);
        assert_eq!(d.finished[0].0, T0, "the first try goes out at once");
        for (k, pair) in d.finished.windows(2).enumerate() {
            let ((tried, next), (retried, _)) = (pair[0], pair[1]);
            let NextStep::Retry { at } = next else {
                panic!("attempt {} should be retried: {next:?}", k + 1);
            };
            // Full jitter: a delay up to base * 2^(attempt-1), capped; the engine claims it within a poll.
            let ceiling = 1_000 << k;
            assert!(
                (tried..=tried + ceiling).contains(&at),
                "attempt {}: retry at +{} ms",
                k + 1,
                at - tried
            );
            assert!(
                (at..=at + 200).contains(&retried),
                "tried again {} ms after due",
                retried - at
            );
        }
        assert_eq!(d.finished[3].1, NextStep::Delivered);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured() {
        let d = deliver(&[(Some(429), Some(Duration::from_secs(30)))], 10, 60_000).await;
        assert_eq!(d.status, "delivered");
        let (first, second) = (d.finished[0].0, d.finished[1].0);
        assert_eq!(d.finished[0].1, NextStep::Retry { at: first + 30_000 });
        assert!(
            (first + 30_000..=first + 30_200).contains(&second),
            "+{} ms",
            second - first
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_answer_is_not_retried_and_attempts_are_bounded() {
        let d = deliver(&[(Some(404), None)], 10, 60_000).await;
        assert_eq!((d.status, d.finished.len()), ("failed", 1));
        let down = (Some(503), None);
        let d = deliver(&[down, down, down, down], 3, 120_000).await;
        assert_eq!(d.status, "failed");
        assert_eq!(d.finished.len(), 3, "max_attempts tries in all");
        assert_eq!(d.finished[2].1, NextStep::Failed);
    }
}
