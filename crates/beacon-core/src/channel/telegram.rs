//! Telegram's Bot API: a bot token, the chat to write to, and optionally a forum topic (thread).

use super::{ChannelInput, ChannelKind, MASK, base_url, required, secret};
use crate::ValidationError;
use crate::endpoint::CheckUrl;

pub const DEFAULT_BASE: &str = "https://api.telegram.org";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramSpec {
    pub base: CheckUrl,
    pub bot_token: String,
    /// A numeric id (`-100…` for groups and channels) or `@channelname`.
    pub chat_id: String,
    pub thread_id: Option<i64>,
}

impl TelegramSpec {
    pub fn create(input: &ChannelInput) -> Result<Self, ValidationError> {
        let kind = ChannelKind::Telegram;
        input.only(kind, &["url", "bot_token", "chat_id", "thread_id"])?;
        let bot_token = secret(&input.bot_token, "bot_token", kind)?;
        let chat_id = required(&input.chat_id, "chat_id", kind)?;
        let numeric = chat_id
            .strip_prefix('-')
            .unwrap_or(&chat_id)
            .chars()
            .all(|c| c.is_ascii_digit());
        let named = chat_id.len() > 1
            && chat_id.starts_with('@')
            && chat_id[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !(numeric || named) {
            return Err(ValidationError::new(
                "chat_id",
                format!(
                    "{chat_id:?} is not a chat id: a number like -1001234567890, or @channelname"
                ),
            ));
        }
        if let Some(t) = input.thread_id
            && t <= 0
        {
            return Err(ValidationError::new(
                "thread_id",
                "must be a positive number",
            ));
        }
        Ok(Self {
            base: base_url(&input.url, Some(DEFAULT_BASE), kind)?,
            bot_token,
            chat_id,
            thread_id: input.thread_id,
        })
    }

    pub fn to_input(&self) -> ChannelInput {
        ChannelInput {
            url: Some(self.base.as_str().to_owned()),
            bot_token: Some(self.bot_token.clone()),
            chat_id: Some(self.chat_id.clone()),
            thread_id: self.thread_id,
            ..ChannelInput::default()
        }
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let mut s = vec![
            ("url", self.base.as_str().to_owned()),
            ("bot_token", MASK.to_owned()),
            ("chat_id", self.chat_id.clone()),
        ];
        if let Some(t) = self.thread_id {
            s.push(("thread_id", t.to_string()));
        }
        s
    }
}
