//! The HTTP check: our own TCP connect and TLS handshake (so each phase can be timed on its own), then hyper's
//! HTTP/1.1 client connection on top, or HTTP/2 when the check asks for it and ALPN agrees. One connection per
//! check, closed afterwards, like a user's first visit (no keep-alive between checks).

use crate::net::{Failure, Run, connect, judge, limit, micros, not_after, reads, until};
use beacon_core::check::HttpSpec;
use beacon_core::condition::{Condition, Observed, Placeholder};
use beacon_core::endpoint::Method;
use beacon_core::ping::{Details, ErrorKind, Observation, Timings};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{HOST, LOCATION, USER_AGENT};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio_rustls::TlsConnector;
use url::{Host, Url};

const MAX_REDIRECTS: usize = 5;
/// The most of a body read by default: the check stops reading there (total time includes reading it) and hangs
/// up, so an endless or huge body costs neither memory nor the check's timeout.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
const USER_AGENT_VALUE: &str = concat!("beacon/", env!("CARGO_PKG_VERSION"));

/// Runs HTTP checks. Cheap to clone; holds the TLS configurations (Mozilla's root certificates, via
/// webpki-roots): one offering HTTP/1.1 by ALPN, one offering HTTP/2 first for checks that ask for it.
#[derive(Clone)]
pub struct HttpProber {
    tls: TlsConnector,
    tls_h2: TlsConnector,
    max_body: usize,
}

impl HttpProber {
    pub fn new() -> Result<Self, rustls::Error> {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Self::with_roots(roots)
    }

