//! Seed 002 (Pulse) compatibility: `POST /checks`, `GET /checks`, `GET /checks/{id}`, `GET /checks/{id}/runs`,
//! with Pulse's field names and its flat `{"error": "..."}` errors, so its users' scripts keep working. A check is
//! an endpoint; checks created here live in a service named "checks".

use crate::AppState;
use crate::api::ServiceOps;
use crate::error::ApiError;
use crate::routes::may_write;
use crate::wire::{EndpointPatch, ServiceCreate, mask_values, rfc3339};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use beacon_core::check::CheckSpec;
use beacon_core::ping::run_status;
use beacon_core::token::Scope;
use beacon_runtime::delivery::pulse;
use beacon_store::{Endpoint, Page, PingQuery};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

const CHECKS_SERVICE: &str = "checks";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/checks", get(list).post(create))
        .route("/checks/{id}", get(get_one))
        .route("/checks/{id}/runs", get(runs))
        .route("/checks/{id}/alerts", get(alerts))
        .route("/checks/{id}/webhooks", get(webhook_attempts))
}

/// Pulse's error shape.
struct CompatError(StatusCode, String);

impl IntoResponse for CompatError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<ApiError> for CompatError {
    fn from(e: ApiError) -> Self {
        // Pulse answered validation problems with 400.
        let status = match e.status {
            422 => StatusCode::BAD_REQUEST,
            s => StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        };
        Self(status, e.message)
    }
}

