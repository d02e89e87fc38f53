//! The REST API over real HTTP against `beacon server` on a random port: every route, pagination, each error
//! status, scopes, seed 002's `/checks` shapes, and the OpenAPI document.

use crate::harness::{Home, Resp, http};
use serde_json::{Value, json};

struct Api {
    /// Keeps the server and its data alive for the test.
    _home: Home,
    base: String,
    token: String,
}

impl Api {
    fn start() -> Self {
        let home = Home::remote();
        let base = format!("http://{}", home.remote.as_ref().expect("server").addr);
        let token = home.admin_token();
        Self {
            _home: home,
            base,
            token,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        self.call_as(&self.token.clone(), method, path, body)
    }

    fn call_as(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
        let auth = format!("Bearer {token}");
        let bytes = body.map(|b| b.to_string().into_bytes());
        let mut headers = vec![("Authorization", auth.as_str())];
        if bytes.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        http(
            &format!("{}{path}", self.base),
            method,
            &headers,
            bytes.as_deref(),
        )
    }

    fn ok(&self, method: &str, path: &str, body: Option<Value>, status: u16) -> Value {
        let r = self.call(method, path, body);
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }

    fn token(&self, scope: &str) -> String {
        let t = self.ok(
            "POST",
            "/api/v1/tokens",
            Some(json!({"name": scope, "scope": scope})),
            201,
        );
        t["token"].as_str().expect("token").to_owned()
    }
}

fn error(r: &Resp, status: u16, code: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    let v = r.json();
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
    v
}

#[test]
fn every_route_works_end_to_end() {
    let api = Api::start();
    let svc = api.ok(
        "POST",
        "/api/v1/services",
        Some(json!({"name": "Production API", "description": "Main"})),
        201,
    );
    let sid = svc["id"].as_str().expect("id").to_owned();
    assert_eq!(
        api.ok("GET", &format!("/api/v1/services/{sid}"), None, 200),
        svc
    );
    let patched = api.ok(
        "PATCH",
        &format!("/api/v1/services/{sid}"),
        Some(json!({"description": "New"})),
        200,
    );
    assert_eq!(
        (patched["name"].as_str(), patched["description"].as_str()),
        (Some("Production API"), Some("New"))
    );
    assert_eq!(
        api.ok("GET", "/api/v1/services", None, 200)["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let ep = api.ok(
        "POST",
        "/api/v1/endpoints",
        Some(json!({"service_id": sid, "name": "Health", "url": "http://127.0.0.1:9/h", "interval_seconds": 30,
                    "timeout_seconds": 1.5, "headers": {"X-Key": "v"}, "expected_status": "200,204"})),
        201,
    );
    let eid = ep["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (
            ep["interval_seconds"].as_u64(),
            ep["timeout_seconds"].as_f64()
        ),
        (Some(30), Some(1.5))
    );
    assert_eq!(ep["headers"]["X-Key"], "v");
    let mut got = api.ok("GET", &format!("/api/v1/endpoints/{eid}"), None, 200);
    let stats = got.as_object_mut().expect("object").remove("stats");
    let regions = got.as_object_mut().expect("object").remove("region_status");
    assert_eq!(
        got, ep,
        "get is the endpoint as created, plus stats and its regions' status"
    );
    assert_eq!(regions.expect("region_status")[0]["status"], "unknown");
    assert_eq!(stats.expect("stats")["checks_24h"], 0);
    let off = api.ok(
        "PATCH",
        &format!("/api/v1/endpoints/{eid}"),
        Some(json!({"enabled": false})),
        200,
    );
    assert_eq!(off["enabled"], false);
    let listed = api.ok(
        "GET",
        &format!("/api/v1/endpoints?service_id={sid}"),
        None,
        200,
    );
    assert_eq!(listed["data"][0]["id"], ep["id"]);
    assert!(listed["next_cursor"].is_null());
    let pings = api.ok(
        "GET",
        &format!("/api/v1/endpoints/{eid}/pings?limit=10&failed=true"),
        None,
        200,
    );
    assert_eq!(pings["data"], json!([]));
    assert_eq!(
        api.ok("GET", "/api/v1/incidents?status=open", None, 200)["data"],
        json!([])
    );

    // Conflict: a service with endpoints is not deleted without cascade.
    let r = api.call("DELETE", &format!("/api/v1/services/{sid}"), None);
    assert!(
        error(&r, 409, "conflict")["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1 endpoint"))
    );
    api.ok("DELETE", &format!("/api/v1/endpoints/{eid}"), None, 204);
    error(
        &api.call("GET", &format!("/api/v1/endpoints/{eid}"), None),
        404,
        "not_found",
    );
    api.ok(
        "DELETE",
        &format!("/api/v1/services/{sid}?cascade=true"),
        None,
        204,
    );
    error(
        &api.call("GET", &format!("/api/v1/services/{sid}"), None),
        404,
        "not_found",
    );
}

