//! The store's SQL and logic, written once and compiled once per backend: `sqlite/mod.rs` and `postgres/mod.rs`
//! each include this module tree (`#[path]`), with `Db` (the sqlx database), `This` (the backend's store type)
//! and `sql` (its dialect's statements) in scope. Both dialects accept `$N` parameters, `ON CONFLICT`,
//! `RETURNING` and `UPDATE … FROM (VALUES …)`, so almost all SQL is shared; what differs lives in the backends'
//! `dialect` modules. Ordinary modules rather than a macro: rustfmt, the compiler's error positions and the
//! editor all see this code; a type error on one backend points at the line.
//!
//! One file per aggregate, each implementing its role trait (see `roles`); `heartbeat_rows` holds what the
//! heartbeat files share.

mod catalog;
mod channels;
mod degraded;
mod escalations;
mod flapping;
mod heartbeat_rows;
mod heartbeats;
mod incidents;
mod intake;
mod kubernetes;
mod maintenance;
mod monitor_routes;
mod outbox;
mod publishing;
mod regions;
mod results;
mod schedules;
mod tokens;
mod users;
mod webhooks;
mod windows;

use super::dialect as sql;
use super::{BACKEND, Db, This};
use crate::checks;
use crate::common::*;
use crate::decode::*;
use crate::error::corrupt;
use crate::events;
use crate::hbrows::{CachedHb, HbCache, HbRow, apply_ping};
use crate::model::*;
use crate::roles::*;
use crate::{Result, StoreError};
use async_trait::async_trait;
use beacon_core::Millis;
use beacon_core::endpoint::{CheckUrl, EndpointInput, EndpointSpec};
use beacon_core::event::{
    HeartbeatChanged, IncidentResolved, IncidentStarted, Monitor, Payload, TestMessage,
};
use beacon_core::heartbeat::{self as hbeat, HbStatus, HeartbeatInput, HeartbeatSpec, PingKind};
use beacon_core::incident::{self, Health, RegionHealth, Rules, Status, Thresholds, Transition};
use beacon_core::ping::{PingRecord, run_status};
use beacon_core::rollup::{Resolution, Window};
use beacon_core::schedule;
use beacon_core::token::{NewToken, Scope};
use beacon_core::user::{Role, SessionLimits};
use beacon_core::webhook::WebhookSecret;
use sqlx::{QueryBuilder, Row};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;
