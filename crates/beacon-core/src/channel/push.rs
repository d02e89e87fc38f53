//! Push services: ntfy (a topic on a server, optional access token), Gotify (an application token), Pushover (a
//! user key and an application token) and Matrix (a homeserver, an access token and a room).

use super::{ChannelInput, ChannelKind, MASK, base_url, optional, required, secret};
use crate::ValidationError;
use crate::endpoint::CheckUrl;

pub const NTFY_BASE: &str = "https://ntfy.sh";
pub const PUSHOVER_BASE: &str = "https://api.pushover.net";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtfySpec {
    pub base: CheckUrl,
    pub topic: String,
    pub token: Option<String>,
}

impl NtfySpec {
    pub fn create(input: &ChannelInput) -> Result<Self, ValidationError> {
        let kind = ChannelKind::Ntfy;
        input.only(kind, &["url", "topic", "token"])?;
        let topic = required(&input.topic, "topic", kind)?;
        if topic.len() > 64
            || !topic
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ValidationError::new(
                "topic",
                format!("{topic:?} is not an ntfy topic: up to 64 letters, digits, - and _"),
            ));
        }
        Ok(Self {
            base: base_url(&input.url, Some(NTFY_BASE), kind)?,
            topic,
            token: match optional(&input.token) {
                Some(_) => Some(secret(&input.token, "token", kind)?),
                None => None,
            },
        })
    }

    pub fn to_input(&self) -> ChannelInput {
        ChannelInput {
            url: Some(self.base.as_str().to_owned()),
            topic: Some(self.topic.clone()),
            token: self.token.clone(),
            ..ChannelInput::default()
        }
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let mut s = vec![
            ("url", self.base.as_str().to_owned()),
            ("topic", self.topic.clone()),
        ];
        if self.token.is_some() {
            s.push(("token", MASK.to_owned()));
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GotifySpec {
    pub base: CheckUrl,
    pub token: String,
}

impl GotifySpec {
    pub fn create(input: &ChannelInput) -> Result<Self, ValidationError> {
        let kind = ChannelKind::Gotify;
        input.only(kind, &["url", "token"])?;
        Ok(Self {
            base: base_url(&input.url, None, kind)?,
            token: secret(&input.token, "token", kind)?,
        })
    }

    pub fn to_input(&self) -> ChannelInput {
        ChannelInput {
            url: Some(self.base.as_str().to_owned()),
            token: Some(self.token.clone()),
            ..ChannelInput::default()
        }
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("url", self.base.as_str().to_owned()),
            ("token", MASK.to_owned()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushoverSpec {
    pub base: CheckUrl,
    pub user_key: String,
    pub token: String,
}

impl PushoverSpec {
    pub fn create(input: &ChannelInput) -> Result<Self, ValidationError> {
        let kind = ChannelKind::Pushover;
        input.only(kind, &["url", "user_key", "token"])?;
        Ok(Self {
            base: base_url(&input.url, Some(PUSHOVER_BASE), kind)?,
            user_key: secret(&input.user_key, "user_key", kind)?,
            token: secret(&input.token, "token", kind)?,
        })
    }

    pub fn to_input(&self) -> ChannelInput {
        ChannelInput {
            url: Some(self.base.as_str().to_owned()),
            user_key: Some(self.user_key.clone()),
            token: Some(self.token.clone()),
            ..ChannelInput::default()
        }
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("url", self.base.as_str().to_owned()),
            ("user_key", MASK.to_owned()),
            ("token", MASK.to_owned()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixSpec {
    /// The homeserver, e.g. https://matrix.example.org.
    pub base: CheckUrl,
    pub token: String,
    /// `!opaque:server` (an alias `#room:server` must be resolved to its id first).
    pub room_id: String,
}

impl MatrixSpec {
    pub fn create(input: &ChannelInput) -> Result<Self, ValidationError> {
        let kind = ChannelKind::Matrix;
        input.only(kind, &["url", "token", "room_id"])?;
        let base = base_url(&input.url, None, kind)?;
        let room_id = required(&input.room_id, "room_id", kind)?;
        if !room_id.starts_with('!')
            || !room_id.contains(':')
            || room_id.contains(char::is_whitespace)
        {
            return Err(ValidationError::new(
                "room_id",
                format!(
                    "{room_id:?} is not a room id like !abcdef:matrix.org (the room's settings show it)"
                ),
            ));
        }
        let token = secret(&input.token, "token", kind)?;
        Ok(Self {
            base,
            token,
            room_id,
        })
    }

    pub fn to_input(&self) -> ChannelInput {
        ChannelInput {
            url: Some(self.base.as_str().to_owned()),
            token: Some(self.token.clone()),
            room_id: Some(self.room_id.clone()),
            ..ChannelInput::default()
        }
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("url", self.base.as_str().to_owned()),
            ("token", MASK.to_owned()),
            ("room_id", self.room_id.clone()),
        ]
    }
}
