//! Notification channels end to end: each kind's message reaches a receiver that checks it against that
//! service's documented API (method, path, headers, required fields and limits) and answers as the service
//! does — Telegram's 429 with `parameters.retry_after` included; PagerDuty closes what it opened; email arrives
//! over STARTTLS at a real SMTP conversation; secrets never appear in a view or the attempt log; bad input is
//! refused by name with nothing stored.

use crate::accounts::with_stdin;
use crate::harness::{Home, Mode, Target, eventually, id};
use crate::smtp::Smtp;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TELEGRAM_TOKEN: &str = "123456:ABC-telegram-secret";
pub(crate) const PD_KEY: &str = "R0UT1NGKEY0123456789abcdef012345";
const NTFY_TOKEN: &str = "tk_ntfysecret";
const GOTIFY_TOKEN: &str = "AgotifyAppToken";
const PUSHOVER_TOKEN: &str = "azGDORePK8gMaC0QOYAMyEEuzJnyUi";
const PUSHOVER_USER: &str = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG";
const MATRIX_TOKEN: &str = "syt_matrix_secret";
pub(crate) const SLACK_SECRET: &str = "slackHookSecret";

/// What a receiver was sent, and what it answered.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub kind: &'static str,
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
    pub status: u16,
}

pub(crate) type Log = Arc<Mutex<Vec<Seen>>>;

fn s(v: &Value) -> Option<&str> {
    v.as_str().filter(|t| !t.is_empty())
}

fn len_ok(v: &Value, max: usize) -> bool {
    v.as_str()
        .is_some_and(|t| !t.is_empty() && t.chars().count() <= max)
}

