//! The dashboard's forms over real HTTP against `beacon server`: services, endpoints, heartbeats and webhooks
//! created and changed through them; bad input shown again with the field named, what was typed kept and nothing
//! stored; secrets shown once; API tokens that never grant more than their maker's role; users managed by admins.

use crate::harness::{Home, Target, http};
use crate::web::{Browser, csrf, location, make_user, sign_in};

/// The value of the secret shown once on the page.
fn shown_secret(body: &str) -> String {
    body.split("id=\"secret\" readonly value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no secret on {body}"))
        .to_owned()
}

/// The path a 303 leads to, after asserting it is one.
fn redirected(r: &crate::harness::Resp) -> String {
    assert_eq!(r.status, 303, "{}", r.body);
    location(r)
}

/// A page's `<title>`: plain words ending in "· Beacon" (no markup or script leaked into it).
fn assert_titled(b: &mut Browser, path: &str) {
    let page = b.get(path);
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    assert_eq!(page.body.matches("<title>").count(), 1, "{path}");
    let title = page
        .body
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default();
    assert!(
        title.ends_with("· Beacon") && !title.contains('<') && title.len() < 120,
        "{path}: title {title:?}"
    );
}

fn id_in(path: &str) -> String {
    path.rsplit('/').next().expect("id").to_owned()
}

