//! The TLS certificate check: connect, complete a handshake asking for the check's name, and judge the leaf
//! certificate — trusted chain, valid for the name, days until it expires. The handshake records the chain's
//! verdict instead of failing on it, so an expired or untrusted certificate is still read and described.

use crate::net::{Failure, Run, connect, judge, limit, micros, not_after, until};
use beacon_core::check::TlsSpec;
use beacon_core::condition::{Condition, Observed};
use beacon_core::ping::ErrorKind;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_rustls::TlsConnector;

const DAY_MS: i64 = 86_400_000;

/// Runs TLS certificate checks. Cheap to clone.
#[derive(Clone)]
pub struct TlsProber {
    pub(crate) roots: Arc<RootCertStore>,
    pub(crate) provider: Arc<CryptoProvider>,
}

/// Verifies as the web PKI does, but keeps the verdict for the check instead of ending the handshake.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Mutex<Option<Result<(), rustls::Error>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        if let Ok(mut v) = self.verdict.lock() {
            *v = Some(verdict);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// "in 5 days", "3 days ago", "in 20 hours".
fn when(ms: i64) -> String {
    let (n, unit) = if ms.abs() >= DAY_MS {
        (ms.abs() / DAY_MS, "day")
    } else {
        (ms.abs() / 3_600_000, "hour")
    };
    let s = if n == 1 { "" } else { "s" };
    if ms >= 0 {
        format!("in {n} {unit}{s}")
    } else {
        format!("{n} {unit}{s} ago")
    }
}

/// Why a chain was refused, for a person.
fn refused(e: &rustls::Error, name: &str, left: Option<i64>) -> String {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Expired)
        | rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
            format!(
                "certificate expired {}",
                left.map_or_else(String::new, when)
            )
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!("certificate is not valid for {name}"),
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "certificate is not signed by a trusted authority (self-signed or unknown issuer)"
                .to_owned()
        }
        rustls::Error::InvalidCertificate(CertificateError::NotValidYet)
        | rustls::Error::InvalidCertificate(CertificateError::NotValidYetContext { .. }) => {
            "certificate is not valid yet".to_owned()
        }
        other => format!("certificate refused: {other}"),
    }
}

impl TlsProber {
    pub async fn attempt(
        &self,
        spec: &TlsSpec,
        conditions: &[Condition],
        timeout_ms: u32,
    ) -> crate::Tried {
        let mut r = Run::new();
        let outcome =
            tokio::time::timeout(limit(timeout_ms), self.run(spec, conditions, &mut r)).await;
        r.finish(outcome, timeout_ms, "TLS handshake")
    }

    async fn run(
        &self,
        spec: &TlsSpec,
        conditions: &[Condition],
        r: &mut Run,
    ) -> Result<(), Failure> {
        let inner =
            WebPkiServerVerifier::builder_with_provider(self.roots.clone(), self.provider.clone())
                .build()
                .map_err(|e| (ErrorKind::Other, format!("TLS verifier: {e}")))?;
        let recording = Arc::new(Recording {
            inner,
            verdict: Mutex::new(None),
        });
        let config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| (ErrorKind::Other, format!("TLS configuration: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(recording.clone())
            .with_no_client_auth();
        let name = spec.server_name().to_owned();
        let server_name = ServerName::try_from(name.clone())
            .map_err(|e| (ErrorKind::Tls, format!("invalid TLS server name: {e}")))?;
        let tcp = connect(&spec.target.host, spec.target.port, &mut r.timings).await?;
        let ip = tcp.peer_addr().ok().map(|a| a.ip().to_string());
        let t = Instant::now();
        let tls = TlsConnector::from(Arc::new(config))
            .connect(server_name, tcp)
            .await
            .map_err(|e| (ErrorKind::Tls, format!("TLS handshake failed: {e}")))?;
        r.timings.tls_us = Some(micros(t.elapsed()));
        let expires_at = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|leaf| not_after(leaf))
            .ok_or_else(|| {
                (
                    ErrorKind::Tls,
                    "the server sent no readable certificate".to_owned(),
                )
            })?;
        r.details.certificate_expires_at = Some(expires_at);
        let left = until(expires_at);
        let verdict = recording.verdict.lock().ok().and_then(|mut v| v.take());
        match verdict {
            Some(Err(e)) => return Err((ErrorKind::Tls, refused(&e, &name, Some(left)))),
            None => {
                return Err((
                    ErrorKind::Tls,
                    "the certificate was not verified".to_owned(),
                ));
            }
            Some(Ok(())) => {}
        }
        if left < i64::from(spec.fail_days) * DAY_MS {
            return Err((
                ErrorKind::Tls,
                format!(
                    "certificate for {name} expires {}, below the {}-day threshold",
                    when(left),
                    spec.fail_days
                ),
            ));
        }
        let observed = Observed {
            response_time_ms: Some(r.start.elapsed().as_secs_f64() * 1000.0),
            certificate_expires_in_ms: Some(left),
            connected: Some(true),
            ip,
            ..Observed::default()
        };
        judge(conditions, &observed, &mut r.outcomes)?;
        if left < i64::from(spec.warn_days) * DAY_MS {
            return Err((
                ErrorKind::Degraded,
                format!(
                    "certificate for {name} expires {}, below the {}-day warning",
                    when(left),
                    spec.warn_days
                ),
            ));
        }
        Ok(())
    }
}