/// Check one request against its service's documented API; the error says what is wrong.
fn check(kind: &str, method: &Method, path: &str, h: &HeaderMap, b: &Value) -> Result<(), String> {
    let header = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let json_ct = header("content-type").starts_with("application/json");
    let want = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("{kind}: {what}: {b}"))
        }
    };
    want(json_ct, "content-type application/json")?;
    match kind {
        "slack" => {
            want(
                *method == Method::POST && path.ends_with(SLACK_SECRET),
                "POST to the hook URL",
            )?;
            want(s(&b["text"]).is_some(), "text (the notification fallback)")?;
            let blocks = b["blocks"].as_array().ok_or("blocks")?;
            want(blocks.len() <= 50, "at most 50 blocks")?;
            for bl in blocks {
                let t = bl["type"].as_str().unwrap_or("");
                want(
                    ["header", "section", "actions", "context", "divider"].contains(&t),
                    "block type",
                )?;
                if t == "header" {
                    want(
                        bl["text"]["type"] == "plain_text" && len_ok(&bl["text"]["text"], 150),
                        "header text",
                    )?;
                }
                if let Some(f) = bl["fields"].as_array() {
                    want(
                        f.len() <= 10 && f.iter().all(|x| len_ok(&x["text"], 2000)),
                        "section fields",
                    )?;
                }
            }
            Ok(())
        }
        "discord" => {
            want(
                *method == Method::POST && path.starts_with("/discord/api/webhooks/1/"),
                "POST to the webhook",
            )?;
            let embeds = b["embeds"].as_array().ok_or("embeds")?;
            want(!embeds.is_empty() && embeds.len() <= 10, "1..10 embeds")?;
            let e = &embeds[0];
            want(
                len_ok(&e["title"], 256) && len_ok(&e["description"], 4096),
                "title, description",
            )?;
            want(
                e["color"].as_u64().is_some_and(|c| c <= 0xFF_FF_FF),
                "color as an integer",
            )?;
            let fields = e["fields"].as_array().ok_or("fields")?;
            want(
                fields.len() <= 25
                    && fields
                        .iter()
                        .all(|f| len_ok(&f["name"], 256) && len_ok(&f["value"], 1024)),
                "fields",
            )
        }
        "teams" => {
            want(*method == Method::POST, "POST")?;
            want(b["type"] == "message", "type message")?;
            let a = &b["attachments"][0];
            want(
                a["contentType"] == "application/vnd.microsoft.card.adaptive",
                "an Adaptive Card attachment",
            )?;
            want(
                a["content"]["type"] == "AdaptiveCard" && s(&a["content"]["version"]).is_some(),
                "the card",
            )?;
            want(
                a["content"]["body"]
                    .as_array()
                    .is_some_and(|x| !x.is_empty()),
                "card body",
            )
        }
        "google-chat" => {
            want(
                *method == Method::POST && path == "/chat/v1/spaces/AAA/messages",
                "POST to the space",
            )?;
            let card = &b["cardsV2"][0];
            want(
                s(&card["cardId"]).is_some() && s(&card["card"]["header"]["title"]).is_some(),
                "cardsV2",
            )
        }
        "telegram" => {
            want(
                *method == Method::POST
                    && path == format!("/telegram/bot{TELEGRAM_TOKEN}/sendMessage"),
                "POST sendMessage with the token",
            )?;
            want(
                b["chat_id"] == "-1001234567890" && b["message_thread_id"] == 42,
                "chat and thread",
            )?;
            want(len_ok(&b["text"], 4096), "text of 1..4096 characters")?;
            want(
                ["HTML", "MarkdownV2", "Markdown"]
                    .contains(&b["parse_mode"].as_str().unwrap_or("")),
                "parse_mode",
            )
        }
        "pagerduty" => {
            want(
                *method == Method::POST && path == "/pagerduty/v2/enqueue",
                "POST /v2/enqueue",
            )?;
            want(b["routing_key"] == PD_KEY, "the routing key")?;
            want(len_ok(&b["dedup_key"], 255), "dedup_key")?;
            match b["event_action"].as_str() {
                Some("trigger") => {
                    let p = &b["payload"];
                    want(
                        len_ok(&p["summary"], 1024) && s(&p["source"]).is_some(),
                        "summary and source",
                    )?;
                    want(
                        ["critical", "error", "warning", "info"]
                            .contains(&p["severity"].as_str().unwrap_or("")),
                        "severity",
                    )
                }
                Some("resolve" | "acknowledge") => Ok(()),
                _ => Err(format!("pagerduty: event_action: {b}")),
            }
        }
        "ntfy" => {
            want(
                *method == Method::POST && path == "/ntfy/",
                "POST to the server's root",
            )?;
            want(
                header("authorization") == format!("Bearer {NTFY_TOKEN}"),
                "the access token",
            )?;
            want(
                b["topic"] == "beacon-alerts" && s(&b["message"]).is_some(),
                "topic and message",
            )?;
            want(
                b["priority"].as_u64().is_some_and(|p| (1..=5).contains(&p)),
                "priority 1..5",
            )
        }
        "gotify" => {
            want(
                *method == Method::POST && path == "/gotify/message",
                "POST /message",
            )?;
            want(
                header("x-gotify-key") == GOTIFY_TOKEN,
                "the application token",
            )?;
            want(
                s(&b["message"]).is_some() && b["priority"].as_i64().is_some(),
                "message and priority",
            )
        }
        "pushover" => {
            want(
                *method == Method::POST && path == "/pushover/1/messages.json",
                "POST /1/messages.json",
            )?;
            want(
                b["token"] == PUSHOVER_TOKEN && b["user"] == PUSHOVER_USER,
                "token and user",
            )?;
            want(
                len_ok(&b["message"], 1024) && len_ok(&b["title"], 250),
                "message and title",
            )
        }
        "matrix" => {
            want(*method == Method::PUT, "PUT (idempotent by transaction id)")?;
            want(
                path.starts_with(
                    "/matrix/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/",
                ),
                "the room's send path",
            )?;
            want(
                header("authorization") == format!("Bearer {MATRIX_TOKEN}"),
                "the access token",
            )?;
            want(
                b["msgtype"] == "m.text" && s(&b["body"]).is_some(),
                "an m.text message",
            )
        }
        other => Err(format!("unknown receiver {other}")),
    }
}

