//! The SQLite and PostgreSQL implementations of `Store`. Both dialects accept `$N` parameters, `ON CONFLICT`,
//! `RETURNING` and `UPDATE … FROM (VALUES …)`, so the SQL is shared; the few statements that differ (lease claims,
//! row locks, how a write transaction begins) live in the `sqlite_sql` and `postgres_sql` modules. One macro
//! expands the shared body for each backend so that the two cannot drift apart.

use crate::hbrows::{CachedHb, HbCache, HbRow, apply_ping, stored_kind};
use crate::model::*;
use crate::{Result, Store, StoreError};
use async_trait::async_trait;
use beacon_core::Millis;
use beacon_core::endpoint::{CheckUrl, EndpointInput, EndpointSpec, Header};
use beacon_core::heartbeat::{
    self as hbeat, CronSchedule, HbState, HbStatus, HeartbeatInput, HeartbeatSpec, PingKind,
    Schedule,
};
use beacon_core::incident::{self, Health, Status, Thresholds, Transition};
use beacon_core::ping::{ErrorKind, Observation, PingRecord, Timings, run_status};
use beacon_core::rollup::{Resolution, Window};
use beacon_core::schedule;
use beacon_core::sketch::Sketch;
use beacon_core::token::{NewToken, Scope};
use beacon_core::webhook::WebhookSecret;
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, Postgres};
use sqlx::sqlite::{
    Sqlite, SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, QueryBuilder, Row};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// Region of the in-process worker until regions become configurable per endpoint.
pub const DEFAULT_REGION_PK: i32 = 1;
/// Rows per multi-row statement: well under SQLite's and PostgreSQL's bind-parameter limits.
const CHUNK: usize = 500;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(ref db) if db.code().is_some_and(|c| unavailable_code(&c)) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Database(other),
        }
    }
}

/// Error codes that mean "the database cannot serve now" rather than "this statement is wrong": PostgreSQL's
/// connection exceptions (08xxx), shutdown and start-up (57P01..57P03), a database not accepting connections
/// (55000), too many connections (53300); SQLite's busy and locked (5, 6) once the busy timeout has passed.
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "55000" | "53300" | "5" | "6"
        )
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn to_u32(v: i32, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| corrupt(format!("negative {what}: {v}")))
}

fn clamp_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Booleans arrive as `true`/`false` from PostgreSQL and as `1`/`0` from SQLite.
fn flexible_bool<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::Number(n) => Ok(n.as_i64() != Some(0)),
        other => Err(serde::de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

/// An endpoint as it comes in a JSON page: the columns of `endpoint_json!`, in order.
#[derive(serde::Deserialize)]
struct EndpointJson(
    i64,
    String,
    String,
    String,
    String,
    String,
    i32,
    i32,
    String,
    String,
    Option<String>,
    i32,
    i32,
    Option<String>,
    #[serde(deserialize_with = "flexible_bool")] bool,
    #[serde(deserialize_with = "flexible_bool")] bool,
    String,
    Option<i64>,
    i64,
    i64,
    Option<String>,
    Option<i32>,
    i32,
    Option<i64>,
);

/// Decode a JSON page of endpoints, in key order.
fn endpoint_page(page: &str) -> Result<Vec<(i64, Endpoint)>> {
    let rows: Vec<EndpointJson> = serde_json::from_str(page).map_err(corrupt)?;
    let uuid = |s: &str| Uuid::try_parse(s).map_err(|e| corrupt(format!("id {s:?}: {e}")));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let EndpointJson(
            pk,
            id,
            service_id,
            name,
            url,
            method,
            interval,
            timeout,
            expected,
            headers,
            body,
            alert,
            recovery,
            contains,
            follow,
            enabled,
            status,
            last_checked,
            created,
            updated,
            webhook,
            last_kind,
            failures,
            next,
        ) = r;
        let spec = EndpointSpec {
            name,
            url: CheckUrl::parse(&url).map_err(corrupt)?,
            method: method.parse().map_err(corrupt)?,
            interval_seconds: to_u32(interval, "interval")?,
            timeout_ms: to_u32(timeout, "timeout")?,
            expected_status: expected.parse().map_err(corrupt)?,
            headers: serde_json::from_str::<Vec<Header>>(&headers).map_err(corrupt)?,
            body,
            alert_threshold: to_u32(alert, "alert_threshold")?,
            recovery_threshold: to_u32(recovery, "recovery_threshold")?,
            expect_body_contains: contains,
            follow_redirects: follow,
            enabled,
            webhook_url: webhook
                .as_deref()
                .map(CheckUrl::parse)
                .transpose()
                .map_err(corrupt)?,
        };
        let endpoint = Endpoint {
            id: uuid(&id)?,
            service_id: uuid(&service_id)?,
            spec,
            status: Status::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
            last_checked_at: last_checked,
            last_error_kind: last_kind
                .and_then(|k| i16::try_from(k).ok())
                .and_then(ErrorKind::from_code),
            consecutive_failures: to_u32(failures, "failures")?,
            next_check_at: next,
            created_at: created,
            updated_at: updated,
        };
        out.push((pk, endpoint));
    }
    out.sort_by_key(|(pk, _)| *pk);
    Ok(out)
}

/// A ping as it comes in a JSON page: the columns of `list_pings`, in order.
#[derive(serde::Deserialize)]
struct PingJson(
    i64,
    i32,
    Option<i32>,
    Option<i32>,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    i32,
    String,
);

fn ping_page(endpoint_id: Uuid, page: &str) -> Result<Vec<Ping>> {
    let rows: Vec<PingJson> = serde_json::from_str(page).map_err(corrupt)?;
    let us = |v: Option<i32>| v.map(|v| v.max(0) as u32);
    let mut pings = rows
        .into_iter()
        .map(
            |PingJson(slot, delay, code, kind, error, dns, connect, tls, first, total, region)| {
                let failure = match kind {
                    None => None,
                    Some(k) => {
                        let kind = i16::try_from(k)
                            .ok()
                            .and_then(ErrorKind::from_code)
                            .ok_or_else(|| corrupt(format!("error kind {k}")))?;
                        Some((kind, error.unwrap_or_default()))
                    }
                };
                Ok(Ping {
                    endpoint_id,
                    region,
                    scheduled_at: slot,
                    started_at: slot + i64::from(delay),
                    observation: Observation {
                        status_code: code.and_then(|c| u16::try_from(c).ok()),
                        timings: Timings {
                            dns_us: us(dns),
                            connect_us: us(connect),
                            tls_us: us(tls),
                            first_byte_us: us(first),
                            total_us: us(Some(total)).unwrap_or_default(),
                        },
                        failure,
                    },
                })
            },
        )
        .collect::<Result<Vec<_>>>()?;
    // Aggregates do not promise the inner order; newest first is the contract.
    pings.sort_by_key(|p| std::cmp::Reverse(p.scheduled_at));
    Ok(pings)
}

fn delivery_from_row<R: Row>(row: &R) -> Result<Delivery>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    Uuid: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i32: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        event_id: row.try_get("event_id")?,
        event_kind: row.try_get("kind")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("delivery status {status:?}")))?,
        attempts: to_u32(row.try_get("attempts")?, "attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        created_at: row.try_get("created_at")?,
    })
}

fn webhook_from_row<R: Row>(row: &R) -> Result<Webhook>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    Uuid: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<Uuid>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i32: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let url: String = row.try_get("url")?;
    let events: String = row.try_get("events")?;
    let secret: String = row.try_get("secret")?;
    let headers: String = row.try_get("headers")?;
    let format: String = row.try_get("format")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        format: WebhookFormat::parse(&format)
            .ok_or_else(|| corrupt(format!("webhook format {format:?}")))?,
        spec: WebhookSpec {
            url: CheckUrl::parse(&url).map_err(corrupt)?,
            events: events
                .split(',')
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect(),
            secret: WebhookSecret::parse(&secret).map_err(corrupt)?,
            headers: serde_json::from_str(&headers).map_err(corrupt)?,
        },
        consecutive_failures: to_u32(row.try_get("consecutive_failures")?, "consecutive_failures")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn attempt_from_row<R: Row>(a: &R) -> Result<AttemptRecord>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i32>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let status: Option<i32> = a.try_get("response_status")?;
    Ok(AttemptRecord {
        started_at: a.try_get("started_at")?,
        request_url: a.try_get("request_url")?,
        request_headers: a.try_get("request_headers")?,
        request_body: a.try_get("request_body")?,
        response_status: status.and_then(|s| u16::try_from(s).ok()),
        response_headers: a.try_get("response_headers")?,
        response_body: a.try_get("response_body")?,
        error: a.try_get("error")?,
        latency_us: a.try_get("latency_us")?,
        timed_out: a.try_get("timed_out")?,
    })
}

/// A heartbeat as it comes in a JSON page: the columns of `heartbeat_json!`, in order.
#[derive(serde::Deserialize)]
struct HeartbeatJson(
    i64,
    String,
    String,
    String,
    String,
    Option<i32>,
    Option<String>,
    Option<String>,
    i32,
    String,
    #[serde(deserialize_with = "flexible_bool")] bool,
    String,
    Option<i64>,
    Option<i32>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
    i64,
    i64,
);

fn unhex(s: &str) -> Result<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(corrupt(format!("hex {s:?}")));
    }
    bytes
        .chunks_exact(2)
        .map(|p| {
            nibble(p[0])
                .zip(nibble(p[1]))
                .map(|(h, l)| h << 4 | l)
                .ok_or_else(|| corrupt(format!("hex {s:?}")))
        })
        .collect()
}

/// A rollup window's key: endpoint pk, resolution in seconds, start.
type RollupKey = (i64, i32, Millis);

/// Rollup windows read as one JSON page.
fn rollup_page(page: &str) -> Result<Vec<(RollupKey, Window)>> {
    type RollupJson = (
        i64,
        i32,
        i64,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        i64,
        String,
    );
    let rows: Vec<RollupJson> = serde_json::from_str(page).map_err(corrupt)?;
    rows.into_iter()
        .map(
            |(endpoint_pk, res, start, count, successes, min_us, max_us, sum_us, sketch)| {
                let window = Window {
                    count: u64::try_from(count).map_err(corrupt)?,
                    successes: u64::try_from(successes).map_err(corrupt)?,
                    min_us,
                    max_us,
                    sum_us,
                    sketch: Sketch::decode(&unhex(&sketch)?).map_err(corrupt)?,
                };
                Ok(((endpoint_pk, res, start), window))
            },
        )
        .collect()
}

/// Heartbeats read as one JSON page (see `endpoint_page`).
fn heartbeat_page(page: &str) -> Result<Vec<HbRow>> {
    let rows: Vec<HeartbeatJson> = serde_json::from_str(page).map_err(corrupt)?;
    let uuid = |s: &str| Uuid::try_parse(s).map_err(|e| corrupt(format!("id {s:?}: {e}")));
    rows.into_iter()
        .map(|r| {
            let HeartbeatJson(
                pk,
                id,
                service_id,
                slug,
                name,
                period,
                cron,
                tz,
                grace,
                key,
                paused,
                status,
                last_at,
                last_ok,
                started_at,
                last_ping_at,
                next_check_at,
                created_at,
                updated_at,
                last_ping_pk,
                ping_count,
                version,
            ) = r;
            let schedule = match period {
                Some(p) => Schedule::Period {
                    seconds: to_u32(p, "period_seconds")?,
                },
                None => Schedule::Cron(Box::new(
                    CronSchedule::parse(
                        cron.as_deref().unwrap_or(""),
                        tz.as_deref().unwrap_or("UTC"),
                    )
                    .map_err(corrupt)?,
                )),
            };
            let hb = Heartbeat {
                id: uuid(&id)?,
                service_id: uuid(&service_id)?,
                slug,
                spec: HeartbeatSpec {
                    name,
                    schedule,
                    grace_seconds: to_u32(grace, "grace_seconds")?,
                },
                status: HbStatus::parse(&status)
                    .ok_or_else(|| corrupt(format!("heartbeat status {status:?}")))?,
                state: HbState {
                    last_result: last_at.zip(last_ok.map(|ok| ok != 0)),
                    started_at,
                    paused,
                },
                last_ping_at,
                next_check_at,
                created_at,
                updated_at,
            };
            Ok(HbRow {
                pk,
                hb,
                key: unhex(&key)?,
                last_ping_pk,
                ping_count,
                version,
            })
        })
        .collect()
}

/// A schedule as its columns: `period_seconds`, or `cron` and `tz`.
fn schedule_columns(schedule: &Schedule) -> (Option<i32>, Option<&str>, Option<&str>) {
    match schedule {
        Schedule::Period { seconds } => (Some(clamp_i32(*seconds)), None, None),
        Schedule::Cron(c) => (None, Some(c.expr()), Some(c.tz())),
    }
}

/// Why a heartbeat went down, for its incident.
fn down_cause(hb: &Heartbeat, now: Millis) -> String {
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
const ENDPOINT_WEBHOOK_EVENTS: &str = ",incident_start,incident_resolved,";

fn new_secret() -> WebhookSecret {
    WebhookSecret::generate(rand::random())
}

/// Append `LIMIT n` when the page has a limit.
fn push_limit<DB: sqlx::Database>(qb: &mut QueryBuilder<DB>, page: Page)
where
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if let Some(limit) = page.limit {
        qb.push(" LIMIT ").push_bind(i64::from(limit));
    }
}

/// A page is full when it holds `limit` items; then the last key is the cursor for the next one.
fn paged<T>(items: Vec<T>, last: Option<i64>, page: Page) -> Paged<T> {
    let full = page
        .limit
        .is_some_and(|l| items.len() == l as usize && l > 0);
    Paged {
        next: if full { last } else { None },
        items,
    }
}