#[test]
fn lists_paginate_with_cursors() {
    let api = Api::start();
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            api.ok(
                "POST",
                "/api/v1/services",
                Some(json!({"name": format!("s{i}")})),
                201,
            )["id"]
                .clone(),
        );
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/services?limit=2".to_owned();
    loop {
        let page = api.ok("GET", &path, None, 200);
        let data = page["data"].as_array().expect("data").clone();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|s| s["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/services?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, created);
    error(
        &api.call("GET", "/api/v1/services?limit=0", None),
        400,
        "bad_request",
    );
    error(
        &api.call("GET", "/api/v1/services?limit=1001", None),
        400,
        "bad_request",
    );
    error(
        &api.call("GET", "/api/v1/services?cursor=abc", None),
        400,
        "bad_request",
    );
    error(
        &api.call("GET", "/api/v1/services?limit=x", None),
        400,
        "invalid_query",
    );
}

#[test]
fn each_error_status_is_json_with_a_code() {
    let api = Api::start();
    let svc = api.ok("POST", "/api/v1/services", Some(json!({"name": "s"})), 201);
    let sid = svc["id"].as_str().expect("id");
    // 401: no token, a malformed one, an unknown one, a revoked one.
    let r = http(&format!("{}/api/v1/services", api.base), "GET", &[], None);
    error(&r, 401, "unauthorized");
    assert!(
        r.headers
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{}",
        r.headers
    );
    error(
        &api.call_as("nonsense", "GET", "/api/v1/services", None),
        401,
        "unauthorized",
    );
    error(
        &api.call_as(
            "bcn_00000000000000000000000000000001_abc",
            "GET",
            "/api/v1/services",
            None,
        ),
        401,
        "unauthorized",
    );
    let doomed = api.ok(
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "doomed", "scope": "read"})),
        201,
    );
    api.ok(
        "DELETE",
        &format!("/api/v1/tokens/{}", doomed["id"].as_str().expect("id")),
        None,
        200,
    );
    error(
        &api.call_as(
            doomed["token"].as_str().expect("t"),
            "GET",
            "/api/v1/services",
            None,
        ),
        401,
        "unauthorized",
    );
    // 403: a read token cannot write; a write token cannot manage tokens.
    let read = api.token("read");
    assert_eq!(
        api.call_as(&read, "GET", "/api/v1/services", None).status,
        200
    );
    error(
        &api.call_as(
            &read,
            "POST",
            "/api/v1/services",
            Some(json!({"name": "x"})),
        ),
        403,
        "forbidden",
    );
    let write = api.token("write");
    assert_eq!(
        api.call_as(
            &write,
            "POST",
            "/api/v1/services",
            Some(json!({"name": "x"}))
        )
        .status,
        201
    );
    error(
        &api.call_as(&write, "GET", "/api/v1/tokens", None),
        403,
        "forbidden",
    );
    // 400: malformed JSON, wrong types, unknown fields, an id that is not a UUID.
    let bad_json = http(
        &format!("{}/api/v1/services", api.base),
        "POST",
        &[
            ("Authorization", format!("Bearer {}", api.token).as_str()),
            ("Content-Type", "application/json"),
        ],
        Some(b"{\"name\": "),
    );
    error(&bad_json, 400, "malformed_json");
    error(
        &api.call("POST", "/api/v1/services", Some(json!({"name": 5}))),
        400,
        "invalid_body",
    );
    error(
        &api.call(
            "POST",
            "/api/v1/services",
            Some(json!({"name": "a", "colour": "red"})),
        ),
        400,
        "invalid_body",
    );
    error(
        &api.call("GET", "/api/v1/services/not-a-uuid", None),
        400,
        "invalid_id",
    );
    // A JSON array is not an object, even where every field is optional.
    let r = http(
        &format!("{}/api/v1/services/{sid}", api.base),
        "PATCH",
        &[
            ("Authorization", format!("Bearer {}", api.token).as_str()),
            ("Content-Type", "application/json"),
        ],
        Some(b"[]"),
    );
    error(&r, 400, "invalid_body");
    // 415: no JSON content type.
    let r = http(
        &format!("{}/api/v1/services", api.base),
        "POST",
        &[("Authorization", format!("Bearer {}", api.token).as_str())],
        Some(b"{\"name\":\"a\"}"),
    );
    error(&r, 415, "unsupported_media_type");
    // 422: values that do not validate, with the field named; nothing written.
    for (body, field) in [
        (
            json!({"service_id": sid, "name": "x", "url": "ftp://x"}),
            "url",
        ),
        (
            json!({"service_id": sid, "name": "x", "url": "http://x", "interval_seconds": 0}),
            "interval",
        ),
        (
            json!({"service_id": sid, "name": "x", "url": "http://x", "timeout_seconds": 99}),
            "timeout",
        ),
        (
            json!({"service_id": sid, "name": "x", "url": "http://x", "expected_status": "abc"}),
            "expected_status",
        ),
        (
            json!({"service_id": sid, "name": "x", "url": "http://x", "headers": {"Bad Name": "v"}}),
            "header",
        ),
    ] {
        let v = error(
            &api.call("POST", "/api/v1/endpoints", Some(body.clone())),
            422,
            "validation_failed",
        );
        assert_eq!(v["error"]["field"], field, "{body}");
    }
    assert_eq!(
        api.ok("GET", "/api/v1/endpoints", None, 200)["data"],
        json!([]),
        "nothing written"
    );
    // 404: unknown ids and routes.
    let unknown = uuid::Uuid::new_v4();
    error(
        &api.call("GET", &format!("/api/v1/incidents/{unknown}"), None),
        404,
        "not_found",
    );
    error(
        &api.call(
            "POST",
            &format!("/api/v1/incidents/{unknown}/resolve"),
            None,
        ),
        404,
        "not_found",
    );
    error(
        &api.call(
            "POST",
            "/api/v1/endpoints",
            Some(json!({"service_id": unknown, "name": "x", "url": "http://x"})),
        ),
        404,
        "not_found",
    );
    error(
        &api.call("GET", "/api/v1/nothing-here", None),
        404,
        "not_found",
    );
    // 413: a body over the 1 MiB limit.
    let huge = json!({"name": "x".repeat(1_100_000)});
    error(
        &api.call("POST", "/api/v1/services", Some(huge)),
        413,
        "payload_too_large",
    );
}

