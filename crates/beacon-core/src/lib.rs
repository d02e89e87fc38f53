//! Beacon's domain: endpoint specifications parsed from user input, schedule and slot math, check results and the
//! incident state machine. Plain values and pure functions: no I/O, no async. Time comes in as `Millis`; the
//! `clock` module holds the injected `Clock` trait and `SystemClock`, the one place wall-clock time is read.

pub mod check;
pub mod clock;
pub mod delivery;
pub mod endpoint;
pub mod event;
pub mod heartbeat;
pub mod incident;
pub mod net;
pub mod ping;
pub mod rollup;
pub mod schedule;
pub mod sketch;
pub mod token;
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

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
