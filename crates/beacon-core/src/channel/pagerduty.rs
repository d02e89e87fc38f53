//! PagerDuty's Events API v2: a routing key (an integration key of a service). `trigger` on an incident's start,
//! `resolve` with the same `dedup_key` when it ends.

use super::{ChannelInput, ChannelKind, MASK, base_url, secret};
use crate::ValidationError;
use crate::endpoint::CheckUrl;

pub const DEFAULT_BASE: &str = "https://events.pagerduty.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagerDutySpec {
    pub base: CheckUrl,
    pub routing_key: String,
}

impl PagerDutySpec {
    pub fn create(input: &ChannelInput) -> Result<Self, ValidationError> {
        let kind = ChannelKind::PagerDuty;
        input.only(kind, &["url", "routing_key"])?;
        Ok(Self {
            base: base_url(&input.url, Some(DEFAULT_BASE), kind)?,
            routing_key: secret(&input.routing_key, "routing_key", kind)?,
        })
    }

    pub fn to_input(&self) -> ChannelInput {
        ChannelInput {
            url: Some(self.base.as_str().to_owned()),
            routing_key: Some(self.routing_key.clone()),
            ..ChannelInput::default()
        }
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("url", self.base.as_str().to_owned()),
            ("routing_key", MASK.to_owned()),
        ]
    }
}