fn token_from_row<R: Row>(row: &R) -> Result<ApiToken>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    Uuid: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database>,
{
    let scope: String = row.try_get("scope")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scope: scope.parse().map_err(corrupt)?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// The endpoint columns of a JSON page, in `EndpointJson` order; `$id` renders a UUID column as JSON text.
macro_rules! endpoint_json {
    ($eid:literal, $sid:literal) => {
        concat!(
            "e.pk, ", $eid, ", ", $sid, ", e.name, e.url, e.method, e.interval_seconds, e.timeout_ms, e.expected_status, \
             e.headers, e.body, e.alert_threshold, e.recovery_threshold, e.expect_body_contains, e.follow_redirects, \
             e.enabled, e.status, e.last_checked_at, e.created_at, e.updated_at, e.webhook_url, e.last_error_kind, \
             e.consecutive_failures, sc.next_slot_at) AS j \
             FROM endpoints e JOIN services s ON s.pk = e.service_pk \
             LEFT JOIN schedules sc ON sc.endpoint_pk = e.pk AND sc.region_pk = 1"
        )
    };
}

macro_rules! heartbeat_json {
    ($hid:literal, $sid:literal, $key:literal) => {
        concat!(
            "h.pk, ", $hid, ", ", $sid, ", h.slug, h.name, h.period_seconds, h.cron, h.tz, h.grace_seconds, ", $key,
            ", h.paused, h.status, h.last_result_at, CASE WHEN h.last_result_ok THEN 1 WHEN NOT h.last_result_ok THEN 0 END, \
             h.started_at, h.last_ping_at, h.next_check_at, h.created_at, h.updated_at, h.last_ping_pk, \
             h.ping_count, h.row_version) AS j \
             FROM heartbeats h JOIN services s ON s.pk = h.service_pk"
        )
    };
}

macro_rules! webhook_select {
    () => {
        "SELECT w.pk, w.id, s.id AS service_id, e.id AS endpoint_id, w.format, w.url, w.events, w.secret, w.headers, \
         w.consecutive_failures, w.last_attempt_at, w.created_at, w.updated_at FROM webhooks w \
         JOIN services s ON s.pk = w.service_pk LEFT JOIN endpoints e ON e.pk = w.endpoint_pk"
    };
}

macro_rules! incident_select {
    () => {
        "SELECT i.pk, i.id, e.id AS endpoint_id, h.id AS heartbeat_id, i.status, i.started_at, i.resolved_at, i.cause, \
         i.failure_count, i.resolved_by FROM incidents i LEFT JOIN endpoints e ON e.pk = i.endpoint_pk \
         LEFT JOIN heartbeats h ON h.pk = i.heartbeat_pk"
    };
}

/// Deliveries due now, not leased, and first in line for their webhook: events reach a webhook in order.
macro_rules! delivery_filter {
    () => {
        "d.status = 'pending' AND d.next_attempt_at <= $2 \
         AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $2) \
         AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.status = 'pending' AND e.webhook_pk = d.webhook_pk \
         AND e.order_key = d.order_key AND e.pk < d.pk)"
    };
}

macro_rules! claim_filter {
    () => {
        "s.region_pk = $3 AND s.next_slot_at <= $4 AND e.enabled \
         AND (s.lease_expires_at IS NULL OR s.lease_expires_at <= $2)"
    };
}

/// What an event is about.
#[derive(Debug, Clone, Copy)]
enum Owner {
    Endpoint(i64),
    Heartbeat(i64),
}

mod sqlite_sql {
    pub const CLAIM_DELIVERIES: &str = concat!(
        "UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2 + $3 WHERE pk IN \
         (SELECT d.pk FROM deliveries d WHERE ",
        delivery_filter!(),
        " ORDER BY d.next_attempt_at, d.pk LIMIT $4) RETURNING pk"
    );
    /// Fan an event out to the webhooks of its service that subscribe to its kind, and (unless $6 is false) to
    /// the endpoint's own webhook: one pending delivery each.
    pub const FAN_OUT: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
         SELECT randomblob(16), w.pk, $1, 'pending', $2, $2, $5 FROM webhooks w \
         WHERE w.events LIKE '%,' || $4 || ',%' \
           AND ((w.endpoint_pk IS NULL AND w.service_pk = $3) OR ($6 AND w.endpoint_pk = $5)) ORDER BY w.pk";
    /// A page of rows as one JSON array of arrays: sqlx hands SQLite rows over one at a time from a worker thread,
    /// which costs more than the rows themselves; one value per page avoids that.
    pub const JSON_PAGE_OPEN: &str = "SELECT json_group_array(json(j)) FROM (SELECT json_array(";
    /// Take the write lock up front: a deferred transaction that reads and then writes can fail with SQLITE_BUSY
    /// without waiting when another connection wrote in between.
    pub const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
    /// Heartbeat rows are written behind the intake (one process owns the file; see migration 0007).
    pub const DEFER_HEARTBEAT_ROWS: bool = true;
    pub const HEX_SKETCH: &str = "hex(sketch)";
    pub const ENDPOINT_PKS_AFTER: &str = "SELECT json_group_array(pk) FROM (SELECT pk FROM endpoints WHERE pk > $1 ORDER BY pk LIMIT $2)";
    /// Bytes in use by the file (pages), and free pages inside it.
    pub const STORAGE_USAGE: &str = "SELECT (SELECT page_count FROM pragma_page_count()) * \
         (SELECT page_size FROM pragma_page_size()), \
         (SELECT freelist_count FROM pragma_freelist_count()) * (SELECT page_size FROM pragma_page_size())";
    pub const TABLE_ROWS: &str = "SELECT 'pings', COUNT(*) FROM pings UNION ALL SELECT 'rollups', COUNT(*) FROM rollups \
         UNION ALL SELECT 'heartbeat_pings', COUNT(*) FROM heartbeat_pings UNION ALL SELECT 'events', COUNT(*) FROM events \
         UNION ALL SELECT 'deliveries', COUNT(*) FROM deliveries UNION ALL SELECT 'incidents', COUNT(*) FROM incidents \
         UNION ALL SELECT 'heartbeat_log', COUNT(*) FROM heartbeat_log";
    /// $1 new ping pks as a JSON array: the write lock is held, so the next ones after the maximum.
    pub const NEXT_PING_PKS: &str = "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         SELECT json_group_array((SELECT COALESCE(MAX(pk), 0) FROM heartbeat_pings) + i) FROM n";
    pub const FOR_UPDATE: &str = "";
    pub const HEARTBEAT_LOCK: &str = "";
    /// Copy what it can of the WAL back into the database without blocking the writer (a quiet server's WAL
    /// then shrinks to nothing; a busy one is checkpointed by its own commits).
    pub const CHECKPOINT: &str = "PRAGMA wal_checkpoint(PASSIVE)";
    pub const HEARTBEAT_LOCK_SKIP: &str = "";
    pub const ENDPOINT_JSON: &str = endpoint_json!("hex(e.id)", "hex(s.id)");
    pub const HEARTBEAT_JSON: &str = heartbeat_json!("hex(h.id)", "hex(s.id)", "hex(h.key_hash)");
    pub const INCIDENT_BY_ID_LOCKED: &str =
        "SELECT pk, endpoint_pk, heartbeat_pk, status FROM incidents WHERE id = $1";
    /// The write lock makes this single statement atomic: no two claimers can take the same row.
    pub const CLAIM: &str = concat!(
        "UPDATE schedules SET lease_owner = $1, lease_expires_at = MAX(next_slot_at, $2) + $5 \
           + (SELECT e.timeout_ms FROM endpoints e WHERE e.pk = schedules.endpoint_pk) \
         WHERE pk IN (SELECT s.pk FROM schedules s JOIN endpoints e ON e.pk = s.endpoint_pk WHERE ",
        claim_filter!(),
        " ORDER BY s.next_slot_at LIMIT $6) RETURNING pk, endpoint_pk, next_slot_at"
    );
}

mod postgres_sql {
    pub const CLAIM_DELIVERIES: &str = concat!(
        "WITH due AS (SELECT d.pk FROM deliveries d WHERE ",
        delivery_filter!(),
        " ORDER BY d.next_attempt_at, d.pk LIMIT $4 FOR UPDATE OF d SKIP LOCKED) \
         UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2 + $3 FROM due \
         WHERE deliveries.pk = due.pk RETURNING deliveries.pk"
    );
    pub const FAN_OUT: &str = "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, order_key) \
         SELECT gen_random_uuid(), w.pk, $1, 'pending', $2, $2, $5 FROM webhooks w \
         WHERE w.events LIKE '%,' || $4 || ',%' \
           AND ((w.endpoint_pk IS NULL AND w.service_pk = $3) OR ($6 AND w.endpoint_pk = $5)) ORDER BY w.pk";
    pub const JSON_PAGE_OPEN: &str =
        "SELECT COALESCE(json_agg(j)::text, '[]') FROM (SELECT json_build_array(";
    pub const BEGIN_WRITE: &str = "BEGIN";
    /// Several servers may take pings: each batch writes its heartbeats' rows (locked) in its transaction.
    pub const DEFER_HEARTBEAT_ROWS: bool = false;
    pub const HEX_SKETCH: &str = "encode(sketch, 'hex')";
    pub const ENDPOINT_PKS_AFTER: &str = "SELECT COALESCE(json_agg(pk)::text, '[]') FROM \
         (SELECT pk FROM endpoints WHERE pk > $1 ORDER BY pk LIMIT $2) AS step";
    pub const STORAGE_USAGE: &str =
        "SELECT pg_database_size(current_database())::bigint, 0::bigint";
    /// The planner's estimates (exact counts would scan the tables).
    pub const TABLE_ROWS: &str = "SELECT c.relname::text, GREATEST(c.reltuples, 0)::bigint FROM pg_class c \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'";
    pub const NEXT_PING_PKS: &str = "SELECT json_agg(nextval(pg_get_serial_sequence('heartbeat_pings', 'pk')))::text \
         FROM generate_series(1, $1)";
    pub const FOR_UPDATE: &str = " FOR UPDATE OF e";
    pub const HEARTBEAT_LOCK: &str = " FOR UPDATE OF h";
    pub const CHECKPOINT: &str = "";
    pub const HEARTBEAT_LOCK_SKIP: &str = " FOR UPDATE OF h SKIP LOCKED";
    pub const ENDPOINT_JSON: &str = endpoint_json!("e.id", "s.id");
    pub const HEARTBEAT_JSON: &str = heartbeat_json!("h.id", "s.id", "encode(h.key_hash, 'hex')");
    pub const INCIDENT_BY_ID_LOCKED: &str =
        "SELECT pk, endpoint_pk, heartbeat_pk, status FROM incidents WHERE id = $1 FOR UPDATE";
    /// SKIP LOCKED lets concurrent claimers take disjoint rows instead of queueing behind each other.
    pub const CLAIM: &str = concat!(
        "WITH due AS (SELECT s.pk FROM schedules s JOIN endpoints e ON e.pk = s.endpoint_pk WHERE ",
        claim_filter!(),
        " ORDER BY s.next_slot_at LIMIT $6 FOR UPDATE OF s SKIP LOCKED) \
         UPDATE schedules SET lease_owner = $1, \
           lease_expires_at = GREATEST(schedules.next_slot_at, $2) + $5 + e.timeout_ms \
         FROM due, endpoints e WHERE schedules.pk = due.pk AND e.pk = schedules.endpoint_pk \
         RETURNING schedules.pk, schedules.endpoint_pk, schedules.next_slot_at"
    );
}

/// SQLite in WAL mode with a busy timeout, so the CLI and a running server can share one file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for the hot write paths (the heartbeat intake). SQLite has one writer at a time anyway,
    /// and a connection whose last transaction was the last write keeps its page cache: batches that rotate
    /// through the pool find it invalidated by the previous batch and read every page again.
    hot: SqlitePool,
    /// The intake's view of recently pinged heartbeats (see `hbrows`).
    hb_cache: std::sync::Arc<tokio::sync::Mutex<HbCache>>,
    path: std::path::PathBuf,
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!(
                    "cannot create data directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Takes effect on a new file only (before the first table): cleanup can then give freed pages back
            // to the file system in small steps. An older file reuses freed pages instead.
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Every result touches a random endpoint's rows; SQLite's default 2 MiB page cache turns that into
            // a page read from the OS per statement once there are tens of thousands of endpoints.
            .pragma("cache_size", "-32768")
            // Statement journals (multi-row statements inside a transaction) in memory, not in temp files.
            .pragma("temp_store", "MEMORY")
            // Checkpoint less often: a hot page written by many batches is copied back once per checkpoint.
            .pragma("wal_autocheckpoint", "4000")
            // After a checkpoint resets the WAL, truncate the file to this size instead of keeping its peak.
            .pragma("journal_size_limit", "67108864");
        // The hot connection checkpoints on its own commits (every 4,000 pages; the intake's batches append
        // few pages, so this comes every few seconds under load): a checkpoint run from elsewhere never catches
        // up with a steady writer (a passive one let the WAL grow to 2.9 GB in 30 s), and a restarting one every
        // second stalled the intake for 250+ ms at p99.
        let hot_options = options.clone().pragma("wal_autocheckpoint", "4000");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        // Two processes starting on a fresh file race to create the schema; the loser retries once and finds
        // the migration applied.
        if let Err(first) = SQLITE_MIGRATOR.run(&pool).await {
            tokio::time::sleep(Duration::from_millis(200)).await;
            SQLITE_MIGRATOR.run(&pool).await.map_err(|_| first)?;
        }
        let hot = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(hot_options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        Ok(Self {
            pool,
            hot,
            hb_cache: Default::default(),
            path: path.to_path_buf(),
        })
    }

    fn hot_pool(&self) -> &SqlitePool {
        &self.hot
    }

    fn database_path(&self) -> Option<std::path::PathBuf> {
        Some(self.path.clone())
    }
}

/// PostgreSQL. `schema` isolates a database inside one server (tests; several Beacons on one cluster).
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Unused on PostgreSQL (rows are written with every batch); kept for the shared intake code.
    hb_cache: std::sync::Arc<tokio::sync::Mutex<HbCache>>,
}

impl PostgresStore {
    /// PostgreSQL has no per-connection page cache to keep warm: the hot paths share the pool.
    fn hot_pool(&self) -> &PgPool {
        &self.pool
    }

    fn database_path(&self) -> Option<std::path::PathBuf> {
        None
    }

    pub async fn open(url: &str, schema: Option<&str>) -> Result<Self> {
        let unavailable =
            |e: sqlx::Error| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}"));
        let mut options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Invalid(beacon_core::ValidationError::new(
                "database",
                format!("invalid URL: {e}"),
            ))
        })?;
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(corrupt(format!("invalid schema name {schema:?}")));
            }
            let mut conn = sqlx::PgConnection::connect_with(&options)
                .await
                .map_err(unavailable)?;
            let ddl = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        POSTGRES_MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            hb_cache: Default::default(),
        })
    }
}

