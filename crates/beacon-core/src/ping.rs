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

/// What a probe observed, before it is tied to a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub status_code: Option<u16>,
    pub timings: Timings,
    /// `None` on success; `ErrorKind::Degraded` with the warning for a success with one.
    pub failure: Option<(ErrorKind, String)>,
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
