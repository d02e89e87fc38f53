//! The dashboard in a real browser: Debian's headless Chromium driven through chromedriver (WebDriver). First-run
//! setup through the form, the overview showing an endpoint up and then down without a reload, the page at phone
//! width, and sign-out. Screenshots of what the pages show are written to `target/screenshots/`.

use crate::harness::{Home, Mode, Target, free_port};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver on a port of its own, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; .ci/run installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, port }
    }

    async fn browser(&self, width: u32, height: u32) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}")],
            }),
        );
        ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// Wait (up to `secs`) until `check` holds on the page's text.
async fn until(c: &Client, secs: u64, what: &str, check: impl Fn(&str) -> bool) -> String {
    until_in(c, "main", secs, what, check).await
}

/// Wait (up to `secs`) until `check` holds on the text of the element `css` selects (empty while there is none).
async fn until_in(
    c: &Client,
    css: &str,
    secs: u64,
    what: &str,
    check: impl Fn(&str) -> bool,
) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let text = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if check(&text) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}; the page says:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Whether the page fits the window's width (nothing scrolls sideways).
async fn fits_width(c: &Client) -> bool {
    c.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth;",
        vec![],
    )
    .await
    .expect("width")
    .as_bool()
    .unwrap_or(false)
}

/// Type into the field with this id, replacing what it held.
async fn fill(c: &Client, id: &str, text: &str) {
    let field = c.find(Locator::Id(id)).await.expect(id);
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

/// What the field with this id holds now.
async fn value_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .expect(id)
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

/// Fill in the first-run form (the page must show it) as the first admin, Ada, and send it.
async fn set_up_first_admin(c: &Client) {
    fill(c, "name", "Ada").await;
    fill(c, "email", "ada@example.com").await;
    fill(c, "password", "long enough pw").await;
    c.find(Locator::Css("button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
}

async fn submit(c: &Client) {
    c.find(Locator::Css("main button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
}

#[tokio::test(flavor = "multi_thread")]
async fn first_run_overview_live_and_sign_out_in_a_browser() {
    let home = Home::remote();
    let base = format!("http://{}", home.remote.as_ref().expect("server").addr);
    let target = Target::start();
    let driver = Driver::start();
    let c = driver.browser(1280, 900).await;

    // First run: / leads to the setup form; fill it in by keyboard like a person.
    c.goto(&format!("{base}/")).await.expect("open");
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/setup")
    );
    screenshot(&c, "setup").await;
    set_up_first_admin(&c).await;
    until(&c, 10, "the overview after setup", |t| {
        t.contains("No monitors yet")
    })
    .await;

    // A service and an endpoint made through the forms; a bad interval is named and what was typed stays.
    c.goto(&format!("{base}/services/new")).await.expect("open");
    fill(&c, "f-name", "Shop").await;
    fill(&c, "f-description", "The web shop").await;
    submit(&c).await;
    until(&c, 10, "the service page", |t| t.contains("New endpoint")).await;
    c.find(Locator::LinkText("New endpoint"))
        .await
        .expect("new endpoint link")
        .click()
        .await
        .expect("click");
    until(&c, 10, "the endpoint form", |t| {
        t.contains("Expected status")
    })
    .await;
    fill(&c, "f-name", "Health").await;
    fill(&c, "f-url", &format!("{}/shop", target.base)).await;
    fill(&c, "f-interval", "soon").await;
    fill(&c, "f-alert_threshold", "1").await;
    screenshot(&c, "endpoint-form").await;
    submit(&c).await;
    let error = until_in(&c, "#interval-error", 10, "the interval named", |t| {
        t.contains("not a whole number")
    })
    .await;
    assert!(error.contains("soon"), "{error}");
    assert_eq!(
        value_of(&c, "f-name").await,
        "Health",
        "what was typed stays"
    );
    fill(&c, "f-interval", "1").await;
    submit(&c).await;
    until(&c, 10, "the new endpoint's page", |t| {
        t.contains("Recent checks")
    })
    .await;

    // It appears on the overview and turns up, then down when its target fails — without a reload (a marker set
    // on the page survives).
    c.goto(&format!("{base}/")).await.expect("open");
    c.execute("window.beaconMarker = 42;", vec![])
        .await
        .expect("marker");
    let status = "tr[data-monitor=\"Health\"] .status";
    until_in(&c, status, 20, "the endpoint up", |t| t == "up").await;
    screenshot(&c, "overview").await;
    // Keyboard: Tab alone reaches the navigation, the filters, the monitor's link and the theme switch.
    let mut reached = Vec::new();
    c.execute("document.body.focus();", vec![])
        .await
        .expect("focus");
    for _ in 0..25 {
        // The focused element may be replaced by the live update in between: ask again then.
        for attempt in 0..3 {
            let sent = match c.active_element().await {
                Ok(e) => e.send_keys("\u{E004}").await.is_ok(),
                Err(_) => false,
            };
            if sent {
                break;
            }
            assert!(attempt < 2, "Tab could not be sent");
        }
        let label = c
            .execute(
                "var e = document.activeElement; return (e.id || e.textContent || '').trim();",
                vec![],
            )
            .await
            .expect("focused label");
        reached.push(label.as_str().unwrap_or("").to_owned());
    }
    for wanted in ["Services", "q", "Health", "theme"] {
        assert!(
            reached.iter().any(|r| r == wanted),
            "{wanted} not reached by Tab: {reached:?}"
        );
    }
    // The theme switch: dark whatever the system prefers, kept across pages.
    for _ in 0..2 {
        c.find(Locator::Id("theme"))
            .await
            .expect("theme")
            .click()
            .await
            .expect("click");
    }
    let dark = |c: &Client| {
        let c = c.clone();
        async move {
            c.execute(
                "return getComputedStyle(document.body).backgroundColor;",
                vec![],
            )
            .await
            .expect("colour")
        }
    };
    assert_eq!(dark(&c).await, json!("rgb(13, 17, 23)"));
    screenshot(&c, "overview-dark").await;
    c.refresh().await.expect("reload");
    assert_eq!(
        dark(&c).await,
        json!("rgb(13, 17, 23)"),
        "the theme is kept"
    );
    c.find(Locator::Id("theme"))
        .await
        .expect("theme")
        .click()
        .await
        .expect("back to system");
    c.execute("window.beaconMarker = 42;", vec![])
        .await
        .expect("marker");
    target.set(Mode::Error500);
    until_in(&c, status, 30, "the endpoint down without a reload", |t| {
        t == "down"
    })
    .await;
    let marker = c
        .execute("return window.beaconMarker;", vec![])
        .await
        .expect("marker");
    assert_eq!(marker, json!(42), "the page was reloaded");
    screenshot(&c, "overview-down").await;

    // The incident page shows it open; resolving it by hand moves it to the resolved list.
    c.goto(&format!("{base}/incidents")).await.expect("open");
    until_in(&c, "main table", 10, "the open incident", |t| {
        t.contains("Health")
    })
    .await;
    // Acknowledging records who took it; the button goes.
    c.find(Locator::Css(
        "tr[data-incident] form[action$='/ack'] button",
    ))
    .await
    .expect("acknowledge button")
    .click()
    .await
    .expect("click");
    until(&c, 10, "the incident acknowledged by Ada", |t| {
        t.contains("Acknowledged by Ada")
    })
    .await;
    screenshot(&c, "incidents").await;
    c.find(Locator::Css(
        "tr[data-incident] form[action$='/resolve'] button",
    ))
    .await
    .expect("resolve button")
    .click()
    .await
    .expect("click");
    until(&c, 10, "the incident resolved by hand", |t| {
        t.contains("manual")
    })
    .await;
    c.goto(&format!("{base}/")).await.expect("open");

    // The endpoint's page: its recent checks with phase timings; pausing it from there shows it paused.
    c.find(Locator::LinkText("Health"))
        .await
        .expect("link to the endpoint")
        .click()
        .await
        .expect("click");
    let text = until(&c, 10, "the endpoint page", |t| t.contains("Recent checks")).await;
    assert!(text.contains("500") && text.contains("ms"), "{text}");
    // The latency chart is drawn from the rollups, with p50/p95/p99 in its legend; the 90-day bars end today.
    let legend = until_in(&c, "#chart .u-legend", 15, "the latency chart", |t| {
        t.contains("p95")
    })
    .await;
    assert!(legend.contains("p50") && legend.contains("p99"), "{legend}");
    let today: String = c
        .find(Locator::Css(".bars.days span:last-child"))
        .await
        .expect("today's cell")
        .attr("title")
        .await
        .expect("title")
        .unwrap_or_default();
    assert!(today.contains(" %"), "today has checks: {today}");
    // The target recovers: the page shows it up and the new checks without a reload.
    c.execute("window.beaconMarker = 7;", vec![])
        .await
        .expect("marker");
    target.set(Mode::Ok);
    until_in(&c, "#status", 30, "the endpoint up without a reload", |t| {
        t == "up"
    })
    .await;
    let marker = c
        .execute("return window.beaconMarker;", vec![])
        .await
        .expect("marker");
    assert_eq!(marker, json!(7), "the endpoint page was reloaded");
    screenshot(&c, "endpoint").await;
    c.find(Locator::Css("form[action$='/pause'] button"))
        .await
        .expect("pause button")
        .click()
        .await
        .expect("click");
    until_in(&c, "#status", 10, "paused", |t| t == "paused").await;
    c.goto(&format!("{base}/")).await.expect("open");

    // At phone width the page still works: the monitor and its status are there.
    c.set_window_size(360, 800).await.expect("resize");
    until_in(&c, status, 15, "the overview at 360 px", |t| t == "paused").await;
    assert!(
        fits_width(&c).await,
        "the overview scrolls sideways at 360 px"
    );
    screenshot(&c, "overview-phone").await;

    // A heartbeat's page, reached from the overview: schedule in words, the ping URL to copy, its pings.
    c.set_window_size(1280, 900).await.expect("resize");
    let hb = home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        "Shop",
        "--name",
        "Nightly backup",
        "--cron",
        "0 3 * * *",
        "--tz",
        "Europe/Berlin",
    ]);
    let url = hb["ping_url"].as_str().expect("ping url").to_owned();
    crate::harness::http(
        &format!("{url}/0"),
        "POST",
        &[],
        Some(b"backup done: 42 files"),
    );
    c.goto(&format!("{base}/?q=nightly")).await.expect("open");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::LinkText("Nightly backup"))
        .await
        .expect("link to the heartbeat")
        .click()
        .await
        .expect("click");
    let text = until(&c, 10, "the heartbeat page", |t| t.contains("Recent pings")).await;
    assert!(text.contains("every day at 03:00 Europe/Berlin"), "{text}");
    assert!(text.contains("backup done: 42 files"), "{text}");
    screenshot(&c, "heartbeat").await;

    // A worker of a region: the workers page lists it and the region, also at phone width; the endpoint it checks
    // shows that region's status.
    home.json(&["regions", "create", "eu-west"]);
    let shop = crate::harness::id(&home.json(&["services", "get", "Shop"]));
    let eu = home.endpoint(
        &shop,
        &format!("{}/eu", target.base),
        &["--interval", "1", "--regions", "eu-west"],
    );
    let token = home.json(&[
        "tokens", "create", "--name", "probe", "--scope", "worker", "--region", "eu-west",
    ])["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let _worker = crate::workers::Worker::start(home.command(&[
        "worker",
        "--token",
        &token,
        "--name",
        "probe-eu-1",
    ]));
    crate::harness::eventually(Duration::from_secs(20), "the worker's first checks", || {
        (target.hits("/eu") > 0).then_some(())
    });
    c.goto(&format!("{base}/workers")).await.expect("open");
    let text = until(&c, 20, "the worker listed", |t| t.contains("probe-eu-1")).await;
    assert!(text.contains("eu-west"), "{text}");
    screenshot(&c, "workers").await;
    c.goto(&format!("{base}/endpoints/{eu}"))
        .await
        .expect("open");
    let text = until(&c, 20, "the region up on the endpoint page", |t| {
        t.contains("eu-west") && t.contains("Regions") && !t.contains("never")
    })
    .await;
    assert!(text.contains("an incident opens when 1 of 1"), "{text}");
    screenshot(&c, "endpoint-regions").await;
    c.set_window_size(360, 800).await.expect("resize");
    c.goto(&format!("{base}/workers")).await.expect("open");
    until(&c, 10, "the workers page at phone width", |t| {
        t.contains("probe-eu-1")
    })
    .await;
    assert!(
        fits_width(&c).await,
        "the workers page scrolls sideways at 360 px"
    );
    screenshot(&c, "workers-phone").await;

    // Sign out: back to the sign-in page, and the overview is closed.
    c.set_window_size(1280, 900).await.expect("resize");
    c.find(Locator::Css("header form button"))
        .await
        .expect("sign out button")
        .click()
        .await
        .expect("click");
    until(&c, 10, "the sign-in page", |t| t.contains("Sign in")).await;
    c.goto(&format!("{base}/")).await.expect("open");
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/sign-in")
    );
    screenshot(&c, "sign-in").await;

    // A public status page, signed out: the service's monitors with their 90 daily cells, also at phone width.
    home.json(&[
        "status-pages",
        "create",
        "--slug",
        "shop",
        "--title",
        "Shop status",
        "--service",
        "Shop",
    ]);
    // Maintenance coming up is announced with its reason.
    home.json(&[
        "maintenance",
        "create",
        "--service",
        "Shop",
        "--cron",
        "0 3 * * *",
        "--duration",
        "30m",
        "--reason",
        "Nightly database upgrade",
    ]);
    c.goto(&format!("{base}/status/shop")).await.expect("open");
    let text = until(&c, 10, "the status page", |t| t.contains("Shop status")).await;
    assert!(
        text.contains("Health") && text.contains("Nightly backup"),
        "{text}"
    );
    assert!(
        text.contains("Maintenance") && text.contains("Nightly database upgrade"),
        "{text}"
    );
    assert!(!text.contains("Sign out"), "nothing of the dashboard");
    screenshot(&c, "status-page").await;
    c.set_window_size(360, 800).await.expect("resize");
    assert!(
        fits_width(&c).await,
        "the status page scrolls sideways at 360 px"
    );
    screenshot(&c, "status-page-phone").await;
    c.close().await.expect("close");
}

