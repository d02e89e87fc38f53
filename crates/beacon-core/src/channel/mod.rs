//! Where notifications go: a channel of a kind. `ChannelSpec` is a closed enum checked when input is parsed,
//! one module per kind of the same shape (its settings from `ChannelInput`, the settings it shows, where it sends);
//! its message is rendered in `beacon-runtime`'s `delivery::channels`, one module per kind too.
//!
//! A channel's settings are kept as the `ChannelInput` that made them (normalised): reading one back parses it
//! again, so a stored channel is always a valid one. Secrets (tokens, passwords, keys, chat webhook URLs — a
//! Slack or Discord webhook URL is its own credential) are part of the input and never part of what is shown.

mod chat;
mod email;
mod pagerduty;
mod push;
mod telegram;

pub use chat::ChatSpec;
pub use email::{EmailSpec, Mailbox, SmtpSecurity};
pub use pagerduty::PagerDutySpec;
pub use push::{GotifySpec, MatrixSpec, NtfySpec, PushoverSpec};
pub use telegram::TelegramSpec;

use crate::ValidationError;
use crate::endpoint::CheckUrl;
use serde::{Deserialize, Serialize};

/// The kinds of channel Beacon notifies through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    Webhook,
    Email,
    Slack,
    Discord,
    Teams,
    GoogleChat,
    Telegram,
    PagerDuty,
    Ntfy,
    Gotify,
    Pushover,
    Matrix,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 12] = [
        ChannelKind::Webhook,
        ChannelKind::Email,
        ChannelKind::Slack,
        ChannelKind::Discord,
        ChannelKind::Teams,
        ChannelKind::GoogleChat,
        ChannelKind::Telegram,
        ChannelKind::PagerDuty,
        ChannelKind::Ntfy,
        ChannelKind::Gotify,
        ChannelKind::Pushover,
        ChannelKind::Matrix,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email => "email",
            ChannelKind::Slack => "slack",
            ChannelKind::Discord => "discord",
            ChannelKind::Teams => "teams",
            ChannelKind::GoogleChat => "google-chat",
            ChannelKind::Telegram => "telegram",
            ChannelKind::PagerDuty => "pagerduty",
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Gotify => "gotify",
            ChannelKind::Pushover => "pushover",
            ChannelKind::Matrix => "matrix",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        crate::parse_named(&Self::ALL, Self::as_str, s, "kind", "channel kind")
    }
}

impl std::fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel's settings as a person gives them (CLI flags, API fields, form fields of the same names); each kind
/// takes the fields it knows and refuses the others. `None` keeps the current value on an update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelInput {
    /// The webhook URL, or the kind's API base (self-hosted ntfy, Gotify, Matrix; a test server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_security: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_id: Option<String>,
}

/// The names of `ChannelInput`'s fields, as flags and API fields spell them (with `-` for `_` on the CLI).
const FIELDS: [&str; 16] = [
    "url",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_user",
    "smtp_password",
    "from",
    "to",
    "routing_key",
    "bot_token",
    "chat_id",
    "thread_id",
    "topic",
    "token",
    "user_key",
    "room_id",
];

