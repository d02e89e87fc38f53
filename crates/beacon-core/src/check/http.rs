//! HTTP checks: a request (URL, method, headers, body) and what counts as success (status codes, a body
//! substring), with redirects followed or not.

use crate::ValidationError;
use crate::endpoint::{CheckUrl, EndpointInput, Header, Method, StatusSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSpec {
    pub url: CheckUrl,
    pub method: Method,
    pub expected_status: StatusSpec,
    pub headers: Vec<Header>,
    pub body: Option<String>,
    pub expect_body_contains: Option<String>,
    pub follow_redirects: bool,
    /// Speak HTTP/2, negotiated by ALPN on https (a server that does not offer it fails the check).
    pub http2: bool,
}

impl HttpSpec {
    /// A GET of `input.url` expecting 2xx, following redirects, with the rest of `input` applied.
    pub fn create(input: &EndpointInput) -> Result<Self, ValidationError> {
        let url = input
            .url
            .as_deref()
            .ok_or_else(|| ValidationError::new("url", "is required"))?;
        let base = HttpSpec {
            url: CheckUrl::parse(url)?,
            method: Method::Get,
            expected_status: StatusSpec::default(),
            headers: Vec::new(),
            body: None,
            expect_body_contains: None,
            follow_redirects: true,
            http2: false,
        };
        base.apply(&EndpointInput {
            url: None,
            ..input.clone()
        })
    }

    /// A copy with the HTTP fields of `input` applied.
    pub fn apply(&self, input: &EndpointInput) -> Result<Self, ValidationError> {
        let mut next = self.clone();
        if let Some(url) = &input.url {
            next.url = CheckUrl::parse(url)?;
        }
        if let Some(method) = &input.method {
            next.method = method.parse()?;
        }
        if let Some(spec) = &input.expected_status {
            next.expected_status = spec.parse()?;
        }
        if let Some(headers) = &input.headers {
            next.headers = headers
                .iter()
                .map(|h| Header::for_check(h))
                .collect::<Result<_, _>>()?;
        }
        if let Some(body) = &input.body {
            next.body = Some(body.clone()).filter(|b| !b.is_empty());
        }
        if let Some(s) = &input.expect_body_contains {
            next.expect_body_contains = Some(s.clone()).filter(|s| !s.is_empty());
        }
        if let Some(b) = input.follow_redirects {
            next.follow_redirects = b;
        }
        if let Some(b) = input.http2 {
            next.http2 = b;
        }
        if next.http2 && next.url.as_url().scheme() != "https" {
            return Err(ValidationError::new(
                "http2",
                "needs an https URL: HTTP/2 is negotiated in the TLS handshake (ALPN)",
            ));
        }
        Ok(next)
    }
}
