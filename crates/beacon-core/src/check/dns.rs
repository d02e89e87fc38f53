//! DNS checks: ask a server (the system's resolver, or one given) for a name's records of one type, timed;
//! success is NOERROR with at least one answer, or with every expected answer among them.

use super::parse_expect;
use super::target::{HostPort, valid_name};
use crate::ValidationError;
use crate::endpoint::EndpointInput;

/// The record types a DNS check asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
    Ns,
    Soa,
}

impl RecordType {
    pub const ALL: [RecordType; 7] = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Mx,
        RecordType::Txt,
        RecordType::Ns,
        RecordType::Soa,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Ns => "NS",
            RecordType::Soa => "SOA",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        crate::parse_named(
            &Self::ALL,
            Self::as_str,
            &s.trim().to_ascii_uppercase(),
            "record_type",
            "record type",
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsSpec {
    /// The name asked for.
    pub name: String,
    pub record_type: RecordType,
    /// The server asked (port 53 unless given); `None`: the system's resolver.
    pub server: Option<HostPort>,
    /// Answers that must all be among the records (as text: `10.0.0.1`, `mail.example.com.`,
    /// `10 mail.example.com.`); empty: any answer will do.
    pub expect: Vec<String>,
}

impl DnsSpec {
    pub fn create(input: &EndpointInput) -> Result<Self, ValidationError> {
        let name = input
            .target
            .as_deref()
            .ok_or_else(|| ValidationError::new("target", "is required: the name to look up"))?;
        DnsSpec {
            name: parse_dns_name(name)?,
            record_type: RecordType::A,
            server: None,
            expect: Vec::new(),
        }
        .apply(input)
    }

    pub fn apply(&self, input: &EndpointInput) -> Result<Self, ValidationError> {
        let mut next = self.clone();
        if let Some(n) = &input.target {
            next.name = parse_dns_name(n)?;
        }
        if let Some(t) = &input.record_type {
            next.record_type = RecordType::parse(t)?;
        }
        if let Some(s) = &input.dns_server {
            next.server = if s.trim().is_empty() {
                None
            } else {
                Some(HostPort::parse(s, "dns_server", Some(53))?)
            };
        }
        if let Some(expect) = &input.expect {
            let list = parse_expect(expect, 20, 255)?;
            // "any" says what no expectation says: any answer.
            next.expect = if list.iter().all(|e| e.eq_ignore_ascii_case("any")) {
                Vec::new()
            } else {
                list
            };
        }
        Ok(next)
    }
}

fn parse_dns_name(name: &str) -> Result<String, ValidationError> {
    let name = name.trim().to_ascii_lowercase();
    if !valid_name(&name) {
        return Err(ValidationError::new(
            "target",
            format!("{name:?} is not a DNS name"),
        ));
    }
    Ok(name)
}