    /// A prober that trusts exactly `roots` (e.g. a private CA).
    pub fn with_roots(roots: rustls::RootCertStore) -> Result<Self, rustls::Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let connector = |alpn: &[&[u8]]| -> Result<TlsConnector, rustls::Error> {
            let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots.clone())
                .with_no_client_auth();
            config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
            Ok(TlsConnector::from(Arc::new(config)))
        };
        Ok(Self {
            tls: connector(&[b"http/1.1"])?,
            // HTTP/1.1 is offered too, so a server without HTTP/2 completes the handshake and the check can say
            // what it chose instead of failing on a TLS alert.
            tls_h2: connector(&[b"h2", b"http/1.1"])?,
            max_body: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// Read at most `bytes` of a response body (assertions see that prefix).
    #[must_use]
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Run the check `spec` describes once, within `timeout_ms`. Never fails: every problem becomes a classified
    /// failure.
    pub async fn probe(
        &self,
        spec: &HttpSpec,
        conditions: &[Condition],
        timeout_ms: u32,
    ) -> Observation {
        self.attempt(spec, conditions, timeout_ms).await.observation
    }

    /// As `probe`, with every condition's outcome.
    pub async fn attempt(
        &self,
        spec: &HttpSpec,
        conditions: &[Condition],
        timeout_ms: u32,
    ) -> crate::Tried {
        let mut r = Run::new();
        let outcome =
            tokio::time::timeout(limit(timeout_ms), self.run(spec, conditions, &mut r)).await;
        r.finish(outcome, timeout_ms, "complete response")
    }

    async fn run(
        &self,
        spec: &HttpSpec,
        conditions: &[Condition],
        r: &mut Run,
    ) -> Result<(), Failure> {
        let mut ip = None;
        let mut url = spec.url.as_url().clone();
        let mut method = spec.method;
        let mut body = spec.body.clone();
        for hop in 0..=MAX_REDIRECTS {
            // Phase timings and details describe the hop that produced the final response.
            r.timings = Timings::default();
            r.details = Details::default();
            let response = self
                .exchange(&url, method, spec, body.as_deref(), r, &mut ip)
                .await?;
            let status = response.status().as_u16();
            r.status = Some(status);
            r.details.protocol = protocol(response.version());
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let is_redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
            if spec.follow_redirects && is_redirect {
                let Some(location) = location else {
                    return Err((
                        ErrorKind::Other,
                        format!("redirect {status} without a Location header"),
                    ));
                };
                if hop == MAX_REDIRECTS {
                    return Err((
                        ErrorKind::Other,
                        format!("more than {MAX_REDIRECTS} redirects"),
                    ));
                }
                url = url.join(&location).map_err(|e| {
                    (
                        ErrorKind::Other,
                        format!("bad redirect location {location:?}: {e}"),
                    )
                })?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err((
                        ErrorKind::Other,
                        format!("redirect to unsupported URL {url}"),
                    ));
                }
                // Browsers' behaviour: 303, and 301/302 after a POST, continue as GET without a body.
                if status == 303 || (matches!(status, 301 | 302) && method == Method::Post) {
                    method = Method::Get;
                    body = None;
                }
                continue;
            }
            let kept = read_prefix(response.into_body(), self.max_body).await?;
            // A failure quotes the start of the response: what the server said is often the cause.
            let said = snippet(&kept).map_or_else(String::new, |s| format!("; response: {s:?}"));
            // A condition on [STATUS] decides the status instead of expected_status.
            if !reads(conditions, Placeholder::Status) && !spec.expected_status.matches(status) {
                return Err((
                    ErrorKind::Status,
                    format!(
                        "unexpected status {status} (expected {}){said}",
                        spec.expected_status
                    ),
                ));
            }
            if let Some(needle) = &spec.expect_body_contains
                && !contains(&kept, needle.as_bytes())
            {
                return Err((
                    ErrorKind::Body,
                    format!("response body does not contain {needle:?}{said}"),
                ));
            }
            if conditions.is_empty() {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&kept);
            let observed = Observed {
                status: Some(status),
                response_time_ms: Some(r.start.elapsed().as_secs_f64() * 1000.0),
                certificate_expires_in_ms: r.details.certificate_expires_at.map(until),
                connected: Some(true),
                ip: ip.map(|ip: IpAddr| ip.to_string()),
                ..Observed::default()
            }
            .with_body(&text, true);
            return judge(conditions, &observed, &mut r.outcomes);
        }
        Err((
            ErrorKind::Other,
            format!("more than {MAX_REDIRECTS} redirects"),
        ))
    }

    /// One request over one new connection, up to the response head; the connection's address into `ip`, its
    /// certificate's expiry (https) into the run's details.
    async fn exchange(
        &self,
        url: &Url,
        method: Method,
        spec: &HttpSpec,
        body: Option<&str>,
        r: &mut Run,
        ip: &mut Option<IpAddr>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, Failure> {
        let host = url
            .host()
            .ok_or_else(|| (ErrorKind::Other, format!("URL {url} has no host")))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| (ErrorKind::Other, format!("URL {url} has no port")))?;
        let tcp = connect(url.host_str().unwrap_or_default(), port, &mut r.timings).await?;
        *ip = tcp.peer_addr().ok().map(|a| a.ip());

        // HTTP/2 checks (https only, enforced by the spec) name the authority in the URI; HTTP/1.1 in Host.
        let h2 = spec.http2 && url.scheme() == "https";
        let mut request = Request::builder().method(method.as_str());
        if h2 {
            request = request.uri(url.as_str());
        } else {
            let authority = match url.port() {
                Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_owned(),
            };
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            request = request.uri(path).header(HOST, authority);
        }
        request = request.header(USER_AGENT, USER_AGENT_VALUE);
        for h in &spec.headers {
            request = request.header(h.name.as_str(), h.value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default().to_owned())))
            .map_err(|e| (ErrorKind::Other, format!("cannot build request: {e}")))?;

        if url.scheme() != "https" {
            return send(TokioIo::new(tcp), request, false, &mut r.timings).await;
        }
        let name = match host {
            Host::Domain(d) => rustls::pki_types::ServerName::try_from(d.to_owned()),
            Host::Ipv4(ip) => Ok(rustls::pki_types::ServerName::IpAddress(
                IpAddr::from(ip).into(),
            )),
            Host::Ipv6(ip) => Ok(rustls::pki_types::ServerName::IpAddress(
                IpAddr::from(ip).into(),
            )),
        }
        .map_err(|e| (ErrorKind::Tls, format!("invalid TLS server name: {e}")))?;
        let t = Instant::now();
        let connector = if h2 { &self.tls_h2 } else { &self.tls };
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| (ErrorKind::Tls, format!("TLS handshake failed: {e}")))?;
        r.timings.tls_us = Some(micros(t.elapsed()));
        let session = tls.get_ref().1;
        r.details.certificate_expires_at = session
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|leaf| not_after(leaf));
        if h2 && session.alpn_protocol() != Some(b"h2") {
            let chose = session.alpn_protocol().map_or_else(
                || "nothing".to_owned(),
                |p| String::from_utf8_lossy(p).into_owned(),
            );
            return Err((
                ErrorKind::Other,
                format!("the server does not speak HTTP/2: ALPN chose {chose}"),
            ));
        }
        send(TokioIo::new(tls), request, h2, &mut r.timings).await
    }
}