/// The Kubernetes page of a `beacon kubernetes run`: the watcher's checks, tracked objects with their status, a
/// filter, and each event with its deliveries (a failed one shown as such), also at phone width.
#[tokio::test(flavor = "multi_thread")]
async fn the_kubernetes_page_shows_objects_events_and_the_watcher() {
    use crate::kubernetes::{KEY, Receiver, cluster, config, run};
    let home = Home::sqlite();
    let k = cluster();
    let receiver = Receiver::start();
    k.apply(
        "configmaps",
        "default",
        "api-gateway",
        &[(KEY, "managed")],
        &[],
    );
    k.apply(
        "llminferenceservices",
        "models",
        "llama-70b",
        &[(KEY, "true")],
        &[],
    );
    let server = run(&home, &config(&home, &k, &receiver, ""));
    receiver.wait_for(&[("created", "api-gateway"), ("created", "llama-70b")]);
    // The receiver refuses the next one for good: the page shows it failed.
    receiver.set(404);
    k.delete("configmaps", "default", "api-gateway");
    crate::harness::eventually(Duration::from_secs(20), "the failed delivery", || {
        let events = crate::harness::array(home.json(&["kubernetes", "events", "list"]));
        events
            .iter()
            .any(|e| e["deliveries"]["failed"] == 1)
            .then_some(())
    });
    let base = format!("http://{}", server.addr);
    let driver = Driver::start();
    let c = driver.browser(1280, 900).await;
    c.goto(&format!("{base}/")).await.expect("open");
    until(&c, 10, "the first-run form", |t| t.contains("Create")).await;
    set_up_first_admin(&c).await;
    until(&c, 10, "the overview", |t| t.contains("Overview")).await;
    c.goto(&format!("{base}/kubernetes")).await.expect("open");
    let text = until(&c, 10, "the objects", |t| {
        t.contains("llama-70b") && t.contains("api-gateway")
    })
    .await;
    assert!(
        text.contains("watchers") && text.contains("2 watching"),
        "{text}"
    );
    assert!(text.contains("LLMInferenceService"), "{text}");
    assert!(text.contains("missed creation"), "{text}");
    let failed = c
        .find(Locator::Css("td .status.down"))
        .await
        .expect("a failed delivery marked")
        .text()
        .await
        .expect("text");
    assert_eq!(failed, "1");
    screenshot(&c, "kubernetes").await;
    // Filter: only deleted objects.
    c.find(Locator::Css("select[name=status] option[value=deleted]"))
        .await
        .expect("option")
        .click()
        .await
        .expect("click");
    c.find(Locator::Css("form.filters button[type=submit]"))
        .await
        .expect("filter")
        .click()
        .await
        .expect("click");
    // The filtered page: its objects (the part above Events) hold the deleted object and not the active one —
    // neither the page before the click nor the blank one between the two matches that.
    let text = until(&c, 10, "the filtered list", |t| {
        t.split("Events").next().is_some_and(|objects| {
            objects.contains("api-gateway") && !objects.contains("llama-70b")
        })
    })
    .await;
    let objects = text.split("Events").next().unwrap_or("");
    assert!(objects.contains("api-gateway"), "{text}");
    assert!(!objects.contains("llama-70b"), "{text}");
    c.set_window_size(360, 800).await.expect("resize");
    c.goto(&format!("{base}/kubernetes")).await.expect("open");
    until(&c, 10, "the page at phone width", |t| {
        t.contains("llama-70b")
    })
    .await;
    screenshot(&c, "kubernetes-phone").await;
    assert!(
        fits_width(&c).await,
        "the kubernetes page scrolls sideways at 360 px"
    );
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_channel_is_made_tested_and_shown_with_its_secrets_masked_in_a_browser() {
    let home = Home::sqlite();
    let port = crate::harness::free_port();
    let seen = crate::delivery::receiver(port);
    let server = home.server(&[]);
    let base = format!("http://{}", server.addr);
    let driver = Driver::start();
    let c = driver.browser(1280, 900).await;
    c.goto(&format!("{base}/")).await.expect("open");
    until(&c, 10, "the first-run form", |t| t.contains("Create")).await;
    set_up_first_admin(&c).await;
    until(&c, 10, "the overview", |t| t.contains("Overview")).await;
    c.goto(&format!("{base}/channels")).await.expect("open");
    until(&c, 10, "the empty list", |t| t.contains("No channels yet")).await;
    c.find(Locator::LinkText("New channel"))
        .await
        .expect("the new-channel link")
        .click()
        .await
        .expect("click");
    until(&c, 10, "the form", |t| t.contains("Bot token")).await;
    // A field of another kind: the form comes back with that field named and what was typed kept.
    let choose = |kind: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Css(&format!(
                "select[name=kind] option[value={kind}]"
            )))
            .await
            .expect("kind option")
            .click()
            .await
            .expect("choose");
        }
    };
    choose("ntfy").await;
    fill(&c, "f-name", "phones").await;
    fill(&c, "f-topic", "alerts").await;
    fill(&c, "f-chat_id", "42").await;
    submit(&c).await;
    let text = until(&c, 10, "the error", |t| t.contains("chat_id")).await;
    assert!(text.contains("a ntfy channel has no chat_id"), "{text}");
    assert_eq!(value_of(&c, "f-topic").await, "alerts");
    c.execute(
        "document.querySelector('[aria-invalid=true]').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .expect("scroll to the field at fault");
    screenshot(&c, "channel-form-error").await;
    fill(&c, "f-chat_id", "").await;
    fill(&c, "f-url", &format!("http://127.0.0.1:{port}/ntfy/")).await;
    fill(&c, "f-token", "tk_browsersecret").await;
    submit(&c).await;
    let text = until(&c, 10, "the channel's page", |t| {
        t.contains("Recent deliveries")
    })
    .await;
    assert!(text.contains("phones") && text.contains("ntfy"), "{text}");
    assert!(
        text.contains("********") && !text.contains("tk_browsersecret"),
        "{text}"
    );
    c.find(Locator::Css("main form[action$='/test'] button"))
        .await
        .expect("the test button")
        .click()
        .await
        .expect("click");
    let text = until(&c, 10, "the test's outcome", |t| {
        t.contains("The test message")
    })
    .await;
    assert!(text.contains("was delivered"), "{text}");
    assert!(
        text.contains("delivered") && text.contains("test"),
        "{text}"
    );
    {
        let seen = seen.lock().expect("seen");
        let (headers, body) = seen.last().expect("the test message arrived");
        assert!(body.contains("\"topic\":\"alerts\""), "{body}");
        assert_eq!(
            headers.get("authorization").and_then(|v| v.to_str().ok()),
            Some("Bearer tk_browsersecret")
        );
    }
    screenshot(&c, "channel").await;
    // Edit: the kind's fields come filled in, the token empty; a bad URL is named; the token is kept.
    c.find(Locator::LinkText("Edit"))
        .await
        .expect("the edit link")
        .click()
        .await
        .expect("click");
    until(&c, 10, "the edit form", |t| {
        t.contains("Edit channel phones")
    })
    .await;
    assert_eq!(value_of(&c, "f-topic").await, "alerts");
    assert_eq!(
        value_of(&c, "f-token").await,
        "",
        "a secret is never sent to the browser"
    );
    assert!(
        c.find(Locator::Id("f-bot_token")).await.is_err(),
        "only the ntfy fields"
    );
    fill(&c, "f-topic", "oncall").await;
    fill(&c, "f-url", "ftp://127.0.0.1/ntfy").await;
    submit(&c).await;
    let error = until_in(&c, "#url-error", 10, "the URL named", |t| !t.is_empty()).await;
    assert!(error.contains("http"), "{error}");
    assert_eq!(
        value_of(&c, "f-topic").await,
        "oncall",
        "what was typed is kept"
    );
    screenshot(&c, "channel-edit-error").await;
    fill(&c, "f-url", &format!("http://127.0.0.1:{port}/ntfy/")).await;
    submit(&c).await;
    let text = until(&c, 10, "the channel's page again", |t| {
        t.contains("Recent deliveries") && t.contains("oncall")
    })
    .await;
    assert!(!text.contains("tk_browsersecret"), "{text}");
    c.find(Locator::Css("main form[action$='/test'] button"))
        .await
        .expect("the test button")
        .click()
        .await
        .expect("click");
    until(&c, 10, "the second test", |t| t.contains("was delivered")).await;
    {
        let seen = seen.lock().expect("seen");
        let (headers, body) = seen.last().expect("the second test arrived");
        assert!(body.contains("\"topic\":\"oncall\""), "{body}");
        assert_eq!(
            headers.get("authorization").and_then(|v| v.to_str().ok()),
            Some("Bearer tk_browsersecret"),
            "the token left empty was kept"
        );
    }
    c.goto(&format!("{base}/channels")).await.expect("open");
    let text = until(&c, 10, "the list", |t| t.contains("phones")).await;
    assert!(text.contains("ntfy"), "{text}");
    screenshot(&c, "channels").await;
    c.set_window_size(360, 800).await.expect("resize");
    c.goto(&format!("{base}/channels")).await.expect("open");
    until(&c, 10, "the list at phone width", |t| t.contains("phones")).await;
    assert!(
        fits_width(&c).await,
        "the channels page scrolls sideways at 360 px"
    );
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tcp_check_is_made_from_its_kinds_form_with_bad_input_named() {
    let home = Home::sqlite();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let target = listener.local_addr().expect("addr").to_string();
    let sid = home.service();
    let server = home.server(&[]);
    let base = format!("http://{}", server.addr);
    let driver = Driver::start();
    let c = driver.browser(1280, 900).await;
    c.goto(&format!("{base}/")).await.expect("open");
    until(&c, 10, "the first-run form", |t| t.contains("Create")).await;
    set_up_first_admin(&c).await;
    until(&c, 10, "the overview", |t| t.contains("Overview")).await;
    c.goto(&format!("{base}/services/{sid}/endpoints/new"))
        .await
        .expect("open");
    until(&c, 10, "the HTTP form", |t| t.contains("Expected status")).await;
    c.find(Locator::LinkText("TCP"))
        .await
        .expect("the TCP tab")
        .click()
        .await
        .expect("click");
    until(&c, 10, "the TCP form", |t| {
        t.contains("Host and port") && !t.contains("Expected status")
    })
    .await;
    fill(&c, "f-name", "db").await;
    fill(&c, "f-target", "127.0.0.1:99999").await;
    fill(&c, "f-conditions", "[CONNECTED] == true\n[STATUS] == 200").await;
    screenshot(&c, "endpoint-form-tcp").await;
    submit(&c).await;
    let error = until_in(&c, "#target-error", 10, "the port named", |t| {
        t.contains("1..65535")
    })
    .await;
    assert!(error.contains("99999"), "{error}");
    screenshot(&c, "endpoint-form-tcp-error").await;
    fill(&c, "f-target", &target).await;
    submit(&c).await;
    let error = until_in(&c, "#conditions-error", 10, "the condition named", |t| {
        t.contains("[STATUS]")
    })
    .await;
    assert!(error.contains("a tcp check has no [STATUS]"), "{error}");
    fill(&c, "f-conditions", "[CONNECTED] == true").await;
    submit(&c).await;
    let page = until(&c, 20, "the endpoint page", |t| t.contains("Recent checks")).await;
    assert!(page.contains(&format!("tcp://{target}")), "{page}");
    assert!(page.contains("[CONNECTED] == true"), "{page}");
    let listed = home.json(&["endpoints", "get", "db"]);
    assert_eq!(
        (listed["kind"].as_str(), listed["target"].as_str()),
        (Some("tcp"), Some(target.as_str())),
        "{listed}"
    );
    drop(listener);
    assert_eq!(server.terminate(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_maintenance_window_is_started_listed_and_ended_in_a_browser() {
    let home = Home::sqlite();
    let sid = home.service();
    let server = home.server(&[]);
    let base = format!("http://{}", server.addr);
    let driver = Driver::start();
    let c = driver.browser(1280, 900).await;
    c.goto(&format!("{base}/")).await.expect("open");
    until(&c, 10, "the first-run form", |t| t.contains("Create")).await;
    set_up_first_admin(&c).await;
    until(&c, 10, "the overview", |t| t.contains("Overview")).await;
    c.find(Locator::LinkText("Maintenance"))
        .await
        .expect("the nav link")
        .click()
        .await
        .expect("click");
    until(&c, 10, "the empty list", |t| {
        t.contains("No maintenance windows")
    })
    .await;
    c.find(Locator::LinkText("New window"))
        .await
        .expect("the new-window link")
        .click()
        .await
        .expect("click");
    until(&c, 10, "the form", |t| t.contains("Recurring (cron)")).await;
    fill(&c, "f-reason", "database upgrade").await;
    fill(&c, "f-duration", "soon").await;
    submit(&c).await;
    let error = until_in(&c, "#duration-error", 10, "the duration named", |t| {
        t.contains("soon")
    })
    .await;
    assert!(error.contains("not a span"), "{error}");
    screenshot(&c, "maintenance-form-error").await;
    fill(&c, "f-duration", "45m").await;
    submit(&c).await;
    let page = until(&c, 10, "the window listed", |t| {
        t.contains("In force until")
    })
    .await;
    assert!(
        page.contains("Production API (service)") && page.contains("database upgrade"),
        "{page}"
    );
    screenshot(&c, "maintenance").await;
    let listed = home.json(&["maintenance", "list"]);
    assert_eq!(listed["service_id"], sid, "one window: {listed}");
    assert_eq!(listed["active"], true);
    c.find(Locator::Css("tr[data-window] button[type=submit]"))
        .await
        .expect("the End button")
        .click()
        .await
        .expect("click");
    let page = until(&c, 10, "the window ended", |t| t.contains("Ended at")).await;
    assert!(!page.contains("In force until"), "{page}");
    c.set_window_size(390, 844).await.expect("phone width");
    assert!(fits_width(&c).await, "the list fits a phone");
    assert_eq!(server.terminate(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_endpoint_page_shows_what_the_last_check_saw() {
    use beacon_probe::testkit::{Cert, TestCa};
    let home = Home::sqlite();
    let ca = TestCa::new();
    let port = ca
        .serve_https(Cert::Valid { days: 50 }, &[b"h2", b"http/1.1"])
        .await;
    let ca_file = home.dir.join("checks-ca.pem");
    std::fs::write(&ca_file, &ca.pem).expect("write CA");
    let config = home.dir.join("beacon.yaml");
    std::fs::write(
        &config,
        format!("worker:\n  ca_file: {}\n", ca_file.display()),
    )
    .expect("write config");
    let sid = home.service();
    let ep = home.json(&[
        "endpoints",
        "create",
        "--service-id",
        &sid,
        "--name",
        "site",
        "--url",
        &format!("https://localhost:{port}/"),
        "--http2",
        "--interval",
        "1",
    ]);
    let server = home.server(&["--config", &config.display().to_string()]);
    let base = format!("http://{}", server.addr);
    let driver = Driver::start();
    let c = driver.browser(1280, 900).await;
    c.goto(&format!("{base}/")).await.expect("open");
    until(&c, 10, "the first-run form", |t| t.contains("Create")).await;
    set_up_first_admin(&c).await;
    until(&c, 10, "the overview", |t| t.contains("Overview")).await;
    c.goto(&format!(
        "{base}/endpoints/{}",
        ep["id"].as_str().expect("id")
    ))
    .await
    .expect("open");
    let page = until(&c, 30, "what the check saw", |t| t.contains("Last seen")).await;
    assert!(page.contains("Certificate expires"), "{page}");
    assert!(page.contains("(50 days left)"), "{page}");
    assert!(page.contains("HTTP/2 · certificate until"), "{page}");
    assert!(page.contains("over HTTP/2 · every 1 s"), "{page}");
    c.execute(
        "document.getElementById('seen-h').scrollIntoView();",
        vec![],
    )
    .await
    .expect("scroll");
    screenshot(&c, "endpoint-seen").await;
    assert_eq!(server.terminate(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_is_given_reminders_a_flap_rule_and_a_policy_in_a_browser() {
    let home = Home::sqlite();
    let sid = home.service();
    home.json(&[
        "channels",
        "create",
        "--kind",
        "slack",
        "--name",
        "first",
        "--url",
        "http://127.0.0.1:9/slack/services/T0/B0/x",
    ]);
    let policy = home.json(&[
        "escalations",
        "create",
        "--name",
        "oncall",
        "--step",
        "0s:first",
    ]);
    let pid = policy["id"].as_str().expect("id").to_owned();
    let server = home.server(&[]);
    let base = format!("http://{}", server.addr);
    let driver = Driver::start();
    let c = driver.browser(1280, 900).await;
    c.goto(&format!("{base}/")).await.expect("open");
    until(&c, 10, "the first-run form", |t| t.contains("Create")).await;
    set_up_first_admin(&c).await;
    until(&c, 10, "the overview", |t| t.contains("Overview")).await;
    c.goto(&format!("{base}/services/{sid}/edit"))
        .await
        .expect("open");
    until(&c, 10, "the edit form", |t| t.contains("Flap window")).await;
    assert_eq!(
        (
            value_of(&c, "f-remind_every").await,
            value_of(&c, "f-flap_window").await
        ),
        ("off".to_owned(), "30m".to_owned()),
        "what is stored"
    );
    fill(&c, "f-remind_every", "15m").await;
    fill(&c, "f-flap_changes", "3").await;
    fill(&c, "f-flap_window", "10s").await;
    c.find(Locator::Css(&format!(
        "select[name=escalation_policy] option[value='{pid}']"
    )))
    .await
    .expect("the policy")
    .click()
    .await
    .expect("choose");
    submit(&c).await;
    let error = until_in(&c, "#flap_window-error", 10, "the window named", |t| {
        t.contains("1m..1d")
    })
    .await;
    assert!(error.contains("flap_window"), "{error}");
    assert_eq!(
        value_of(&c, "f-remind_every").await,
        "15m",
        "what was typed is kept"
    );
    c.execute(
        "document.querySelector('[aria-invalid=true]').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .expect("scroll to the field at fault");
    screenshot(&c, "service-edit-error").await;
    assert_eq!(
        home.json(&["services", "get", &sid])["escalation_policy_id"],
        serde_json::Value::Null,
        "nothing half-written"
    );
    fill(&c, "f-flap_window", "10m").await;
    submit(&c).await;
    until(&c, 10, "the service's page", |t| t.contains("New endpoint")).await;
    let s = home.json(&["services", "get", &sid]);
    assert_eq!(
        (
            s["remind_every"].as_str(),
            s["flap_changes"].as_u64(),
            s["flap_window"].as_str(),
            s["escalation_policy_id"].as_str()
        ),
        (Some("15m"), Some(3), Some("10m"), Some(pid.as_str())),
        "{s}"
    );
    assert_eq!(server.terminate(), 0);
}
