//! Heartbeat intake and seed 003's API.
//!
//! Intake (authenticated by the heartbeat's own key or URL, not an API token), as Healthchecks' ping API:
//! `GET|POST|HEAD /ping/<ping secret>` (the UUID in the heartbeat's `ping_url`, which is its own credential),
//! `/ping/<id>` with the key as `Authorization: Bearer <key>` or `?key=`, and `/ping/<service ping key>/<slug>`
//! (`?create=1` creates the heartbeat on its first ping); each with `/start`, `/fail`, `/log` or
//! `/<exit status>` appended, `?rid=` to pair a run's start and finish. And seed 003's
//! `POST /api/heartbeat {"serviceId", ...}`.
//! Read side, in seed 003's shapes (behind a read API token like the rest of the API): `GET /api/status`,
//! `GET /api/logs?serviceId=`, `GET /api/services`.

use super::{bearer, query_param};
use crate::AppState;
use crate::error::ApiError;
use crate::wire::rfc3339;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use beacon_core::heartbeat::{self, HbStatus, PingKind, Schedule};
use beacon_core::token::hash_ping_key;
use beacon_store::{Heartbeat, HeartbeatRef, IncomingPing, Page, PingOutcome};
use serde_json::{Value, json};
use uuid::Uuid;

/// Ping bodies are kept as diagnostics up to this many bytes.
pub const MAX_PING_BODY: usize = 10_000;

/// Routes a job calls with its heartbeat key.
pub fn intake_router() -> Router<AppState> {
    Router::new()
        .route("/ping/{id}", any(ping))
        .route("/ping/{id}/{suffix}", any(ping_with_suffix))
        .route("/ping/{key}/{slug}/{suffix}", any(ping_by_slug))
        .route("/api/heartbeat", post(seed_heartbeat))
}

/// Seed 003's read routes (API token required).
pub fn read_router() -> Router<AppState> {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/logs", get(logs))
        .route("/api/services", get(services))
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (status, body).into_response()
}

fn kept_body(body: &[u8]) -> Option<String> {
    (!body.is_empty())
        .then(|| String::from_utf8_lossy(&body[..body.len().min(MAX_PING_BODY)]).into_owned())
}

async fn ping(
    state: State<AppState>,
    Path(id): Path<String>,
    query: RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ping_inner(state, id, String::new(), query, headers, body).await
}

async fn ping_with_suffix(
    state: State<AppState>,
    Path((id, suffix)): Path<(String, String)>,
    query: RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ping_inner(state, id, suffix, query, headers, body).await
}

async fn ping_by_slug(
    state: State<AppState>,
    Path((key, slug, suffix)): Path<(String, String, String)>,
    query: RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ping_inner(state, key, format!("{slug}/{suffix}"), query, headers, body).await
}

/// How a ping URL names its heartbeat.
enum Named {
    /// By id or secret (a UUID), then the suffix.
    Uuid(Uuid, String),
    /// By a service's ping key and a slug, then the suffix.
    Slug(String, String, String),
}

fn named(first: String, rest: String) -> Named {
    match Uuid::try_parse(&first) {
        Ok(id) => Named::Uuid(id, rest),
        Err(_) => {
            let (slug, suffix) = rest.split_once('/').unwrap_or((&rest, ""));
            Named::Slug(first.clone(), slug.to_owned(), suffix.to_owned())
        }
    }
}

