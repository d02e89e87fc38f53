//! TCP checks: connect to host:port, optionally complete a TLS handshake, optionally send bytes and expect
//! substrings in what comes back.

use super::target::HostPort;
use super::{parse_expect, unescape};
use crate::ValidationError;
use crate::endpoint::EndpointInput;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSpec {
    pub target: HostPort,
    /// Complete a TLS handshake (SNI: the host) after connecting.
    pub tls: bool,
    /// Sent after connecting, as written (`\r\n` escapes allowed).
    pub send: Option<String>,
    /// Each must appear in what the target sends back.
    pub expect: Vec<String>,
}

impl TcpSpec {
    pub fn create(input: &EndpointInput) -> Result<Self, ValidationError> {
        let target = input
            .target
            .as_deref()
            .ok_or_else(|| ValidationError::new("target", "is required: host:port"))?;
        TcpSpec {
            target: HostPort::parse(target, "target", None)?,
            tls: false,
            send: None,
            expect: Vec::new(),
        }
        .apply(input)
    }

    pub fn apply(&self, input: &EndpointInput) -> Result<Self, ValidationError> {
        let mut next = self.clone();
        if let Some(t) = &input.target {
            next.target = HostPort::parse(t, "target", None)?;
        }
        if let Some(tls) = input.tls {
            next.tls = tls;
        }
        if let Some(send) = &input.send {
            unescape(send, "send")?;
            next.send = Some(send.clone()).filter(|s| !s.is_empty());
        }
        if let Some(expect) = &input.expect {
            next.expect = parse_expect(expect, 10, 200)?;
        }
        Ok(next)
    }

    /// The bytes to send.
    pub fn send_bytes(&self) -> Option<Vec<u8>> {
        self.send.as_deref().and_then(|s| unescape(s, "send").ok())
    }
}
