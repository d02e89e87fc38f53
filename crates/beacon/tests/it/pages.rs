//! The dashboard over real HTTP against `beacon server`: first-run setup, sign-in and sign-out with cookies and
//! CSRF tokens, bad input shown again with the field named, sign-in slowed down after failures, and the
//! overview listing monitors. (The browser scenario comes with the live pages.)

use crate::harness::{Home, Target, eventually, http};
use crate::web::{Browser, csrf, location, make_user, sign_in};
use std::time::Duration;

#[test]
fn setup_sign_in_overview_and_sign_out() {
    let home = Home::remote();
    let target = Target::start();
    let mut b = Browser::new(&home);
    // No user yet: everything leads to setup.
    let first = b.get("/");
    assert_eq!((first.status, location(&first).as_str()), (303, "/setup"));
    assert_eq!(location(&b.get("/sign-in")), "/setup");
    let form = b.get("/setup");
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("Create the admin account"),
        "{}",
        form.body
    );
    let token = csrf(&form);
    // Without the CSRF token (or with another), nothing happens.
    let forged = b.post(
        "/setup",
        &[
            ("name", "Mallory"),
            ("email", "m@example.com"),
            ("password", "long enough pw"),
        ],
    );
    assert_eq!(forged.status, 403);
    // Bad input: shown again with the field named and what was typed kept; nobody is created.
    let bad = b.post(
        "/setup",
        &[
            ("csrf", &token),
            ("name", "Ada"),
            ("email", "not-an-email"),
            ("password", "long enough pw"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"email-error\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"Ada\""), "{}", bad.body);
    assert_eq!(
        crate::harness::array(home.json(&["users", "list"])).len(),
        0
    );
    let short = b.post(
        "/setup",
        &[
            ("csrf", &token),
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("password", "short"),
        ],
    );
    assert_eq!(short.status, 422);
    assert!(
        short.body.contains("id=\"password-error\""),
        "{}",
        short.body
    );
    // Created and signed in: the session cookie is HttpOnly and SameSite=Lax.
    let done = b.post(
        "/setup",
        &[
            ("csrf", &token),
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("password", "long enough pw"),
        ],
    );
    assert_eq!(
        (done.status, location(&done).as_str()),
        (303, "/"),
        "{}",
        done.body
    );
    let set = done
        .headers
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie: beacon_session="))
        .expect("session cookie")
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert_eq!(location(&b.get("/setup")), "/sign-in", "set up once");

    // The overview lists monitors with their status, and filters them.
    let sid = home.service();
    home.endpoint(&sid, &format!("{}/ok", target.base), &["--interval", "1"]);
    let page = eventually(Duration::from_secs(20), "the endpoint up", || {
        let p = b.get("/");
        (p.status == 200 && p.body.contains("<span class=\"status up\">up</span>")).then_some(p)
    });
    assert!(
        page.body.contains("Health") && page.body.contains("Production API"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1–1 of 1 monitors"), "{}", page.body);
    let none = b.get("/?status=down");
    assert!(
        none.body.contains("Nothing matches these filters"),
        "{}",
        none.body
    );
    let searched = b.get("/?q=heal");
    assert!(
        searched.body.contains("data-monitor=\"Health\""),
        "{}",
        searched.body
    );

    // Sign out needs the session's CSRF token; afterwards the cookie no longer works.
    let session_csrf = csrf(&page);
    assert_eq!(b.post("/sign-out", &[("csrf", "nope")]).status, 403);
    let out = b.post("/sign-out", &[("csrf", &session_csrf)]);
    assert_eq!((out.status, location(&out).as_str()), (303, "/sign-in"));
    assert_eq!(location(&b.get("/")), "/sign-in");

    // Wrong passwords: the same answer for a wrong email; after five failures in a row, a wait.
    let form = b.get("/sign-in");
    let token = csrf(&form);
    let wrong_user = b.post(
        "/sign-in",
        &[
            ("csrf", &token),
            ("email", "eve@example.com"),
            ("password", "whatever it is"),
        ],
    );
    assert_eq!(wrong_user.status, 401);
    assert!(wrong_user.body.contains("wrong email or password"));
    for _ in 0..4 {
        let r = b.post(
            "/sign-in",
            &[
                ("csrf", &token),
                ("email", "ada@example.com"),
                ("password", "not the password"),
            ],
        );
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(
            r.body.contains("value=\"ada@example.com\""),
            "the email is kept"
        );
    }
    // The address has failed five times now: even the right password waits.
    let slowed = b.post(
        "/sign-in",
        &[
            ("csrf", &token),
            ("email", "ada@example.com"),
            ("password", "long enough pw"),
        ],
    );
    assert_eq!(slowed.status, 429, "{}", slowed.body);
    assert!(slowed.body.contains("try again in"), "{}", slowed.body);
    std::thread::sleep(Duration::from_millis(1_100));
    let ok = b.post(
        "/sign-in",
        &[
            ("csrf", &token),
            ("email", "ada@example.com"),
            ("password", "long enough pw"),
        ],
    );
    assert_eq!(
        (ok.status, location(&ok).as_str()),
        (303, "/"),
        "{}",
        ok.body
    );
    assert_eq!(b.get("/").status, 200);

    // Settings: changing one's password needs the current one; other sessions end, this one goes on.
    let mut other = Browser::new(&home);
    let token = csrf(&other.get("/sign-in"));
    other.post(
        "/sign-in",
        &[
            ("csrf", &token),
            ("email", "ada@example.com"),
            ("password", "long enough pw"),
        ],
    );
    assert_eq!(other.get("/").status, 200);
    let page = b.get("/settings");
    assert_eq!(page.status, 200);
    let token = csrf(&page);
    let wrong = b.post(
        "/settings/password",
        &[
            ("csrf", &token),
            ("current", "nope nope nope"),
            ("password", "a brand new one"),
        ],
    );
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains("id=\"current-error\""),
        "{}",
        wrong.body
    );
    let short = b.post(
        "/settings/password",
        &[
            ("csrf", &token),
            ("current", "long enough pw"),
            ("password", "short"),
        ],
    );
    assert_eq!(short.status, 422);
    assert!(
        short.body.contains("id=\"password-error\""),
        "{}",
        short.body
    );
    let changed = b.post(
        "/settings/password",
        &[
            ("csrf", &token),
            ("current", "long enough pw"),
            ("password", "a brand new one"),
        ],
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(changed.body.contains("Your password is changed"));
    assert_eq!(b.get("/").status, 200, "this browser stays signed in");
    assert_eq!(
        location(&other.get("/")),
        "/sign-in",
        "the other session ended"
    );
}

#[test]
fn a_viewer_sees_no_controls_and_a_forged_post_is_refused() {
    use crate::harness::Mode;
    let home = Home::remote();
    let target = Target::start();
    target.set(Mode::Error500);
    let sid = home.service();
    home.endpoint(
        &sid,
        &format!("{}/x", target.base),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    let make = |email: &str, role: &str| make_user(&home, email, role);
    make("admin@example.com", "admin");
    make("viewer@example.com", "viewer");
    let incident = eventually(Duration::from_secs(20), "an open incident", || {
        let list = home.json(&["incidents", "list", "--status", "open"]);
        list[0]["id"].as_str().map(str::to_owned)
    });
    let sign_in = |email: &str| sign_in(&home, email);
    let mut viewer = sign_in("viewer@example.com");
    let page = viewer.get("/incidents");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!("data-incident=\"{incident}\"")),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Resolve</button>"),
        "a viewer gets no resolve control"
    );
    // Forged: the viewer's own valid CSRF token, but not the role.
    let token = csrf(&page);
    let forged = viewer.post(
        &format!("/incidents/{incident}/resolve"),
        &[("csrf", &token)],
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(
        home.json(&["incidents", "get", &incident])["status"],
        "open"
    );
    let endpoint = home.json(&["endpoints", "list"])[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let page = viewer.get(&format!("/endpoints/{endpoint}"));
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("/pause\""),
        "a viewer gets no pause control"
    );
    let forged = viewer.post(&format!("/endpoints/{endpoint}/pause"), &[("csrf", &token)]);
    assert_eq!(forged.status, 403);
    assert_eq!(home.json(&["endpoints", "get", &endpoint])["enabled"], true);
    // A heartbeat's page: the schedule in words; the header-less ping URL for those who may change it, the key
    // form for a viewer; recent pings with their bodies.
    let hb = home.json(&[
        "heartbeats",
        "create",
        "--service-id",
        &sid,
        "--name",
        "nightly-backup",
        "--period",
        "300",
    ]);
    let (hid, secret_url) = (
        hb["id"].as_str().expect("id").to_owned(),
        hb["ping_url"].as_str().expect("url").to_owned(),
    );
    assert_eq!(
        http(
            &format!("{secret_url}/0"),
            "POST",
            &[],
            Some(b"copied 42 files")
        )
        .status,
        200
    );
    let page = viewer.get(&format!("/heartbeats/{hid}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("every 5 minutes"), "{}", page.body);
    assert!(page.body.contains("copied 42 files"), "{}", page.body);
    assert!(
        !page.body.contains(&secret_url),
        "a viewer does not see the secret ping URL"
    );
    assert!(page.body.contains(&format!("/ping/{hid}")), "{}", page.body);
    assert!(!page.body.contains("/pause\""), "no controls for a viewer");
    assert_eq!(
        viewer
            .post(&format!("/heartbeats/{hid}/pause"), &[("csrf", &token)])
            .status,
        403
    );
    // An admin without the CSRF token is refused too; with it, resolved.
    let mut admin = sign_in("admin@example.com");
    let hb_page = admin.get(&format!("/heartbeats/{hid}"));
    assert!(hb_page.body.contains(&secret_url), "{}", hb_page.body);
    assert!(hb_page.body.contains("id=\"copy\""));
    let page = admin.get("/incidents");
    assert!(page.body.contains("Resolve</button>"));
    let refused = admin.post(&format!("/incidents/{incident}/resolve"), &[("csrf", "")]);
    assert_eq!(refused.status, 403);
    let token = csrf(&page);
    let done = admin.post(
        &format!("/incidents/{incident}/resolve"),
        &[("csrf", &token)],
    );
    assert_eq!((done.status, location(&done).as_str()), (303, "/incidents"));
    assert_eq!(
        home.json(&["incidents", "get", &incident])["status"],
        "resolved"
    );
}
