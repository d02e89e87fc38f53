//! The HTTP check: our own TCP connect and TLS handshake (so each phase can be timed on its own), then hyper's
//! HTTP/1.1 client connection on top. One connection per check, closed afterwards, like a user's first visit.

use crate::net::{Failure, Run, judge, limit, micros, not_after, reads, until};
use beacon_core::check::HttpSpec;
use beacon_core::condition::{Condition, Observed, Outcome, Placeholder};
use beacon_core::endpoint::Method;
use beacon_core::ping::{ErrorKind, Observation, Timings};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{HOST, LOCATION, USER_AGENT};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::{Host, Url};

const MAX_REDIRECTS: usize = 5;
/// The most of a body read by default: the check stops reading there (total time includes reading it) and hangs
/// up, so an endless or huge body costs neither memory nor the check's timeout.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
const USER_AGENT_VALUE: &str = concat!("beacon/", env!("CARGO_PKG_VERSION"));

/// One run of a check: its settings, its conditions, and when it began.
struct Check<'a> {
    spec: &'a HttpSpec,
    conditions: &'a [Condition],
    start: Instant,
}

/// What the final hop's connection showed: the address, and the certificate's expiry (https).
#[derive(Default)]
struct Seen {
    ip: Option<std::net::IpAddr>,
    cert_expires_at: Option<beacon_core::Millis>,
}

/// Runs HTTP checks. Cheap to clone; holds the TLS configuration (Mozilla's root certificates, via webpki-roots).
#[derive(Clone)]
pub struct HttpProber {
    tls: TlsConnector,
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
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            tls: TlsConnector::from(Arc::new(config)),
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
        let check = Check {
            spec,
            conditions,
            start: r.start,
        };
        let run = self.run(&check, &mut r.timings, &mut r.status, &mut r.outcomes);
        let outcome = tokio::time::timeout(limit(timeout_ms), run).await;
        r.finish(outcome, timeout_ms, "complete response")
    }

    async fn run(
        &self,
        check: &Check<'_>,
        timings: &mut Timings,
        status_out: &mut Option<u16>,
        outcomes: &mut Vec<Outcome>,
    ) -> Result<(), Failure> {
        let spec = check.spec;
        let mut seen = Seen::default();
        let mut url = spec.url.as_url().clone();
        let mut method = spec.method;
        let mut body = spec.body.clone();
        for hop in 0..=MAX_REDIRECTS {
            // Phase timings describe the hop that produced the final response.
            *timings = Timings::default();
            let response = self
                .exchange(&url, method, spec, body.as_deref(), timings, &mut seen)
                .await?;
            let status = response.status().as_u16();
            *status_out = Some(status);
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
            if !reads(check.conditions, Placeholder::Status)
                && !spec.expected_status.matches(status)
            {
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
            if check.conditions.is_empty() {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&kept);
            let observed = Observed {
                status: Some(status),
                response_time_ms: Some(check.start.elapsed().as_secs_f64() * 1000.0),
                certificate_expires_in_ms: seen.cert_expires_at.map(until),
                connected: Some(true),
                ip: seen.ip.map(|ip| ip.to_string()),
                ..Observed::default()
            }
            .with_body(&text, true);
            return judge(check.conditions, &observed, outcomes);
        }
        Err((
            ErrorKind::Other,
            format!("more than {MAX_REDIRECTS} redirects"),
        ))
    }

    /// One request over one new connection, up to the response head.
    async fn exchange(
        &self,
        url: &Url,
        method: Method,
        spec: &HttpSpec,
        body: Option<&str>,
        timings: &mut Timings,
        seen: &mut Seen,
    ) -> Result<hyper::Response<hyper::body::Incoming>, Failure> {
        let host = url
            .host()
            .ok_or_else(|| (ErrorKind::Other, format!("URL {url} has no host")))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| (ErrorKind::Other, format!("URL {url} has no port")))?;
        let addrs: Vec<SocketAddr> = match &host {
            Host::Ipv4(ip) => vec![SocketAddr::new((*ip).into(), port)],
            Host::Ipv6(ip) => vec![SocketAddr::new((*ip).into(), port)],
            Host::Domain(name) => {
                let t = Instant::now();
                let found = tokio::net::lookup_host((*name, port))
                    .await
                    .map_err(|e| (ErrorKind::Dns, format!("cannot resolve {name}: {e}")))?
                    .collect::<Vec<_>>();
                timings.dns_us = Some(micros(t.elapsed()));
                if found.is_empty() {
                    return Err((ErrorKind::Dns, format!("{name} has no addresses")));
                }
                found
            }
        };
        let t = Instant::now();
        let mut last_err = None;
        let mut tcp = None;
        for addr in &addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last_err = Some(format!("cannot connect to {addr}: {e}")),
            }
        }
        let tcp = tcp.ok_or_else(|| (ErrorKind::Connect, last_err.unwrap_or_default()))?;
        timings.connect_us = Some(micros(t.elapsed()));
        seen.ip = tcp.peer_addr().ok().map(|a| a.ip());
        let _ = tcp.set_nodelay(true);

        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let mut request = Request::builder()
            .method(method.as_str())
            .uri(path)
            .header(HOST, authority)
            .header(USER_AGENT, USER_AGENT_VALUE);
        for h in &spec.headers {
            request = request.header(h.name.as_str(), h.value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default().to_owned())))
            .map_err(|e| (ErrorKind::Other, format!("cannot build request: {e}")))?;

        if url.scheme() == "https" {
            let name = match host {
                Host::Domain(d) => rustls::pki_types::ServerName::try_from(d.to_owned()),
                Host::Ipv4(ip) => Ok(rustls::pki_types::ServerName::IpAddress(
                    std::net::IpAddr::from(ip).into(),
                )),
                Host::Ipv6(ip) => Ok(rustls::pki_types::ServerName::IpAddress(
                    std::net::IpAddr::from(ip).into(),
                )),
            }
            .map_err(|e| (ErrorKind::Tls, format!("invalid TLS server name: {e}")))?;
            let t = Instant::now();
            let tls = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| (ErrorKind::Tls, format!("TLS handshake failed: {e}")))?;
            timings.tls_us = Some(micros(t.elapsed()));
            seen.cert_expires_at = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|leaf| not_after(leaf));
            send(TokioIo::new(tls), request, timings).await
        } else {
            send(TokioIo::new(tcp), request, timings).await
        }
    }
}

async fn send<T>(
    io: T,
    request: Request<Full<Bytes>>,
    timings: &mut Timings,
) -> Result<hyper::Response<hyper::body::Incoming>, Failure>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let t = Instant::now();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| (ErrorKind::Other, format!("HTTP handshake failed: {e}")))?;
    // The connection task ends when the response body is consumed or dropped.
    tokio::spawn(conn);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| (ErrorKind::Other, format!("request failed: {e}")))?;
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
