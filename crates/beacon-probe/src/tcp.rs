//! The TCP check: connect (DNS and connect timed), optionally complete a TLS handshake (timed, verified against
//! the prober's roots), optionally send bytes, and read back what the expectations and conditions need.

use crate::http::snippet;
use crate::net::{Failure, Run, connect, judge, limit, micros, not_after, reads, until};
use beacon_core::check::TcpSpec;
use beacon_core::condition::{Condition, Observed, Placeholder};
use beacon_core::ping::ErrorKind;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::TlsConnector;

/// The most read back from a TCP target.
const MAX_READ: usize = 64 * 1024;

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Runs TCP checks. Cheap to clone.
#[derive(Clone)]
pub struct TcpProber {
    pub(crate) tls: TlsConnector,
}

impl TcpProber {
    pub async fn attempt(
        &self,
        spec: &TcpSpec,
        conditions: &[Condition],
        timeout_ms: u32,
    ) -> crate::Tried {
        let mut r = Run::new();
        let outcome =
            tokio::time::timeout(limit(timeout_ms), self.run(spec, conditions, &mut r)).await;
        r.finish(
            outcome,
            timeout_ms,
            if spec.expect.is_empty() {
                "connection"
            } else {
                "expected answer"
            },
        )
    }

    async fn run(
        &self,
        spec: &TcpSpec,
        conditions: &[Condition],
        r: &mut Run,
    ) -> Result<(), Failure> {
        let tcp = connect(&spec.target.host, spec.target.port, &mut r.timings).await?;
        let ip = tcp.peer_addr().ok().map(|a| a.ip().to_string());
        let mut stream: Box<dyn Stream> = if spec.tls {
            let name = rustls::pki_types::ServerName::try_from(spec.target.host.clone())
                .map_err(|e| (ErrorKind::Tls, format!("invalid TLS server name: {e}")))?;
            let t = Instant::now();
            let tls = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| (ErrorKind::Tls, format!("TLS handshake failed: {e}")))?;
            r.timings.tls_us = Some(micros(t.elapsed()));
            r.details.certificate_expires_at = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|leaf| not_after(leaf));
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let sent = Instant::now();
        if let Some(bytes) = spec.send_bytes() {
            stream
                .write_all(&bytes)
                .await
                .map_err(|e| (ErrorKind::Connect, format!("cannot send: {e}")))?;
        }
        let mut got = Vec::new();
        if !spec.expect.is_empty() || reads(conditions, Placeholder::Body) {
            let mut buf = vec![0; 4096];
            loop {
                let n = stream
                    .read(&mut buf)
                    .await
                    .map_err(|e| (ErrorKind::Connect, format!("cannot read: {e}")))?;
                if n == 0 {
                    break;
                }
                if got.is_empty() {
                    r.timings.first_byte_us = Some(micros(sent.elapsed()));
                }
                got.extend_from_slice(&buf[..n]);
                // Without expectations, what the target says first (a banner, an answer) is what it says.
                let done = spec.expect.is_empty()
                    || spec.expect.iter().all(|e| contains(&got, e.as_bytes()));
                if done || got.len() >= MAX_READ {
                    break;
                }
            }
        }
        if let Some(missing) = spec.expect.iter().find(|e| !contains(&got, e.as_bytes())) {
            let said = snippet(&got).map_or_else(|| "nothing".to_owned(), |s| format!("{s:?}"));
            return Err((
                ErrorKind::Body,
                format!("did not send back {missing:?}; it sent {said}"),
            ));
        }
        let text = String::from_utf8_lossy(&got);
        let observed = Observed {
            response_time_ms: Some(r.start.elapsed().as_secs_f64() * 1000.0),
            certificate_expires_in_ms: r.details.certificate_expires_at.map(until),
            connected: Some(true),
            ip,
            ..Observed::default()
        }
        .with_body(&text, true);
        judge(conditions, &observed, &mut r.outcomes)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}