#[test]
fn database_outage_is_503_not_500() {
    let (mut home, db) = Home::postgres_database();
    home.remote = Some(home.server(&[]));
    let base = format!("http://{}", home.remote.as_ref().expect("server").addr);
    let auth = format!("Bearer {}", home.admin_token());
    let psql = |sql: &str| {
        let ok = std::process::Command::new("psql")
            .args([&crate::harness::postgres_base(), "-q", "-c", sql])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("psql")
            .success();
        assert!(ok, "{sql}");
    };
    assert_eq!(
        http(
            &format!("{base}/api/v1/services"),
            "GET",
            &[("Authorization", &auth)],
            None
        )
        .status,
        200
    );
    psql(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"));
    psql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
    ));
    let r = crate::harness::eventually(std::time::Duration::from_secs(30), "a 503", || {
        let r = http(
            &format!("{base}/api/v1/services"),
            "GET",
            &[("Authorization", &auth)],
            None,
        );
        (r.status != 200).then_some(r)
    });
    error(&r, 503, "unavailable");
    psql(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"));
    drop(home);
    psql(&format!("DROP DATABASE {db} WITH (FORCE)"));
}

#[test]
fn incidents_and_tokens_routes() {
    let api = Api::start();
    let tokens = api.ok("GET", "/api/v1/tokens", None, 200);
    let first = &tokens["data"][0];
    assert_eq!(
        (first["scope"].as_str(), first.get("token")),
        (Some("admin"), None),
        "never returns secrets"
    );
    let created = api.ok("POST", "/api/v1/tokens", Some(json!({"name": "ci"})), 201);
    assert_eq!(created["scope"], "write", "default scope");
    let id = created["id"].as_str().expect("id");
    let revoked = api.ok("DELETE", &format!("/api/v1/tokens/{id}"), None, 200);
    assert!(revoked["revoked_at"].is_string());
    error(
        &api.call("DELETE", &format!("/api/v1/tokens/{id}"), None),
        409,
        "conflict",
    );
    error(
        &api.call(
            "POST",
            "/api/v1/tokens",
            Some(json!({"name": "x", "scope": "root"})),
        ),
        422,
        "validation_failed",
    );
    error(
        &api.call("GET", "/api/v1/incidents?status=maybe", None),
        400,
        "bad_request",
    );
}

