//! Rows to models, dialect-free: JSON pages (one value per page, see `JSON_PAGE_OPEN` in the dialects) and
//! `sqlx::Row`s decode into the crate's models here, and nowhere else.

use crate::Result;
use crate::checks;
use crate::error::corrupt;
use crate::hbrows::HbRow;
use crate::model::*;
use beacon_core::Millis;
use beacon_core::endpoint::{CheckUrl, EndpointSpec};
use beacon_core::event::EventKind;
use beacon_core::heartbeat::{CronSchedule, HbState, HbStatus, HeartbeatSpec, Schedule};
use beacon_core::incident::Status;
use beacon_core::ping::{Details, ErrorKind, Observation, Timings};
use beacon_core::rollup::Window;
use beacon_core::sketch::Sketch;
use beacon_core::webhook::WebhookSecret;
use serde::Deserialize;
use sqlx::Row;
use uuid::Uuid;

pub(crate) fn to_u32(v: i32, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| corrupt(format!("negative {what}: {v}")))
}

pub(crate) fn clamp_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Booleans arrive as `true`/`false` from PostgreSQL and as `1`/`0` from SQLite.
pub(crate) fn flexible_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<bool, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::Number(n) => Ok(n.as_i64() != Some(0)),
        other => Err(serde::de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

/// An endpoint as it comes in a JSON page: the columns of `endpoint_json!`, in this order (serde reads a JSON
/// array into a struct field by field).
#[derive(serde::Deserialize)]
pub(crate) struct EndpointJson {
    pk: i64,
    id: String,
    service_id: String,
    name: String,
    kind: String,
    config: String,
    interval_seconds: i32,
    timeout_ms: i32,
    alert_threshold: i32,
    recovery_threshold: i32,
    #[serde(deserialize_with = "flexible_bool")]
    enabled: bool,
    status: String,
    last_checked_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    webhook_url: Option<String>,
    last_error_kind: Option<i32>,
    consecutive_failures: i32,
    next_slot_at: Option<i64>,
    alert_regions: i32,
    regions: Option<String>,
}

/// Decode a JSON page of endpoints, in key order.
pub(crate) fn endpoint_page(page: &str) -> Result<Vec<(i64, Endpoint)>> {
    let rows: Vec<EndpointJson> = serde_json::from_str(page).map_err(corrupt)?;
    let uuid = |s: &str| Uuid::try_parse(s).map_err(|e| corrupt(format!("id {s:?}: {e}")));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (check, common) = checks::from_columns(&r.kind, &r.config)?;
        let spec = EndpointSpec {
            name: r.name,
            check,
            conditions: common.conditions,
            degraded_above_ms: common.degraded_above_ms,
            interval_seconds: to_u32(r.interval_seconds, "interval")?,
            timeout_ms: to_u32(r.timeout_ms, "timeout")?,
            alert_threshold: to_u32(r.alert_threshold, "alert_threshold")?,
            recovery_threshold: to_u32(r.recovery_threshold, "recovery_threshold")?,
            enabled: r.enabled,
            webhook_url: r
                .webhook_url
                .as_deref()
                .map(CheckUrl::parse)
                .transpose()
                .map_err(corrupt)?,
            regions: r
                .regions
                .as_deref()
                .unwrap_or(beacon_core::region::DEFAULT_REGION)
                .split(',')
                .map(str::to_owned)
                .collect(),
            alert_regions: to_u32(r.alert_regions, "alert_regions")?,
        };
        let status = r.status;
        let endpoint = Endpoint {
            id: uuid(&r.id)?,
            service_id: uuid(&r.service_id)?,
            spec,
            status: Status::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
            last_checked_at: r.last_checked_at,
            last_error_kind: r
                .last_error_kind
                .and_then(|k| i16::try_from(k).ok())
                .and_then(ErrorKind::from_code),
            consecutive_failures: to_u32(r.consecutive_failures, "failures")?,
            next_check_at: r.next_slot_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        };
        out.push((r.pk, endpoint));
    }
    out.sort_by_key(|(pk, _)| *pk);
    Ok(out)
}

/// A ping as it comes in a JSON page: the columns of `list_pings`, in this order (serde reads an array into
/// the fields one by one).
#[derive(serde::Deserialize)]
pub(crate) struct PingJson {
    slot: i64,
    delay: i32,
    code: Option<i32>,
    kind: Option<i32>,
    error: Option<String>,
    dns: Option<i32>,
    connect: Option<i32>,
    tls: Option<i32>,
    first: Option<i32>,
    total: i32,
    region: String,
    details: Option<String>,
}