impl ChannelInput {
    /// The fields that are set.
    fn given(&self) -> Vec<&'static str> {
        let set = [
            self.url.is_some(),
            self.smtp_host.is_some(),
            self.smtp_port.is_some(),
            self.smtp_security.is_some(),
            self.smtp_user.is_some(),
            self.smtp_password.is_some(),
            self.from.is_some(),
            self.to.is_some(),
            self.routing_key.is_some(),
            self.bot_token.is_some(),
            self.chat_id.is_some(),
            self.thread_id.is_some(),
            self.topic.is_some(),
            self.token.is_some(),
            self.user_key.is_some(),
            self.room_id.is_some(),
        ];
        FIELDS
            .iter()
            .zip(set)
            .filter_map(|(f, s)| s.then_some(*f))
            .collect()
    }

    /// `self` with the fields `over` sets replaced (an update: the current settings, then what was given).
    pub fn overlay(&self, over: &ChannelInput) -> ChannelInput {
        fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
            b.clone().or_else(|| a.clone())
        }
        ChannelInput {
            url: pick(&self.url, &over.url),
            smtp_host: pick(&self.smtp_host, &over.smtp_host),
            smtp_port: pick(&self.smtp_port, &over.smtp_port),
            smtp_security: pick(&self.smtp_security, &over.smtp_security),
            smtp_user: pick(&self.smtp_user, &over.smtp_user),
            smtp_password: pick(&self.smtp_password, &over.smtp_password),
            from: pick(&self.from, &over.from),
            to: pick(&self.to, &over.to),
            routing_key: pick(&self.routing_key, &over.routing_key),
            bot_token: pick(&self.bot_token, &over.bot_token),
            chat_id: pick(&self.chat_id, &over.chat_id),
            thread_id: pick(&self.thread_id, &over.thread_id),
            topic: pick(&self.topic, &over.topic),
            token: pick(&self.token, &over.token),
            user_key: pick(&self.user_key, &over.user_key),
            room_id: pick(&self.room_id, &over.room_id),
        }
    }

    /// Refuse fields a kind does not take, naming the first.
    fn only(&self, kind: ChannelKind, allowed: &[&str]) -> Result<(), ValidationError> {
        match self.given().into_iter().find(|f| !allowed.contains(f)) {
            Some(f) => Err(ValidationError::new(
                f,
                format!(
                    "a {kind} channel has no {f}; it takes {}",
                    if allowed.is_empty() {
                        "no settings besides its name".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                ),
            )),
            None => Ok(()),
        }
    }
}

/// A required text field, trimmed and non-empty.
pub(crate) fn required(
    v: &Option<String>,
    field: &'static str,
    kind: ChannelKind,
) -> Result<String, ValidationError> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_owned()),
        _ => Err(ValidationError::new(
            field,
            format!("a {kind} channel needs {field}"),
        )),
    }
}

/// An optional text field: trimmed, empty meaning none.
pub(crate) fn optional(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A secret (token, key, password): any printable text without spaces, at most 1,000 characters.
pub(crate) fn secret(
    v: &Option<String>,
    field: &'static str,
    kind: ChannelKind,
) -> Result<String, ValidationError> {
    let s = required(v, field, kind)?;
    if s.len() > 1000 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ValidationError::new(
            field,
            "must be at most 1,000 characters without spaces",
        ));
    }
    Ok(s)
}

/// The URL to send to: `url` when given (http or https), else the kind's public service.
pub(crate) fn base_url(
    v: &Option<String>,
    default: Option<&str>,
    kind: ChannelKind,
) -> Result<CheckUrl, ValidationError> {
    match (optional(v), default) {
        (Some(u), _) => CheckUrl::parse(&u),
        (None, Some(d)) => CheckUrl::parse(d),
        (None, None) => Err(ValidationError::new(
            "url",
            format!("a {kind} channel needs url"),
        )),
    }
}

/// A URL as lists show it when the whole URL is a credential (chat webhooks): scheme and host only.
pub fn masked_url(url: &CheckUrl) -> String {
    let u = url.as_url();
    format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or(""))
}

/// A secret as views show it: that it is set, never what it is.
pub const MASK: &str = "********";

/// One channel's kind and its kind's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelSpec {
    /// Standard Webhooks, signed; its URL, secret and headers live where webhooks always kept them.
    Webhook,
    Email(EmailSpec),
    Slack(ChatSpec),
    Discord(ChatSpec),
    Teams(ChatSpec),
    GoogleChat(ChatSpec),
    Telegram(TelegramSpec),
    PagerDuty(PagerDutySpec),
    Ntfy(NtfySpec),
    Gotify(GotifySpec),
    Pushover(PushoverSpec),
    Matrix(MatrixSpec),
}

