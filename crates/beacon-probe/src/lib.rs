//! Executes checks. `Prober` runs one check of any kind and reports phase timings and a classified failure;
//! `Probers` dispatches by kind to one module per kind of the same shape (`http`: one request over a fresh
//! connection, timing DNS, connect, TLS, first byte and total; `tcp`: connect, optional TLS, send and expect;
//! `dns`: one timed query to a chosen server; `tls`: the leaf certificate's trust, name and expiry). Each judges
//! the check's conditions against what it observed (`net::judge`). It knows nothing of schedules or storage.

mod dns;
mod http;
mod net;
mod tcp;
#[cfg(feature = "testkit")]
pub mod testkit;
mod tls;

pub use dns::DnsProber;
pub use http::{DEFAULT_MAX_BODY_BYTES, HttpProber};
pub use tcp::TcpProber;
pub use tls::TlsProber;

use async_trait::async_trait;
use beacon_core::check::CheckSpec;
use beacon_core::condition::Outcome;
use beacon_core::endpoint::EndpointSpec;
use beacon_core::ping::{ErrorKind, Observation};
use std::sync::Arc;

/// One check run to be shown rather than stored: what was observed, and each condition's outcome (those
/// reached: a check that fails before its conditions are judged has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    pub observation: Observation,
    pub conditions: Vec<Outcome>,
}

/// Runs checks. The check loop holds an `Arc<dyn Prober>`; tests may give it their own.
#[async_trait]
pub trait Prober: Send + Sync + 'static {
    /// Run `spec`'s check once, within its timeout. Never fails: every problem becomes a classified failure.
    async fn probe(&self, spec: &EndpointSpec) -> Observation;

    /// As `probe`, with every condition's outcome (`beacon checks run`).
    async fn attempt(&self, spec: &EndpointSpec) -> Tried {
        Tried {
            observation: self.probe(spec).await,
            conditions: Vec::new(),
        }
    }
}

/// A prober for every kind. Cheap to clone.
#[derive(Clone)]
pub struct Probers {
    pub http: HttpProber,
    pub tcp: TcpProber,
    pub dns: DnsProber,
    pub tls: TlsProber,
}

impl Probers {
    /// Probers trusting Mozilla's root certificates (webpki-roots).
    pub fn new() -> Result<Self, rustls::Error> {
        Self::with_roots(rustls::RootCertStore::from_iter(
            webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
        ))
    }

    /// Probers trusting Mozilla's roots and the CA certificates in `pem` (an internal CA).
    pub fn trusting_also(pem: &[u8]) -> Result<Self, String> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("not a PEM certificate: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("not a CA certificate: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err("no PEM certificate in the file".into());
        }
        Self::with_roots(roots).map_err(|e| e.to_string())
    }

    /// Probers that trust exactly `roots` (e.g. a private CA) for https, TCP with TLS, and TLS checks.
    pub fn with_roots(roots: rustls::RootCertStore) -> Result<Self, rustls::Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let roots = Arc::new(roots);
        let tcp_tls = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        Ok(Self {
            http: HttpProber::with_roots(roots.as_ref().clone())?,
            tcp: TcpProber {
                tls: tokio_rustls::TlsConnector::from(Arc::new(tcp_tls)),
            },
            dns: DnsProber::default(),
            tls: TlsProber { roots, provider },
        })
    }

    /// Read the system's DNS server from this file instead of /etc/resolv.conf.
    #[must_use]
    pub fn with_resolv_conf(mut self, path: std::path::PathBuf) -> Self {
        self.dns.resolv_conf = Some(path);
        self
    }
}

#[async_trait]
impl Prober for Probers {
    async fn probe(&self, spec: &EndpointSpec) -> Observation {
        self.attempt(spec).await.observation
    }

    async fn attempt(&self, spec: &EndpointSpec) -> Tried {
        let (c, t) = (&spec.conditions, spec.timeout_ms);
        let mut tried = match &spec.check {
            CheckSpec::Http(http) => self.http.attempt(http, c, t).await,
            CheckSpec::Tcp(tcp) => self.tcp.attempt(tcp, c, t).await,
            CheckSpec::Dns(dns) => self.dns.attempt(dns, c, t).await,
            CheckSpec::Tls(tls) => self.tls.attempt(tls, c, t).await,
        };
        // A check that passed, but slowly, is degraded.
        let o = &mut tried.observation;
        if let (None, Some(limit)) = (&o.failure, spec.degraded_above_ms)
            && u64::from(o.timings.total_us) > u64::from(limit) * 1000
        {
            o.failure = Some((
                ErrorKind::Degraded,
                format!("slow: {} ms, above {limit} ms", o.timings.total_us / 1000),
            ));
        }
        tried
    }
}