macro_rules! impl_store {
    ($store:ident, $db:ty, $sql:ident, $backend:literal) => {
        impl $store {
            /// A JSON-page query over endpoints; the caller adds WHERE / ORDER BY / LIMIT.
            fn endpoints_query() -> QueryBuilder<$db> {
                let mut qb = QueryBuilder::<$db>::new($sql::JSON_PAGE_OPEN);
                qb.push($sql::ENDPOINT_JSON);
                qb
            }

            async fn read_endpoints<'c, E>(exec: E, mut qb: QueryBuilder<$db>) -> Result<Vec<(i64, Endpoint)>>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                qb.push(") AS page");
                let page: String = qb.build().fetch_one(exec).await?.try_get(0)?;
                endpoint_page(&page)
            }

            fn incident_from_row(row: &<$db as sqlx::Database>::Row) -> Result<Incident> {
                let status: String = row.try_get("status")?;
                let resolved_by: Option<String> = row.try_get("resolved_by")?;
                Ok(Incident {
                    id: row.try_get("id")?,
                    endpoint_id: row.try_get("endpoint_id")?,
                    heartbeat_id: row.try_get("heartbeat_id")?,
                    status: IncidentStatus::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
                    started_at: row.try_get("started_at")?,
                    resolved_at: row.try_get("resolved_at")?,
                    cause: row.try_get("cause")?,
                    failure_count: to_u32(row.try_get("failure_count")?, "failure_count")?,
                    resolved_by: match resolved_by {
                        None => None,
                        Some(s) => Some(ResolvedBy::parse(&s).ok_or_else(|| corrupt(format!("resolved_by {s:?}")))?),
                    },
                })
            }

            fn service_from_row(row: &<$db as sqlx::Database>::Row) -> Result<Service> {
                Ok(Service {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            }

            async fn service_pk(&self, id: Uuid) -> Result<i64> {
                sqlx::query("SELECT pk FROM services WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.get::<i64, _>(0))
                    .ok_or(StoreError::NotFound { kind: "service", id })
            }

            async fn endpoint_pk(&self, id: Uuid) -> Result<i64> {
                sqlx::query("SELECT pk FROM endpoints WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.get::<i64, _>(0))
                    .ok_or(StoreError::NotFound { kind: "endpoint", id })
            }

            async fn heartbeat_pk(&self, id: Uuid) -> Result<i64> {
                sqlx::query("SELECT pk FROM heartbeats WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.get::<i64, _>(0))
                    .ok_or(StoreError::NotFound { kind: "heartbeat", id })
            }

            /// Heartbeats as one JSON page (see `endpoint_page`): `SELECT … FROM heartbeats h` + `tail`.
            fn heartbeats_query() -> QueryBuilder<$db> {
                let mut qb = QueryBuilder::<$db>::new($sql::JSON_PAGE_OPEN);
                qb.push($sql::HEARTBEAT_JSON);
                qb
            }

            async fn read_heartbeats<'c, E>(exec: E, mut qb: QueryBuilder<$db>) -> Result<Vec<HbRow>>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                qb.push(") AS page");
                let page: String = qb.build().fetch_one(exec).await?.try_get(0)?;
                let mut rows = heartbeat_page(&page)?;
                rows.sort_by_key(|r| r.pk);
                Ok(rows)
            }

            /// Heartbeats with the pings their rows do not reflect yet applied (SQLite defers row writes, see
            /// migration 0007); read in one transaction so rows and pings are one snapshot.
            async fn read_heartbeats_fresh(
                tx: &mut sqlx::Transaction<'static, $db>,
                qb: QueryBuilder<$db>,
            ) -> Result<Vec<HbRow>> {
                let mut rows = Self::read_heartbeats(&mut **tx, qb).await?;
                Self::fold_pending(tx, &mut rows).await?;
                Ok(rows)
            }

            /// Apply to `rows` the pings after the watermark that each row does not reflect yet.
            async fn fold_pending(tx: &mut sqlx::Transaction<'static, $db>, rows: &mut [HbRow]) -> Result<()> {
                if !$sql::DEFER_HEARTBEAT_ROWS || rows.is_empty() {
                    return Ok(());
                }
                let mut qb = QueryBuilder::<$db>::new($sql::JSON_PAGE_OPEN);
                qb.push(
                    "p.heartbeat_pk, p.pk, p.received_at, p.kind) AS j FROM heartbeat_pings p \
                     WHERE p.pk > (SELECT applied_through FROM heartbeat_intake) AND p.heartbeat_pk IN (",
                );
                let mut list = qb.separated(", ");
                for r in rows.iter() {
                    list.push_bind(r.pk);
                }
                qb.push(") ORDER BY p.pk) AS page");
                let page: String = qb.build().fetch_one(&mut **tx).await?.try_get(0)?;
                let mut pending: Vec<(i64, i64, i64, String)> = serde_json::from_str(&page).map_err(corrupt)?;
                pending.sort_by_key(|p| p.1);
                let index: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.pk, i)).collect();
                for (hb_pk, pk, at, kind) in pending {
                    let row = &mut rows[index[&hb_pk]];
                    if row.last_ping_pk.is_some_and(|last| last >= pk) {
                        continue;
                    }
                    let kind = stored_kind(&kind).ok_or_else(|| corrupt(format!("ping kind {kind:?}")))?;
                    apply_ping(row, pk, kind, at, None);
                }
                Ok(())
            }

            async fn heartbeat_locked(tx: &mut sqlx::Transaction<'static, $db>, id: Uuid) -> Result<HbRow> {
                let mut qb = Self::heartbeats_query();
                qb.push(" WHERE h.id = ").push_bind(id).push($sql::HEARTBEAT_LOCK);
                Self::read_heartbeats_fresh(tx, qb)
                    .await?
                    .pop()
                    .ok_or(StoreError::NotFound { kind: "heartbeat", id })
            }

            /// Write heartbeats' state, status, next check time and pings bookkeeping, and bump each row's
            /// version — only where the row still has the version read (else someone else wrote it since, with
            /// every ping folded in). The pks not written.
            async fn save_heartbeat_states(
                tx: &mut sqlx::Transaction<'static, $db>,
                rows: &mut [&mut HbRow],
            ) -> Result<Vec<i64>> {
                let mut stale = Vec::new();
                for chunk in rows.chunks_mut(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "UPDATE heartbeats SET status = v.column2, last_result_at = v.column3, \
                         last_result_ok = v.column4, started_at = v.column5, paused = v.column6, \
                         last_ping_at = v.column7, next_check_at = v.column8, last_ping_pk = v.column9, \
                         ping_count = v.column10, row_version = heartbeats.row_version + 1 FROM (",
                    );
                    qb.push_values(chunk.iter(), |mut b, r| {
                        let hb = &r.hb;
                        let mut bigint = |v: Option<i64>| {
                            b.push("CAST(").push_bind_unseparated(v).push_unseparated(" AS BIGINT)");
                        };
                        bigint(Some(r.pk));
                        b.push("CAST(").push_bind_unseparated(hb.status.as_str()).push_unseparated(" AS TEXT)");
                        b.push("CAST(")
                            .push_bind_unseparated(hb.state.last_result.map(|r| r.0))
                            .push_unseparated(" AS BIGINT)");
                        b.push("CAST(")
                            .push_bind_unseparated(hb.state.last_result.map(|r| r.1))
                            .push_unseparated(" AS BOOLEAN)");
                        b.push("CAST(").push_bind_unseparated(hb.state.started_at).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(hb.state.paused).push_unseparated(" AS BOOLEAN)");
                        b.push("CAST(").push_bind_unseparated(hb.last_ping_at).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(hb.next_check_at).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(r.last_ping_pk).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(r.ping_count).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(r.version).push_unseparated(" AS BIGINT)");
                    });
                    qb.push(
                        ") AS v WHERE heartbeats.pk = v.column1 AND heartbeats.row_version = v.column11 \
                         RETURNING heartbeats.pk",
                    );
                    let written: HashSet<i64> = qb
                        .build()
                        .fetch_all(&mut **tx)
                        .await?
                        .iter()
                        .map(|r| r.try_get::<i64, _>(0))
                        .collect::<std::result::Result<_, _>>()?;
                    for r in chunk.iter_mut() {
                        if written.contains(&r.pk) {
                            r.version += 1;
                        } else {
                            stale.push(r.pk);
                        }
                    }
                }
                Ok(stale)
            }

            /// Write every pending ping into its heartbeat's row and move the watermark to the newest ping, so the
            /// rows alone are up to date (after a crash, or when another process's pings were seen).
            /// SQLite only.
            async fn repair_pending(tx: &mut sqlx::Transaction<'static, $db>) -> Result<()> {
                let page: String = sqlx::query(
                    "SELECT json_group_array(hb) FROM (SELECT DISTINCT heartbeat_pk AS hb FROM heartbeat_pings \
                     WHERE pk > (SELECT applied_through FROM heartbeat_intake))",
                )
                .fetch_one(&mut **tx)
                .await?
                .try_get(0)?;
                let pks: Vec<i64> = serde_json::from_str(&page).map_err(corrupt)?;
                for chunk in pks.chunks(CHUNK) {
                    let mut qb = Self::heartbeats_query();
                    qb.push(" WHERE h.pk IN (");
                    let mut list = qb.separated(", ");
                    for pk in chunk {
                        list.push_bind(*pk);
                    }
                    qb.push(")");
                    let mut rows = Self::read_heartbeats_fresh(tx, qb).await?;
                    Self::save_heartbeat_states(tx, &mut rows.iter_mut().collect::<Vec<_>>()).await?;
                }
                sqlx::query(
                    "UPDATE heartbeat_intake SET applied_through = (SELECT COALESCE(MAX(pk), 0) FROM heartbeat_pings)",
                )
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Evaluate a heartbeat at `now`, save it, and handle a status change.
            async fn reevaluate(tx: &mut sqlx::Transaction<'static, $db>, row: &mut HbRow, now: Millis) -> Result<()> {
                let before = row.hb.status;
                row.hb.status = hbeat::evaluate(&row.hb.spec, &row.hb.state, now);
                row.hb.next_check_at = hbeat::next_change_at(&row.hb.spec, &row.hb.state, now);
                Self::save_heartbeat_states(tx, &mut [&mut *row]).await?;
                if row.hb.status != before {
                    Self::heartbeat_transition(tx, row.pk, &row.hb, before, now).await?;
                }
                Ok(())
            }

            /// One intake batch inside `tx`: the outcomes, the cache entries it changed (merged into the cache
            /// once the transaction commits) and the newest ping pk. On SQLite rows are written only on a status
            /// change and by the rolling flush (`flush` receives the chunk taken, to give back on failure); on
            /// PostgreSQL every touched row is written, locked in pk order, so several servers can take pings.
            async fn intake_batch(
                tx: &mut sqlx::Transaction<'static, $db>,
                cache: &mut HbCache,
                pings: &[IncomingPing],
                flush: &mut Vec<i64>,
            ) -> Result<(Vec<PingOutcome>, HashMap<i64, CachedHb>, i64)> {
                let defer = $sql::DEFER_HEARTBEAT_ROWS;
                let page: String = sqlx::query($sql::NEXT_PING_PKS)
                    .bind(i64::try_from(pings.len()).unwrap_or(i64::MAX))
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get(0)?;
                let mut free_pks: std::collections::VecDeque<i64> =
                    serde_json::from_str::<Vec<i64>>(&page).map_err(corrupt)?.into();
                let mut last_pk = free_pks.front().map_or(0, |first| first - 1);
                if defer && (cache.poisoned || cache.last_pk != Some(last_pk)) {
                    // First batch of this process, a failed one before, or another process's pings.
                    cache.clear();
                    Self::repair_pending(tx).await?;
                }
                if !defer {
                    cache.clear();
                }
                // Which heartbeats: cached ones are checked against their row version, the rest read in full.
                let mut work: HashMap<i64, CachedHb> = HashMap::new();
                let mut cached: Vec<i64> = pings
                    .iter()
                    .filter_map(|p| match &p.target {
                        HeartbeatRef::Id(id) => cache.pk_of_id(id),
                        HeartbeatRef::Slug(s) => cache.pk_of_slug(s),
                    })
                    .collect();
                cached.sort_unstable();
                cached.dedup();
                for chunk in cached.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new($sql::JSON_PAGE_OPEN);
                    qb.push("pk, row_version) AS j FROM heartbeats WHERE pk IN (");
                    let mut list = qb.separated(", ");
                    for pk in chunk {
                        list.push_bind(*pk);
                    }
                    qb.push(")) AS page");
                    let page: String = qb.build().fetch_one(&mut **tx).await?.try_get(0)?;
                    let versions: HashMap<i64, i64> =
                        serde_json::from_str::<Vec<(i64, i64)>>(&page).map_err(corrupt)?.into_iter().collect();
                    for pk in chunk {
                        let entry = cache.rows.get(pk).filter(|e| versions.get(pk) == Some(&e.row.version));
                        match entry {
                            Some(e) => {
                                work.insert(*pk, e.clone());
                            }
                            // Changed by someone else (its row folds in every ping) or deleted.
                            None => cache.evict(*pk),
                        }
                    }
                }
                let mut ids: Vec<Uuid> = Vec::new();
                let mut slugs: Vec<&str> = Vec::new();
                for p in pings {
                    match &p.target {
                        HeartbeatRef::Id(id) if cache.pk_of_id(id).is_none() => ids.push(*id),
                        HeartbeatRef::Slug(s) if cache.pk_of_slug(s).is_none() => slugs.push(s),
                        _ => {}
                    }
                }
                ids.sort_unstable();
                ids.dedup();
                slugs.sort_unstable();
                slugs.dedup();
                // Fresh reads by id and by slug; on PostgreSQL rows are locked in pk order, so two servers'
                // batches cannot deadlock on each other.
                let mut by_id: HashMap<Uuid, i64> = HashMap::new();
                let mut by_slug: HashMap<String, i64> = HashMap::new();
                for (col, n) in [("h.id", ids.len()), ("h.slug", slugs.len())] {
                    for start in (0..n).step_by(CHUNK) {
                        let mut qb = Self::heartbeats_query();
                        qb.push(" WHERE ").push(col).push(" IN (");
                        let mut list = qb.separated(", ");
                        if col == "h.id" {
                            for id in &ids[start..n.min(start + CHUNK)] {
                                list.push_bind(*id);
                            }
                        } else {
                            for slug in &slugs[start..n.min(start + CHUNK)] {
                                list.push_bind(*slug);
                            }
                        }
                        qb.push(") ORDER BY h.pk").push($sql::HEARTBEAT_LOCK);
                        for row in Self::read_heartbeats_fresh(tx, qb).await? {
                            by_id.insert(row.hb.id, row.pk);
                            by_slug.insert(row.hb.slug.clone(), row.pk);
                            work.entry(row.pk).or_insert(CachedHb { row, unflushed_from: None });
                        }
                    }
                }
                let resolve = |target: &HeartbeatRef| match target {
                    HeartbeatRef::Id(id) => cache.pk_of_id(id).or_else(|| by_id.get(id).copied()),
                    HeartbeatRef::Slug(s) => cache.pk_of_slug(s).or_else(|| by_slug.get(s.as_str()).copied()),
                };
                let mut outcomes = Vec::with_capacity(pings.len());
                // (ping pk, heartbeat pk, ping, previous ping of the heartbeat, ordinal, run duration)
                let mut rows: Vec<(i64, i64, &IncomingPing, Option<i64>, i64, Option<i64>)> = Vec::new();
                let mut starts: HashMap<(i64, &str), Millis> = HashMap::new();
                let mut transitions: Vec<(i64, Heartbeat, HbStatus, Millis)> = Vec::new();
                let mut write_now: HashSet<i64> = HashSet::new();
                for p in pings {
                    let Some((hb_pk, entry)) = resolve(&p.target).and_then(|pk| work.get_mut(&pk).map(|e| (pk, e)))
                    else {
                        outcomes.push(PingOutcome::NotFound);
                        continue;
                    };
                    if !p.key_hash.is_some_and(|h| beacon_core::token::hashes_match(&h, &entry.row.key)) {
                        outcomes.push(PingOutcome::Unauthorized);
                        continue;
                    }
                    let pk = free_pks.pop_front().ok_or_else(|| corrupt("ran out of ping ids"))?;
                    last_pk = pk;
                    let finishing = matches!(p.kind, PingKind::Success | PingKind::Fail | PingKind::Exit(_));
                    let mut run_start = None;
                    if let (true, Some(rid)) = (finishing, p.rid.as_deref()) {
                        run_start = match starts.get(&(hb_pk, rid)) {
                            Some(at) => Some(*at),
                            None => match entry.row.last_ping_pk {
                                Some(head) => Self::run_start(tx, head, rid).await?,
                                None => None,
                            },
                        };
                    }
                    if let (PingKind::Start, Some(rid)) = (p.kind, p.rid.as_deref()) {
                        starts.insert((hb_pk, rid), p.received_at);
                    }
                    let prev = entry.row.last_ping_pk;
                    let before = entry.row.hb.status;
                    let duration = apply_ping(&mut entry.row, pk, p.kind, p.received_at, run_start);
                    entry.unflushed_from.get_or_insert(pk);
                    if !defer || entry.row.hb.status != before {
                        write_now.insert(hb_pk);
                    }
                    if entry.row.hb.status != before {
                        transitions.push((hb_pk, entry.row.hb.clone(), before, p.received_at));
                    }
                    rows.push((pk, hb_pk, p, prev, entry.row.ping_count, duration));
                    outcomes.push(PingOutcome::Accepted);
                }
                for chunk in rows.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO heartbeat_pings (pk, heartbeat_pk, prev_pk, seq, received_at, kind, exit_status, \
                         rid, duration_ms, client_status, body, metadata) ",
                    );
                    qb.push_values(chunk, |mut b, (pk, hb_pk, p, prev, seq, duration)| {
                        let exit = match p.kind {
                            PingKind::Exit(n) => Some(i32::from(n)),
                            _ => None,
                        };
                        b.push_bind(*pk)
                            .push_bind(*hb_pk)
                            .push_bind(*prev)
                            .push_bind(*seq)
                            .push_bind(p.received_at)
                            .push_bind(p.kind.as_str())
                            .push_bind(exit)
                            .push_bind(p.rid.as_deref())
                            .push_bind(*duration)
                            .push_bind(p.client_status.as_deref())
                            .push_bind(p.body.as_deref())
                            .push_bind(p.metadata.as_deref());
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                if defer {
                    // The rolling flush: the next chunk of dirty rows, in pk order.
                    *flush = cache.next_flush_chunk(std::time::Instant::now());
                    for pk in flush.iter() {
                        if !work.contains_key(pk) {
                            if let Some(e) = cache.rows.get(pk) {
                                work.insert(*pk, e.clone());
                            }
                        }
                        write_now.insert(*pk);
                    }
                }
                let mut due: Vec<&mut HbRow> = Vec::new();
                let mut written: Vec<i64> = write_now.into_iter().collect();
                written.sort_unstable();
                let mut by_pk: BTreeMap<i64, &mut CachedHb> = work.iter_mut().map(|(pk, e)| (*pk, e)).collect();
                for pk in &written {
                    if let Some(e) = by_pk.remove(pk) {
                        e.unflushed_from = None;
                        due.push(&mut e.row);
                    }
                }
                let batch_pks: HashSet<i64> = rows.iter().map(|r| r.1).collect();
                for pk in Self::save_heartbeat_states(tx, &mut due).await? {
                    // A cached row someone else wrote since (a flush of a heartbeat this batch did not ping):
                    // that writer folded its pings in; forget the copy. A pinged one was checked above.
                    if batch_pks.contains(&pk) {
                        return Err(corrupt(format!("heartbeat {pk} changed during an intake batch")));
                    }
                    work.remove(&pk);
                    cache.evict(pk);
                }
                for (pk, hb, before, at) in &transitions {
                    Self::heartbeat_transition(tx, *pk, hb, *before, *at).await?;
                }
                if defer {
                    let mark = cache.watermark(&work, last_pk);
                    sqlx::query("UPDATE heartbeat_intake SET applied_through = $1 WHERE applied_through <> $1")
                        .bind(mark)
                        .execute(&mut **tx)
                        .await?;
                } else {
                    work.clear();
                }
                Ok((outcomes, work, last_pk))
            }

            /// When the run `rid` started: the newest `start` ping with that run id among the heartbeat's last
            /// pings, following the chain back from `head`.
            async fn run_start(tx: &mut sqlx::Transaction<'static, $db>, head: i64, rid: &str) -> Result<Option<Millis>> {
                Ok(sqlx::query(
                    "WITH RECURSIVE chain (pk, n) AS (SELECT CAST($1 AS BIGINT), 1 UNION ALL \
                     SELECT p.prev_pk, c.n + 1 FROM chain c JOIN heartbeat_pings p ON p.pk = c.pk \
                     WHERE c.n < 1000 AND p.prev_pk IS NOT NULL) \
                     SELECT p.received_at FROM chain c JOIN heartbeat_pings p ON p.pk = c.pk \
                     WHERE p.kind = 'start' AND p.rid = $2 ORDER BY p.pk DESC LIMIT 1"
                )
                .bind(head)
                .bind(rid)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get::<i64, _>(0))
                .transpose()?)
            }

            /// Log a status change; entering `down` opens an incident (heartbeat_down); reaching `up` again
            /// (directly, or through a run that started while down) resolves it (heartbeat_up).
            async fn heartbeat_transition(
                tx: &mut sqlx::Transaction<'static, $db>,
                pk: i64,
                hb: &Heartbeat,
                from: HbStatus,
                now: Millis,
            ) -> Result<()> {
                let to = hb.status;
                sqlx::query(
                    "INSERT INTO heartbeat_log (heartbeat_pk, at, status_from, status_to, last_ping_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(pk)
                .bind(now)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(hb.last_ping_at)
                .execute(&mut **tx)
                .await?;
                let base = serde_json::json!({
                    "heartbeat_id": hb.id, "service_id": hb.service_id, "slug": hb.slug, "name": hb.spec.name,
                    "status": to.as_str(), "previous_status": from.as_str(), "last_ping_at": hb.last_ping_at,
                });
                if to == HbStatus::Down && from != HbStatus::Down {
                    let cause = down_cause(hb, now);
                    let id = Uuid::new_v4();
                    let opened = sqlx::query(
                        "INSERT INTO incidents (id, heartbeat_pk, status, started_at, cause, failure_count) \
                         SELECT $1, $2, 'open', $3, $4, 1 WHERE NOT EXISTS \
                         (SELECT 1 FROM incidents WHERE heartbeat_pk = $2 AND status = 'open')",
                    )
                    .bind(id)
                    .bind(pk)
                    .bind(now)
                    .bind(&cause)
                    .execute(&mut **tx)
                    .await?;
                    if opened.rows_affected() > 0 {
                        let mut payload = base;
                        payload["incident_id"] = serde_json::json!(id);
                        payload["started_at"] = serde_json::json!(now);
                        payload["cause"] = serde_json::json!(cause);
                        Self::insert_event(tx, Owner::Heartbeat(pk), "heartbeat_down", payload, now, false).await?;
                    }
                } else if to == HbStatus::Up && matches!(from, HbStatus::Down | HbStatus::Started) {
                    // Down → up, possibly by way of a started run: an open incident is resolved.
                    let row = sqlx::query(
                        "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = 'auto' \
                         WHERE heartbeat_pk = $1 AND status = 'open' RETURNING id, started_at, cause",
                    )
                    .bind(pk)
                    .bind(now)
                    .fetch_optional(&mut **tx)
                    .await?;
                    if let Some(row) = row {
                        let mut payload = base;
                        payload["incident_id"] = serde_json::json!(row.try_get::<Uuid, _>("id")?);
                        payload["started_at"] = serde_json::json!(row.try_get::<i64, _>("started_at")?);
                        payload["cause"] = serde_json::json!(row.try_get::<String, _>("cause")?);
                        payload["resolved_at"] = serde_json::json!(now);
                        payload["resolved_by"] = serde_json::json!("auto");
                        Self::insert_event(tx, Owner::Heartbeat(pk), "heartbeat_up", payload, now, false).await?;
                    }
                }
                Ok(())
            }

            /// Write an event about an endpoint or a heartbeat and, in the same transaction, one pending delivery
            /// for each webhook of its service that subscribes to the event's kind (the transactional outbox), and
            /// for the endpoint's own webhook when `to_endpoint_webhook`.
            async fn insert_event(
                tx: &mut sqlx::Transaction<'static, $db>,
                owner: Owner,
                kind: &str,
                payload: serde_json::Value,
                now: Millis,
                to_endpoint_webhook: bool,
            ) -> Result<()> {
                let (sql, owner_pk, order_key) = match owner {
                    Owner::Endpoint(pk) => (
                        "INSERT INTO events (id, kind, payload, created_at, endpoint_pk, service_pk) \
                         VALUES ($1, $2, $3, $4, $5, (SELECT service_pk FROM endpoints WHERE pk = $5)) RETURNING pk, service_pk",
                        pk,
                        pk,
                    ),
                    // Negative order keys keep heartbeats' delivery order groups apart from endpoints'.
                    Owner::Heartbeat(pk) => (
                        "INSERT INTO events (id, kind, payload, created_at, heartbeat_pk, service_pk) \
                         VALUES ($1, $2, $3, $4, $5, (SELECT service_pk FROM heartbeats WHERE pk = $5)) RETURNING pk, service_pk",
                        pk,
                        -pk,
                    ),
                };
                let row = sqlx::query(sql)
                    .bind(Uuid::new_v4())
                    .bind(kind)
                    .bind(payload.to_string())
                    .bind(now)
                    .bind(owner_pk)
                    .fetch_one(&mut **tx)
                    .await?;
                let (event_pk, service_pk): (i64, Option<i64>) = (row.try_get(0)?, row.try_get(1)?);
                if let Some(service_pk) = service_pk {
                    sqlx::query($sql::FAN_OUT)
                        .bind(event_pk)
                        .bind(now)
                        .bind(service_pk)
                        .bind(kind)
                        .bind(order_key)
                        .bind(to_endpoint_webhook && matches!(owner, Owner::Endpoint(_)))
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// Keep the webhook that carries an endpoint's `webhook_url` (seed 002) in step with it, in the
            /// endpoint's transaction: created when a URL is set, moved when it changes, removed when cleared.
            async fn sync_endpoint_webhook(
                tx: &mut sqlx::Transaction<'static, $db>,
                endpoint_pk: i64,
                url: Option<&CheckUrl>,
                now: Millis,
            ) -> Result<()> {
                let Some(url) = url else {
                    sqlx::query("DELETE FROM webhooks WHERE endpoint_pk = $1").bind(endpoint_pk).execute(&mut **tx).await?;
                    return Ok(());
                };
                let moved = sqlx::query(
                    "UPDATE webhooks SET url = $2, updated_at = $3 WHERE endpoint_pk = $1 AND url <> $2",
                )
                .bind(endpoint_pk)
                .bind(url.as_str())
                .bind(now)
                .execute(&mut **tx)
                .await?;
                if moved.rows_affected() > 0 {
                    return Ok(());
                }
                sqlx::query(
                    "INSERT INTO webhooks (id, service_pk, endpoint_pk, format, url, events, secret, headers, \
                     created_at, updated_at) \
                     SELECT $1, e.service_pk, e.pk, 'pulse', $2, $3, $4, '[]', $5, $5 FROM endpoints e \
                     WHERE e.pk = $6 AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.endpoint_pk = e.pk)",
                )
                .bind(Uuid::new_v4())
                .bind(url.as_str())
                .bind(ENDPOINT_WEBHOOK_EVENTS)
                .bind(new_secret().expose())
                .bind(now)
                .bind(endpoint_pk)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Apply new results to endpoint health and incidents. `results` are (endpoint_pk, record), sorted
            /// by endpoint and slot, and are only results stored for the first time.
            /// Fold newly stored results into their rollup windows (all resolutions): read the windows they
            /// touch, merge in memory, write them back. Called in the transaction that stored the results.
            async fn apply_rollups(
                tx: &mut sqlx::Transaction<'static, $db>,
                region_pk: i32,
                results: &[(i64, &PingRecord)],
            ) -> Result<()> {
                let mut adds: BTreeMap<(i64, i32, Millis), Window> = BTreeMap::new();
                for (endpoint_pk, p) in results {
                    for r in Resolution::ALL {
                        adds.entry((*endpoint_pk, r.seconds(), r.window_start(p.scheduled_at)))
                            .or_default()
                            .add(p.observation.success(), i64::from(p.observation.timings.total_us));
                    }
                }
                let endpoints: Vec<i64> = {
                    let mut v: Vec<i64> = results.iter().map(|(pk, _)| *pk).collect();
                    v.sort_unstable();
                    v.dedup();
                    v
                };
                let mut first: HashMap<i32, Millis> = HashMap::new();
                for (_, res, start) in adds.keys() {
                    let e = first.entry(*res).or_insert(*start);
                    *e = (*e).min(*start);
                }
                for chunk in endpoints.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new($sql::JSON_PAGE_OPEN);
                    qb.push("endpoint_pk, resolution, start, count, successes, min_us, max_us, sum_us, ");
                    qb.push($sql::HEX_SKETCH);
                    qb.push(") AS j FROM rollups WHERE region_pk = ").push_bind(region_pk);
                    qb.push(" AND endpoint_pk IN (");
                    let mut list = qb.separated(", ");
                    for pk in chunk {
                        list.push_bind(*pk);
                    }
                    qb.push(") AND (");
                    for (i, (res, start)) in first.iter().enumerate() {
                        if i > 0 {
                            qb.push(" OR ");
                        }
                        qb.push("(resolution = ").push_bind(*res).push(" AND start >= ").push_bind(*start).push(")");
                    }
                    qb.push(")) AS page");
                    let page: String = qb.build().fetch_one(&mut **tx).await?.try_get(0)?;
                    for (key, stored) in rollup_page(&page)? {
                        if let Some(add) = adds.get_mut(&key) {
                            let mut merged = stored;
                            merged.merge(add);
                            *add = merged;
                        }
                    }
                }
                let rows: Vec<_> = adds.into_iter().collect();
                for chunk in rows.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO rollups (endpoint_pk, resolution, start, region_pk, count, successes, min_us, \
                         max_us, sum_us, sketch) ",
                    );
                    qb.push_values(chunk, |mut b, ((endpoint_pk, res, start), w)| {
                        b.push_bind(*endpoint_pk)
                            .push_bind(*res)
                            .push_bind(*start)
                            .push_bind(region_pk)
                            .push_bind(i64::try_from(w.count).unwrap_or(i64::MAX))
                            .push_bind(i64::try_from(w.successes).unwrap_or(i64::MAX))
                            .push_bind(w.min_us)
                            .push_bind(w.max_us)
                            .push_bind(w.sum_us)
                            .push_bind(w.sketch.encode());
                    });
                    qb.push(
                        " ON CONFLICT (endpoint_pk, resolution, start, region_pk) DO UPDATE SET \
                         count = excluded.count, successes = excluded.successes, min_us = excluded.min_us, \
                         max_us = excluded.max_us, sum_us = excluded.sum_us, sketch = excluded.sketch",
                    );
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            async fn apply_results(
                tx: &mut sqlx::Transaction<'static, $db>,
                results: &[(i64, &PingRecord)],
                report: &mut CompleteReport,
            ) -> Result<()> {
                let mut pks: Vec<i64> = results.iter().map(|(pk, _)| *pk).collect();
                pks.dedup();
                let mut states: BTreeMap<i64, (Uuid, Health, Thresholds, Option<Millis>, Option<i32>)> = BTreeMap::new();
                let mut names: HashMap<i64, String> = HashMap::new();
                for chunk in pks.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "SELECT e.pk, e.id, e.name, e.status, e.consecutive_failures, e.consecutive_successes, \
                         e.alert_threshold, e.recovery_threshold, e.last_checked_at, e.last_error_kind, \
                         (SELECT COUNT(*) FROM incidents i WHERE i.endpoint_pk = e.pk AND i.status = 'open') \
                         AS open_count FROM endpoints e WHERE e.pk IN (",
                    );
                    let mut list = qb.separated(", ");
                    for pk in chunk {
                        list.push_bind(*pk);
                    }
                    qb.push(") ORDER BY e.pk");
                    qb.push($sql::FOR_UPDATE);
                    for row in qb.build().fetch_all(&mut **tx).await? {
                        let status: String = row.try_get("status")?;
                        let health = Health {
                            status: Status::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
                            consecutive_failures: to_u32(row.try_get("consecutive_failures")?, "failures")?,
                            consecutive_successes: to_u32(row.try_get("consecutive_successes")?, "successes")?,
                            incident_open: row.try_get::<i64, _>("open_count")? > 0,
                        };
                        let thresholds = Thresholds {
                            alert: to_u32(row.try_get("alert_threshold")?, "alert_threshold")?,
                            recovery: to_u32(row.try_get("recovery_threshold")?, "recovery_threshold")?,
                        };
                        names.insert(row.try_get("pk")?, row.try_get("name")?);
                        states.insert(
                            row.try_get("pk")?,
                            (
                                row.try_get("id")?,
                                health,
                                thresholds,
                                row.try_get("last_checked_at")?,
                                row.try_get("last_error_kind")?,
                            ),
                        );
                    }
                }
                // Failures counted on open incidents, written once per endpoint rather than once per result.
                let mut failures_during: HashMap<i64, i32> = HashMap::new();
                for (pk, record) in results {
                    // The endpoint was deleted after the check started: nothing to update.
                    let Some((endpoint_id, health, thresholds, last, last_kind)) = states.get_mut(pk) else {
                        continue;
                    };
                    let obs = &record.observation;
                    let (next, transition) = incident::observe(*health, obs.success(), *thresholds);
                    *health = next;
                    *last = Some(last.map_or(record.started_at, |l| l.max(record.started_at)));
                    *last_kind = obs.failure.as_ref().map(|(k, _)| i32::from(k.code()));
                    match transition {
                        None => {}
                        Some(Transition::FailureDuringIncident) => *failures_during.entry(*pk).or_default() += 1,
                        Some(Transition::Open { failures }) => {
                            let cause = match &obs.failure {
                                Some((kind, msg)) => format!("{}: {msg}", kind.as_str()),
                                None => String::from("failure"),
                            };
                            let id = Uuid::new_v4();
                            sqlx::query(
                                "INSERT INTO incidents (id, endpoint_pk, status, started_at, cause, failure_count) \
                                 VALUES ($1, $2, 'open', $3, $4, $5)",
                            )
                            .bind(id)
                            .bind(*pk)
                            .bind(record.started_at)
                            .bind(&cause)
                            .bind(clamp_i32(failures))
                            .execute(&mut **tx)
                            .await?;
                            let payload = serde_json::json!({
                                "incident_id": id, "endpoint_id": endpoint_id, "started_at": record.started_at,
                                "cause": cause, "failure_count": failures, "endpoint_name": names.get(pk),
                                "run_status": run_status(obs.failure.as_ref().map(|(k, _)| *k)),
                                "error": obs.failure.as_ref().map(|(_, m)| m.as_str()),
                            });
                            Self::insert_event(tx, Owner::Endpoint(*pk), "incident_start", payload, record.started_at, true).await?;
                            report.incidents_opened += 1;
                        }
                        Some(Transition::Resolve) => {
                            let extra = failures_during.remove(pk).unwrap_or(0);
                            let row = sqlx::query(
                                "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = 'auto', \
                                 failure_count = failure_count + $3 WHERE endpoint_pk = $1 AND status = 'open' \
                                 RETURNING id, started_at, cause, failure_count",
                            )
                            .bind(*pk)
                            .bind(record.started_at)
                            .bind(extra)
                            .fetch_optional(&mut **tx)
                            .await?;
                            if let Some(row) = row {
                                let payload = serde_json::json!({
                                    "incident_id": row.try_get::<Uuid, _>("id")?, "endpoint_id": endpoint_id,
                                    "started_at": row.try_get::<i64, _>("started_at")?,
                                    "resolved_at": record.started_at, "cause": row.try_get::<String, _>("cause")?,
                                    "failure_count": row.try_get::<i32, _>("failure_count")?, "resolved_by": "auto",
                                    "endpoint_name": names.get(pk), "run_status": run_status(None),
                                });
                                Self::insert_event(tx, Owner::Endpoint(*pk), "incident_resolved", payload, record.started_at, true).await?;
                                report.incidents_resolved += 1;
                            }
                        }
                    }
                }
                for (pk, n) in failures_during {
                    sqlx::query(
                        "UPDATE incidents SET failure_count = failure_count + $2 \
                         WHERE endpoint_pk = $1 AND status = 'open'",
                    )
                    .bind(pk)
                    .bind(n)
                    .execute(&mut **tx)
                    .await?;
                }
                let states: Vec<_> = states.into_iter().collect();
                for chunk in states.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "UPDATE endpoints SET status = v.column2, consecutive_failures = v.column3, \
                         consecutive_successes = v.column4, last_checked_at = v.column5, last_error_kind = v.column6 FROM (",
                    );
                    qb.push_values(chunk, |mut b, (pk, (_, h, _, last, kind))| {
                        b.push("CAST(").push_bind_unseparated(*pk).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(h.status.as_str()).push_unseparated(" AS TEXT)");
                        b.push("CAST(")
                            .push_bind_unseparated(clamp_i32(h.consecutive_failures))
                            .push_unseparated(" AS INTEGER)");
                        b.push("CAST(")
                            .push_bind_unseparated(clamp_i32(h.consecutive_successes))
                            .push_unseparated(" AS INTEGER)");
                        b.push("CAST(").push_bind_unseparated(*last).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(*kind).push_unseparated(" AS INTEGER)");
                    });
                    qb.push(") AS v WHERE endpoints.pk = v.column1");
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_service(&self, name: &str, description: &str, now: Millis) -> Result<Service> {
                let service = Service {
                    id: Uuid::new_v4(),
                    name: beacon_core::endpoint::validate_name(name)?,
                    description: description.trim().to_owned(),
                    created_at: now,
                    updated_at: now,
                };
                sqlx::query(
                    "INSERT INTO services (id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(service.id)
                .bind(&service.name)
                .bind(&service.description)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(service)
            }

            async fn list_services(&self, page: Page) -> Result<Paged<Service>> {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT pk, id, name, description, created_at, updated_at FROM services WHERE pk > ",
                );
                qb.push_bind(page.after.unwrap_or(0)).push(" ORDER BY pk");
                push_limit(&mut qb, page);
                let rows = qb.build().fetch_all(&self.pool).await?;
                let mut items = Vec::with_capacity(rows.len());
                let mut last = None;
                for row in &rows {
                    items.push(Self::service_from_row(row)?);
                    last = Some(row.try_get::<i64, _>("pk")?);
                }
                Ok(paged(items, last, page))
            }

            async fn get_service(&self, id: Uuid) -> Result<Service> {
                let row = sqlx::query("SELECT id, name, description, created_at, updated_at FROM services WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound { kind: "service", id })?;
                Self::service_from_row(&row)
            }

            async fn update_service(
                &self,
                id: Uuid,
                name: Option<&str>,
                description: Option<&str>,
                now: Millis,
            ) -> Result<Service> {
                let name = name.map(beacon_core::endpoint::validate_name).transpose()?;
                let row = sqlx::query(
                    "UPDATE services SET name = COALESCE($2, name), description = COALESCE($3, description), \
                     updated_at = $4 WHERE id = $1 RETURNING id, name, description, created_at, updated_at",
                )
                .bind(id)
                .bind(name)
                .bind(description.map(str::trim))
                .bind(now)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound { kind: "service", id })?;
                Self::service_from_row(&row)
            }

            async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<()> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let pk: i64 = sqlx::query("SELECT pk FROM services WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.get(0))
                    .ok_or(StoreError::NotFound { kind: "service", id })?;
                let endpoints: i64 = sqlx::query("SELECT COUNT(*) FROM endpoints WHERE service_pk = $1")
                    .bind(pk)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
                if endpoints > 0 && !cascade {
                    return Err(StoreError::Conflict(format!(
                        "service {id} still has {endpoints} endpoint(s); delete them first or use --cascade"
                    )));
                }
                sqlx::query("DELETE FROM pings WHERE endpoint_pk IN (SELECT pk FROM endpoints WHERE service_pk = $1)")
                    .bind(pk)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM endpoints WHERE service_pk = $1").bind(pk).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM services WHERE pk = $1").bind(pk).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_endpoint(&self, service_id: Uuid, spec: &EndpointSpec, now: Millis) -> Result<Endpoint> {
                let id = Uuid::new_v4();
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let service_pk: i64 = sqlx::query("SELECT pk FROM services WHERE id = $1")
                    .bind(service_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.get(0))
                    .ok_or(StoreError::NotFound { kind: "service", id: service_id })?;
                let headers = serde_json::to_string(&spec.headers).map_err(corrupt)?;
                let pk: i64 = sqlx::query(
                    "INSERT INTO endpoints (id, service_pk, name, url, method, interval_seconds, timeout_ms, \
                     expected_status, headers, body, alert_threshold, recovery_threshold, expect_body_contains, \
                     follow_redirects, enabled, created_at, updated_at, webhook_url) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17) RETURNING pk",
                )
                .bind(id)
                .bind(service_pk)
                .bind(&spec.name)
                .bind(spec.url.as_str())
                .bind(spec.method.as_str())
                .bind(clamp_i32(spec.interval_seconds))
                .bind(clamp_i32(spec.timeout_ms))
                .bind(spec.expected_status.to_string())
                .bind(headers)
                .bind(&spec.body)
                .bind(clamp_i32(spec.alert_threshold))
                .bind(clamp_i32(spec.recovery_threshold))
                .bind(&spec.expect_body_contains)
                .bind(spec.follow_redirects)
                .bind(spec.enabled)
                .bind(now)
                .bind(spec.webhook_url.as_ref().map(CheckUrl::as_str))
                .fetch_one(&mut *tx)
                .await?
                .get(0);
                let interval = spec.interval_ms();
                let first = schedule::slot_at_or_after(now, interval, schedule::phase_ms(id, interval));
                sqlx::query("INSERT INTO schedules (endpoint_pk, region_pk, next_slot_at) VALUES ($1, $2, $3)")
                    .bind(pk)
                    .bind(DEFAULT_REGION_PK)
                    .bind(first)
                    .execute(&mut *tx)
                    .await?;
                Self::sync_endpoint_webhook(&mut tx, pk, spec.webhook_url.as_ref(), now).await?;
                tx.commit().await?;
                Ok(Endpoint {
                    id,
                    service_id,
                    spec: spec.clone(),
                    status: Status::Unknown,
                    last_checked_at: None,
                    last_error_kind: None,
                    consecutive_failures: 0,
                    next_check_at: Some(first),
                    created_at: now,
                    updated_at: now,
                })
            }

            async fn list_endpoints(&self, service_id: Option<Uuid>, page: Page) -> Result<Paged<Endpoint>> {
                let mut qb = Self::endpoints_query();
                qb.push(" WHERE e.pk > ").push_bind(page.after.unwrap_or(0));
                if let Some(sid) = service_id {
                    let service_pk = self.service_pk(sid).await?;
                    qb.push(" AND e.service_pk = ").push_bind(service_pk);
                }
                qb.push(" ORDER BY e.pk");
                push_limit(&mut qb, page);
                let rows = Self::read_endpoints(&self.pool, qb).await?;
                let last = rows.last().map(|(pk, _)| *pk);
                Ok(paged(rows.into_iter().map(|(_, e)| e).collect(), last, page))
            }

            async fn get_endpoint(&self, id: Uuid) -> Result<Endpoint> {
                let mut qb = Self::endpoints_query();
                qb.push(" WHERE e.id = ").push_bind(id);
                Self::read_endpoints(&self.pool, qb)
                    .await?
                    .pop()
                    .map(|(_, e)| e)
                    .ok_or(StoreError::NotFound { kind: "endpoint", id })
            }

            async fn update_endpoint(&self, id: Uuid, input: EndpointInput, now: Millis) -> Result<Endpoint> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let mut qb = Self::endpoints_query();
                qb.push(" WHERE e.id = ").push_bind(id).push($sql::FOR_UPDATE);
                let (pk, current) = Self::read_endpoints(&mut *tx, qb)
                    .await?
                    .pop()
                    .ok_or(StoreError::NotFound { kind: "endpoint", id })?;
                let spec = current.spec.apply(input)?;
                let headers = serde_json::to_string(&spec.headers).map_err(corrupt)?;
                sqlx::query(
                    "UPDATE endpoints SET name = $2, url = $3, method = $4, interval_seconds = $5, timeout_ms = $6, \
                     expected_status = $7, headers = $8, body = $9, alert_threshold = $10, recovery_threshold = $11, \
                     expect_body_contains = $12, follow_redirects = $13, enabled = $14, updated_at = $15, \
                     webhook_url = $16 WHERE pk = $1",
                )
                .bind(pk)
                .bind(&spec.name)
                .bind(spec.url.as_str())
                .bind(spec.method.as_str())
                .bind(clamp_i32(spec.interval_seconds))
                .bind(clamp_i32(spec.timeout_ms))
                .bind(spec.expected_status.to_string())
                .bind(headers)
                .bind(&spec.body)
                .bind(clamp_i32(spec.alert_threshold))
                .bind(clamp_i32(spec.recovery_threshold))
                .bind(&spec.expect_body_contains)
                .bind(spec.follow_redirects)
                .bind(spec.enabled)
                .bind(now)
                .bind(spec.webhook_url.as_ref().map(CheckUrl::as_str))
                .execute(&mut *tx)
                .await?;
                if spec.webhook_url != current.spec.webhook_url {
                    Self::sync_endpoint_webhook(&mut tx, pk, spec.webhook_url.as_ref(), now).await?;
                }
                let rescheduled = spec.interval_seconds != current.spec.interval_seconds
                    || (spec.enabled && !current.spec.enabled);
                let mut next_check_at = current.next_check_at;
                if rescheduled {
                    // A new grid from now; any lease on the old slot is void (its completion will not match).
                    let interval = spec.interval_ms();
                    let next = schedule::slot_at_or_after(now, interval, schedule::phase_ms(id, interval));
                    sqlx::query(
                        "UPDATE schedules SET next_slot_at = $2, lease_owner = NULL, lease_expires_at = NULL \
                         WHERE endpoint_pk = $1",
                    )
                    .bind(pk)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                    next_check_at = Some(next);
                }
                tx.commit().await?;
                Ok(Endpoint { spec, updated_at: now, next_check_at, ..current })
            }

            async fn delete_endpoint(&self, id: Uuid) -> Result<()> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let pk: i64 = sqlx::query("SELECT pk FROM endpoints WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.get(0))
                    .ok_or(StoreError::NotFound { kind: "endpoint", id })?;
                sqlx::query("DELETE FROM pings WHERE endpoint_pk = $1").bind(pk).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM endpoints WHERE pk = $1").bind(pk).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_pings(&self, endpoint_id: Uuid, query: PingQuery) -> Result<Vec<Ping>> {
                let pk = self.endpoint_pk(endpoint_id).await?;
                let mut qb = QueryBuilder::<$db>::new($sql::JSON_PAGE_OPEN);
                qb.push(
                    "p.slot, p.start_delay, p.status_code, p.error_kind, p.error, p.dns_us, p.connect_us, p.tls_us, \
                     p.first_byte_us, p.total_us, r.name) AS j FROM pings p JOIN regions r ON r.pk = p.region_pk \
                     WHERE p.endpoint_pk = ",
                );
                qb.push_bind(pk).push(" AND p.slot < ").push_bind(query.before.unwrap_or(i64::MAX));
                if query.failed_only {
                    qb.push(" AND NOT p.success");
                }
                qb.push(" ORDER BY p.slot DESC LIMIT ").push_bind(i64::from(query.limit)).push(") AS page");
                let page: String = qb.build().fetch_one(&self.pool).await?.try_get(0)?;
                ping_page(endpoint_id, &page)
            }

            async fn list_incidents(&self, filter: IncidentFilter, page: Page) -> Result<Paged<Incident>> {
                if let Some(eid) = filter.endpoint_id {
                    self.endpoint_pk(eid).await?;
                }
                if let Some(hid) = filter.heartbeat_id {
                    self.heartbeat_pk(hid).await?;
                }
                let mut qb = QueryBuilder::<$db>::new(concat!(incident_select!(), " WHERE i.pk < "));
                qb.push_bind(page.after.unwrap_or(i64::MAX));
                if let Some(status) = filter.status {
                    qb.push(" AND i.status = ").push_bind(status.as_str());
                }
                if let Some(eid) = filter.endpoint_id {
                    qb.push(" AND e.id = ").push_bind(eid);
                }
                if let Some(hid) = filter.heartbeat_id {
                    qb.push(" AND h.id = ").push_bind(hid);
                }
                // Newest first: incidents are created in time order, so their keys are too.
                qb.push(" ORDER BY i.pk DESC");
                push_limit(&mut qb, page);
                let rows = qb.build().fetch_all(&self.pool).await?;
                let mut items = Vec::with_capacity(rows.len());
                let mut last = None;
                for row in &rows {
                    items.push(Self::incident_from_row(row)?);
                    last = Some(row.try_get::<i64, _>("pk")?);
                }
                Ok(paged(items, last, page))
            }

            async fn get_incident(&self, id: Uuid) -> Result<Incident> {
                let row = sqlx::query(concat!(incident_select!(), " WHERE i.id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound { kind: "incident", id })?;
                Self::incident_from_row(&row)
            }

            async fn resolve_incident(&self, id: Uuid, now: Millis) -> Result<Incident> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let row = sqlx::query($sql::INCIDENT_BY_ID_LOCKED)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound { kind: "incident", id })?;
                let (incident_pk, endpoint_pk): (i64, Option<i64>) = (row.try_get("pk")?, row.try_get("endpoint_pk")?);
                if row.try_get::<String, _>("status")? != "open" {
                    return Err(StoreError::Conflict(format!("incident {id} is already resolved")));
                }
                sqlx::query(
                    "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = 'manual' WHERE pk = $1",
                )
                .bind(incident_pk)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if let Some(endpoint_pk) = endpoint_pk {
                    // The endpoint's failures count afresh; a heartbeat's status follows its next ping.
                    let status: String = sqlx::query("SELECT status FROM endpoints WHERE pk = $1")
                        .bind(endpoint_pk)
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get(0)?;
                    let health = incident::resolve_manually(Health {
                        status: Status::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
                        ..Health::default()
                    });
                    sqlx::query(
                        "UPDATE endpoints SET status = $2, consecutive_failures = 0, consecutive_successes = 0 WHERE pk = $1",
                    )
                    .bind(endpoint_pk)
                    .bind(health.status.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                let incident = Self::incident_from_row(
                    &sqlx::query(concat!(incident_select!(), " WHERE i.pk = $1"))
                        .bind(incident_pk)
                        .fetch_one(&mut *tx)
                        .await?,
                )?;
                let mut payload = serde_json::json!({
                    "incident_id": incident.id, "started_at": incident.started_at, "resolved_at": now,
                    "cause": incident.cause, "resolved_by": "manual",
                });
                let (owner, kind) = match endpoint_pk {
                    Some(pk) => {
                        payload["endpoint_id"] = serde_json::json!(incident.endpoint_id);
                        payload["failure_count"] = serde_json::json!(incident.failure_count);
                        (Owner::Endpoint(pk), "incident_resolved")
                    }
                    None => {
                        payload["heartbeat_id"] = serde_json::json!(incident.heartbeat_id);
                        (Owner::Heartbeat(row.try_get("heartbeat_pk")?), "heartbeat_up")
                    }
                };
                // Seed 002 alerts come from check runs only: a manual resolve is not sent to a check's own
                // webhook_url; service webhooks get it, with resolved_by: manual.
                Self::insert_event(&mut tx, owner, kind, payload, now, false).await?;
                tx.commit().await?;
                Ok(incident)
            }

            async fn list_events(&self, after_pk: i64, limit: u32) -> Result<Vec<Event>> {
                let rows = sqlx::query(
                    "SELECT pk, id, kind, payload, created_at FROM events WHERE pk > $1 ORDER BY pk LIMIT $2",
                )
                .bind(after_pk)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let payload: String = row.try_get("payload")?;
                        Ok(Event {
                            pk: row.try_get("pk")?,
                            id: row.try_get("id")?,
                            kind: row.try_get("kind")?,
                            payload: serde_json::from_str(&payload).map_err(corrupt)?,
                            created_at: row.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn create_token(&self, name: &str, scope: Scope, token: &NewToken, now: Millis) -> Result<ApiToken> {
                let name = beacon_core::endpoint::validate_name(name)?;
                sqlx::query(
                    "INSERT INTO api_tokens (id, name, scope, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token.id)
                .bind(&name)
                .bind(scope.as_str())
                .bind(token.secret_hash.to_vec())
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(ApiToken { id: token.id, name, scope, created_at: now, revoked_at: None })
            }

            async fn create_bootstrap_token(&self, token: &NewToken, now: Millis) -> Result<bool> {
                let inserted = sqlx::query(
                    "INSERT INTO api_tokens (id, name, scope, secret_hash, bootstrap, created_at) \
                     SELECT $1, 'admin (first start)', 'admin', $2, TRUE, $3 \
                     WHERE NOT EXISTS (SELECT 1 FROM api_tokens) ON CONFLICT DO NOTHING",
                )
                .bind(token.id)
                .bind(token.secret_hash.to_vec())
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(inserted == 1)
            }

            async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
                sqlx::query("SELECT id, name, scope, created_at, revoked_at FROM api_tokens ORDER BY pk")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(token_from_row)
                    .collect()
            }

            async fn revoke_token(&self, id: Uuid, now: Millis) -> Result<ApiToken> {
                let row = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 \
                     RETURNING id, name, scope, created_at, revoked_at",
                )
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound { kind: "token", id })?;
                let token = token_from_row(&row)?;
                if token.revoked_at != Some(now) {
                    return Err(StoreError::Conflict(format!("token {id} is already revoked")));
                }
                Ok(token)
            }

            async fn token_credentials(&self, id: Uuid) -> Result<Option<TokenCredentials>> {
                let Some(row) = sqlx::query("SELECT scope, secret_hash, revoked_at FROM api_tokens WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let scope: String = row.try_get("scope")?;
                Ok(Some(TokenCredentials {
                    scope: scope.parse().map_err(corrupt)?,
                    secret_hash: row.try_get("secret_hash")?,
                    revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                }))
            }

            async fn create_webhook(&self, service_id: Uuid, spec: &WebhookSpec, now: Millis) -> Result<Webhook> {
                let service_pk = self.service_pk(service_id).await?;
                let id = Uuid::new_v4();
                sqlx::query(
                    "INSERT INTO webhooks (id, service_pk, url, events, secret, headers, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                )
                .bind(id)
                .bind(service_pk)
                .bind(spec.url.as_str())
                .bind(format!(",{},", spec.events.join(",")))
                .bind(spec.secret.expose())
                .bind(serde_json::to_string(&spec.headers).map_err(corrupt)?)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(Webhook {
                    id,
                    service_id,
                    endpoint_id: None,
                    format: WebhookFormat::Standard,
                    spec: spec.clone(),
                    consecutive_failures: 0,
                    last_attempt_at: None,
                    created_at: now,
                    updated_at: now,
                })
            }

            async fn list_webhooks(&self, service_id: Option<Uuid>) -> Result<Vec<Webhook>> {
                let mut qb = QueryBuilder::<$db>::new(webhook_select!());
                if let Some(sid) = service_id {
                    let service_pk = self.service_pk(sid).await?;
                    qb.push(" WHERE w.service_pk = ").push_bind(service_pk);
                }
                qb.push(" ORDER BY w.pk");
                qb.build().fetch_all(&self.pool).await?.iter().map(webhook_from_row).collect()
            }

            async fn get_webhook(&self, id: Uuid) -> Result<Webhook> {
                let row = sqlx::query(concat!(webhook_select!(), " WHERE w.id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound { kind: "webhook", id })?;
                webhook_from_row(&row)
            }

            async fn update_webhook(&self, id: Uuid, patch: WebhookPatch, now: Millis) -> Result<Webhook> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let row = sqlx::query(concat!(webhook_select!(), " WHERE w.id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound { kind: "webhook", id })?;
                let current = webhook_from_row(&row)?;
                if let Some(endpoint) = current.endpoint_id {
                    return Err(StoreError::Conflict(format!(
                        "webhook {id} carries endpoint {endpoint}'s webhook_url; change the endpoint instead"
                    )));
                }
                let spec = WebhookSpec {
                    url: patch.url.unwrap_or(current.spec.url),
                    events: patch.events.unwrap_or(current.spec.events),
                    secret: patch.secret.unwrap_or(current.spec.secret),
                    headers: patch.headers.unwrap_or(current.spec.headers),
                };
                sqlx::query(
                    "UPDATE webhooks SET url = $2, events = $3, secret = $4, headers = $5, updated_at = $6 WHERE id = $1",
                )
                .bind(id)
                .bind(spec.url.as_str())
                .bind(format!(",{},", spec.events.join(",")))
                .bind(spec.secret.expose())
                .bind(serde_json::to_string(&spec.headers).map_err(corrupt)?)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Webhook { spec, updated_at: now, ..current })
            }

            async fn delete_webhook(&self, id: Uuid) -> Result<()> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let row = sqlx::query("SELECT pk, endpoint_pk FROM webhooks WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound { kind: "webhook", id })?;
                if row.try_get::<Option<i64>, _>("endpoint_pk")?.is_some() {
                    return Err(StoreError::Conflict(format!(
                        "webhook {id} carries an endpoint's webhook_url; clear the endpoint's webhook_url instead"
                    )));
                }
                let pk: i64 = row.try_get("pk")?;
                sqlx::query("DELETE FROM webhooks WHERE pk = $1").bind(pk).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_test_delivery(
                &self,
                webhook_id: Uuid,
                owner: &str,
                lease_ms: i64,
                now: Millis,
            ) -> Result<ClaimedDelivery> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let hook = webhook_from_row(
                    &sqlx::query(concat!(webhook_select!(), " WHERE w.id = $1"))
                        .bind(webhook_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(StoreError::NotFound { kind: "webhook", id: webhook_id })?,
                )?;
                let (event_id, id) = (Uuid::new_v4(), Uuid::new_v4());
                let payload = serde_json::json!({
                    "webhook_id": webhook_id, "service_id": hook.service_id, "endpoint_id": hook.endpoint_id,
                    "message": "This is a test event sent by `beacon webhooks test`.",
                });
                let event_pk: i64 = sqlx::query(
                    "INSERT INTO events (id, kind, payload, created_at, service_pk) \
                     VALUES ($1, 'test', $2, $3, (SELECT service_pk FROM webhooks WHERE id = $4)) RETURNING pk",
                )
                .bind(event_id)
                .bind(payload.to_string())
                .bind(now)
                .bind(webhook_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                let pk: i64 = sqlx::query(
                    "INSERT INTO deliveries (id, webhook_pk, event_pk, status, next_attempt_at, created_at, \
                     lease_owner, lease_expires_at) \
                     VALUES ($1, (SELECT pk FROM webhooks WHERE id = $2), $3, 'pending', $4, $4, $5, $6) RETURNING pk",
                )
                .bind(id)
                .bind(webhook_id)
                .bind(event_pk)
                .bind(now)
                .bind(owner)
                .bind(now.saturating_add(lease_ms))
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                tx.commit().await?;
                Ok(ClaimedDelivery {
                    pk,
                    id,
                    attempts: 0,
                    created_at: now,
                    event_id,
                    event_kind: "test".into(),
                    event_payload: payload,
                    event_at: now,
                    webhook_id,
                    format: hook.format,
                    url: hook.spec.url,
                    secret: hook.spec.secret,
                    headers: hook.spec.headers,
                })
            }

            async fn list_endpoint_events(&self, endpoint_id: Uuid, limit: u32) -> Result<Vec<EndpointEvent>> {
                let endpoint_pk = self.endpoint_pk(endpoint_id).await?;
                let rows = sqlx::query(
                    "SELECT ev.id, ev.kind, ev.payload, ev.created_at, \
                     (SELECT MIN(d.finished_at) FROM deliveries d JOIN webhooks w ON w.pk = d.webhook_pk \
                      WHERE d.event_pk = ev.pk AND d.status = 'delivered' AND w.endpoint_pk = ev.endpoint_pk) AS sent_at \
                     FROM events ev WHERE ev.endpoint_pk = $1 ORDER BY ev.pk DESC LIMIT $2",
                )
                .bind(endpoint_pk)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let payload: String = r.try_get("payload")?;
                        Ok(EndpointEvent {
                            id: r.try_get("id")?,
                            endpoint_id,
                            kind: r.try_get("kind")?,
                            payload: serde_json::from_str(&payload).map_err(corrupt)?,
                            created_at: r.try_get("created_at")?,
                            sent_at: r.try_get("sent_at")?,
                        })
                    })
                    .collect()
            }

            async fn list_endpoint_attempts(&self, endpoint_id: Uuid, limit: u32) -> Result<Vec<EndpointAttempt>> {
                let endpoint_pk = self.endpoint_pk(endpoint_id).await?;
                let rows = sqlx::query(
                    "SELECT a.id, ev.id AS event_id, a.number, a.started_at, a.request_url, a.request_headers, \
                     a.request_body, a.response_status, a.response_headers, a.response_body, a.error, a.latency_us, \
                     a.timed_out FROM events ev JOIN deliveries d ON d.event_pk = ev.pk \
                     JOIN delivery_attempts a ON a.delivery_pk = d.pk \
                     WHERE ev.endpoint_pk = $1 ORDER BY a.started_at DESC, a.pk DESC LIMIT $2",
                )
                .bind(endpoint_pk)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(EndpointAttempt {
                            id: r.try_get("id")?,
                            event_id: r.try_get("event_id")?,
                            endpoint_id,
                            number: to_u32(r.try_get("number")?, "number")?,
                            record: attempt_from_row(r)?,
                        })
                    })
                    .collect()
            }

            async fn list_deliveries(&self, webhook_id: Option<Uuid>, status: Option<DeliveryStatus>) -> Result<Vec<Delivery>> {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT d.id, w.id AS webhook_id, ev.id AS event_id, ev.kind, d.status, d.attempts, \
                     d.next_attempt_at, d.created_at FROM deliveries d JOIN webhooks w ON w.pk = d.webhook_pk \
                     JOIN events ev ON ev.pk = d.event_pk",
                );
                qb.push(" WHERE 1 = 1");
                if let Some(wid) = webhook_id {
                    qb.push(" AND w.id = ").push_bind(wid);
                }
                if let Some(st) = status {
                    qb.push(" AND d.status = ").push_bind(st.as_str());
                }
                qb.push(" ORDER BY d.pk");
                qb.build().fetch_all(&self.pool).await?.iter().map(delivery_from_row).collect()
            }

            async fn get_delivery(&self, id: Uuid) -> Result<DeliveryDetail> {
                let row = sqlx::query(
                    "SELECT d.pk, d.id, w.id AS webhook_id, ev.id AS event_id, ev.kind, d.status, d.attempts, \
                     d.next_attempt_at, d.created_at, d.last_error, d.finished_at FROM deliveries d \
                     JOIN webhooks w ON w.pk = d.webhook_pk JOIN events ev ON ev.pk = d.event_pk WHERE d.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound { kind: "delivery", id })?;
                let pk: i64 = row.try_get("pk")?;
                let attempts = sqlx::query(
                    "SELECT number, started_at, request_url, request_headers, request_body, response_status, \
                     response_headers, response_body, error, latency_us, timed_out FROM delivery_attempts \
                     WHERE delivery_pk = $1 ORDER BY number",
                )
                .bind(pk)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|a| {
                    Ok(StoredAttempt {
                        number: to_u32(a.try_get("number")?, "number")?,
                        record: attempt_from_row(a)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
                Ok(DeliveryDetail {
                    delivery: delivery_from_row(&row)?,
                    last_error: row.try_get("last_error")?,
                    finished_at: row.try_get("finished_at")?,
                    attempts,
                })
            }

            async fn retry_delivery(&self, id: Uuid, now: Millis) -> Result<Delivery> {
                let updated = sqlx::query(
                    "UPDATE deliveries SET status = 'pending', next_attempt_at = $2, finished_at = NULL \
                     WHERE id = $1 AND status <> 'pending' RETURNING pk",
                )
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                if updated.is_none() {
                    // Unknown, or still pending: tell which.
                    let detail = self.get_delivery(id).await?;
                    return Err(StoreError::Conflict(format!(
                        "delivery {id} is {}; only failed or delivered deliveries can be sent again",
                        detail.delivery.status.as_str()
                    )));
                }
                Ok(self.get_delivery(id).await?.delivery)
            }

            async fn claim_deliveries(
                &self,
                owner: &str,
                now: Millis,
                lease_ms: i64,
                limit: u32,
            ) -> Result<Vec<ClaimedDelivery>> {
                let pks: Vec<i64> = sqlx::query($sql::CLAIM_DELIVERIES)
                    .bind(owner)
                    .bind(now)
                    .bind(lease_ms)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| r.try_get(0))
                    .collect::<std::result::Result<_, _>>()?;
                if pks.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT d.pk, d.id, d.attempts, d.created_at, ev.id AS event_id, ev.kind, ev.payload, \
                     ev.created_at AS event_at, w.id AS webhook_id, w.format, w.url, w.secret, w.headers \
                     FROM deliveries d JOIN events ev ON ev.pk = d.event_pk JOIN webhooks w ON w.pk = d.webhook_pk \
                     WHERE d.pk IN (",
                );
                let mut list = qb.separated(", ");
                for pk in &pks {
                    list.push_bind(*pk);
                }
                qb.push(") ORDER BY d.pk");
                qb.build()
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| {
                        let payload: String = row.try_get("payload")?;
                        let url: String = row.try_get("url")?;
                        let secret: String = row.try_get("secret")?;
                        let headers: String = row.try_get("headers")?;
                        let format: String = row.try_get("format")?;
                        Ok(ClaimedDelivery {
                            pk: row.try_get("pk")?,
                            id: row.try_get("id")?,
                            attempts: to_u32(row.try_get("attempts")?, "attempts")?,
                            created_at: row.try_get("created_at")?,
                            event_id: row.try_get("event_id")?,
                            event_kind: row.try_get("kind")?,
                            event_payload: serde_json::from_str(&payload).map_err(corrupt)?,
                            event_at: row.try_get("event_at")?,
                            webhook_id: row.try_get("webhook_id")?,
                            format: WebhookFormat::parse(&format)
                                .ok_or_else(|| corrupt(format!("webhook format {format:?}")))?,
                            url: CheckUrl::parse(&url).map_err(corrupt)?,
                            secret: WebhookSecret::parse(&secret).map_err(corrupt)?,
                            headers: serde_json::from_str(&headers).map_err(corrupt)?,
                        })
                    })
                    .collect()
            }

            async fn finish_attempt(&self, owner: &str, done: &FinishedAttempt) -> Result<bool> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let status = done.next.status();
                let next_at = match done.next {
                    NextStep::Retry { at } => at,
                    _ => done.attempt.started_at,
                };
                let finished = (!matches!(done.next, NextStep::Retry { .. })).then_some(done.attempt.started_at);
                let updated = sqlx::query(
                    "UPDATE deliveries SET attempts = attempts + 1, status = $3, next_attempt_at = $4, \
                     finished_at = $5, last_error = $6, lease_owner = NULL, lease_expires_at = NULL \
                     WHERE pk = $1 AND lease_owner = $2 RETURNING attempts, webhook_pk",
                )
                .bind(done.delivery_pk)
                .bind(owner)
                .bind(status.as_str())
                .bind(next_at)
                .bind(finished)
                .bind(&done.attempt.error)
                .fetch_optional(&mut *tx)
                .await?;
                // The lease expired and another node took the delivery: its attempt is the one that counts.
                let Some(row) = updated else { return Ok(false) };
                let number: i32 = row.try_get(0)?;
                let webhook_pk: i64 = row.try_get(1)?;
                let a = &done.attempt;
                // Webhook health: a delivered attempt resets the run of failures; any other attempt extends it.
                sqlx::query(
                    "UPDATE webhooks SET last_attempt_at = $2, \
                     consecutive_failures = CASE WHEN $3 THEN 0 ELSE consecutive_failures + 1 END WHERE pk = $1",
                )
                .bind(webhook_pk)
                .bind(a.started_at)
                .bind(matches!(done.next, NextStep::Delivered))
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO delivery_attempts (delivery_pk, number, started_at, request_url, request_headers, \
                     request_body, response_status, response_headers, response_body, error, latency_us, timed_out, id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(done.delivery_pk)
                .bind(number)
                .bind(a.started_at)
                .bind(&a.request_url)
                .bind(&a.request_headers)
                .bind(&a.request_body)
                .bind(a.response_status.map(i32::from))
                .bind(&a.response_headers)
                .bind(&a.response_body)
                .bind(&a.error)
                .bind(a.latency_us)
                .bind(a.timed_out)
                .bind(Uuid::new_v4())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn release_deliveries(&self, owner: &str) -> Result<u64> {
                Ok(sqlx::query(
                    "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
                )
                .bind(owner)
                .execute(&self.pool)
                .await?
                .rows_affected())
            }

            async fn create_heartbeat(
                &self,
                service_id: Uuid,
                slug: &str,
                spec: &HeartbeatSpec,
                key_hash: &[u8; 32],
                now: Millis,
            ) -> Result<Heartbeat> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let service_pk: i64 = sqlx::query("SELECT pk FROM services WHERE id = $1")
                    .bind(service_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.get(0))
                    .ok_or(StoreError::NotFound { kind: "service", id: service_id })?;
                let taken = sqlx::query("SELECT 1 FROM heartbeats WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Conflict(format!("the slug {slug:?} is taken by another heartbeat")));
                }
                let (period, cron, tz) = schedule_columns(&spec.schedule);
                let id = Uuid::new_v4();
                sqlx::query(
                    "INSERT INTO heartbeats (id, service_pk, slug, name, period_seconds, cron, tz, grace_seconds, \
                     key_hash, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                )
                .bind(id)
                .bind(service_pk)
                .bind(slug)
                .bind(&spec.name)
                .bind(period)
                .bind(cron)
                .bind(tz)
                .bind(clamp_i32(spec.grace_seconds))
                .bind(key_hash.as_slice())
                .bind(HbStatus::New.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let hb = Self::heartbeat_locked(&mut tx, id).await?.hb;
                tx.commit().await?;
                Ok(hb)
            }

            async fn list_heartbeats(&self, service_id: Option<Uuid>, page: Page) -> Result<Paged<Heartbeat>> {
                let mut qb = Self::heartbeats_query();
                qb.push(" WHERE h.pk > ").push_bind(page.after.unwrap_or(0));
                if let Some(sid) = service_id {
                    let service_pk = self.service_pk(sid).await?;
                    qb.push(" AND h.service_pk = ").push_bind(service_pk);
                }
                qb.push(" ORDER BY h.pk");
                push_limit(&mut qb, page);
                let mut tx = self.pool.begin().await?;
                let rows = Self::read_heartbeats_fresh(&mut tx, qb).await?;
                tx.commit().await?;
                let last = rows.last().map(|r| r.pk);
                Ok(paged(rows.into_iter().map(|r| r.hb).collect(), last, page))
            }

            async fn get_heartbeat(&self, target: &HeartbeatRef) -> Result<Heartbeat> {
                let mut qb = Self::heartbeats_query();
                let id = match target {
                    HeartbeatRef::Id(id) => {
                        qb.push(" WHERE h.id = ").push_bind(*id);
                        *id
                    }
                    HeartbeatRef::Slug(slug) => {
                        qb.push(" WHERE h.slug = ").push_bind(slug.clone());
                        Uuid::nil()
                    }
                };
                let mut tx = self.pool.begin().await?;
                let row = Self::read_heartbeats_fresh(&mut tx, qb).await?.pop();
                tx.commit().await?;
                row.map(|r| r.hb).ok_or(StoreError::NotFound { kind: "heartbeat", id })
            }

            async fn update_heartbeat(&self, id: Uuid, input: HeartbeatInput, now: Millis) -> Result<Heartbeat> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let mut row = Self::heartbeat_locked(&mut tx, id).await?;
                let pk = row.pk;
                let spec = row.hb.spec.apply(input)?;
                let (period, cron, tz) = schedule_columns(&spec.schedule);
                sqlx::query(
                    "UPDATE heartbeats SET name = $2, period_seconds = $3, cron = $4, tz = $5, grace_seconds = $6, \
                     updated_at = $7 WHERE pk = $1",
                )
                .bind(pk)
                .bind(&spec.name)
                .bind(period)
                .bind(cron)
                .bind(tz)
                .bind(clamp_i32(spec.grace_seconds))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                row.hb.spec = spec;
                row.hb.updated_at = now;
                Self::reevaluate(&mut tx, &mut row, now).await?;
                tx.commit().await?;
                Ok(row.hb)
            }

            async fn set_heartbeat_paused(&self, id: Uuid, paused: bool, now: Millis) -> Result<Heartbeat> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let mut row = Self::heartbeat_locked(&mut tx, id).await?;
                if row.hb.state.paused != paused {
                    row.hb.state.paused = paused;
                    if !paused {
                        // Resumed: a fresh start, like a new heartbeat, until the next ping.
                        row.hb.state.last_result = None;
                        row.hb.state.started_at = None;
                    }
                    Self::reevaluate(&mut tx, &mut row, now).await?;
                }
                tx.commit().await?;
                Ok(row.hb)
            }

            async fn set_heartbeat_key(&self, id: Uuid, key_hash: &[u8; 32], now: Millis) -> Result<Heartbeat> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                // Read with its pending pings and written back whole: the intake sees the new version and
                // re-reads the row (with the new key) instead of its cached copy.
                let mut row = Self::heartbeat_locked(&mut tx, id).await?;
                sqlx::query("UPDATE heartbeats SET key_hash = $2, updated_at = $3 WHERE pk = $1")
                    .bind(row.pk)
                    .bind(key_hash.as_slice())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                row.hb.updated_at = now;
                Self::save_heartbeat_states(&mut tx, &mut [&mut row]).await?;
                tx.commit().await?;
                Ok(row.hb)
            }

            async fn delete_heartbeat(&self, id: Uuid) -> Result<()> {
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let pk = sqlx::query("SELECT pk FROM heartbeats WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get::<i64, _>(0))
                    .transpose()?
                    .ok_or(StoreError::NotFound { kind: "heartbeat", id })?;
                // Its pings after the watermark go now: readers fold those in by heartbeat pk, and SQLite may give
                // that pk to the next heartbeat. Older ones (no foreign key on SQLite) go with the pruning sweep.
                sqlx::query(
                    "DELETE FROM heartbeat_pings WHERE pk > (SELECT applied_through FROM heartbeat_intake) \
                     AND heartbeat_pk = $1",
                )
                .bind(pk)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM heartbeats WHERE pk = $1").bind(pk).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn record_heartbeat_pings(&self, pings: &[IncomingPing]) -> Result<Vec<PingOutcome>> {
                if pings.is_empty() {
                    return Ok(Vec::new());
                }
                let mut cache = self.hb_cache.lock().await;
                let mut tx = self.hot_pool().begin_with($sql::BEGIN_WRITE).await?;
                let mut flush = Vec::new();
                match Self::intake_batch(&mut tx, &mut cache, pings, &mut flush).await {
                    Ok((outcomes, work, last_pk)) => match tx.commit().await {
                        Ok(()) => {
                            cache.commit(work, last_pk);
                            Ok(outcomes)
                        }
                        Err(e) => {
                            cache.poisoned = true;
                            Err(e.into())
                        }
                    },
                    Err(e) => {
                        // Nothing of the batch is stored; the cache is rebuilt from the database next time.
                        cache.requeue(flush);
                        cache.poisoned = true;
                        Err(e)
                    }
                }
            }

            async fn rollup_windows(
                &self,
                endpoint_id: Uuid,
                resolution: Resolution,
                from: Millis,
                to: Millis,
                region: Option<&str>,
            ) -> Result<Vec<(Millis, Window)>> {
                let pk = self.endpoint_pk(endpoint_id).await?;
                let region_pk: Option<i64> = match region {
                    None => None,
                    Some(name) => Some(
                        sqlx::query("SELECT CAST(pk AS BIGINT) FROM regions WHERE name = $1")
                            .bind(name)
                            .fetch_optional(&self.pool)
                            .await?
                            .map(|r| r.try_get::<i64, _>(0))
                            .transpose()?
                            .ok_or(StoreError::NotFound { kind: "region", id: Uuid::nil() })?,
                    ),
                };
                let mut qb = QueryBuilder::<$db>::new($sql::JSON_PAGE_OPEN);
                qb.push("endpoint_pk, resolution, start, count, successes, min_us, max_us, sum_us, ");
                qb.push($sql::HEX_SKETCH);
                qb.push(") AS j FROM rollups WHERE endpoint_pk = ").push_bind(pk);
                qb.push(" AND resolution = ").push_bind(resolution.seconds());
                qb.push(" AND start >= ").push_bind(from).push(" AND start < ").push_bind(to);
                if let Some(r) = region_pk {
                    qb.push(" AND region_pk = ").push_bind(r);
                }
                qb.push(" ORDER BY start) AS page");
                let page: String = qb.build().fetch_one(&self.pool).await?.try_get(0)?;
                let mut windows: Vec<(Millis, Window)> =
                    rollup_page(&page)?.into_iter().map(|((_, _, start), w)| (start, w)).collect();
                windows.sort_by_key(|(start, _)| *start);
                Ok(windows)
            }

            async fn list_heartbeat_pings(&self, id: Uuid, limit: u32) -> Result<Vec<HeartbeatPing>> {
                let pk = self.heartbeat_pk(id).await?;
                // The chain back from the newest ping: a pending one (after the watermark) or the row's.
                let rows = sqlx::query(
                    "WITH RECURSIVE chain (pk, n) AS (\
                       SELECT COALESCE((SELECT MAX(p.pk) FROM heartbeat_pings p WHERE p.heartbeat_pk = $1 \
                         AND p.pk > (SELECT applied_through FROM heartbeat_intake)), \
                         (SELECT h.last_ping_pk FROM heartbeats h WHERE h.pk = $1)), 1 \
                       UNION ALL SELECT p.prev_pk, c.n + 1 FROM chain c JOIN heartbeat_pings p ON p.pk = c.pk \
                       WHERE c.n < $2 AND p.prev_pk IS NOT NULL) \
                     SELECT p.received_at, p.kind, p.exit_status, p.rid, p.duration_ms, p.client_status, p.body, \
                       p.metadata FROM chain c JOIN heartbeat_pings p ON p.pk = c.pk ORDER BY p.pk DESC",
                )
                .bind(pk)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let exit: Option<i32> = r.try_get("exit_status")?;
                        Ok(HeartbeatPing {
                            received_at: r.try_get("received_at")?,
                            kind: r.try_get("kind")?,
                            exit_status: exit.and_then(|e| u8::try_from(e).ok()),
                            rid: r.try_get("rid")?,
                            duration_ms: r.try_get("duration_ms")?,
                            client_status: r.try_get("client_status")?,
                            body: r.try_get("body")?,
                            metadata: r.try_get("metadata")?,
                        })
                    })
                    .collect()
            }

            async fn list_heartbeat_log(&self, target: &HeartbeatRef, limit: u32) -> Result<Vec<HeartbeatLogEntry>> {
                let pk = match target {
                    HeartbeatRef::Id(id) => self.heartbeat_pk(*id).await?,
                    HeartbeatRef::Slug(slug) => sqlx::query("SELECT pk FROM heartbeats WHERE slug = $1")
                        .bind(slug)
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| r.get::<i64, _>(0))
                        .ok_or_else(|| StoreError::NotFound { kind: "heartbeat", id: Uuid::nil() })?,
                };
                let rows = sqlx::query(
                    "SELECT at, status_from, status_to, last_ping_at FROM heartbeat_log WHERE heartbeat_pk = $1 \
                     ORDER BY pk DESC LIMIT $2",
                )
                .bind(pk)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(HeartbeatLogEntry {
                            at: r.try_get("at")?,
                            from: r.try_get("status_from")?,
                            to: r.try_get("status_to")?,
                            last_ping_at: r.try_get("last_ping_at")?,
                        })
                    })
                    .collect()
            }

            async fn evaluate_heartbeats(&self, now: Millis, limit: u32) -> Result<u32> {
                // The intake's connection: it queues behind a batch instead of sleeping in SQLite's busy handler.
                let mut tx = self.hot_pool().begin_with($sql::BEGIN_WRITE).await?;
                let mut qb = Self::heartbeats_query();
                qb.push(" WHERE h.next_check_at <= ").push_bind(now);
                qb.push(" ORDER BY h.next_check_at LIMIT ").push_bind(i64::from(limit));
                qb.push($sql::HEARTBEAT_LOCK_SKIP);
                let due = Self::read_heartbeats_fresh(&mut tx, qb).await?;
                let evaluated = u32::try_from(due.len()).unwrap_or(u32::MAX);
                for mut row in due {
                    Self::reevaluate(&mut tx, &mut row, now).await?;
                }
                tx.commit().await?;
                Ok(evaluated)
            }

            async fn checkpoint(&self) -> Result<()> {
                if !$sql::CHECKPOINT.is_empty() {
                    sqlx::query($sql::CHECKPOINT).execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn prune_heartbeat_pings(&self, keep: u32, after: i64, rows: u32) -> Result<CleanupStep> {
                // Each step is one short statement on the intake's own connection (a second SQLite connection
                // would make the intake sleep in the busy handler), so batches slip in between steps. A ping
                // goes when its heartbeat has had `keep` newer ones, or is gone (SQLite keeps no foreign key on
                // the log; a pk reused by a newer heartbeat is told apart by the time). Counts come from the
                // rows, or — taken at the start of a sweep into a temporary table on that one connection — from
                // the intake's cache where it holds pings not written to rows yet. Stale counts only keep more.
                // (PostgreSQL writes rows with every batch: nothing is pending, and its pool has many connections.)
                // The cache before the connection, never the other way round: the intake takes them in this
                // order too (holding the connection while waiting for the cache deadlocked the two).
                let counts: Vec<(i64, i64)> = if $sql::DEFER_HEARTBEAT_ROWS && after == 0 {
                    let cache = self.hb_cache.lock().await;
                    cache
                        .rows
                        .iter()
                        .filter(|(_, e)| e.unflushed_from.is_some())
                        .map(|(pk, e)| (*pk, e.row.ping_count))
                        .collect()
                } else {
                    Vec::new()
                };
                let mut conn = self.hot_pool().acquire().await?;
                if $sql::DEFER_HEARTBEAT_ROWS {
                    sqlx::query(
                        "CREATE TEMP TABLE IF NOT EXISTS pending_counts (pk BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
                    )
                    .execute(&mut *conn)
                    .await?;
                    if after == 0 {
                        sqlx::query("DELETE FROM pending_counts").execute(&mut *conn).await?;
                        for chunk in counts.chunks(CHUNK) {
                            let mut qb = QueryBuilder::<$db>::new("INSERT INTO pending_counts (pk, n) ");
                            qb.push_values(chunk, |mut b, (pk, n)| {
                                b.push_bind(*pk).push_bind(*n);
                            });
                            qb.build().execute(&mut *conn).await?;
                        }
                    }
                }
                let last: Option<i64> = sqlx::query(
                    "SELECT MAX(pk) FROM (SELECT pk FROM heartbeat_pings WHERE pk > $1 ORDER BY pk LIMIT $2) AS step",
                )
                .bind(after)
                .bind(i64::from(rows.max(1)))
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
                let Some(last) = last else {
                    return Ok(CleanupStep { deleted: 0, last: None });
                };
                let count = if $sql::DEFER_HEARTBEAT_ROWS {
                    "COALESCE((SELECT c.n FROM pending_counts c WHERE c.pk = h.pk), h.ping_count)"
                } else {
                    "h.ping_count"
                };
                let mut qb = QueryBuilder::<$db>::new("DELETE FROM heartbeat_pings WHERE pk > ");
                qb.push_bind(after).push(" AND pk <= ").push_bind(last);
                qb.push(
                    " AND NOT EXISTS (SELECT 1 FROM heartbeats h WHERE h.pk = heartbeat_pings.heartbeat_pk \
                     AND h.created_at <= heartbeat_pings.received_at AND heartbeat_pings.seq > ",
                );
                qb.push(count).push(" - ").push_bind(i64::from(keep.max(1))).push(")");
                let deleted = qb.build().execute(&mut *conn).await?.rows_affected();
                Ok(CleanupStep { deleted, last: Some(last) })
            }

            async fn claim_slots(&self, claim: &Claim<'_>) -> Result<Vec<ClaimedSlot>> {
                let leased = sqlx::query($sql::CLAIM)
                    .bind(claim.owner)
                    .bind(claim.now)
                    .bind(claim.region_pk)
                    .bind(claim.horizon)
                    .bind(claim.lease_margin_ms)
                    .bind(i64::from(claim.limit))
                    .fetch_all(&self.pool)
                    .await?;
                if leased.is_empty() {
                    return Ok(Vec::new());
                }
                let mut specs: HashMap<i64, Endpoint> = HashMap::with_capacity(leased.len());
                for chunk in leased.chunks(CHUNK) {
                    let mut qb = Self::endpoints_query();
                    qb.push(" WHERE e.pk IN (");
                    let mut list = qb.separated(", ");
                    for row in chunk {
                        list.push_bind(row.try_get::<i64, _>("endpoint_pk")?);
                    }
                    qb.push(")");
                    specs.extend(Self::read_endpoints(&self.pool, qb).await?);
                }
                let mut out = Vec::with_capacity(leased.len());
                for row in &leased {
                    let endpoint_pk: i64 = row.try_get("endpoint_pk")?;
                    // Deleted between the claim and the read: its schedule row is gone with it.
                    let Some(endpoint) = specs.get(&endpoint_pk) else { continue };
                    out.push(ClaimedSlot {
                        schedule_pk: row.try_get("pk")?,
                        endpoint_pk,
                        endpoint_id: endpoint.id,
                        slot: row.try_get("next_slot_at")?,
                        spec: endpoint.spec.clone(),
                    });
                }
                out.sort_by_key(|c| c.slot);
                Ok(out)
            }

            async fn complete_slots(&self, owner: &str, region_pk: i32, batch: &[Completion]) -> Result<CompleteReport> {
                let mut report = CompleteReport::default();
                if batch.is_empty() {
                    return Ok(report);
                }
                let mut tx = self.pool.begin_with($sql::BEGIN_WRITE).await?;
                let with_ping: Vec<(&Completion, &PingRecord)> =
                    batch.iter().filter_map(|c| c.ping.as_ref().map(|p| (c, p))).collect();
                let mut stored: HashSet<(i64, i64)> = HashSet::with_capacity(with_ping.len());
                for chunk in with_ping.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO pings (endpoint_pk, slot, region_pk, start_delay, success, status_code, \
                         error_kind, error, dns_us, connect_us, tls_us, first_byte_us, total_us) ",
                    );
                    qb.push_values(chunk, |mut b, (c, p)| {
                        let o = &p.observation;
                        let t = &o.timings;
                        let delay = i32::try_from(p.started_at - c.slot).unwrap_or(i32::MAX);
                        b.push_bind(c.endpoint_pk)
                            .push_bind(c.slot)
                            .push_bind(region_pk)
                            .push_bind(delay)
                            .push_bind(o.success())
                            .push_bind(o.status_code.map(i32::from))
                            .push_bind(o.failure.as_ref().map(|(k, _)| i32::from(k.code())))
                            .push_bind(o.failure.as_ref().map(|(_, m)| m.clone()))
                            .push_bind(t.dns_us.map(clamp_i32))
                            .push_bind(t.connect_us.map(clamp_i32))
                            .push_bind(t.tls_us.map(clamp_i32))
                            .push_bind(t.first_byte_us.map(clamp_i32))
                            .push_bind(clamp_i32(t.total_us));
                    });
                    qb.push(" ON CONFLICT DO NOTHING RETURNING endpoint_pk, slot");
                    for row in qb.build().fetch_all(&mut *tx).await? {
                        stored.insert((row.try_get(0)?, row.try_get(1)?));
                    }
                }
                report.inserted = stored.len();
                report.duplicates = with_ping.len() - stored.len();
                let mut fresh: Vec<(i64, &PingRecord)> = with_ping
                    .iter()
                    .filter(|(c, _)| stored.contains(&(c.endpoint_pk, c.slot)))
                    .map(|(c, p)| (c.endpoint_pk, *p))
                    .collect();
                fresh.sort_by_key(|(pk, p)| (*pk, p.scheduled_at));
                if !fresh.is_empty() {
                    Self::apply_results(&mut tx, &fresh, &mut report).await?;
                    Self::apply_rollups(&mut tx, region_pk, &fresh).await?;
                }
                for chunk in batch.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "UPDATE schedules SET next_slot_at = v.column3, lease_owner = NULL, lease_expires_at = NULL \
                         FROM (",
                    );
                    qb.push_values(chunk, |mut b, c| {
                        b.push("CAST(").push_bind_unseparated(c.schedule_pk).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(c.slot).push_unseparated(" AS BIGINT)");
                        b.push("CAST(").push_bind_unseparated(c.next_slot).push_unseparated(" AS BIGINT)");
                    });
                    qb.push(") AS v WHERE schedules.pk = v.column1 AND schedules.next_slot_at = v.column2 \
                             AND schedules.lease_owner = ");
                    qb.push_bind(owner.to_owned());
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(report)
            }

            async fn release_leases(&self, owner: &str) -> Result<u64> {
                Ok(sqlx::query(
                    "UPDATE schedules SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
                )
                .bind(owner)
                .execute(&self.pool)
                .await?
                .rows_affected())
            }

            async fn queue_depth(&self, region_pk: i32, now: Millis) -> Result<i64> {
                Ok(sqlx::query(
                    "SELECT COUNT(*) FROM schedules s JOIN endpoints e ON e.pk = s.endpoint_pk \
                     WHERE s.region_pk = $1 AND s.next_slot_at <= $2 AND e.enabled \
                     AND (s.lease_expires_at IS NULL OR s.lease_expires_at <= $2)",
                )
                .bind(region_pk)
                .bind(now)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?)
            }

            async fn delete_expired(
                &self,
                what: Expiring,
                before: Millis,
                after: i64,
                endpoints: u32,
            ) -> Result<CleanupStep> {
                let page: String = sqlx::query($sql::ENDPOINT_PKS_AFTER)
                    .bind(after)
                    .bind(i64::from(endpoints.max(1)))
                    .fetch_one(&self.pool)
                    .await?
                    .try_get(0)?;
                let pks: Vec<i64> = serde_json::from_str(&page).map_err(corrupt)?;
                let Some(last) = pks.last().copied() else {
                    return Ok(CleanupStep { deleted: 0, last: None });
                };
                // One seek per endpoint: an IN list, not a range of endpoints (that would read their kept rows).
                let mut qb = QueryBuilder::<$db>::new(match what {
                    Expiring::RawPings => "DELETE FROM pings WHERE slot < ",
                    Expiring::Rollups(_) => "DELETE FROM rollups WHERE start < ",
                });
                qb.push_bind(before);
                if let Expiring::Rollups(r) = what {
                    qb.push(" AND resolution = ").push_bind(r.seconds());
                }
                qb.push(" AND endpoint_pk IN (");
                let mut list = qb.separated(", ");
                for pk in &pks {
                    list.push_bind(*pk);
                }
                qb.push(")");
                let deleted = qb.build().execute(&self.pool).await?.rows_affected();
                Ok(CleanupStep { deleted, last: Some(last) })
            }

            async fn reclaim_space(&self, pages: u32) -> Result<u64> {
                if $sql::CHECKPOINT.is_empty() {
                    return Ok(0);
                }
                let mut conn = self.pool.acquire().await?;
                let mode: i64 = sqlx::query("PRAGMA auto_vacuum").fetch_one(&mut *conn).await?.try_get(0)?;
                let before: i64 = sqlx::query("PRAGMA freelist_count").fetch_one(&mut *conn).await?.try_get(0)?;
                if mode == 2 {
                    // Incremental: move up to `pages` free pages to the end of the file and truncate them.
                    QueryBuilder::<$db>::new(format!("PRAGMA incremental_vacuum({pages})"))
                        .build()
                        .execute(&mut *conn)
                        .await?;
                }
                let after: i64 = sqlx::query("PRAGMA freelist_count").fetch_one(&mut *conn).await?.try_get(0)?;
                sqlx::query($sql::CHECKPOINT).execute(&mut *conn).await?;
                Ok(u64::try_from(before - after).unwrap_or(0))
            }

            async fn storage_usage(&self) -> Result<StorageUsage> {
                let row = sqlx::query($sql::STORAGE_USAGE).fetch_one(&self.pool).await?;
                let bytes = |i: usize| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0)) };
                let path = self.database_path();
                let wal_bytes = path
                    .as_ref()
                    .and_then(|p| std::fs::metadata(format!("{}-wal", p.display())).ok())
                    .map_or(0, |m| m.len());
                Ok(StorageUsage { db_bytes: bytes(0)?, wal_bytes, free_bytes: bytes(1)?, path })
            }

            async fn table_rows(&self) -> Result<Vec<(&'static str, i64)>> {
                const TABLES: [&str; 7] =
                    ["pings", "rollups", "heartbeat_pings", "events", "deliveries", "incidents", "heartbeat_log"];
                let rows = sqlx::query($sql::TABLE_ROWS).fetch_all(&self.pool).await?;
                let mut out = Vec::new();
                for r in rows {
                    let name: String = r.try_get(0)?;
                    if let Some(t) = TABLES.iter().find(|t| **t == name) {
                        out.push((*t, r.try_get::<i64, _>(1)?));
                    }
                }
                out.sort_by_key(|(t, _)| TABLES.iter().position(|x| x == t));
                Ok(out)
            }

            async fn count_open_incidents(&self) -> Result<i64> {
                Ok(sqlx::query("SELECT COUNT(*) FROM incidents WHERE status = 'open'")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get(0)?)
            }

            async fn count_pending_deliveries(&self) -> Result<i64> {
                Ok(sqlx::query("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get(0)?)
            }
        }
    };
}

impl_store!(SqliteStore, Sqlite, sqlite_sql, "sqlite");
impl_store!(PostgresStore, Postgres, postgres_sql, "postgres");