async fn ping_inner(
    State(state): State<AppState>,
    first: String,
    rest: String,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = query.as_deref();
    let key = bearer(&headers).or_else(|| query_param(query, "key"));
    let suffix = match &named(first.clone(), rest.clone()) {
        Named::Uuid(_, s) | Named::Slug(_, _, s) => s.clone(),
    };
    let Some(kind) = PingKind::from_suffix(&suffix) else {
        return text(
            StatusCode::NOT_FOUND,
            "not found: use /start, /fail, /log or an exit status 0-255\n",
        );
    };
    let rid = query_param(query, "rid").filter(|r| !r.is_empty());
    if rid.is_some_and(|r| r.len() > 64) {
        return text(StatusCode::BAD_REQUEST, "rid: at most 64 characters\n");
    }
    // Which heartbeat, and whether the URL itself authenticates the ping.
    let mut created = false;
    let (id, url_authenticated) = match named(first, rest) {
        // A key was presented: the UUID is the public id (no lookup of secrets on the busy path).
        Named::Uuid(id, _) if key.is_some() => (id, false),
        Named::Uuid(uuid, _) => match state.app.heartbeat_for_ping_url(uuid).await {
            Ok(Some(id)) => (id, true),
            Ok(None) => (uuid, false),
            Err(e) => return e.into_response(),
        },
        Named::Slug(ping_key, slug, _) => {
            let create = query_param(query, "create") == Some("1");
            match state
                .app
                .heartbeat_for_ping_slug(&ping_key, &slug, create)
                .await
            {
                Ok(Some((id, new))) => {
                    created = new;
                    (id, true)
                }
                Ok(None) => {
                    return text(StatusCode::NOT_FOUND, "not found: no such heartbeat\n");
                }
                Err(e) => return e.into_response(),
            }
        }
    };
    let mut ping = IncomingPing {
        target: HeartbeatRef::Id(id),
        key_hash: key.map(hash_ping_key),
        kind,
        rid: rid.map(str::to_owned),
        client_status: None,
        body: kept_body(&body),
        metadata: None,
        received_at: state.app.clock.now(),
        url_authenticated,
    };
    let mut outcome = state.app.submit_ping(ping.clone()).await;
    if let (Ok(PingOutcome::NotFound), false) = (&outcome, url_authenticated) {
        // A key sent along with a secret ping URL: the URL is enough.
        match state.app.heartbeat_for_ping_url(id).await {
            Ok(Some(found)) => {
                ping.target = HeartbeatRef::Id(found);
                ping.url_authenticated = true;
                outcome = state.app.submit_ping(ping).await;
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    match outcome {
        Ok(PingOutcome::Accepted) if created => text(StatusCode::CREATED, "Created\n"),
        Ok(PingOutcome::Accepted) => text(StatusCode::OK, "OK\n"),
        Ok(PingOutcome::NotFound) => text(StatusCode::NOT_FOUND, "not found: no such heartbeat\n"),
        Ok(PingOutcome::Unauthorized) => text(
            StatusCode::UNAUTHORIZED,
            "unauthorized: send the heartbeat's key as Authorization: Bearer <key> or ?key=<key>\n",
        ),
        Err(e) => e.into_response(),
    }
}

fn seed_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Seed 003's intake: `{"serviceId", "status"?, "metadata"?, "message"?}` with the heartbeat's key.
async fn seed_heartbeat(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return seed_error(StatusCode::BAD_REQUEST, format!("Invalid JSON body: {e}")),
    };
    let Some(obj) = value.as_object() else {
        return seed_error(StatusCode::BAD_REQUEST, "the body must be a JSON object");
    };
    let service_id = match obj.get("serviceId") {
        None | Some(Value::Null) => {
            return seed_error(StatusCode::BAD_REQUEST, "serviceId is required");
        }
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => {
            return seed_error(
                StatusCode::BAD_REQUEST,
                "serviceId must be a non-empty string",
            );
        }
    };
    // Err(field) when the field is there but not a string.
    let optional_string = |field: &'static str| -> Result<Option<String>, &'static str> {
        match obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(field),
        }
    };
    let not_string =
        |field: &str| seed_error(StatusCode::BAD_REQUEST, format!("{field} must be a string"));
    let client_status = match optional_string("status") {
        Ok(s) => s,
        Err(f) => return not_string(f),
    };
    let message = match optional_string("message") {
        Ok(s) => s.map(|m| m.chars().take(MAX_PING_BODY).collect()),
        Err(f) => return not_string(f),
    };
    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => None,
        Some(m @ Value::Object(_)) => Some(m.to_string()),
        Some(_) => return seed_error(StatusCode::BAD_REQUEST, "metadata must be an object"),
    };
    let now = state.app.clock.now();
    let ping = IncomingPing {
        target: HeartbeatRef::Slug(service_id),
        key_hash: bearer(&headers).map(hash_ping_key),
        kind: PingKind::Success,
        rid: None,
        client_status,
        body: message,
        metadata,
        received_at: now,
        url_authenticated: false,
    };
    match state.app.submit_ping(ping).await {
        Ok(PingOutcome::Accepted) => Json(json!({
            "success": true, "message": "Heartbeat received", "timestamp": rfc3339(now),
        }))
        .into_response(),
        Ok(PingOutcome::NotFound) => seed_error(StatusCode::NOT_FOUND, "Unknown serviceId"),
        Ok(PingOutcome::Unauthorized) => seed_error(StatusCode::UNAUTHORIZED, "Invalid API key"),
        Err(e) => seed_error(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            e.message,
        ),
    }
}