/// Answer as the service does on success (and Telegram's first request with its 429).
fn answer(kind: &str, log: &[Seen]) -> (StatusCode, Value) {
    match kind {
        "telegram" if !log.iter().any(|x| x.kind == "telegram") => (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
                   "parameters": {"retry_after": 1}}),
        ),
        "telegram" => (
            StatusCode::OK,
            json!({"ok": true, "result": {"message_id": log.len()}}),
        ),
        "discord" => (StatusCode::NO_CONTENT, Value::Null),
        "teams" => (StatusCode::ACCEPTED, Value::Null),
        "pagerduty" => (
            StatusCode::ACCEPTED,
            json!({"status": "success", "message": "Event processed"}),
        ),
        "pushover" => (
            StatusCode::OK,
            json!({"status": 1, "request": "5042853c-402d-4a18-abcb-168734a801de"}),
        ),
        "matrix" => (StatusCode::OK, json!({"event_id": "$event"})),
        _ => (StatusCode::OK, json!({"ok": true})),
    }
}

/// One server on 127.0.0.1 standing in for every service, each under its own path prefix.
pub(crate) fn services() -> (String, Log) {
    let log: Log = Arc::default();
    let sink = log.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                let path = uri.path().to_owned();
                let kind = [
                    ("/slack/", "slack"),
                    ("/discord/", "discord"),
                    ("/teams/", "teams"),
                    ("/chat/", "google-chat"),
                    ("/telegram/", "telegram"),
                    ("/pagerduty/", "pagerduty"),
                    ("/ntfy/", "ntfy"),
                    ("/gotify/", "gotify"),
                    ("/pushover/", "pushover"),
                    ("/matrix/", "matrix"),
                ]
                .iter()
                .find(|(p, _)| path.starts_with(p))
                .map_or("unknown", |(_, k)| *k);
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let mut log = sink.lock().expect("log");
                let (status, reply) = match check(kind, &method, &path, &headers, &body) {
                    Ok(()) => answer(kind, &log),
                    Err(e) => (StatusCode::BAD_REQUEST, json!({"error": e})),
                };
                log.push(Seen {
                    kind,
                    method,
                    path,
                    headers,
                    body,
                    status: status.as_u16(),
                });
                if reply.is_null() {
                    (status, String::new())
                } else {
                    (status, reply.to_string())
                }
            }
        },
    );
    crate::harness::serve(listener, app);
    (base, log)
}

