//! Follow-ups of an incident end to end: reminders until someone acknowledges (from the link in a message, with
//! its confirmation page, or from the CLI), and escalation steps that wait for an acknowledgement and survive a
//! crash between them. Messages go to the stand-in services of `channels.rs`.

use crate::channels::{Log, PD_KEY, SLACK_SECRET, services};
use crate::harness::{Home, Mode, Target, eventually, id};
use serde_json::{Value, json};
use std::time::Duration;

/// The ack link of the last Slack message that has one.
fn ack_link(log: &Log) -> Option<String> {
    let seen = log.lock().expect("log");
    seen.iter()
        .rev()
        .filter(|x| x.kind == "slack")
        .find_map(|x| {
            x.body["blocks"].as_array()?.iter().find_map(|b| {
                b["elements"].as_array()?.iter().find_map(|e| {
                    (e["text"]["text"] == "Acknowledge")
                        .then(|| e["url"].as_str().map(str::to_owned))?
                })
            })
        })
}

#[test]
fn reminders_go_out_until_someone_acknowledges_from_the_message_or_the_cli() {
    let home = Home::sqlite();
    let (base, log) = services();
    let target = Target::start();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/shop", target.base),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    let bad = home.run(&["services", "update", &sid, "--remind-every", "5s"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("remind_every"), "{}", bad.stderr);
    let svc = home.json(&[
        "services",
        "update",
        &sid,
        "--remind-every",
        "10s",
        "--remind-max",
        "3",
    ]);
    assert_eq!(
        (svc["remind_every"].as_str(), svc["remind_max"].as_u64()),
        (Some("10s"), Some(3))
    );
    home.json(&[
        "channels",
        "create",
        "--kind",
        "slack",
        "--name",
        "oncall",
        "--url",
        &format!("{base}/slack/services/T0/B0/{SLACK_SECRET}"),
        "--service-id",
        &sid,
        "--events",
        "incident_start,reminder,incident_resolved",
    ]);
    home.json(&[
        "channels",
        "create",
        "--kind",
        "pagerduty",
        "--name",
        "pager",
        "--url",
        &format!("{base}/pagerduty"),
        "--routing-key",
        PD_KEY,
        "--service-id",
        &sid,
        "--events",
        "incident_start,incident_resolved",
    ]);
    let port = crate::harness::free_port();
    let public = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let server = home.spawn_server(
        &["server", "--listen", &listen, "--public-url", &public],
        &[],
    );

    // An incident: its message carries a link that acknowledges it.
    target.set(Mode::Error500);
    let link = eventually(
        Duration::from_secs(20),
        "a message with an ack link",
        || ack_link(&log),
    );
    assert!(link.starts_with(&format!("{public}/ack/")), "{link}");
    let (status, page) = crate::harness::http_get(&link);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Acknowledge this incident?")
            && page.contains("Health")
            && page.contains("500"),
        "{page}"
    );
    let forged = format!("{}x", &link[..link.len() - 1]);
    assert_eq!(
        crate::harness::http_get(&forged).0,
        403,
        "a changed link is refused"
    );
    let done = crate::harness::http(
        &link,
        "POST",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"note=on+it"),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Acknowledged"), "{}", done.body);
    let incident = home
        .incidents(&eid)
        .into_iter()
        .find(|i| i["status"] == "open")
        .expect("open incident");
    assert_eq!(
        incident["acknowledged_by"], "a link in a message",
        "{incident}"
    );
    assert_eq!(incident["ack_note"], "on it");
    let reminders = |status: &str| {
        home.json(&["deliveries", "list", "--status", status])
            .as_array()
            .expect("list")
            .iter()
            .filter(|d| d["event"] == "reminder")
            .count()
    };
    assert_eq!(
        reminders("cancelled"),
        3,
        "the acknowledgement cancels every reminder"
    );
    // Whoever was told of the incident hears that someone is on it: Slack reads who, PagerDuty acknowledges the
    // incident it opened (same dedup_key).
    let told = eventually(Duration::from_secs(20), "the acknowledgement told", || {
        let seen = log.lock().expect("log");
        let slack = seen
            .iter()
            .any(|x| x.kind == "slack" && x.body.to_string().contains("is acknowledged"));
        let pd: Vec<Value> = seen
            .iter()
            .filter(|x| x.kind == "pagerduty")
            .map(|x| x.body.clone())
            .collect();
        (slack && pd.iter().any(|b| b["event_action"] == "acknowledge")).then_some(pd)
    });
    assert_eq!(
        told.iter()
            .map(|b| b["event_action"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["trigger", "acknowledge"],
        "{told:?}"
    );
    assert_eq!(told[0]["dedup_key"], told[1]["dedup_key"]);

    // The next incident, unacknowledged: its first reminder goes out when due, then the CLI takes it.
    let long = "x".repeat(1001);
    let out = home.run(&["incidents", "ack", &id(&incident), "--note", &long]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("note"), "{}", out.stderr);
    target.set(Mode::Ok);
    eventually(Duration::from_secs(20), "the resolution", || {
        home.incidents(&eid)
            .into_iter()
            .all(|i| i["status"] == "resolved")
            .then_some(())
    });
    let out = home.run(&["incidents", "ack", &id(&incident)]);
    assert_ne!(out.code, 0, "a resolved incident cannot be acknowledged");
    assert!(out.stderr.contains("resolved"), "{}", out.stderr);
    target.set(Mode::Error500);
    let second = eventually(Duration::from_secs(20), "a second incident", || {
        home.incidents(&eid)
            .into_iter()
            .find(|i| i["status"] == "open")
    });
    eventually(Duration::from_secs(30), "the first reminder", || {
        let seen = log.lock().expect("log");
        seen.iter()
            .any(|x| x.kind == "slack" && x.body.to_string().contains("is still down"))
            .then_some(())
    });
    let acked = home.json(&["incidents", "ack", &id(&second), "--note", "restarting it"]);
    assert!(
        acked["acknowledged_by"]
            .as_str()
            .is_some_and(|b| b.contains("cli")),
        "{acked}"
    );
    assert_eq!(reminders("delivered"), 1, "one reminder went out");
    assert_eq!(
        reminders("cancelled"),
        5,
        "the other two of the second incident are cancelled"
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn escalation_steps_wait_for_an_acknowledgement_and_survive_a_crash() {
    let home = Home::sqlite();
    let (base, log) = services();
    let target = Target::start();
    let sid = home.service();
    let eid = home.endpoint(
        &sid,
        &format!("{}/shop", target.base),
        &["--interval", "1", "--alert-threshold", "1"],
    );
    home.json(&[
        "channels",
        "create",
        "--kind",
        "slack",
        "--name",
        "first",
        "--url",
        &format!("{base}/slack/services/T0/B0/{SLACK_SECRET}"),
    ]);
    home.json(&[
        "channels",
        "create",
        "--kind",
        "discord",
        "--name",
        "second",
        "--url",
        &format!("{base}/discord/api/webhooks/1/second"),
    ]);
    // Bad steps are refused by name, and nothing is stored.
    for (steps, what) in [
        (vec!["--step", "0s:first", "--step", "4s:nobody"], "nobody"),
        (vec!["--step", "4s:first", "--step", "0s:second"], "longer"),
        (vec!["--step", "soon:first"], "span"),
    ] {
        let mut args = vec!["escalations", "create", "--name", "bad"];
        args.extend(steps);
        let out = home.run(&args);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("step") && out.stderr.contains(what),
            "{}",
            out.stderr
        );
    }
    assert_eq!(home.json(&["escalations", "list"]), json!([]));
    let policy = home.json(&[
        "escalations",
        "create",
        "--name",
        "oncall",
        "--step",
        "0s:first",
        "--step",
        "4s:second",
    ]);
    assert_eq!(
        policy["steps"][1]["channels"][0]["name"], "second",
        "{policy}"
    );
    let svc = home.json(&["services", "update", &sid, "--escalation-policy", "oncall"]);
    assert_eq!(svc["escalation_policy_id"], policy["id"]);
    let out = home.run(&["services", "update", &sid, "--escalation-policy", "nobody"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("escalation_policy"), "{}", out.stderr);
    let table = home.run(&["escalations", "list"]).stdout;
    assert!(
        table.contains("oncall") && table.contains("4s") && table.contains("second"),
        "{table}"
    );

    let got = |kind: &str| {
        log.lock()
            .expect("log")
            .iter()
            .filter(|x| x.kind == kind && x.status < 300)
            .count()
    };
    let escalations_to = |name: &str, status: &str| {
        let cid = id(&home.json(&["channels", "get", name]));
        home.json(&[
            "deliveries",
            "list",
            "--webhook-id",
            &cid,
            "--status",
            status,
        ])
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["event"] == "escalation")
        .count()
    };
    let server = home.server(&[]);
    // Step 1 at once; acknowledged before step 2 is due, step 2 is never sent.
    target.set(Mode::Error500);
    eventually(Duration::from_secs(20), "step 1", || {
        (got("slack") >= 1).then_some(())
    });
    let open = home
        .incidents(&eid)
        .into_iter()
        .find(|i| i["status"] == "open")
        .expect("open");
    home.json(&["incidents", "ack", &id(&open)]);
    assert_eq!(
        escalations_to("second", "cancelled"),
        1,
        "step 2 cancelled by the acknowledgement"
    );
    target.set(Mode::Ok);
    eventually(Duration::from_secs(20), "the resolution", || {
        home.incidents(&eid)
            .into_iter()
            .all(|i| i["status"] == "resolved")
            .then_some(())
    });
    assert_eq!(got("discord"), 0, "step 2 never went out");
    // Step 1's channel was told of the acknowledgement and of the resolution.
    eventually(
        Duration::from_secs(20),
        "the ack and the resolution",
        || (got("slack") >= 3).then_some(()),
    );

    // Unacknowledged, with the server killed between the steps: step 2 goes out once after the restart.
    target.set(Mode::Error500);
    eventually(
        Duration::from_secs(20),
        "step 1 of the second incident",
        || (got("slack") >= 4).then_some(()),
    );
    server.kill();
    let server = home.server(&[]);
    eventually(Duration::from_secs(30), "step 2 after the restart", || {
        (got("discord") >= 1).then_some(())
    });
    assert_eq!(escalations_to("second", "delivered"), 1);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(got("discord"), 1, "sent once");
    let message = log
        .lock()
        .expect("log")
        .iter()
        .find(|x| x.kind == "discord")
        .expect("discord")
        .body
        .to_string();
    assert!(
        message.contains("escalated") && message.contains("Acknowledge"),
        "{message}"
    );
    // The resolution reaches step 2's channel, which subscribes to nothing.
    target.set(Mode::Ok);
    eventually(
        Duration::from_secs(20),
        "the resolution to step 2's channel",
        || (got("discord") >= 2).then_some(()),
    );
    assert_eq!(server.terminate(), 0);
}

/// The Slack messages one hook received, as their fallback text.
fn slack_texts(log: &Log, hook: &str) -> Vec<String> {
    log.lock()
        .expect("log")
        .iter()
        .filter(|x| x.kind == "slack" && x.path.contains(hook))
        .map(|x| x.body["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_monitor_adds_its_own_channel_mutes_its_services_and_sets_its_own_reminders() {
    let home = Home::sqlite();
    let (base, log) = services();
    let target = Target::start();
    let sid = home.service();
    let endpoint = |name: &str| {
        id(&home.json(&[
            "endpoints",
            "create",
            "--service-id",
            &sid,
            "--name",
            name,
            "--url",
            &format!("{}/{name}", target.base),
            "--interval",
            "1",
            "--alert-threshold",
            "1",
        ]))
    };
    endpoint("checkout");
    endpoint("search");
    let slack = |name: &str, extra: &[&str]| {
        let url = format!(
            "{base}/slack/services/T0/{}/{SLACK_SECRET}",
            name.to_uppercase()
        );
        let mut args = vec![
            "channels", "create", "--kind", "slack", "--name", name, "--url", &url,
        ];
        args.extend(extra);
        home.json(&args);
    };
    slack(
        "team",
        &["--service-id", &sid, "--events", "incident_start"],
    );
    slack("oncall", &[]);

    // The checkout mutes the team's channel and pages on-call itself, with one reminder of its own.
    let muted = home.json(&["channels", "mute", "team", "--monitor", "checkout"]);
    assert_eq!(muted["monitors"][0]["muted"], true, "{muted}");
    let added = home.json(&[
        "channels",
        "subscribe",
        "oncall",
        "--monitor",
        "checkout",
        "--events",
        "incident_start,reminder",
    ]);
    assert_eq!(
        added["monitors"][0]["events"],
        json!(["incident_start", "reminder"]),
        "{added}"
    );
    let table = home.run(&["channels", "get", "team"]);
    assert!(
        table.stdout.contains("muted on checkout"),
        "{}",
        table.stdout
    );
    let bad = home.run(&[
        "endpoints",
        "update",
        "checkout",
        "--remind-every",
        "sometimes",
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("remind_every"), "{}", bad.stderr);
    let bad = home.run(&[
        "endpoints",
        "update",
        "checkout",
        "--escalation-policy",
        "nobody",
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("escalation_policy"), "{}", bad.stderr);
    let both = home.run(&[
        "channels",
        "subscribe",
        "oncall",
        "--service-id",
        &sid,
        "--monitor",
        "checkout",
        "--events",
        "reminder",
    ]);
    assert_ne!(both.code, 0, "a service or a monitor, not both");
    let n = home.json(&[
        "endpoints",
        "update",
        "checkout",
        "--remind-every",
        "10s",
        "--remind-max",
        "1",
    ]);
    assert_eq!(
        (
            n["remind_every"].as_str(),
            n["remind_max"].as_u64(),
            n["reminders_from"].as_str(),
            n["escalation_from"].as_str()
        ),
        (Some("10s"), Some(1), Some("monitor"), Some("service")),
        "{n}"
    );
    let shown = home.run(&["endpoints", "update", "checkout", "--remind-max", "1"]);
    assert!(
        shown
            .stdout
            .contains("reminders: every 10s, at most 1 (from the monitor)")
            && shown
                .stdout
                .contains("channel oncall: incident_start,reminder")
            && shown.stdout.contains("channel team: muted"),
        "{}",
        shown.stdout
    );
    let before = home.json(&["deliveries", "list"]);

    let server = home.spawn_server(&["server"], &[]);
    target.set(Mode::Error500);
    eventually(
        Duration::from_secs(30),
        "on-call's start and reminder",
        || {
            let texts = slack_texts(&log, "/ONCALL/");
            (texts.iter().any(|t| t.contains("still down"))).then_some(())
        },
    );
    eventually(Duration::from_secs(20), "the team's start", || {
        (!slack_texts(&log, "/TEAM/").is_empty()).then_some(())
    });
    let oncall = slack_texts(&log, "/ONCALL/");
    assert!(
        oncall
            .iter()
            .all(|t| t.contains("checkout") && !t.contains("search")),
        "{oncall:?}"
    );
    assert_eq!(
        oncall.len(),
        2,
        "one start and its one reminder: {oncall:?}"
    );
    let team = slack_texts(&log, "/TEAM/");
    assert!(
        team.iter()
            .all(|t| t.contains("search") && !t.contains("checkout")),
        "muted on checkout: {team:?}"
    );
    assert_eq!(server.terminate(), 0);
    assert!(
        before.as_array().is_some_and(Vec::is_empty),
        "nothing sent before the server ran"
    );

    // Unmuted and unsubscribed, the monitor follows its service again.
    home.json(&["channels", "unmute", "team", "--monitor", "checkout"]);
    let left = home.json(&["channels", "unsubscribe", "oncall", "--monitor", "checkout"]);
    assert_eq!(left["monitors"], json!([]), "{left}");
    let again = home.run(&["channels", "unmute", "team", "--monitor", "checkout"]);
    assert_ne!(again.code, 0, "not muted any more");
    assert!(again.stderr.contains("not found"), "{}", again.stderr);
    let back = home.json(&[
        "endpoints",
        "update",
        "checkout",
        "--remind-every",
        "inherit",
    ]);
    assert_eq!(back["reminders_from"], "service", "{back}");
    assert!(
        back["remind_every"].is_null(),
        "the service has none: {back}"
    );
}

#[test]
fn a_service_sets_its_own_flap_rule_and_bad_ones_are_named() {
    let home = Home::sqlite();
    let sid = home.service();
    let shown = home.json(&["services", "get", &sid]);
    assert_eq!(
        (
            shown["flap_changes"].as_u64(),
            shown["flap_window"].as_str()
        ),
        (Some(6), Some("30m")),
        "the default rule: {shown}"
    );
    for (args, field) in [
        (vec!["--flap-changes", "1"], "flap_changes"),
        (vec!["--flap-changes", "101"], "flap_changes"),
        (vec!["--flap-window", "10s"], "flap_window"),
        (vec!["--flap-window", "2d"], "flap_window"),
        (vec!["--flap-window", "soon"], "flap_window"),
    ] {
        let mut all = vec!["services", "update", &sid];
        all.extend(args.iter().copied());
        let out = home.run(&all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(field), "{args:?}: {}", out.stderr);
    }
    assert_eq!(
        home.json(&["services", "get", &sid])["flap_changes"],
        6,
        "nothing stored"
    );
    let set = home.json(&[
        "services",
        "update",
        &sid,
        "--flap-changes",
        "2",
        "--flap-window",
        "10m",
    ]);
    assert_eq!(
        (set["flap_changes"].as_u64(), set["flap_window"].as_str()),
        (Some(2), Some("10m"))
    );
    // One part alone keeps the other; 0 switches flapping off.
    let off = home.json(&["services", "update", &sid, "--flap-changes", "0"]);
    assert_eq!(
        (off["flap_changes"].as_u64(), off["flap_window"].as_str()),
        (Some(0), Some("10m"))
    );
    let table = home.run(&["services", "get", &sid]).stdout;
    assert!(
        table.contains("flapping") && table.contains("off"),
        "{table}"
    );
}