impl ChannelSpec {
    pub fn kind(&self) -> ChannelKind {
        match self {
            ChannelSpec::Webhook => ChannelKind::Webhook,
            ChannelSpec::Email(_) => ChannelKind::Email,
            ChannelSpec::Slack(_) => ChannelKind::Slack,
            ChannelSpec::Discord(_) => ChannelKind::Discord,
            ChannelSpec::Teams(_) => ChannelKind::Teams,
            ChannelSpec::GoogleChat(_) => ChannelKind::GoogleChat,
            ChannelSpec::Telegram(_) => ChannelKind::Telegram,
            ChannelSpec::PagerDuty(_) => ChannelKind::PagerDuty,
            ChannelSpec::Ntfy(_) => ChannelKind::Ntfy,
            ChannelSpec::Gotify(_) => ChannelKind::Gotify,
            ChannelSpec::Pushover(_) => ChannelKind::Pushover,
            ChannelSpec::Matrix(_) => ChannelKind::Matrix,
        }
    }

    /// A channel of `kind` from input: its required fields given, no field of another kind. (A webhook's
    /// URL and headers are parsed as webhooks always were; here it only refuses other kinds' fields.)
    pub fn create(kind: ChannelKind, input: &ChannelInput) -> Result<Self, ValidationError> {
        Ok(match kind {
            ChannelKind::Webhook => {
                input.only(kind, &["url"])?;
                ChannelSpec::Webhook
            }
            ChannelKind::Email => ChannelSpec::Email(EmailSpec::create(input)?),
            ChannelKind::Slack => ChannelSpec::Slack(ChatSpec::create(kind, input)?),
            ChannelKind::Discord => ChannelSpec::Discord(ChatSpec::create(kind, input)?),
            ChannelKind::Teams => ChannelSpec::Teams(ChatSpec::create(kind, input)?),
            ChannelKind::GoogleChat => ChannelSpec::GoogleChat(ChatSpec::create(kind, input)?),
            ChannelKind::Telegram => ChannelSpec::Telegram(TelegramSpec::create(input)?),
            ChannelKind::PagerDuty => ChannelSpec::PagerDuty(PagerDutySpec::create(input)?),
            ChannelKind::Ntfy => ChannelSpec::Ntfy(NtfySpec::create(input)?),
            ChannelKind::Gotify => ChannelSpec::Gotify(GotifySpec::create(input)?),
            ChannelKind::Pushover => ChannelSpec::Pushover(PushoverSpec::create(input)?),
            ChannelKind::Matrix => ChannelSpec::Matrix(MatrixSpec::create(input)?),
        })
    }

    /// The input that makes this channel again (what the store keeps).
    pub fn to_input(&self) -> ChannelInput {
        match self {
            ChannelSpec::Webhook => ChannelInput::default(),
            ChannelSpec::Email(s) => s.to_input(),
            ChannelSpec::Slack(s)
            | ChannelSpec::Discord(s)
            | ChannelSpec::Teams(s)
            | ChannelSpec::GoogleChat(s) => s.to_input(),
            ChannelSpec::Telegram(s) => s.to_input(),
            ChannelSpec::PagerDuty(s) => s.to_input(),
            ChannelSpec::Ntfy(s) => s.to_input(),
            ChannelSpec::Gotify(s) => s.to_input(),
            ChannelSpec::Pushover(s) => s.to_input(),
            ChannelSpec::Matrix(s) => s.to_input(),
        }
    }

    /// A copy with the fields of `input` applied (an update).
    pub fn apply(&self, input: &ChannelInput) -> Result<Self, ValidationError> {
        Self::create(self.kind(), &self.to_input().overlay(input))
    }

