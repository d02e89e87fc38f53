//! TLS certificate checks: connect to host:port and complete a handshake (SNI: the host, or `sni`), then judge
//! the leaf certificate: a chain to a trusted root, valid for the name, and how long until it expires — a
//! failure below `fail_days`, a warning (degraded) below `warn_days`.

use super::target::{HostPort, valid_name};
use crate::ValidationError;
use crate::endpoint::EndpointInput;

pub const DEFAULT_FAIL_DAYS: u32 = 14;
pub const DEFAULT_WARN_DAYS: u32 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSpec {
    pub target: HostPort,
    /// The name to ask for and to match the certificate against, when it is not the host.
    pub sni: Option<String>,
    pub fail_days: u32,
    pub warn_days: u32,
}

impl TlsSpec {
    pub fn create(input: &EndpointInput) -> Result<Self, ValidationError> {
        let target = input
            .target
            .as_deref()
            .ok_or_else(|| ValidationError::new("target", "is required: host:port"))?;
        TlsSpec {
            target: HostPort::parse(target, "target", Some(443))?,
            sni: None,
            fail_days: DEFAULT_FAIL_DAYS,
            warn_days: DEFAULT_WARN_DAYS,
        }
        .apply(input)
    }

    pub fn apply(&self, input: &EndpointInput) -> Result<Self, ValidationError> {
        let mut next = self.clone();
        if let Some(t) = &input.target {
            next.target = HostPort::parse(t, "target", Some(443))?;
        }
        if let Some(sni) = &input.sni {
            let sni = sni.trim().to_ascii_lowercase();
            if !sni.is_empty() && !valid_name(&sni) {
                return Err(ValidationError::new(
                    "sni",
                    format!("{sni:?} is not a host name"),
                ));
            }
            next.sni = Some(sni).filter(|s| !s.is_empty());
        }
        let days = |n: i64, field: &'static str| {
            u32::try_from(n)
                .ok()
                .filter(|d| *d <= 3650)
                .ok_or_else(|| ValidationError::new(field, "must be 0..3650 days"))
        };
        if let Some(n) = input.cert_fail_days {
            next.fail_days = days(n, "cert_fail_days")?;
        }
        if let Some(n) = input.cert_warn_days {
            next.warn_days = days(n, "cert_warn_days")?;
        }
        if next.warn_days < next.fail_days {
            return Err(ValidationError::new(
                "cert_warn_days",
                format!(
                    "{} is below cert_fail_days ({}): warn before failing",
                    next.warn_days, next.fail_days
                ),
            ));
        }
        Ok(next)
    }

    /// The name the handshake asks for and the certificate must match.
    pub fn server_name(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.target.host)
    }
}