#[test]
fn checks_compatibility_routes_keep_pulse_shapes() {
    let api = Api::start();
    let target = crate::harness::Target::start();
    let r = api.call(
        "POST",
        "/checks",
        Some(json!({"name": "Google Homepage", "url": format!("{}/g", target.base), "method": "GET",
                    "expected_status": 200, "interval_seconds": 1, "alert_threshold": 3, "timeout_ms": 800,
                    "webhook_url": "https://hooks.example.com/alerts", "unknown_field": true})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let check = r.json();
    for f in [
        "id",
        "name",
        "url",
        "method",
        "headers",
        "expected_status",
        "body_contains",
        "timeout_ms",
        "webhook_url",
        "interval_seconds",
        "alert_threshold",
        "consecutive_fails",
        "last_status",
        "last_run_at",
        "next_run_at",
        "created_at",
        "updated_at",
    ] {
        assert!(check.get(f).is_some(), "{f} missing from {check}");
    }
    assert_eq!(
        (
            check["expected_status"].as_u64(),
            check["timeout_ms"].as_u64()
        ),
        (Some(200), Some(800))
    );
    assert_eq!(check["last_status"], "unknown");
    assert_eq!(check["webhook_url"], "https://hooks.example.com/alerts");
    let id = check["id"].as_str().expect("id").to_owned();
    let all = api.ok("GET", "/checks", None, 200);
    assert!(
        all.as_array()
            .is_some_and(|a| a.iter().any(|c| c["id"] == check["id"])),
        "a bare array: {all}"
    );
    assert_eq!(
        api.ok("GET", &format!("/checks/{id}"), None, 200)["name"],
        "Google Homepage"
    );

    let runs = crate::harness::eventually(std::time::Duration::from_secs(20), "two runs", || {
        let v = api.ok("GET", &format!("/checks/{id}/runs?limit=5"), None, 200);
        (v["count"].as_u64() >= Some(2)).then_some(v)
    });
    let run = &runs["runs"][0];
    assert_eq!(
        (run["status"].as_str(), run["status_code"].as_u64()),
        (Some("success"), Some(200)),
        "{run}"
    );
    assert!(
        run["latency_ms"].as_f64().is_some() && run["run_at"].is_string() && run["id"].is_string()
    );
    assert_eq!(
        api.ok("GET", &format!("/checks/{id}"), None, 200)["last_status"],
        "success"
    );

    let flat = |r: Resp, status: u16, msg: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.json(), json!({"error": msg}));
    };
    flat(
        api.call("GET", "/checks/not-a-uuid", None),
        400,
        "Invalid check ID",
    );
    flat(
        api.call("GET", &format!("/checks/{}", uuid::Uuid::new_v4()), None),
        404,
        "Check not found",
    );
    flat(
        api.call("GET", &format!("/checks/{id}/runs?limit=0"), None),
        400,
        "Invalid limit. Must be between 1 and 1000",
    );
    flat(
        api.call("GET", &format!("/checks/{id}/runs?limit=1001"), None),
        400,
        "Invalid limit. Must be between 1 and 1000",
    );
    let r = api.call("POST", "/checks", Some(json!({"url": "http://x"})));
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("name")),
        "{}",
        r.body
    );
    let r = http(
        &format!("{}/checks", api.base),
        "POST",
        &[
            ("Authorization", format!("Bearer {}", api.token).as_str()),
            ("Content-Type", "application/json"),
        ],
        Some(b"{oops"),
    );
    assert_eq!(r.status, 400, "malformed JSON is a 400, not a 500");
    assert_eq!(
        http(&format!("{}/checks", api.base), "GET", &[], None).status,
        401,
        "same auth"
    );
}