fn post_form(b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> crate::harness::Resp {
    let token = csrf(&b.get(path));
    let mut form = vec![("csrf", token.as_str())];
    form.extend_from_slice(fields);
    b.post(path, &form)
}

#[test]
fn services_endpoints_heartbeats_and_webhooks_through_the_forms() {
    let home = Home::remote();
    let target = Target::start();
    make_user(&home, "ed@example.com", "editor");
    let mut ed = sign_in(&home, "ed@example.com");

    // A service: a missing name is named, nothing is stored; then created.
    let bad = post_form(
        &mut ed,
        "/services/new",
        &[("name", " "), ("description", "kept")],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"name-error\""), "{}", bad.body);
    assert!(bad.body.contains(">kept</textarea>"), "{}", bad.body);
    assert_eq!(
        home.json(&["services", "list"]).as_array().map(Vec::len),
        Some(0)
    );
    let shop = id_in(&redirected(&post_form(
        &mut ed,
        "/services/new",
        &[("name", "Shop"), ("description", "The web shop")],
    )));
    let page = ed.get(&format!("/services/{shop}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("The web shop") && page.body.contains("New endpoint"));
    // Its edit form sets reminders and the flap rule: shown as stored, a bad one named, nothing half-written.
    let edit = format!("/services/{shop}/edit");
    let shown = ed.get(&edit);
    assert!(
        shown.body.contains("value=\"off\"") && shown.body.contains("value=\"30m\""),
        "{}",
        shown.body
    );
    let settings = |every: &'static str, window: &'static str| {
        vec![
            ("name", "Shop"),
            ("description", "The web shop"),
            ("remind_every", every),
            ("remind_max", "3"),
            ("flap_changes", "2"),
            ("flap_window", window),
            ("escalation_policy", "none"),
        ]
    };
    let bad = post_form(&mut ed, &edit, &settings("15m", "10s"));
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("id=\"flap_window-error\""),
        "{}",
        bad.body
    );
    let mut negative = settings("15m", "10m");
    negative.retain(|(k, _)| *k != "flap_changes");
    negative.push(("flap_changes", "-1"));
    let bad = post_form(&mut ed, &edit, &negative);
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("id=\"flap_changes-error\""),
        "{}",
        bad.body
    );
    let s = home.json(&["services", "get", &shop]);
    assert_eq!(
        (s["remind_every"].clone(), s["flap_changes"].as_u64()),
        (serde_json::Value::Null, Some(6)),
        "nothing half-written: {s}"
    );
    redirected(&post_form(&mut ed, &edit, &settings("15m", "10m")));
    let s = home.json(&["services", "get", &shop]);
    assert_eq!(
        (
            s["remind_every"].as_str(),
            s["remind_max"].as_u64(),
            s["flap_changes"].as_u64(),
            s["flap_window"].as_str()
        ),
        (Some("15m"), Some(3), Some(2), Some("10m")),
        "{s}"
    );

    // An endpoint: each bad field is named with the CLI's message, the typed values stay, nothing is stored.
    let new = format!("/services/{shop}/endpoints/new");
    let url = format!("{}/health", target.base);
    let good: Vec<(&str, &str)> = vec![
        ("name", "checkout"),
        ("url", &url),
        ("method", "GET"),
        ("interval", "30"),
        ("timeout", "2.5"),
        ("expected_status", "200"),
        ("header", "X-Env: prod\r\nAccept: text/plain"),
        ("body", ""),
        ("expect_body_contains", ""),
        ("alert_threshold", "2"),
        ("recovery_threshold", "1"),
        ("follow_redirects", "on"),
        ("enabled", "on"),
        ("webhook_url", ""),
    ];
    let with = |field: &'static str, value: &'static str| {
        let mut f = good.clone();
        f.retain(|(k, _)| *k != field);
        f.push((field, value));
        f
    };
    for (field, value, says) in [
        ("interval", "abc", "not a whole number"),
        ("interval", "0", "outside 1..86400"),
        ("url", "ftp://example.com", "unsupported scheme"),
        ("expected_status", "2xx", "invalid status spec"),
        ("header", "no colon here", "malformed header"),
        ("timeout", "60", "timeout"),
    ] {
        let r = post_form(&mut ed, &new, &with(field, value));
        assert_eq!(r.status, 422, "{field}={value}: {}", r.body);
        assert!(
            r.body.contains(&format!("id=\"{field}-error\"")),
            "{field} named: {}",
            r.body
        );
        assert!(r.body.contains(says), "{field}: {says}: {}", r.body);
        assert!(r.body.contains("value=\"checkout\""), "typed name kept");
    }
    assert_eq!(
        home.json(&["endpoints", "list"]).as_array().map(Vec::len),
        Some(0)
    );
    let endpoint = id_in(&redirected(&post_form(&mut ed, &new, &good)));
    let e = home.json(&["endpoints", "get", &endpoint]);
    assert_eq!(e["interval_seconds"], 30);
    assert_eq!(e["timeout_seconds"], 2.5);
    assert_eq!(e["expected_status"], "200");
    assert_eq!(e["alert_threshold"], 2);
    assert_eq!(e["headers"]["X-Env"], "prod");
    assert_eq!(e["follow_redirects"], true);

    // Edited: the form shows what is stored; unticking "checked" pauses it.
    let edit = ed.get(&format!("/endpoints/{endpoint}/edit"));
    assert!(edit.body.contains("value=\"30\"") && edit.body.contains("X-Env: prod"));
    let mut changed = with("interval", "60");
    changed.retain(|(k, _)| *k != "enabled");
    redirected(&post_form(
        &mut ed,
        &format!("/endpoints/{endpoint}/edit"),
        &changed,
    ));
    let e = home.json(&["endpoints", "get", &endpoint]);
    assert_eq!(
        (e["interval_seconds"].as_i64(), e["enabled"].as_bool()),
        (Some(60), Some(false))
    );
    assert_eq!(e["status"], "paused");

    // A heartbeat: the schedule previewed as typed, both kinds at once refused, then made with its key shown once.
    let preview = ed.get("/fragments/schedule?cron=0%203%20*%20*%20*&tz=Europe%2FBerlin");
    assert_eq!(preview.status, 200);
    assert!(
        preview.body.contains("03:00") && preview.body.contains("Europe/Berlin"),
        "{}",
        preview.body
    );
    assert_eq!(
        preview.body.matches(", ").count(),
        2,
        "three next times: {}",
        preview.body
    );
    let bad_tz = ed.get("/fragments/schedule?cron=0%203%20*%20*%20*&tz=Mars%2FOlympus");
    assert!(bad_tz.body.contains("unknown time zone"), "{}", bad_tz.body);
    let new_hb = format!("/services/{shop}/heartbeats/new");
    let both = post_form(
        &mut ed,
        &new_hb,
        &[
            ("name", "backup"),
            ("period", "300"),
            ("cron", "0 3 * * *"),
            ("tz", ""),
            ("grace", "60"),
        ],
    );
    assert_eq!(both.status, 422, "{}", both.body);
    assert!(both.body.contains("id=\"period-error\""), "{}", both.body);
    assert!(both.body.contains("value=\"0 3 * * *\""), "typed cron kept");
    let made = post_form(
        &mut ed,
        &new_hb,
        &[
            ("name", "backup"),
            ("slug", ""),
            ("period", ""),
            ("cron", "0 3 * * *"),
            ("tz", "Europe/Berlin"),
            ("grace", "600"),
        ],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let key = shown_secret(&made.body);
    let hbs = home.json(&["heartbeats", "list"]);
    assert_eq!(hbs[0]["cron"], "0 3 * * *");
    assert_eq!(hbs[0]["tz"], "Europe/Berlin");
    assert_eq!(hbs[0]["grace_seconds"], 600);
    let hid = hbs[0]["id"].as_str().expect("id").to_owned();
    let ping = http(
        &format!("{}/ping/{hid}", ed.base),
        "POST",
        &[("Authorization", &format!("Bearer {key}"))],
        None,
    );
    assert_eq!(ping.status, 200, "the key shown once works: {}", ping.body);
    // Switched to a period: the time zone of the old cron expression is not sent along.
    redirected(&post_form(
        &mut ed,
        &format!("/heartbeats/{hid}/edit"),
        &[
            ("name", "backup"),
            ("period", "3600"),
            ("cron", ""),
            ("tz", "Europe/Berlin"),
            ("grace", "60"),
        ],
    ));
    assert_eq!(
        home.json(&["heartbeats", "get", &hid])["period_seconds"],
        3600
    );

    // A webhook: no event kind is named as the fault; made with its secret shown once; edited.
    let new_wh = format!("/services/{shop}/webhooks/new");
    let hook_url = format!("{}/hook", target.base);
    let none = post_form(
        &mut ed,
        &new_wh,
        &[("url", &hook_url), ("secret", ""), ("header", "")],
    );
    assert_eq!(none.status, 422);
    assert!(none.body.contains("id=\"events-error\""), "{}", none.body);
    let made = post_form(
        &mut ed,
        &new_wh,
        &[
            ("url", &hook_url),
            ("events", "incident_start"),
            ("events", "heartbeat_down"),
            ("secret", ""),
            ("header", ""),
        ],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(shown_secret(&made.body).starts_with("whsec_"));
    let hooks = home.json(&["webhooks", "list"]);
    assert_eq!(
        hooks[0]["events"],
        serde_json::json!(["incident_start", "heartbeat_down"])
    );
    let wid = hooks[0]["id"].as_str().expect("id").to_owned();
    let page = ed.get(&format!("/webhooks/{wid}"));
    assert!(page.body.contains("Send a test event"), "{}", page.body);
    redirected(&post_form(
        &mut ed,
        &format!("/webhooks/{wid}/edit"),
        &[
            ("url", &hook_url),
            ("events", "incident_resolved"),
            ("secret", ""),
            ("header", ""),
        ],
    ));
    assert_eq!(
        home.json(&["webhooks", "get", &wid])["events"],
        serde_json::json!(["incident_resolved"])
    );
    // The test event's attempt is in the log.
    let token = csrf(&page);
    let tested = ed.post(&format!("/webhooks/{wid}/test"), &[("csrf", &token)]);
    assert!(
        tested.body.contains("The test event was delivered"),
        "{}",
        tested.body
    );
    assert_eq!(target.hits("/hook"), 1);

    // A status page: without a service it is refused with the field named; then made, and public.
    let none = post_form(
        &mut ed,
        "/status-pages/new",
        &[("slug", "shop-status"), ("title", "Shop")],
    );
    assert_eq!(none.status, 422, "{}", none.body);
    assert!(none.body.contains("id=\"service-error\""), "{}", none.body);
    assert!(
        none.body.contains("value=\"shop-status\""),
        "typed slug kept"
    );
    redirected(&post_form(
        &mut ed,
        "/status-pages/new",
        &[
            ("slug", "shop-status"),
            ("title", "Shop"),
            ("service", &shop),
        ],
    ));
    assert!(ed.get("/status-pages").body.contains("/status/shop-status"));
    assert_eq!(
        http(&format!("{}/status/shop-status", ed.base), "GET", &[], None).status,
        200
    );
    // A badge made from the endpoint's page.
    let page = ed.get(&format!("/endpoints/{endpoint}"));
    assert!(page.body.contains("Make a badge"), "{}", page.body);
    let token = csrf(&page);
    redirected(&ed.post(&format!("/endpoints/{endpoint}/badge"), &[("csrf", &token)]));
    let page = ed.get(&format!("/endpoints/{endpoint}"));
    assert!(page.body.contains("Markdown for a README") && page.body.contains("/badge/bdg_"));

    // Every page a person uses is titled in words.
    for path in [
        "/".to_owned(),
        "/services".to_owned(),
        format!("/services/{shop}"),
        format!("/endpoints/{endpoint}"),
        format!("/endpoints/{endpoint}/edit"),
        format!("/heartbeats/{hid}"),
        format!("/webhooks/{wid}"),
        "/webhooks".to_owned(),
        "/incidents".to_owned(),
        "/status-pages".to_owned(),
        "/settings".to_owned(),
        "/settings/tokens/new".to_owned(),
    ] {
        assert_titled(&mut ed, &path);
    }

    // The service page lists what was made.
    let page = ed.get(&format!("/services/{shop}"));
    for shown in ["checkout", "backup", &hook_url] {
        assert!(page.body.contains(shown), "{shown} on the service page");
    }
}

#[test]
fn tokens_never_outrank_their_maker_and_admins_manage_users() {
    let home = Home::remote();
    make_user(&home, "admin@example.com", "admin");
    make_user(&home, "ed@example.com", "editor");
    make_user(&home, "vi@example.com", "viewer");
    let mut ed = sign_in(&home, "ed@example.com");
    let base = ed.base.clone();
    let api = |token: &str, method: &str, path: &str, body: Option<&str>| {
        http(
            &format!("{base}{path}"),
            method,
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/json"),
            ],
            body.map(str::as_bytes),
        )
        .status
    };

    // A viewer cannot make a service, even with its own valid CSRF token.
    let mut vi = sign_in(&home, "vi@example.com");
    let forged = post_form(&mut vi, "/services/new", &[("name", "Nope")]);
    assert_eq!(forged.status, 403);
    assert_eq!(
        home.json(&["services", "list"]).as_array().map(Vec::len),
        Some(0)
    );

    // An editor offered only read and write; asking for admin anyway is refused with the field named.
    let form = ed.get("/settings/tokens/new");
    assert!(form.body.contains("value=\"write\"") && !form.body.contains("value=\"admin\""));
    let refused = post_form(
        &mut ed,
        "/settings/tokens/new",
        &[("name", "ci"), ("scope", "admin")],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"scope-error\""),
        "{}",
        refused.body
    );
    let made = post_form(
        &mut ed,
        "/settings/tokens/new",
        &[("name", "ci"), ("scope", "write")],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let write = shown_secret(&made.body);
    assert_eq!(
        api(
            &write,
            "POST",
            "/api/v1/services",
            Some(r#"{"name":"From CI"}"#)
        ),
        201
    );
    assert_eq!(
        api(&write, "GET", "/api/v1/tokens", None),
        403,
        "write cannot list tokens"
    );
    let spare = shown_secret(
        &post_form(
            &mut ed,
            "/settings/tokens/new",
            &[("name", "spare"), ("scope", "write")],
        )
        .body,
    );
    let unused = shown_secret(
        &post_form(
            &mut ed,
            "/settings/tokens/new",
            &[("name", "unused"), ("scope", "read")],
        )
        .body,
    );
    // The editor sees their own tokens only; the admin sees them with who made them.
    let settings = ed.get("/settings");
    assert!(settings.body.contains(">ci<") && !settings.body.contains("Users</h2>"));
    let mut admin = sign_in(&home, "admin@example.com");
    let settings = admin.get("/settings");
    assert!(
        settings.body.contains("ed@example.com"),
        "{}",
        settings.body
    );

    // Demoted to viewer by an admin: the token not used yet (so not cached) now only reads.
    let users = home.json(&["users", "list"]);
    let ed_id = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == "ed@example.com")
        .and_then(|u| u["id"].as_str())
        .expect("ed")
        .to_owned();
    let bad = post_form(
        &mut admin,
        &format!("/settings/users/{ed_id}/edit"),
        &[
            ("name", "Ed"),
            ("email", "ed@example.com"),
            ("role", "viewer"),
            ("password", "short"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"password-error\""), "{}", bad.body);
    assert_eq!(
        home.json(&["users", "get", &ed_id])["role"],
        "editor",
        "nothing changed"
    );
    redirected(&post_form(
        &mut admin,
        &format!("/settings/users/{ed_id}/edit"),
        &[
            ("name", "Ed"),
            ("email", "ed@example.com"),
            ("role", "viewer"),
            ("password", ""),
        ],
    ));
    assert_eq!(api(&spare, "GET", "/api/v1/services", None), 200);
    assert_eq!(
        api(
            &spare,
            "POST",
            "/api/v1/services",
            Some(r#"{"name":"Later"}"#)
        ),
        403
    );
    // Deleted: their tokens go with them.
    let token = csrf(&admin.get("/settings"));
    redirected(&admin.post(
        &format!("/settings/users/{ed_id}/delete"),
        &[("csrf", &token)],
    ));
    assert_eq!(api(&unused, "GET", "/api/v1/services", None), 401);
    assert_eq!(
        home.json(&["users", "list"]).as_array().map(Vec::len),
        Some(2)
    );
}