/// A response's protocol when it is worth keeping: anything but HTTP/1.1, the default.
fn protocol(version: hyper::Version) -> Option<String> {
    match version {
        hyper::Version::HTTP_11 => None,
        hyper::Version::HTTP_2 => Some("HTTP/2".to_owned()),
        hyper::Version::HTTP_10 => Some("HTTP/1.0".to_owned()),
        other => Some(format!("{other:?}")),
    }
}

/// Send `request` over `io` as HTTP/1.1 or, with `h2`, HTTP/2; the first-byte phase runs from the handshake to
/// the response head.
async fn send<T>(
    io: T,
    request: Request<Full<Bytes>>,
    h2: bool,
    timings: &mut Timings,
) -> Result<hyper::Response<hyper::body::Incoming>, Failure>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let t = Instant::now();
    let handshake = |e: hyper::Error| (ErrorKind::Other, format!("HTTP handshake failed: {e}"));
    let sent = if h2 {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(handshake)?;
        // The connection task ends when the sender is dropped and the response body consumed or dropped.
        tokio::spawn(conn);
        sender.send_request(request).await
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(handshake)?;
        tokio::spawn(conn);
        sender.send_request(request).await
    };
    let response = sent.map_err(|e| (ErrorKind::Other, format!("request failed: {e}")))?;
    timings.first_byte_us = Some(micros(t.elapsed()));
    Ok(response)
}

/// Read the body up to its end or `max` bytes, whichever comes first; dropping the rest closes the connection.
/// Characters of a failed response's body quoted in its error.
const SNIPPET_CHARS: usize = 120;

/// The start of a response body as one line of text for a person (whitespace runs folded, at most
/// `SNIPPET_CHARS` characters, `…` when cut); `None` for an empty or binary body.
pub(crate) fn snippet(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(SNIPPET_CHARS * 4)];
    let cut = head.len() < body.len();
    let lossy = String::from_utf8_lossy(head);
    // A character cut in two at the end is not a sign of binary.
    let text = if cut {
        lossy.trim_end_matches(char::REPLACEMENT_CHARACTER)
    } else {
        &lossy
    };
    if text
        .chars()
        .any(|c| c == char::REPLACEMENT_CHARACTER || (c.is_control() && !c.is_whitespace()))
    {
        return None;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    let line = words.join(" ");
    let mut out: String = line.chars().take(SNIPPET_CHARS).collect();
    if out.len() < line.len() || cut {
        out.push('…');
    }
    Some(out)
}

async fn read_prefix(mut body: hyper::body::Incoming, max: usize) -> Result<Vec<u8>, Failure> {
    let mut kept = Vec::new();
    while kept.len() < max
        && let Some(frame) = body.frame().await
    {
        let frame = frame.map_err(|e| {
            (
                ErrorKind::Other,
                format!("reading response body failed: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            let room = max.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Ok(kept)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn snippets_are_one_short_line_of_text() {
        assert_eq!(
            snippet(b"  Service Unavailable:\n\tdatabase   down \n").as_deref(),
            Some("Service Unavailable: database down")
        );
        assert_eq!(snippet(b" \n "), None, "nothing to quote");
        assert_eq!(snippet(&[0x89, b'P', b'N', b'G', 0, 1, 2]), None, "binary");
        let long = "é".repeat(300);
        let cut = snippet(long.as_bytes()).expect("text");
        assert_eq!(cut.chars().count(), 121, "120 characters and an ellipsis");
        assert!(cut.ends_with("é…"), "{cut}");
        // A multi-byte character cut at the byte limit is not binary.
        let mut body = "a".repeat(479).into_bytes();
        body.extend("é".repeat(10).as_bytes());
        assert!(snippet(&body).is_some_and(|s| s.ends_with('…')));
    }
}