#[test]
fn openapi_document_describes_every_route() {
    let api = Api::start();
    let r = http(
        &format!("{}/api/v1/openapi.json", api.base),
        "GET",
        &[],
        None,
    );
    assert_eq!(r.status, 200, "served without a token");
    let doc = r.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/services", "get"),
        ("/api/v1/services", "post"),
        ("/api/v1/services/{id}", "get"),
        ("/api/v1/services/{id}", "patch"),
        ("/api/v1/services/{id}", "delete"),
        ("/api/v1/endpoints", "get"),
        ("/api/v1/endpoints", "post"),
        ("/api/v1/endpoints/{id}", "patch"),
        ("/api/v1/endpoints/{id}/pings", "get"),
        ("/api/v1/incidents", "get"),
        ("/api/v1/incidents/{id}", "get"),
        ("/api/v1/incidents/{id}/resolve", "post"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{id}", "delete"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} undocumented"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[test]
fn metrics_can_require_a_read_token() {
    let home = Home::sqlite();
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(&cfg, "api:\n  metrics_require_token: true\n").expect("config");
    let server = home.server(&["--config", cfg.to_str().expect("utf8")]);
    assert_eq!(server.get("/metrics").0, 401);
    let auth = format!("Bearer {}", home.admin_token());
    let r = http(
        &format!("http://{}/metrics", server.addr),
        "GET",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(server.get("/health").0, 200, "health stays open");
    assert_eq!(server.terminate(), 0);
}

#[test]
fn header_values_are_shown_only_to_those_who_may_change_them() {
    let api = Api::start();
    let svc = api.ok(
        "POST",
        "/api/v1/services",
        Some(json!({"name": "secrets"})),
        201,
    );
    let sid = svc["id"].as_str().expect("id");
    let ep = api.ok(
        "POST",
        "/api/v1/endpoints",
        Some(json!({"service_id": sid, "name": "private", "url": "http://127.0.0.1:9/",
            "headers": {"Authorization": "Bearer api-secret", "X-Api-Key": "k-123"}, "enabled": false})),
        201,
    );
    let eid = ep["id"].as_str().expect("id");
    let hook = api.ok(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"service_id": sid, "url": "http://127.0.0.1:9/hook",
            "events": ["incident_start"], "headers": {"X-Api-Key": "hook-secret"}})),
        201,
    );
    let wid = hook["id"].as_str().expect("id");
    let read = api.token("read");
    let write = api.token("write");
    let headers = |token: &str, path: &str| -> Value {
        let r = api.call_as(token, "GET", path, None);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.json()["headers"].clone()
    };
    let masked = json!({"Authorization": "********", "X-Api-Key": "********"});
    let endpoint = format!("/api/v1/endpoints/{eid}");
    let check = format!("/checks/{eid}");
    let webhook = format!("/api/v1/webhooks/{wid}");
    // A read token sees the names, not the values.
    assert_eq!(headers(&read, &endpoint), masked);
    assert_eq!(headers(&read, &check), masked);
    assert_eq!(headers(&read, &webhook), json!({"X-Api-Key": "********"}));
    // Writers see them on get.
    assert_eq!(
        headers(&write, &endpoint),
        json!({"Authorization": "Bearer api-secret", "X-Api-Key": "k-123"})
    );
    assert_eq!(headers(&api.token, &check)["X-Api-Key"], "k-123");
    assert_eq!(
        headers(&api.token, &webhook),
        json!({"X-Api-Key": "hook-secret"})
    );
    // Lists never show values, whoever asks.
    for (path, key) in [
        (format!("/api/v1/endpoints?service_id={sid}"), "data"),
        (format!("/api/v1/webhooks?service_id={sid}"), "data"),
    ] {
        let all = api.ok("GET", &path, None, 200);
        let text = all[key].to_string();
        assert!(
            !text.contains("secret") && !text.contains("k-123"),
            "{text}"
        );
        assert!(text.contains("********"), "{text}");
    }
    let checks = api.ok("GET", "/checks", None, 200).to_string();
    assert!(!checks.contains("api-secret"), "{checks}");
}
