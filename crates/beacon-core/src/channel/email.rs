//! Email over SMTP: a server, how to secure the connection, optional credentials, the sender and the recipients.

use super::{ChannelInput, ChannelKind, MASK, optional, required};
use crate::ValidationError;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server does not offer it.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or network.
    None,
}

impl SmtpSecurity {
    pub const ALL: [SmtpSecurity; 3] = [
        SmtpSecurity::StartTls,
        SmtpSecurity::Tls,
        SmtpSecurity::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        crate::parse_named(
            &Self::ALL,
            Self::as_str,
            s,
            "smtp_security",
            "SMTP security",
        )
    }

    /// The port this security usually uses.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

/// An address with an optional display name: `ops@example.com` or `Beacon <beacon@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    pub fn parse(s: &str, field: &'static str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let (name, addr) = match (s.find('<'), s.strip_suffix('>')) {
            (Some(open), Some(rest)) => {
                let name = s[..open].trim().trim_matches('"').trim();
                (
                    (!name.is_empty()).then(|| name.to_owned()),
                    &rest[open + 1..],
                )
            }
            _ => (None, s),
        };
        let bad = || {
            ValidationError::new(
                field,
                format!(
                    "{s:?} is not an email address like ops@example.com or \"Beacon <beacon@example.com>\""
                ),
            )
        };
        let (local, domain) = addr.split_once('@').ok_or_else(bad)?;
        let ok_part = |p: &str| {
            !p.is_empty()
                && p.len() <= 253
                && !p
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c))
        };
        if !ok_part(local) || !ok_part(domain) || domain.starts_with('.') || domain.ends_with('.') {
            return Err(bad());
        }
        if name
            .as_deref()
            .is_some_and(|n| n.chars().any(|c| c.is_control() || c == '<' || c == '>'))
        {
            return Err(bad());
        }
        Ok(Self {
            name,
            address: addr.to_owned(),
        })
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// At most this many recipients per channel (make a second channel, or a list address, for more).
const MAX_RECIPIENTS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSpec {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    pub password: Option<String>,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
}

impl EmailSpec {
    pub fn create(input: &ChannelInput) -> Result<Self, ValidationError> {
        let kind = ChannelKind::Email;
        input.only(
            kind,
            &[
                "smtp_host",
                "smtp_port",
                "smtp_security",
                "smtp_user",
                "smtp_password",
                "from",
                "to",
            ],
        )?;
        let host = required(&input.smtp_host, "smtp_host", kind)?;
        if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
            return Err(ValidationError::new(
                "smtp_host",
                format!("{host:?} is not a host name or address"),
            ));
        }
        let security = match optional(&input.smtp_security) {
            Some(s) => SmtpSecurity::parse(&s)?,
            None => SmtpSecurity::StartTls,
        };
        let port = match input.smtp_port {
            Some(0) => return Err(ValidationError::new("smtp_port", "must be 1-65535")),
            Some(p) => p,
            None => security.default_port(),
        };
        let user = optional(&input.smtp_user);
        let password = optional(&input.smtp_password);
        if user.is_some() != password.is_some() {
            return Err(ValidationError::new(
                if user.is_some() {
                    "smtp_password"
                } else {
                    "smtp_user"
                },
                "give both smtp_user and smtp_password, or neither",
            ));
        }
        let from = Mailbox::parse(&required(&input.from, "from", kind)?, "from")?;
        let to = input
            .to
            .iter()
            .flatten()
            .flat_map(|t| t.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Mailbox::parse(t, "to"))
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(ValidationError::new(
                "to",
                "an email channel needs at least one address in to",
            ));
        }
        if to.len() > MAX_RECIPIENTS {
            return Err(ValidationError::new(
                "to",
                format!("at most {MAX_RECIPIENTS} addresses (a list address reaches more)"),
            ));
        }
        Ok(Self {
            host,
            port,
            security,
            user,
            password,
            from,
            to,
        })
    }

    pub fn to_input(&self) -> ChannelInput {
        ChannelInput {
            smtp_host: Some(self.host.clone()),
            smtp_port: Some(self.port),
            smtp_security: Some(self.security.as_str().to_owned()),
            smtp_user: self.user.clone(),
            smtp_password: self.password.clone(),
            from: Some(self.from.to_string()),
            to: Some(self.to.iter().map(ToString::to_string).collect()),
            ..ChannelInput::default()
        }
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let mut s = vec![
            ("smtp_host", self.host.clone()),
            ("smtp_port", self.port.to_string()),
            ("smtp_security", self.security.as_str().to_owned()),
        ];
        if let Some(u) = &self.user {
            s.push(("smtp_user", u.clone()));
            s.push(("smtp_password", MASK.to_owned()));
        }
        s.push(("from", self.from.to_string()));
        s.push((
            "to",
            self.to
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(f: impl FnOnce(&mut ChannelInput)) -> Result<EmailSpec, ValidationError> {
        let mut i = ChannelInput {
            smtp_host: Some("smtp.example.com".into()),
            from: Some("Beacon <beacon@example.com>".into()),
            to: Some(vec!["ops@example.com, oncall@example.com".into()]),
            ..ChannelInput::default()
        };
        f(&mut i);
        EmailSpec::create(&i)
    }

    #[test]
    fn defaults_to_starttls_on_587_and_splits_recipients() {
        let e = email(|_| {}).expect("valid");
        assert_eq!((e.security, e.port), (SmtpSecurity::StartTls, 587));
        assert_eq!(e.from.name.as_deref(), Some("Beacon"));
        assert_eq!(
            e.to.iter().map(|m| m.address.as_str()).collect::<Vec<_>>(),
            ["ops@example.com", "oncall@example.com"]
        );
        let tls = email(|i| i.smtp_security = Some("tls".into())).expect("tls");
        assert_eq!(tls.port, 465);
    }

    #[test]
    fn bad_addresses_and_half_credentials_are_named() {
        for (bad, field) in [
            (email(|i| i.to = Some(vec!["not-an-address".into()])), "to"),
            (email(|i| i.from = Some("a b@example.com".into())), "from"),
            (email(|i| i.to = Some(vec![" ".into()])), "to"),
            (
                email(|i| i.smtp_user = Some("beacon".into())),
                "smtp_password",
            ),
            (
                email(|i| i.smtp_security = Some("ssl".into())),
                "smtp_security",
            ),
            (email(|i| i.smtp_port = Some(0)), "smtp_port"),
        ] {
            assert_eq!(bad.expect_err("invalid").field, field);
        }
    }
}
