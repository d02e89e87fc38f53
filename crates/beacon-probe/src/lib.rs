//! Executes checks. `Prober` runs one check of any kind and reports phase timings and a classified failure;
//! `Probers` dispatches by kind to one module per kind (`http`: one request over a fresh connection, timing DNS,
//! connect, TLS, first byte and total). It knows nothing of schedules or storage.

mod http;

pub use http::{DEFAULT_MAX_BODY_BYTES, HttpProber};

use async_trait::async_trait;
use beacon_core::check::CheckSpec;
use beacon_core::endpoint::EndpointSpec;
use beacon_core::ping::Observation;

/// Runs checks. The check loop holds an `Arc<dyn Prober>`; tests may give it their own.
#[async_trait]
pub trait Prober: Send + Sync + 'static {
    /// Run `spec`'s check once, within its timeout. Never fails: every problem becomes a classified failure.
    async fn probe(&self, spec: &EndpointSpec) -> Observation;
}

/// A prober for every kind. Cheap to clone.
#[derive(Clone)]
pub struct Probers {
    pub http: HttpProber,
}

impl Probers {
    /// Probers trusting Mozilla's root certificates (webpki-roots).
    pub fn new() -> Result<Self, rustls::Error> {
        Ok(Self {
            http: HttpProber::new()?,
        })
    }
}

#[async_trait]
impl Prober for Probers {
    async fn probe(&self, spec: &EndpointSpec) -> Observation {
        match &spec.check {
            CheckSpec::Http(http) => self.http.probe(http, spec.timeout_ms).await,
        }
    }
}