/// `beacon channels create` for each kind, pointed at the stand-in services; (kind, channel id).
fn create_all(home: &Home, base: &str, sid: &str) -> Vec<(&'static str, String)> {
    let events = "incident_start,incident_resolved";
    let plain: Vec<(&str, Vec<String>)> = vec![
        (
            "slack",
            vec![
                "--url".into(),
                format!("{base}/slack/services/T0/B0/{SLACK_SECRET}"),
            ],
        ),
        (
            "discord",
            vec![
                "--url".into(),
                format!("{base}/discord/api/webhooks/1/discordtoken"),
            ],
        ),
        (
            "teams",
            vec![
                "--url".into(),
                format!("{base}/teams/workflows/1/triggers/manual/paths/invoke?sig=x"),
            ],
        ),
        (
            "google-chat",
            vec![
                "--url".into(),
                format!("{base}/chat/v1/spaces/AAA/messages?key=k&token=t"),
            ],
        ),
        (
            "pagerduty",
            vec![
                "--url".into(),
                format!("{base}/pagerduty"),
                "--routing-key".into(),
                PD_KEY.into(),
            ],
        ),
    ];
    let mut made = Vec::new();
    for (kind, flags) in plain {
        let mut args = vec![
            "channels",
            "create",
            "--kind",
            kind,
            "--name",
            kind,
            "--service-id",
            sid,
            "--events",
            events,
        ];
        args.extend(flags.iter().map(String::as_str));
        made.push((kind, id(&home.json(&args))));
    }
    let stdin: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "telegram",
            vec![
                "--url".into(),
                format!("{base}/telegram"),
                "--bot-token-stdin".into(),
                "--chat-id".into(),
                "-1001234567890".into(),
                "--thread-id".into(),
                "42".into(),
            ],
            TELEGRAM_TOKEN,
        ),
        (
            "ntfy",
            vec![
                "--url".into(),
                format!("{base}/ntfy/"),
                "--topic".into(),
                "beacon-alerts".into(),
                "--token-stdin".into(),
            ],
            NTFY_TOKEN,
        ),
        (
            "gotify",
            vec![
                "--url".into(),
                format!("{base}/gotify"),
                "--token-stdin".into(),
            ],
            GOTIFY_TOKEN,
        ),
        (
            "pushover",
            vec![
                "--url".into(),
                format!("{base}/pushover"),
                "--user-key".into(),
                PUSHOVER_USER.into(),
                "--token-stdin".into(),
            ],
            PUSHOVER_TOKEN,
        ),
        (
            "matrix",
            vec![
                "--url".into(),
                format!("{base}/matrix"),
                "--room-id".into(),
                "!room:example.org".into(),
                "--token-stdin".into(),
            ],
            MATRIX_TOKEN,
        ),
    ];
    for (kind, flags, secret) in stdin {
        let mut args = vec![
            "channels",
            "create",
            "--kind",
            kind,
            "--name",
            kind,
            "--service-id",
            sid,
            "--events",
            events,
            "-o",
            "json",
        ];
        args.extend(flags.iter().map(String::as_str));
        let (code, out, err) = with_stdin(home, &args, &format!("{secret}\n"));
        assert_eq!(code, 0, "{kind}: {err}");
        assert!(
            !out.contains(secret),
            "the {kind} secret is never echoed: {out}"
        );
        made.push((kind, id(&serde_json::from_str(&out).expect("JSON"))));
    }
    made
}

