//! The result of one check at one slot: success, status, phase timings and, on failure, a classified error.

use crate::Millis;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Why a check failed. Stored as a small integer; shown as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Dns,
    Connect,
    Tls,
    Timeout,
    Status,
    Body,
    Other,
    /// A condition did not hold.
    Condition,
    /// Not a failure: the check passed with a warning (slow, a certificate expiring soon): degraded.
    Degraded,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Dns,
        ErrorKind::Connect,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Status,
        ErrorKind::Body,
        ErrorKind::Other,
        ErrorKind::Condition,
        ErrorKind::Degraded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Dns => "dns",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::Body => "body",
            ErrorKind::Other => "other",
            ErrorKind::Condition => "condition",
            ErrorKind::Degraded => "degraded",
        }
    }

    /// Compact storage code; stable across versions (append only).
    pub fn code(self) -> i16 {
        match self {
            ErrorKind::Dns => 1,
            ErrorKind::Connect => 2,
            ErrorKind::Tls => 3,
            ErrorKind::Timeout => 4,
            ErrorKind::Status => 5,
            ErrorKind::Body => 6,
            ErrorKind::Other => 7,
            ErrorKind::Condition => 8,
            ErrorKind::Degraded => 9,
        }
    }

    pub fn from_code(code: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Pulse's (seed 002) run status for a result: `success`, `fail` (wrong status or body), `timeout`, or `error`
/// (could not talk to the target).
pub fn run_status(kind: Option<ErrorKind>) -> &'static str {
    match kind {
        None | Some(ErrorKind::Degraded) => "success",
        Some(ErrorKind::Timeout) => "timeout",
        Some(ErrorKind::Status | ErrorKind::Body | ErrorKind::Condition) => "fail",
        Some(_) => "error",
    }
}

impl FromStr for ErrorKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

/// Phase timings in microseconds. A phase that did not happen (no DNS for an IP literal, no TLS for http, or a
/// phase never reached because an earlier one failed) is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    pub dns_us: Option<u32>,
    pub connect_us: Option<u32>,
    pub tls_us: Option<u32>,
    pub first_byte_us: Option<u32>,
    pub total_us: u32,
}

/// The most answers a ping keeps of a DNS response, and the longest answer kept.
pub const MAX_ANSWERS: usize = 16;
pub const MAX_ANSWER_LEN: usize = 255;

/// What a check saw besides its status and timings, by kind: the leaf certificate's expiry (https, TLS, TCP
/// with TLS), the protocol an HTTP check spoke, a DNS query's response code and answers. Stored with the ping;
/// empty when nothing was seen (most failures, plain http).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Details {
    #[serde(rename = "cert", skip_serializing_if = "Option::is_none")]
    pub certificate_expires_at: Option<Millis>,
    /// `HTTP/1.1` or `HTTP/2`.
    #[serde(rename = "proto", skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// A DNS response code (`NOERROR`, `NXDOMAIN`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcode: Option<String>,
    /// A DNS response's answers as text (at most `MAX_ANSWERS`, each at most `MAX_ANSWER_LEN` bytes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
}

impl Details {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Within the bounds a stored ping keeps: at most `MAX_ANSWERS` answers of at most `MAX_ANSWER_LEN`
    /// bytes, a protocol and response code of at most 16.
    #[must_use]
    pub fn bounded(mut self) -> Self {
        self.answers.truncate(MAX_ANSWERS);
        for a in &mut self.answers {
            cut(a, MAX_ANSWER_LEN);
        }
        for s in [&mut self.protocol, &mut self.rcode].into_iter().flatten() {
            cut(s, 16);
        }
        self
    }

    /// The compact JSON a ping stores; `None` when empty.
    pub fn encode(&self) -> Option<String> {
        (!self.is_empty()).then(|| serde_json::to_string(self).unwrap_or_default())
    }

    /// Stored JSON back; anything unreadable reads as empty (details are informative, never load-bearing).
    pub fn decode(stored: Option<&str>) -> Self {
        stored
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }
}

/// Cut `s` to at most `max` bytes at a character boundary.
fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// What a probe observed, before it is tied to a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub status_code: Option<u16>,
    pub timings: Timings,
    /// `None` on success; `ErrorKind::Degraded` with the warning for a success with one.
    pub failure: Option<(ErrorKind, String)>,
    pub details: Details,
}

impl Observation {
    /// Passed, degraded or not.
    pub fn success(&self) -> bool {
        matches!(self.failure, None | Some((ErrorKind::Degraded, _)))
    }

    /// The warning of a check that passed degraded.
    pub fn degraded(&self) -> Option<&str> {
        match &self.failure {
            Some((ErrorKind::Degraded, why)) => Some(why),
            _ => None,
        }
    }
}

/// One stored result: an observation of one endpoint in one region at one scheduled slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingRecord {
    pub scheduled_at: Millis,
    pub started_at: Millis,
    pub observation: Observation,
}

#[cfg(test)]
mod tests {
    use super::{Details, MAX_ANSWER_LEN, MAX_ANSWERS};

    #[test]
    fn details_are_stored_compactly_and_bounded() {
        assert_eq!(
            Details::default().encode(),
            None,
            "nothing seen, nothing stored"
        );
        let seen = Details {
            certificate_expires_at: Some(1_800_000_000_000),
            protocol: Some("HTTP/2".into()),
            ..Details::default()
        };
        let stored = seen.encode().expect("stored");
        assert_eq!(stored, r#"{"cert":1800000000000,"proto":"HTTP/2"}"#);
        assert_eq!(Details::decode(Some(&stored)), seen);
        assert_eq!(Details::decode(Some("not json")), Details::default());
        let many = Details {
            answers: vec!["é".repeat(200); 40],
            rcode: Some("X".repeat(40)),
            ..Details::default()
        }
        .bounded();
        assert_eq!(many.answers.len(), MAX_ANSWERS);
        assert!(
            many.answers
                .iter()
                .all(|a| a.len() <= MAX_ANSWER_LEN && a.ends_with('é'))
        );
        assert_eq!(many.rcode.as_deref().map(str::len), Some(16));
    }
}
