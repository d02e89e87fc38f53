//! What a check does, by kind. `CheckSpec` is a closed enum checked when input is parsed: every place that runs,
//! stores or shows a check matches on it, so a new kind is a new variant plus one module of the same shape as
//! `http` (its spec, parsed from input; its prober in `beacon-probe`; its stored form in `beacon-store`).

mod dns;
mod http;
mod target;
mod tcp;
mod tls;

pub use dns::{DnsSpec, RecordType};
pub use http::HttpSpec;
pub use target::{HostPort, valid_name};
pub use tcp::TcpSpec;
pub use tls::{DEFAULT_FAIL_DAYS, DEFAULT_WARN_DAYS, TlsSpec};

use crate::ValidationError;
use crate::condition::Placeholder;
use crate::endpoint::EndpointInput;

/// The kinds of check Beacon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    Http,
    Tcp,
    Dns,
    Tls,
}

impl CheckKind {
    pub const ALL: [CheckKind; 4] = [
        CheckKind::Http,
        CheckKind::Tcp,
        CheckKind::Dns,
        CheckKind::Tls,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Http => "http",
            CheckKind::Tcp => "tcp",
            CheckKind::Dns => "dns",
            CheckKind::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        crate::parse_named(&Self::ALL, Self::as_str, s.trim(), "kind", "check kind")
    }

    /// "an http check", "a tcp check".
    pub fn a_check(self) -> String {
        let article = if self == CheckKind::Http { "an" } else { "a" };
        format!("{article} {} check", self.as_str())
    }

    /// Whether its checks observe what the placeholder names (so a condition may read it).
    pub fn produces(self, p: Placeholder) -> bool {
        use Placeholder as P;
        match self {
            CheckKind::Http => !matches!(p, P::DnsRcode),
            CheckKind::Tcp => !matches!(p, P::Status | P::DnsRcode),
            CheckKind::Dns => matches!(p, P::DnsRcode | P::Body | P::ResponseTime | P::Ip),
            CheckKind::Tls => matches!(
                p,
                P::CertificateExpiration | P::ResponseTime | P::Connected | P::Ip
            ),
        }
    }

    /// The input fields that belong to this kind alone (the rest are every kind's).
    fn fields(self) -> &'static [&'static str] {
        match self {
            CheckKind::Http => &[
                "url",
                "method",
                "expected_status",
                "headers",
                "body",
                "expect_body_contains",
                "follow_redirects",
                "http2",
                "expect_json_path",
            ],
            CheckKind::Tcp => &["target", "tls", "send", "expect"],
            CheckKind::Dns => &["target", "record_type", "dns_server", "expect"],
            CheckKind::Tls => &["target", "sni", "cert_fail_days", "cert_warn_days"],
        }
    }
}

/// The kind-specific fields `input` gives, by name.
fn given_fields(input: &EndpointInput) -> Vec<&'static str> {
    [
        ("url", input.url.is_some()),
        ("method", input.method.is_some()),
        ("expected_status", input.expected_status.is_some()),
        ("headers", input.headers.is_some()),
        ("body", input.body.is_some()),
        ("expect_body_contains", input.expect_body_contains.is_some()),
        ("follow_redirects", input.follow_redirects.is_some()),
        ("http2", input.http2.is_some()),
        ("expect_json_path", input.expect_json_path.is_some()),
        ("target", input.target.is_some()),
        ("tls", input.tls.is_some()),
        ("send", input.send.is_some()),
        ("expect", input.expect.is_some()),
        ("record_type", input.record_type.is_some()),
        ("dns_server", input.dns_server.is_some()),
        ("sni", input.sni.is_some()),
        ("cert_fail_days", input.cert_fail_days.is_some()),
        ("cert_warn_days", input.cert_warn_days.is_some()),
    ]
    .into_iter()
    .filter(|(_, given)| *given)
    .map(|(name, _)| name)
    .collect()
}

/// Refuse a field of another kind, naming it and the kinds it is for.
fn refuse_foreign(kind: CheckKind, input: &EndpointInput) -> Result<(), ValidationError> {
    for field in given_fields(input) {
        if !kind.fields().contains(&field) {
            let owners: Vec<&str> = CheckKind::ALL
                .into_iter()
                .filter(|k| k.fields().contains(&field))
                .map(CheckKind::as_str)
                .collect();
            return Err(ValidationError::new(
                field,
                format!(
                    "{} has no {field}; it is for {} checks",
                    kind.a_check(),
                    owners.join(" and ")
                ),
            ));
        }
    }
    Ok(())
}