#[test]
fn every_kind_reaches_its_service_as_documented_and_keeps_its_secrets() {
    let home = Home::sqlite();
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(
        &cfg,
        "delivery:\n  retry_base_ms: 200\n  retry_cap_seconds: 2\n  max_attempts: 50\n",
    )
    .expect("config");
    let (base, log) = services();
    let target = Target::start();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/shop", target.base),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    let channels = create_all(&home, &base, &sid);

    // Nothing secret in what the CLI shows.
    let listed = home.run(&["channels", "list", "-o", "json"]).stdout;
    for secret in [
        TELEGRAM_TOKEN,
        PD_KEY,
        NTFY_TOKEN,
        GOTIFY_TOKEN,
        PUSHOVER_TOKEN,
        PUSHOVER_USER,
        MATRIX_TOKEN,
        SLACK_SECRET,
    ] {
        assert!(
            !listed.contains(secret),
            "{secret} shown in channels list: {listed}"
        );
    }
    let table = home.run(&["channels", "list"]).stdout;
    assert!(
        table.contains("pagerduty") && table.contains("incident_start"),
        "{table}"
    );

    let server = home.server(&[
        "--config",
        cfg.to_str().expect("utf8"),
        "--public-url",
        "https://beacon.example.com",
    ]);
    target.set(Mode::Error500);
    eventually(Duration::from_secs(20), "an incident", || {
        home.incidents(&eid)
            .into_iter()
            .find(|i| i["status"] == "open")
    });
    target.set(Mode::Ok);
    eventually(Duration::from_secs(20), "its resolution", || {
        home.incidents(&eid)
            .into_iter()
            .find(|i| i["status"] == "resolved")
    });
    for (kind, cid) in &channels {
        eventually(
            Duration::from_secs(30),
            &format!("{kind}: start and resolution delivered"),
            || {
                let d = home.json(&["deliveries", "list", "--webhook-id", cid]);
                let arr = d.as_array()?.clone();
                (arr.len() == 2 && arr.iter().all(|x| x["status"] == "delivered")).then_some(())
            },
        );
    }
    // The notifier's counters say which kind of channel each attempt went to.
    let (_, metrics) = server.get("/metrics");
    for (kind, _) in &channels {
        let series =
            format!("beacon_notifications_total{{kind=\"{kind}\",result=\"delivered\"}} 2");
        assert!(metrics.contains(&series), "{series} in {metrics}");
    }
    assert_eq!(server.terminate(), 0);

    let seen = log.lock().expect("log").clone();
    let refused: Vec<&Seen> = seen.iter().filter(|x| x.status == 400).collect();
    assert!(
        refused.is_empty(),
        "requests the services would refuse: {refused:#?}"
    );
    for (kind, _) in &channels {
        let n = seen
            .iter()
            .filter(|x| x.kind == *kind && x.status < 300)
            .count();
        assert_eq!(n, 2, "{kind}: one message for the start, one for the end");
    }
    // The start says what is down, why, and links to the monitor; the end gives the outage.
    let slack: Vec<&Seen> = seen.iter().filter(|x| x.kind == "slack").collect();
    let first = slack[0].body.to_string();
    assert!(
        first.contains("is down") && first.contains("500"),
        "{first}"
    );
    assert!(
        first.contains(&format!("https://beacon.example.com/endpoints/{eid}")),
        "{first}"
    );
    assert!(
        slack[1].body.to_string().contains("is up again after"),
        "{}",
        slack[1].body
    );
    // PagerDuty resolves the incident it triggered.
    let pd: Vec<&Seen> = seen.iter().filter(|x| x.kind == "pagerduty").collect();
    assert_eq!(pd[0].body["event_action"], "trigger");
    assert_eq!(pd[1].body["event_action"], "resolve");
    assert_eq!(pd[0].body["dedup_key"], pd[1].body["dedup_key"]);
    // Matrix: a retry would be the same transaction; two events are two.
    let m: Vec<&Seen> = seen.iter().filter(|x| x.kind == "matrix").collect();
    assert_ne!(m[0].path, m[1].path);
    assert!(m.iter().all(|x| x.method == Method::PUT));
    // Every request names Beacon as its client.
    assert!(seen.iter().all(|x| {
        x.headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.starts_with("beacon/"))
    }));

    // Telegram's 429: waited the second it asked for, then delivered; the attempt log has no token.
    let (_, tg) = channels
        .iter()
        .find(|(k, _)| *k == "telegram")
        .expect("telegram");
    let list = home.json(&["deliveries", "list", "--webhook-id", tg]);
    let retried = list
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| home.json(&["deliveries", "get", &id(d)]))
        .find(|d| d["attempts"].as_array().is_some_and(|a| a.len() == 2))
        .expect("the delivery that met the 429");
    let at = |i: usize| {
        chrono::DateTime::parse_from_rfc3339(
            retried["attempts"][i]["started_at"].as_str().expect("time"),
        )
        .expect("rfc3339")
    };
    assert_eq!(retried["attempts"][0]["response_status"], 429);
    assert!(
        (at(1) - at(0)).num_milliseconds() >= 1000,
        "retry_after honoured: {retried}"
    );
    let text = retried.to_string();
    assert!(
        !text.contains(TELEGRAM_TOKEN) && text.contains("bot[redacted]"),
        "{text}"
    );
    for (kind, cid) in &channels {
        for d in home
            .json(&["deliveries", "list", "--webhook-id", cid])
            .as_array()
            .expect("list")
        {
            let detail = home
                .run(&["deliveries", "get", &id(d), "-o", "json"])
                .stdout;
            for secret in [
                TELEGRAM_TOKEN,
                PD_KEY,
                NTFY_TOKEN,
                GOTIFY_TOKEN,
                PUSHOVER_TOKEN,
                PUSHOVER_USER,
                MATRIX_TOKEN,
                SLACK_SECRET,
            ] {
                assert!(
                    !detail.contains(secret),
                    "{kind}: {secret} in the attempt log: {detail}"
                );
            }
        }
    }
}

