//! Public status pages and badges against `beacon server`: made with the CLI, read by anyone without signing in,
//! showing only what they name (no ids, no other services, no URLs unless allowed, never a URL's secrets), served
//! from a short cache, and badges whose revocable key names one monitor.

use crate::harness::{Home, Mode, Target, eventually, http};
use std::time::Duration;

fn get(base: &str, path: &str) -> crate::harness::Resp {
    http(&format!("{base}{path}"), "GET", &[], None)
}

#[test]
fn status_pages_show_only_their_services_and_badges_name_one_monitor() {
    let home = Home::remote();
    let base = format!("http://{}", home.remote.as_ref().expect("server").addr);
    let target = Target::start();
    let shop = crate::harness::id(&home.json(&["services", "create", "--name", "Shop"]));
    let health = home.endpoint(
        &shop,
        &format!("{}/shop?token=s3cret", target.base),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        "Shop",
        "--name",
        "nightly",
        "--period",
        "3600",
    ]);
    let internal = crate::harness::id(&home.json(&["services", "create", "--name", "Internal"]));
    let hidden = crate::harness::id(&home.json(&[
        "endpoints",
        "create",
        "--service-id",
        &internal,
        "--name",
        "secret-admin",
        "--url",
        &format!("{}/admin", target.base),
    ]));

    // Bad input: named, exit 1, nothing made.
    for (args, says) in [
        (
            vec!["--slug", "Bad Slug", "--title", "T", "--service", "Shop"],
            "slug",
        ),
        (
            vec!["--slug", "x", "--title", " ", "--service", "Shop"],
            "title",
        ),
        (
            vec!["--slug", "x", "--title", "T", "--service", "Nowhere"],
            "Nowhere",
        ),
    ] {
        let mut all = vec!["status-pages", "create"];
        all.extend(args);
        let out = home.run(&all);
        assert_eq!(out.code, 1, "{all:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{says}: {}", out.stderr);
    }
    assert_eq!(
        home.json(&["status-pages", "list"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let page = home.json(&[
        "status-pages",
        "create",
        "--slug",
        "shop",
        "--title",
        "Shop status",
        "--service",
        "Shop",
        "--description",
        "How the shop is doing",
    ]);
    assert_eq!(page["url"], format!("{base}/status/shop"));
    let again = home.run(&[
        "status-pages",
        "create",
        "--slug",
        "shop",
        "--title",
        "T",
        "--service",
        "Shop",
    ]);
    assert_eq!(again.code, 1, "a taken slug: {}", again.stderr);

    // Anyone, no sign-in: the page's services only, no ids, no URLs.
    let up = eventually(Duration::from_secs(30), "the page operational", || {
        let r = get(&base, "/status/shop.json");
        (r.status == 200 && r.json()["status"] == "operational" && r.body.contains("\"up\""))
            .then_some(r)
    });
    let body = &up.body;
    let json = up.json();
    assert_eq!(json["title"], "Shop status");
    let names: Vec<&str> = json["services"][0]["monitors"]
        .as_array()
        .expect("monitors")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"Health") && names.contains(&"nightly"));
    for leak in [
        &health,
        &hidden,
        &shop,
        &internal,
        "secret-admin",
        "Internal",
        "s3cret",
        "127.0.0.1",
    ] {
        assert!(!body.contains(leak), "{leak} leaked: {body}");
    }
    let html = get(&base, "/status/shop");
    assert_eq!(html.status, 200);
    assert!(
        html.body.contains("All systems operational")
            && html.body.contains("How the shop is doing")
    );
    assert!(!html.body.contains("secret-admin") && !html.body.contains(&health));
    assert!(
        html.headers
            .to_lowercase()
            .contains("cache-control: public, max-age=10")
    );
    assert_eq!(get(&base, "/status/nowhere").status, 404);
    assert_eq!(get(&base, "/status/nowhere.json").status, 404);

    // Served from a short cache: two reads within it are the same reading.
    let a = get(&base, "/status/shop.json").json()["updated_at"].clone();
    let b = get(&base, "/status/shop.json").json()["updated_at"].clone();
    assert_eq!(a, b);

    // Down: the banner says so, with the incident open (once the cache has moved on).
    target.set(Mode::Error500);
    let down = eventually(Duration::from_secs(40), "the page in an outage", || {
        let r = get(&base, "/status/shop.json").json();
        (r["open_incidents"].as_array().map(Vec::len) == Some(1)).then_some(r)
    });
    assert_eq!(down["open_incidents"][0]["monitor"], "Health");
    assert_ne!(down["status"], "operational");
    assert!(
        get(&base, "/status/shop")
            .body
            .contains("Ongoing incidents")
    );

    // URLs when the owner allows them: scheme, host and path, never the query.
    home.json(&["status-pages", "update", "shop", "--show-urls"]);
    let shown = get(&base, "/status/shop.json").json();
    let url = shown["services"][0]["monitors"]
        .as_array()
        .expect("monitors")
        .iter()
        .find(|m| m["name"] == "Health")
        .and_then(|m| m["url"].as_str())
        .expect("url shown")
        .to_owned();
    assert_eq!(url, format!("{}/shop", target.base));

    // Badges: by a key that names one monitor; a new key retires the old; revoked, they stop answering.
    let badge = home.json(&["badges", "create", "Health"]);
    let status_url = badge["status_url"].as_str().expect("status url").to_owned();
    let key = badge["key"].as_str().expect("key").to_owned();
    assert!(!status_url.contains(&health), "the badge URL names no id");
    let svg = http(&status_url, "GET", &[], None);
    assert_eq!(svg.status, 200);
    assert!(
        svg.headers
            .to_lowercase()
            .contains("content-type: image/svg+xml")
    );
    assert!(svg.body.contains("Health: down"), "{}", svg.body);
    let uptime = get(&base, &format!("/badge/{key}/uptime.svg?window=7d"));
    assert!(
        uptime.body.contains("uptime 7d") && uptime.body.contains('%'),
        "{}",
        uptime.body
    );
    assert_eq!(
        get(&base, &format!("/badge/{key}/uptime.svg?window=1y")).status,
        400
    );
    assert!(
        get(&base, &format!("/badge/{key}/latency.svg"))
            .body
            .contains("p95 24h")
    );
    let newer = home.json(&["badges", "create", "Health"])["key"]
        .as_str()
        .expect("key")
        .to_owned();
    assert_eq!(
        get(&base, &format!("/badge/{key}/status.svg")).status,
        404,
        "the old key is retired"
    );
    assert_eq!(
        get(&base, &format!("/badge/{newer}/status.svg")).status,
        200
    );
    assert_eq!(home.json(&["badges", "get", &health])["key"], newer);
    home.json(&["badges", "revoke", "Health"]);
    assert_eq!(
        get(&base, &format!("/badge/{newer}/status.svg")).status,
        404
    );
    assert_eq!(home.run(&["badges", "get", "Health"]).code, 1);
    assert_eq!(
        get(&base, &format!("/badge/{health}/status.svg")).status,
        404,
        "an id is not a key"
    );
    // A heartbeat's badge: its status.
    let hb_key = home.json(&["badges", "create", "nightly"])["key"]
        .as_str()
        .expect("key")
        .to_owned();
    assert!(
        get(&base, &format!("/badge/{hb_key}/status.svg"))
            .body
            .contains("nightly: unknown")
    );

    // Deleted: the address stops answering.
    home.json(&["status-pages", "delete", "shop"]);
    assert_eq!(get(&base, "/status/shop.json").status, 404);
}
