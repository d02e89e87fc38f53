//! What a check does, by kind. `CheckSpec` is a closed enum checked when input is parsed: every place that runs,
//! stores or shows a check matches on it, so a new kind is a new variant plus one module of the same shape as
//! `http` (its spec, parsed from input; its prober in `beacon-probe`; its stored form in `beacon-store`).

mod http;

pub use http::HttpSpec;

use crate::ValidationError;
use crate::endpoint::EndpointInput;

/// The kinds of check Beacon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    Http,
}

impl CheckKind {
    pub const ALL: [CheckKind; 1] = [CheckKind::Http];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Http => "http",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        crate::parse_named(&Self::ALL, Self::as_str, s, "kind", "check kind")
    }
}

/// One check's kind and its kind's settings (what is common to every kind — interval, timeout, thresholds —
/// lives in `EndpointSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckSpec {
    Http(HttpSpec),
}

impl CheckSpec {
    pub fn kind(&self) -> CheckKind {
        match self {
            CheckSpec::Http(_) => CheckKind::Http,
        }
    }

    /// The HTTP settings, for an HTTP check.
    pub fn as_http(&self) -> Option<&HttpSpec> {
        match self {
            CheckSpec::Http(h) => Some(h),
        }
    }

    /// A new check of `kind` from input (its required fields must be given).
    pub fn create(kind: CheckKind, input: &EndpointInput) -> Result<Self, ValidationError> {
        match kind {
            CheckKind::Http => HttpSpec::create(input).map(CheckSpec::Http),
        }
    }

    /// A copy with the kind's fields of `input` applied.
    pub fn apply(&self, input: &EndpointInput) -> Result<Self, ValidationError> {
        match self {
            CheckSpec::Http(h) => h.apply(input).map(CheckSpec::Http),
        }
    }
}
