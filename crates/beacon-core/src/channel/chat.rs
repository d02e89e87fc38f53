//! Chat services reached by an incoming-webhook URL: Slack (and Mattermost), Discord, Microsoft Teams
//! (Workflows), Google Chat. The URL is the credential, so it is shown masked.

use super::{ChannelInput, ChannelKind, MASK, base_url, masked_url};
use crate::ValidationError;
use crate::endpoint::CheckUrl;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSpec {
    pub url: CheckUrl,
}

impl ChatSpec {
    pub fn create(kind: ChannelKind, input: &ChannelInput) -> Result<Self, ValidationError> {
        input.only(kind, &["url"])?;
        Ok(Self {
            url: base_url(&input.url, None, kind)?,
        })
    }

    pub fn to_input(&self) -> ChannelInput {
        ChannelInput {
            url: Some(self.url.as_str().to_owned()),
            ..ChannelInput::default()
        }
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![("url", format!("{} ({MASK})", masked_url(&self.url)))]
    }
}