/// Seed 003's three-valued status: never pinged (or paused) is unknown; late and running count as up.
fn seed_status(s: HbStatus) -> &'static str {
    match s {
        HbStatus::Up | HbStatus::Late | HbStatus::Started => "up",
        HbStatus::Down => "down",
        HbStatus::New | HbStatus::Paused => "unknown",
    }
}

/// Seed 003's `stalenessThreshold`: how long after the last ping the heartbeat turns down (period + grace; for a
/// cron schedule, up to the next due time + grace).
fn staleness_ms(h: &Heartbeat) -> i64 {
    let grace = i64::from(h.spec.grace_seconds) * 1000;
    match (&h.spec.schedule, h.state.last_result) {
        (Schedule::Period { seconds }, _) => i64::from(*seconds) * 1000 + grace,
        (Schedule::Cron(_), Some((at, _))) => h.spec.due_after(at) - at + grace,
        (Schedule::Cron(_), None) => grace,
    }
}

async fn all_heartbeats(state: &AppState) -> Result<Vec<Heartbeat>, ApiError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .app
            .heartbeat_models(Page {
                after,
                limit: Some(1_000),
            })
            .await?;
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

fn result(h: &Heartbeat, status: HbStatus, now: i64, at: i64) -> Value {
    json!({
        "serviceId": h.slug,
        "serviceName": h.spec.name,
        "status": seed_status(status),
        "lastSeen": h.last_ping_at.map(rfc3339),
        "timeSinceLastHeartbeat": h.last_ping_at.map(|l| now - l),
        "stalenessThreshold": staleness_ms(h),
        "timestamp": rfc3339(at),
    })
}

async fn status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let hbs = all_heartbeats(&state).await?;
    if hbs.is_empty() {
        return Ok(Json(json!({ "summary": null })));
    }
    let now = state.app.clock.now();
    let mut counts = [0u32; 3];
    let results: Vec<Value> = hbs
        .iter()
        .map(|h| {
            let s = heartbeat::evaluate(&h.spec, &h.state, now);
            match seed_status(s) {
                "up" => counts[0] += 1,
                "down" => counts[1] += 1,
                _ => counts[2] += 1,
            }
            result(h, s, now, now)
        })
        .collect();
    Ok(Json(json!({ "summary": {
        "timestamp": rfc3339(now),
        "totalServices": hbs.len(),
        "servicesUp": counts[0],
        "servicesDegraded": 0,
        "servicesDown": counts[1],
        "servicesUnknown": counts[2],
        "results": results,
    }})))
}

/// Status changes of one heartbeat, newest first, as seed 003's staleness results (with Beacon's own
/// `from` / `to` statuses added).
async fn logs(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(slug) = query_param(query.as_deref(), "serviceId").filter(|s| !s.is_empty()) else {
        return seed_error(StatusCode::BAD_REQUEST, "serviceId parameter required");
    };
    let target = HeartbeatRef::Slug(slug.to_owned());
    let h = match state.app.heartbeat_model(&target).await {
        Ok(h) => h,
        Err(beacon_store::StoreError::NotFound { .. }) => return Json(json!([])).into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match state
        .app
        .heartbeat_log(&HeartbeatRef::Id(h.id), 1_000)
        .await
    {
        Ok(entries) => {
            let out: Vec<Value> = entries
                .iter()
                .map(|e| {
                    let to = HbStatus::parse(&e.to).unwrap_or(HbStatus::New);
                    let mut v = result(
                        &Heartbeat {
                            last_ping_at: e.last_ping_at,
                            ..h.clone()
                        },
                        to,
                        e.at,
                        e.at,
                    );
                    v["from"] = json!(e.from);
                    v["to"] = json!(e.to);
                    v
                })
                .collect();
            Json(out).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The configured heartbeats. Keys are never returned.
async fn services(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let hbs = all_heartbeats(&state).await?;
    Ok(Json(Value::Array(
        hbs.iter()
            .map(|h| {
                json!({
                    "id": h.slug,
                    "name": h.spec.name,
                    "enabled": !h.state.paused,
                    "stalenessThreshold": staleness_ms(h),
                })
            })
            .collect(),
    )))
}
