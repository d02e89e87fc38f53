//! Small pieces both backends share that hold no SQL: limits, what an event is about, and value helpers.

use crate::decode::clamp_i32;
use crate::model::*;
use beacon_core::Millis;
use beacon_core::heartbeat::Schedule;
use beacon_core::webhook::WebhookSecret;
use sqlx::QueryBuilder;

/// Region of the in-process worker until regions become configurable per endpoint.
/// Rows per multi-row statement: well under SQLite's and PostgreSQL's bind-parameter limits.
pub(crate) const CHUNK: usize = 500;

/// What an event is about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner {
    Endpoint(i64),
    Heartbeat(i64),
    /// A Kubernetes object's record; its events go to the webhooks of the service it was recorded for.
    KubeObject(i64),
}

impl Owner {
    pub(crate) fn endpoint_pk(self) -> Option<i64> {
        match self {
            Owner::Endpoint(pk) => Some(pk),
            _ => None,
        }
    }

    pub(crate) fn heartbeat_pk(self) -> Option<i64> {
        match self {
            Owner::Heartbeat(pk) => Some(pk),
            _ => None,
        }
    }
}

/// A schedule as its columns: `period_seconds`, or `cron` and `tz`.
pub(crate) fn schedule_columns(schedule: &Schedule) -> (Option<i32>, Option<&str>, Option<&str>) {
    match schedule {
        Schedule::Period { seconds } => (Some(clamp_i32(*seconds)), None, None),
        Schedule::Cron(c) => (None, Some(c.expr()), Some(c.tz())),
    }
}

/// Why a heartbeat went down, for its incident.
pub(crate) fn down_cause(hb: &Heartbeat, now: Millis) -> String {
    let grace = hb.spec.grace_seconds;
    if let Some(started) = hb.state.started_at {
        return format!(
            "a run started {} s ago and did not finish within the grace time ({grace} s)",
            (now - started) / 1000
        );
    }
    match hb.state.last_result {
        Some((_, false)) => "the job reported a failure".to_owned(),
        Some((at, true)) => format!(
            "no ping since {} s ago (expected within the schedule plus {grace} s grace)",
            (now - at) / 1000
        ),
        None => "down".to_owned(),
    }
}

/// The events a check's own webhook (seed 002's `webhook_url`) receives.
pub(crate) const ENDPOINT_WEBHOOK_EVENTS: &str = ",incident_start,incident_resolved,";

pub(crate) fn new_secret() -> WebhookSecret {
    WebhookSecret::generate(rand::random())
}

/// Append `LIMIT n` when the page has a limit.
pub(crate) fn push_limit<DB: sqlx::Database>(qb: &mut QueryBuilder<DB>, page: Page)
where
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if let Some(limit) = page.limit {
        qb.push(" LIMIT ").push_bind(i64::from(limit));
    }
}

/// A page is full when it holds `limit` items; then the last key is the cursor for the next one.
pub(crate) fn paged<T>(items: Vec<T>, last: Option<i64>, page: Page) -> Paged<T> {
    let full = page
        .limit
        .is_some_and(|l| items.len() == l as usize && l > 0);
    Paged {
        next: if full { last } else { None },
        items,
    }
}