impl From<beacon_store::StoreError> for CompatError {
    fn from(e: beacon_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

#[derive(Debug, Deserialize)]
struct CheckCreate {
    name: Option<String>,
    url: Option<String>,
    method: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    expected_status: Option<u16>,
    body_contains: Option<String>,
    timeout_ms: Option<i64>,
    webhook_url: Option<String>,
    interval_seconds: Option<i64>,
    alert_threshold: Option<i64>,
}

#[derive(Debug, Serialize)]
struct CheckView {
    id: Uuid,
    name: String,
    url: String,
    method: String,
    headers: BTreeMap<String, String>,
    expected_status: u16,
    body_contains: Option<String>,
    timeout_ms: u32,
    webhook_url: Option<String>,
    interval_seconds: u32,
    alert_threshold: u32,
    consecutive_fails: u32,
    last_status: &'static str,
    last_run_at: Option<String>,
    next_run_at: Option<String>,
    created_at: String,
    updated_at: String,
}

fn check_view(e: &Endpoint) -> CheckView {
    let s = &e.spec;
    // Seed 002's checks are HTTP checks; another kind shows its target as the URL, with no method or status.
    let (method, headers, first_code, body_contains) = match &s.check {
        CheckSpec::Http(h) => (
            h.method.as_str().to_owned(),
            h.headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            h.expected_status
                .to_string()
                .split([',', '-'])
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(200),
            h.expect_body_contains.clone(),
        ),
        _ => (String::new(), Default::default(), 0, None),
    };
    CheckView {
        id: e.id,
        name: s.name.clone(),
        url: s.check.target(),
        method,
        headers,
        expected_status: first_code,
        body_contains,
        timeout_ms: s.timeout_ms,
        webhook_url: s.webhook_url.as_ref().map(|u| u.as_str().to_owned()),
        interval_seconds: s.interval_seconds,
        alert_threshold: s.alert_threshold,
        consecutive_fails: e.consecutive_failures,
        last_status: if e.last_checked_at.is_some() {
            run_status(e.last_error_kind)
        } else {
            "unknown"
        },
        last_run_at: e.last_checked_at.map(rfc3339),
        next_run_at: e.next_check_at.map(rfc3339),
        created_at: rfc3339(e.created_at),
        updated_at: rfc3339(e.updated_at),
    }
}

/// `?limit=` of the list routes: 1..1000, default 100.
fn limit_param(query: Option<&str>) -> Result<u32, CompatError> {
    let invalid_limit = || {
        CompatError(
            StatusCode::BAD_REQUEST,
            "Invalid limit. Must be between 1 and 1000".into(),
        )
    };
    match super::query_param(query, "limit") {
        None => Ok(100),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(invalid_limit),
    }
}

fn parse_id(id: &str) -> Result<Uuid, CompatError> {
    Uuid::try_parse(id).map_err(|_| CompatError(StatusCode::BAD_REQUEST, "Invalid check ID".into()))
}

async fn endpoint(state: &AppState, id: &str) -> Result<Endpoint, CompatError> {
    let id = parse_id(id)?;
    state.app.endpoint_model(id).await.map_err(|e| match e {
        beacon_store::StoreError::NotFound { .. } => {
            CompatError(StatusCode::NOT_FOUND, "Check not found".into())
        }
        other => other.into(),
    })
}

async fn checks_service(state: &AppState) -> Result<Uuid, CompatError> {
    let services = state.app.service_models(Page::default()).await?;
    if let Some(s) = services.items.iter().find(|s| s.name == CHECKS_SERVICE) {
        return Ok(s.id);
    }
    let created = state
        .app
        .create_service(ServiceCreate {
            name: CHECKS_SERVICE.into(),
            description: Some("Checks created through the /checks API".into()),
        })
        .await?;
    Ok(created.id)
}

async fn create(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<CheckView>), CompatError> {
    let c: CheckCreate = serde_json::from_slice(&body).map_err(|e| {
        CompatError(
            StatusCode::BAD_REQUEST,
            format!("Invalid request body: {e}"),
        )
    })?;
    let missing = |f: &str| CompatError(StatusCode::BAD_REQUEST, format!("{f} is required"));
    let name = c.name.ok_or_else(|| missing("name"))?;
    let url = c.url.ok_or_else(|| missing("url"))?;
    let service_id = checks_service(&state).await?;
    let fields = EndpointPatch {
        name: Some(name),
        url: Some(url),
        method: c.method,
        interval_seconds: c.interval_seconds,
        timeout_seconds: Some(c.timeout_ms.unwrap_or(10_000) as f64 / 1000.0),
        expected_status: Some(c.expected_status.unwrap_or(200).to_string()),
        headers: c.headers,
        expect_body_contains: c.body_contains,
        alert_threshold: c.alert_threshold,
        webhook_url: c.webhook_url,
        ..Default::default()
    };
    let created = state.app.create_endpoint_fields(service_id, fields).await?;
    let endpoint = state.app.endpoint_model(created.id).await?;
    Ok((StatusCode::CREATED, Json(check_view(&endpoint))))
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<CheckView>>, CompatError> {
    let endpoints = state.app.endpoint_models(Page::default()).await?;
    Ok(Json(
        endpoints
            .items
            .iter()
            .map(|e| {
                let mut view = check_view(e);
                mask_values(&mut view.headers);
                view
            })
            .collect(),
    ))
}

async fn get_one(
    State(state): State<AppState>,
    scope: Option<Extension<Scope>>,
    Path(id): Path<String>,
) -> Result<Json<CheckView>, CompatError> {
    let mut view = check_view(&endpoint(&state, &id).await?);
    if !may_write(scope.as_ref()) {
        mask_values(&mut view.headers);
    }
    Ok(Json(view))
}

async fn runs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, CompatError> {
    let limit = limit_param(query.as_deref())?;
    let e = endpoint(&state, &id).await?;
    let pings = state
        .app
        .endpoint_pings(
            e.id,
            PingQuery {
                limit,
                failed_only: false,
                before: None,
            },
        )
        .await?;
    let runs: Vec<serde_json::Value> = pings
        .iter()
        .map(|p| {
            let o = &p.observation;
            json!({
                // Stable per (check, slot): Pulse clients expect an id per run.
                "id": Uuid::from_u128(e.id.as_u128() ^ p.scheduled_at as u128),
                "status": run_status(o.failure.as_ref().map(|f| f.0)),
                "latency_ms": f64::from(o.timings.total_us) / 1000.0,
                "status_code": o.status_code,
                "error": o.failure.as_ref().map(|f| f.1.clone()),
                "run_at": rfc3339(p.started_at),
            })
        })
        .collect();
    Ok(Json(json!({ "count": runs.len(), "runs": runs })))
}

/// Alerts: the check's incident events as seed 002's failure/recovery alerts, newest first. `sent_at` is when the
/// check's own `webhook_url` first received it (null without one, or while it is still being delivered).
async fn alerts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, CompatError> {
    let limit = limit_param(query.as_deref())?;
    let e = endpoint(&state, &id).await?;
    let events = state.app.endpoint_events(e.id, limit).await?;
    let alerts: Vec<serde_json::Value> = events
        .iter()
        .filter(|ev| ev.payload.kind().is_endpoint_incident())
        .map(|ev| {
            let payload = pulse(&ev.payload, ev.created_at);
            json!({
                "id": ev.id,
                "check_id": e.id,
                "type": payload["type"],
                "payload": payload,
                "created_at": rfc3339(ev.created_at),
                "sent_at": ev.sent_at.map(rfc3339),
            })
        })
        .collect();
    Ok(Json(json!({ "count": alerts.len(), "alerts": alerts })))
}

/// The webhook attempt log of the check's alerts (request and response details), newest first.
async fn webhook_attempts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, CompatError> {
    let limit = limit_param(query.as_deref())?;
    let e = endpoint(&state, &id).await?;
    let attempts = state.app.endpoint_attempts(e.id, limit).await?;
    let object = |text: Option<&str>| {
        text.and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let webhooks: Vec<serde_json::Value> = attempts
        .iter()
        .map(|a| {
            let r = &a.record;
            let ok = r.response_status.is_some_and(|s| (200..300).contains(&s));
            json!({
                "id": a.id,
                "alert_id": a.event_id,
                "check_id": a.endpoint_id,
                "url": r.request_url,
                "request_body": r.request_body,
                "request_headers": object(Some(&r.request_headers)),
                "response_code": r.response_status,
                "response_body": r.response_body,
                "response_headers": object(r.response_headers.as_deref()),
                "error": r.error,
                "latency_ms": r.latency_us / 1000,
                "retry_number": a.number.saturating_sub(1),
                "timeout": r.timed_out,
                "status": if ok { "success" } else { "failed" },
                "created_at": rfc3339(r.started_at),
            })
        })
        .collect();
    Ok(Json(
        json!({ "count": webhooks.len(), "webhooks": webhooks }),
    ))
}