pub(crate) fn ping_page(endpoint_id: Uuid, page: &str) -> Result<Vec<Ping>> {
    let rows: Vec<PingJson> = serde_json::from_str(page).map_err(corrupt)?;
    let us = |v: Option<i32>| v.map(|v| v.max(0) as u32);
    let mut pings = rows
        .into_iter()
        .map(
            |PingJson {
                 slot,
                 delay,
                 code,
                 kind,
                 error,
                 dns,
                 connect,
                 tls,
                 first,
                 total,
                 region,
                 details,
             }| {
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
                        details: Details::decode(details.as_deref()),
                    },
                })
            },
        )
        .collect::<Result<Vec<_>>>()?;
    // Aggregates do not promise the inner order; newest first is the contract.
    pings.sort_by_key(|p| std::cmp::Reverse(p.scheduled_at));
    Ok(pings)
}

pub(crate) fn delivery_from_row<R: Row>(row: &R) -> Result<Delivery>
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
        event_kind: EventKind::parse(&row.try_get::<String, _>("kind")?).map_err(corrupt)?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("delivery status {status:?}")))?,
        attempts: to_u32(row.try_get("attempts")?, "attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn webhook_from_row<R: Row>(row: &R) -> Result<Webhook>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    Uuid: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<Uuid>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i32: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
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
        options: webhook_options(row.try_get("options")?)?,
        consecutive_failures: to_u32(row.try_get("consecutive_failures")?, "consecutive_failures")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A webhook's `options` column (NULL for webhooks made before it existed, or without options).
pub(crate) fn webhook_options(json: Option<String>) -> Result<WebhookOptions> {
    json.map_or(Ok(WebhookOptions::default()), |j| {
        serde_json::from_str(&j).map_err(corrupt)
    })
}

pub(crate) fn attempt_from_row<R: Row>(a: &R) -> Result<AttemptRecord>
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

/// A heartbeat as it comes in a JSON page: the columns of `heartbeat_json!`, in this order.
#[derive(serde::Deserialize)]
pub(crate) struct HeartbeatJson {
    pk: i64,
    id: String,
    service_id: String,
    slug: String,
    name: String,
    period: Option<i32>,
    cron: Option<String>,
    tz: Option<String>,
    grace: i32,
    key: String,
    #[serde(deserialize_with = "flexible_bool")]
    paused: bool,
    status: String,
    last_at: Option<i64>,
    last_ok: Option<i32>,
    started_at: Option<i64>,
    last_ping_at: Option<i64>,
    next_check_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    last_ping_pk: Option<i64>,
    ping_count: i64,
    version: i64,
    ping_secret: Option<String>,
    /// Hex; empty or null without one (SQLite's hex(NULL) is '').
    prev_key: Option<String>,
    prev_valid_until: Option<i64>,
}

pub(crate) fn unhex(s: &str) -> Result<Vec<u8>> {
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
pub(crate) type RollupKey = (i64, i32, Millis);

/// Rollup windows read as one JSON page.
pub(crate) fn rollup_page(page: &str) -> Result<Vec<(RollupKey, Window)>> {
    /// The columns of `apply_rollups`' page, in this order.
    #[derive(serde::Deserialize)]
    struct RollupJson {
        endpoint_pk: i64,
        res: i32,
        start: i64,
        count: i64,
        successes: i64,
        min_us: Option<i64>,
        max_us: Option<i64>,
        sum_us: i64,
        sketch: String,
        degraded: i64,
    }
    let rows: Vec<RollupJson> = serde_json::from_str(page).map_err(corrupt)?;
    rows.into_iter()
        .map(
            |RollupJson {
                 endpoint_pk,
                 res,
                 start,
                 count,
                 successes,
                 min_us,
                 max_us,
                 sum_us,
                 sketch,
                 degraded,
             }| {
                let window = Window {
                    count: u64::try_from(count).map_err(corrupt)?,
                    successes: u64::try_from(successes).map_err(corrupt)?,
                    degraded: u64::try_from(degraded).map_err(corrupt)?,
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
pub(crate) fn heartbeat_page(page: &str) -> Result<Vec<HbRow>> {
    let rows: Vec<HeartbeatJson> = serde_json::from_str(page).map_err(corrupt)?;
    let uuid = |s: &str| Uuid::try_parse(s).map_err(|e| corrupt(format!("id {s:?}: {e}")));
    rows.into_iter()
        .map(|r| {
            let HeartbeatJson {
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
                ping_secret,
                prev_key,
                prev_valid_until,
            } = r;
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
                ping_secret: uuid(ping_secret.as_deref().unwrap_or_default())?,
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
                prev_key: match (prev_key.as_deref(), prev_valid_until) {
                    (Some(k), Some(until)) if !k.is_empty() => Some((unhex(k)?, until)),
                    _ => None,
                },
                last_ping_pk,
                ping_count,
                version,
            })
        })
        .collect()
}

pub(crate) fn token_from_row<R: Row>(row: &R) -> Result<ApiToken>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    Uuid: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database>,
    Option<Uuid>: for<'r> sqlx::Decode<'r, R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database>,
{
    let scope: String = row.try_get("scope")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scope: scope.parse().map_err(corrupt)?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
        owner: row.try_get("owner")?,
        region: row.try_get("region")?,
    })
}
