//! Where a TCP, TLS or DNS check connects: a host (a name or an IP address) and a port.

use crate::ValidationError;
use std::fmt;
use std::net::IpAddr;

/// A host and port as a person writes them: `example.com:443`, `10.0.0.1:5432`, `[::1]:53`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    /// `host:port`; with `default_port`, the port may be left out.
    pub fn parse(
        s: &str,
        field: &'static str,
        default_port: Option<u16>,
    ) -> Result<Self, ValidationError> {
        let s = s.trim();
        let bad = |why: &str| ValidationError::new(field, format!("{s:?}: {why}"));
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address in [] needs its closing ']'"))?;
            (host, after.strip_prefix(':'))
        } else if s.matches(':').count() > 1 {
            return Err(bad("write an IPv6 address in brackets, e.g. [::1]:53"));
        } else {
            match s.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            }
        };
        let port = match (port, default_port) {
            (Some(p), _) => match p.parse::<u32>() {
                Ok(n) if (1..=65_535).contains(&n) => n as u16,
                Ok(_) => return Err(bad("the port must be 1..65535")),
                Err(_) => return Err(bad("the port must be a number 1..65535")),
            },
            (None, Some(d)) => d,
            (None, None) => return Err(bad("give host:port, e.g. db.example.com:5432")),
        };
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        if host.parse::<IpAddr>().is_err() && !valid_name(host) {
            return Err(bad("not a host name or IP address"));
        }
        Ok(HostPort {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

/// A DNS name: labels of letters, digits, `-` and `_`, at most 63 characters each and 253 in all; a trailing dot
/// is allowed.
pub fn valid_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports_parse_and_print() {
        for (given, printed) in [
            ("example.com:443", "example.com:443"),
            ("DB.Example.com:5432", "db.example.com:5432"),
            ("10.0.0.1:53", "10.0.0.1:53"),
            ("[::1]:8443", "[::1]:8443"),
            (" localhost:1 ", "localhost:1"),
        ] {
            let hp = HostPort::parse(given, "target", None).expect(given);
            assert_eq!(hp.to_string(), printed);
            assert_eq!(HostPort::parse(printed, "target", None), Ok(hp));
        }
        assert_eq!(
            HostPort::parse("1.1.1.1", "dns_server", Some(53)).map(|h| h.port),
            Ok(53)
        );
        for (bad, says) in [
            ("example.com", "give host:port"),
            ("example.com:0", "1..65535"),
            ("example.com:65536", "1..65535"),
            ("example.com:http", "a number"),
            (":80", "host is empty"),
            ("::1:53", "brackets"),
            ("[::1:53", "closing"),
            ("bad host:80", "not a host name"),
            ("-x.com:80", "not a host name"),
        ] {
            let e = HostPort::parse(bad, "target", None).expect_err(bad);
            assert_eq!(e.field, "target");
            assert!(e.message.contains(says), "{bad}: {e}");
        }
    }
}