#[test]
fn email_arrives_over_starttls_with_text_and_html_and_a_refused_recipient_fails_for_good() {
    let smtp = Smtp::start(Some("nobody@example.com"));
    let mut home = Home::sqlite();
    let ca = home.dir.join("smtp-ca.pem");
    std::fs::write(&ca, &smtp.ca_pem).expect("ca");
    let cfg = home.dir.join("beacon.yaml");
    std::fs::write(&cfg, format!("delivery:\n  ca_file: {}\n", ca.display())).expect("config");
    home.remote = Some(home.server(&["--config", cfg.to_str().expect("utf8")]));
    let port = smtp.port.to_string();
    let email = |name: &str, to: &str| {
        let (code, out, err) = with_stdin(
            &home,
            &[
                "channels",
                "create",
                "--kind",
                "email",
                "--name",
                name,
                "--smtp-host",
                "127.0.0.1",
                "--smtp-port",
                &port,
                "--smtp-security",
                "starttls",
                "--smtp-user",
                "beacon",
                "--smtp-password-stdin",
                "--from",
                "Beacon <beacon@example.com>",
                "--to",
                to,
                "-o",
                "json",
            ],
            "s3cret-pass\n",
        );
        assert_eq!(code, 0, "{err}");
        assert!(!out.contains("s3cret-pass"), "{out}");
        serde_json::from_str::<Value>(&out).expect("JSON")
    };
    let ops = email("ops-mail", "ops@example.com,oncall@example.com");
    assert_eq!(ops["settings"]["smtp_password"], "********", "{ops}");

    let out = home.run(&["channels", "test", "ops-mail", "-o", "json"]);
    let log = home.remote.as_ref().map(|s| s.log()).unwrap_or_default();
    assert_eq!(out.code, 0, "{}\n{log}", out.stderr);
    let tested = out.json();
    assert_eq!(tested["status"], "delivered", "{tested}");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.tls, "sent only after STARTTLS");
    assert_eq!(
        m.auth,
        Some(("beacon".to_owned(), "s3cret-pass".to_owned()))
    );
    assert_eq!(m.from, "beacon@example.com");
    assert_eq!(m.to, ["ops@example.com", "oncall@example.com"]);
    assert!(m.data.contains("Subject: [Beacon]"), "{}", m.data);
    assert!(
        m.data.contains("multipart/alternative")
            && m.data.contains("text/plain")
            && m.data.contains("text/html"),
        "{}",
        m.data
    );
    let attempt = tested["attempts"][0].to_string();
    assert!(!attempt.contains("s3cret-pass"), "{attempt}");
    assert!(attempt.contains("smtp://127.0.0.1"), "{attempt}");

    // A recipient the server refuses for good: failed at once, not retried.
    email("nobody", "nobody@example.com");
    let out = home.run(&["channels", "test", "nobody", "-o", "json"]);
    assert_ne!(out.code, 0);
    let failed = out.json();
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["attempts"][0]["response_status"], 550, "{failed}");
    assert!(out.stderr.contains("550"), "{}", out.stderr);
}