/// One check's kind and its kind's settings (what is common to every kind — interval, timeout, thresholds,
/// conditions — lives in `EndpointSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckSpec {
    Http(HttpSpec),
    Tcp(TcpSpec),
    Dns(DnsSpec),
    Tls(TlsSpec),
}

impl CheckSpec {
    pub fn kind(&self) -> CheckKind {
        match self {
            CheckSpec::Http(_) => CheckKind::Http,
            CheckSpec::Tcp(_) => CheckKind::Tcp,
            CheckSpec::Dns(_) => CheckKind::Dns,
            CheckSpec::Tls(_) => CheckKind::Tls,
        }
    }

    /// The HTTP settings, for an HTTP check.
    pub fn as_http(&self) -> Option<&HttpSpec> {
        match self {
            CheckSpec::Http(h) => Some(h),
            _ => None,
        }
    }

    /// A new check of `kind` from input (its required fields must be given; another kind's are refused).
    pub fn create(kind: CheckKind, input: &EndpointInput) -> Result<Self, ValidationError> {
        refuse_foreign(kind, input)?;
        match kind {
            CheckKind::Http => HttpSpec::create(input).map(CheckSpec::Http),
            CheckKind::Tcp => TcpSpec::create(input).map(CheckSpec::Tcp),
            CheckKind::Dns => DnsSpec::create(input).map(CheckSpec::Dns),
            CheckKind::Tls => TlsSpec::create(input).map(CheckSpec::Tls),
        }
    }

    /// A copy with the kind's fields of `input` applied (another kind's are refused).
    pub fn apply(&self, input: &EndpointInput) -> Result<Self, ValidationError> {
        refuse_foreign(self.kind(), input)?;
        match self {
            CheckSpec::Http(h) => h.apply(input).map(CheckSpec::Http),
            CheckSpec::Tcp(t) => t.apply(input).map(CheckSpec::Tcp),
            CheckSpec::Dns(d) => d.apply(input).map(CheckSpec::Dns),
            CheckSpec::Tls(t) => t.apply(input).map(CheckSpec::Tls),
        }
    }

    /// What it checks, as one line: the URL, `host:port`, `tls://host:port`, or `A example.com @1.1.1.1:53`.
    pub fn target(&self) -> String {
        match self {
            CheckSpec::Http(h) => h.url.as_str().to_owned(),
            CheckSpec::Tcp(t) if t.tls => format!("tcp+tls://{}", t.target),
            CheckSpec::Tcp(t) => format!("tcp://{}", t.target),
            CheckSpec::Tls(t) => format!("tls://{}", t.target),
            CheckSpec::Dns(d) => match &d.server {
                Some(s) => format!("dns://{s}/{}?type={}", d.name, d.record_type.as_str()),
                None => format!("dns:{}?type={}", d.name, d.record_type.as_str()),
            },
        }
    }
}

/// Expected values as given: trimmed, none empty, at most `max` of at most `len` characters each.
fn parse_expect(list: &[String], max: usize, len: usize) -> Result<Vec<String>, ValidationError> {
    if list.len() > max {
        return Err(ValidationError::new(
            "expect",
            format!("at most {max} values"),
        ));
    }
    list.iter()
        .map(|e| {
            let e = e.trim();
            if e.is_empty() || e.chars().count() > len {
                Err(ValidationError::new(
                    "expect",
                    format!("each value must be 1..{len} characters"),
                ))
            } else {
                Ok(e.to_owned())
            }
        })
        .collect()
}

/// Bytes from text with `\r`, `\n`, `\t`, `\0`, `\\` and `\xNN` escapes.
fn unescape(s: &str, field: &'static str) -> Result<Vec<u8>, ValidationError> {
    if s.len() > 1024 {
        return Err(ValidationError::new(field, "at most 1024 bytes"));
    }
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let byte = u8::from_str_radix(&hex, 16).map_err(|_| {
                    ValidationError::new(field, format!("\\x{hex} is not a byte; write \\x0d"))
                })?;
                out.push(byte);
            }
            other => {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "unknown escape \\{}; use \\r, \\n, \\t, \\0, \\\\ or \\xNN",
                        other.map(String::from).unwrap_or_default()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
