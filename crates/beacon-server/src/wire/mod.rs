//! JSON shapes of Beacon's objects, shared by the REST API and CLI output (`-o json`), so that both print the
//! same fields; one file per resource. Field names are part of the public contract: add, never rename.

use beacon_core::Millis;
use beacon_core::check::CheckSpec;
use beacon_core::incident::Status;
use beacon_core::ping::Details;
use beacon_core::rollup::BucketStats;
use beacon_store::{
    ApiToken, Delivery, DeliveryDetail, Endpoint, Incident, Ping, Service, StoredAttempt, User,
    Webhook,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! list_type {
    ($name:ident, $item:ty) => {
        /// One page of results; pass `next_cursor` as `cursor` to get the next page (null on the last one).
        #[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            pub next_cursor: Option<String>,
        }
    };
}

mod channels;
mod endpoints;
mod escalations;
mod heartbeats;
mod incidents;
mod kubernetes;
mod maintenance;
mod regions;
mod services;
mod status_pages;
mod tokens;
mod users;
mod webhooks;
mod workers;

pub use channels::*;
pub use endpoints::*;
pub use escalations::*;
pub use heartbeats::*;
pub use incidents::*;
pub use kubernetes::*;
pub use maintenance::*;
pub use regions::*;
pub use services::*;
pub use status_pages::*;
pub use tokens::*;
pub use users::*;
pub use webhooks::*;
pub use workers::*;

/// RFC 3339 in UTC with millisecond precision.
pub fn rfc3339(t: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(t)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn opt_rfc3339(t: Option<Millis>) -> Option<String> {
    t.map(rfc3339)
}

/// What a header value reads as where the reader may not see it: lists, and callers that cannot change it.
pub const MASKED: &str = "********";

/// Replace every header value with `MASKED`, keeping the names.
pub fn mask_values(headers: &mut BTreeMap<String, String>) {
    for value in headers.values_mut() {
        MASKED.clone_into(value);
    }
}