#[test]
fn bad_channel_input_is_refused_by_name_and_nothing_is_stored() {
    let home = Home::sqlite();
    for (args, field) in [
        (vec!["--kind", "sms", "--name", "a"], "kind"),
        (vec!["--kind", "slack", "--name", "a"], "url"),
        (
            vec![
                "--kind",
                "slack",
                "--name",
                "a",
                "--url",
                "ftp://hooks.slack.com/x",
            ],
            "url",
        ),
        (
            vec![
                "--kind",
                "slack",
                "--name",
                "a",
                "--url",
                "https://hooks.slack.com/x",
                "--chat-id",
                "1",
            ],
            "chat_id",
        ),
        (
            vec![
                "--kind",
                "email",
                "--name",
                "a",
                "--smtp-host",
                "smtp.example.com",
                "--from",
                "beacon@example.com",
                "--to",
                "not-an-address",
            ],
            "to",
        ),
        (vec!["--kind", "pagerduty", "--name", "a"], "routing_key"),
        (
            vec![
                "--kind",
                "matrix",
                "--name",
                "a",
                "--url",
                "https://m.example.org",
                "--room-id",
                "#alias:example.org",
            ],
            "room_id",
        ),
        (
            vec!["--kind", "ntfy", "--name", "a,b", "--topic", "x"],
            "name",
        ),
    ] {
        let mut all = vec!["channels", "create"];
        all.extend(args.iter());
        let out = home.run(&all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(field),
            "{args:?} names {field}: {}",
            out.stderr
        );
    }
    assert_eq!(
        home.json(&["channels", "list"]),
        json!([]),
        "nothing stored"
    );
    // A secret flag of the wrong kind is refused before anything is read or stored.
    let (code, _, err) = with_stdin(
        &home,
        &[
            "channels",
            "create",
            "--kind",
            "slack",
            "--name",
            "a",
            "--url",
            "https://hooks.slack.com/x",
            "--bot-token-stdin",
        ],
        "tok\n",
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("bot_token"), "{err}");
    // Names are unique; a channel's kind is fixed.
    home.json(&[
        "channels", "create", "--kind", "ntfy", "--name", "team", "--topic", "alerts",
    ]);
    let dup = home.run(&[
        "channels", "create", "--kind", "ntfy", "--name", "team", "--topic", "other",
    ]);
    assert_ne!(dup.code, 0);
    assert!(dup.stderr.contains("team"), "{}", dup.stderr);
    let wrong = home.run(&[
        "channels",
        "update",
        "team",
        "--smtp-host",
        "smtp.example.com",
    ]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("smtp_host"), "{}", wrong.stderr);
    let moved = home.json(&["channels", "update", "team", "--topic", "moved"]);
    assert_eq!(moved["settings"]["topic"], "moved");
}

#[test]
fn the_api_refuses_unknown_fields_and_subscribes_services() {
    let home = Home::remote();
    let sid = home.service();
    let token = format!("Bearer {}", home.admin_token());
    let post = |path: &str, body: Value| {
        home.request(
            "POST",
            path,
            &[
                ("Authorization", token.as_str()),
                ("Content-Type", "application/json"),
            ],
            Some(body.to_string().as_bytes()),
        )
    };
    let r = post(
        "/api/v1/channels",
        json!({"kind": "ntfy", "name": "n", "topic": "t", "colour": "red"}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("colour"), "{}", r.body);
    let r = post(
        "/api/v1/channels",
        json!({"kind": "ntfy", "name": "n", "topic": "t", "service_id": sid, "events": ["incident_started"]}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.json()["error"]["field"] == "events" || r.body.contains("events"),
        "{}",
        r.body
    );
    let made = post(
        "/api/v1/channels",
        json!({"kind": "ntfy", "name": "n", "topic": "t"}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let cid = id(&made.json());
    let sub = post(
        &format!("/api/v1/channels/{cid}/subscriptions"),
        json!({"service_id": sid, "events": ["heartbeat_down", "heartbeat_up"]}),
    );
    assert_eq!(sub.status, 200, "{}", sub.body);
    assert_eq!(
        sub.json()["subscriptions"][0]["events"],
        json!(["heartbeat_down", "heartbeat_up"])
    );
    let got = home.json(&["channels", "unsubscribe", "n", "--service-id", &sid]);
    assert_eq!(got["subscriptions"], json!([]));
    let again = home.run(&["channels", "unsubscribe", "n", "--service-id", &sid]);
    assert_ne!(again.code, 0);
}
