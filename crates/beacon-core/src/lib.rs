//! Beacon's domain: endpoint specifications parsed from user input, schedule and slot math, check results and the
//! incident state machine. Plain values and pure functions: no I/O, no async. Time comes in as `Millis`; the
//! `clock` module holds the injected `Clock` trait and `SystemClock`, the one place wall-clock time is read.

pub mod ack;
pub mod channel;
pub mod check;
pub mod clock;
pub mod condition;
pub mod delivery;
pub mod endpoint;
pub mod escalation;
pub mod event;
pub mod flapping;
pub mod heartbeat;
pub mod incident;
pub mod kubernetes;
pub mod maintenance;
pub mod net;
pub mod notify;
pub mod ping;
pub mod region;
pub mod rollup;
pub mod schedule;
pub mod sketch;
pub mod status_page;
pub mod token;
pub mod user;
pub mod webhook;

/// A point in time as milliseconds since the Unix epoch (UTC). Everything inside Beacon uses this; RFC 3339
/// appears only at the edges (JSON, tables).
pub type Millis = i64;

/// A field-level validation failure: which input was wrong and why, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

/// The member of `all` whose name is `s`, or an error on `field` listing the names (`what` says what `s` is).
pub(crate) fn parse_named<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    s: &str,
    field: &'static str,
    what: &str,
) -> Result<T, ValidationError> {
    all.iter().copied().find(|k| name(*k) == s).ok_or_else(|| {
        let known: Vec<&str> = all.iter().map(|k| name(*k)).collect();
        ValidationError::new(
            field,
            format!("unknown {what} {s:?}: use one of {}", known.join(", ")),
        )
    })
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