    /// The settings a view shows, by field name: secrets as `MASK`, credential URLs masked.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        match self {
            ChannelSpec::Webhook => Vec::new(),
            ChannelSpec::Email(s) => s.settings(),
            ChannelSpec::Slack(s)
            | ChannelSpec::Discord(s)
            | ChannelSpec::Teams(s)
            | ChannelSpec::GoogleChat(s) => s.settings(),
            ChannelSpec::Telegram(s) => s.settings(),
            ChannelSpec::PagerDuty(s) => s.settings(),
            ChannelSpec::Ntfy(s) => s.settings(),
            ChannelSpec::Gotify(s) => s.settings(),
            ChannelSpec::Pushover(s) => s.settings(),
            ChannelSpec::Matrix(s) => s.settings(),
        }
    }

    /// Where it sends, as a list shows it (no secret in it).
    pub fn target(&self) -> String {
        match self {
            ChannelSpec::Webhook => String::new(),
            ChannelSpec::Email(s) => {
                s.to.iter()
                    .map(|m| m.address.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            ChannelSpec::Slack(s)
            | ChannelSpec::Discord(s)
            | ChannelSpec::Teams(s)
            | ChannelSpec::GoogleChat(s) => masked_url(&s.url),
            ChannelSpec::Telegram(s) => format!("chat {}", s.chat_id),
            ChannelSpec::PagerDuty(_) => "PagerDuty Events API v2".to_owned(),
            ChannelSpec::Ntfy(s) => format!("{}{}", s.base.as_str(), s.topic),
            ChannelSpec::Gotify(s) => s.base.as_str().to_owned(),
            ChannelSpec::Pushover(_) => "Pushover".to_owned(),
            ChannelSpec::Matrix(s) => format!(
                "{} on {}",
                s.room_id,
                s.base.as_url().host_str().unwrap_or("")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(f: impl FnOnce(&mut ChannelInput)) -> ChannelInput {
        let mut i = ChannelInput::default();
        f(&mut i);
        i
    }

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_named() {
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()), Ok(k));
        }
        let err = ChannelKind::parse("sms").expect_err("unknown");
        assert_eq!(err.field, "kind");
        assert!(err.message.contains("slack"), "{err}");
    }

    #[test]
    fn a_field_of_another_kind_is_refused_by_name() {
        let err = ChannelSpec::create(
            ChannelKind::Slack,
            &input(|i| {
                i.url = Some("https://hooks.slack.com/services/T/B/x".into());
                i.chat_id = Some("42".into());
            }),
        )
        .expect_err("chat_id on slack");
        assert_eq!(err.field, "chat_id");
        assert!(err.message.contains("takes url"), "{err}");
    }

    #[test]
    fn required_fields_are_named() {
        for (kind, field) in [
            (ChannelKind::Slack, "url"),
            (ChannelKind::Email, "smtp_host"),
            (ChannelKind::Telegram, "bot_token"),
            (ChannelKind::PagerDuty, "routing_key"),
            (ChannelKind::Ntfy, "topic"),
            (ChannelKind::Gotify, "url"),
            (ChannelKind::Pushover, "user_key"),
            (ChannelKind::Matrix, "url"),
        ] {
            let err = ChannelSpec::create(kind, &ChannelInput::default()).expect_err("missing");
            assert_eq!(err.field, field, "{kind}: {err}");
        }
    }

    #[test]
    fn only_http_and_https_urls() {
        let err = ChannelSpec::create(
            ChannelKind::Discord,
            &input(|i| i.url = Some("ftp://discord.com/api/webhooks/1/x".into())),
        )
        .expect_err("ftp");
        assert_eq!(err.field, "url");
        assert!(err.message.contains("http or https"), "{err}");
    }

    #[test]
    fn an_update_keeps_what_it_does_not_name_and_a_stored_channel_reads_back_the_same() {
        let spec = ChannelSpec::create(
            ChannelKind::Telegram,
            &input(|i| {
                i.bot_token = Some("123:abc".into());
                i.chat_id = Some("-100200".into());
                i.thread_id = Some(7);
            }),
        )
        .expect("telegram");
        let moved = spec
            .apply(&input(|i| i.chat_id = Some("-100300".into())))
            .expect("update");
        let ChannelSpec::Telegram(t) = &moved else {
            panic!("kind changed")
        };
        assert_eq!(
            (t.chat_id.as_str(), t.thread_id, t.bot_token.as_str()),
            ("-100300", Some(7), "123:abc")
        );
        assert_eq!(
            ChannelSpec::create(ChannelKind::Telegram, &moved.to_input()),
            Ok(moved.clone())
        );
        assert!(
            moved.settings().iter().all(|(_, v)| !v.contains("123:abc")),
            "the token is never shown: {:?}",
            moved.settings()
        );
    }
}
