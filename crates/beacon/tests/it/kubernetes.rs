//! The Kubernetes watcher end to end: the real `beacon kubernetes run` (and `beacon server` with a `kubernetes:`
//! section) against a fake API server speaking the Kubernetes wire protocol, delivering to a receiver on
//! 127.0.0.1 that records what it gets.

use crate::harness::*;
use beacon_kube::fake::{FakeCluster, KindDef};
use serde_json::Value;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) const KEY: &str = "bakerapps.net.maas";
const WAIT: Duration = Duration::from_secs(30);

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    method: String,
    headers: axum::http::HeaderMap,
    body: Value,
    /// The body as sent (for signatures).
    raw: String,
}

/// An HTTP receiver answering with a status the test sets, recording every request.
pub(crate) struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    pub(crate) fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/events", listener.local_addr().expect("addr"));
        let status = Arc::new(AtomicU16::new(200));
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let (s, g) = (status.clone(), got.clone());
        let app = axum::Router::new().fallback(
            move |method: axum::http::Method, headers: axum::http::HeaderMap, body: String| {
                let (s, g) = (s.clone(), g.clone());
                async move {
                    let code = s.load(Ordering::SeqCst);
                    if code == 200 {
                        g.lock().expect("got").push(Got {
                            method: method.to_string(),
                            headers,
                            body: serde_json::from_str(&body).unwrap_or(Value::Null),
                            raw: body,
                        });
                    }
                    axum::http::StatusCode::from_u16(code).expect("status")
                }
            },
        );
        serve(listener, app);
        Self { url, status, got }
    }

    pub(crate) fn set(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().expect("got").clone()
    }

    /// (type suffix, subject) of what was accepted, in order.
    fn seen(&self) -> Vec<(String, String)> {
        self.got()
            .iter()
            .map(|g| {
                let t = g.body["type"].as_str().unwrap_or("");
                (
                    t.rsplit('.').next().unwrap_or("").to_owned(),
                    g.body["subject"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    pub(crate) fn wait_for(&self, want: &[(&str, &str)]) {
        eventually(WAIT, &format!("{want:?} delivered"), || {
            let seen = self.seen();
            want.iter()
                .all(|(t, s)| seen.iter().any(|(a, b)| a == t && b == s))
                .then_some(())
        });
    }

    fn count(&self, t: &str, subject: &str) -> usize {
        self.seen()
            .iter()
            .filter(|(a, b)| a == t && b == subject)
            .count()
    }
}

pub(crate) fn cluster() -> FakeCluster {
    FakeCluster::start(vec![
        KindDef::new("v1", "ConfigMap", "configmaps", true),
        KindDef::new(
            "serving.kserve.io/v1alpha1",
            "LLMInferenceService",
            "llminferenceservices",
            true,
        ),
        KindDef::new("v1", "Namespace", "namespaces", false),
    ])
}

pub(crate) fn config(
    home: &Home,
    cluster: &FakeCluster,
    receiver: &Receiver,
    extra: &str,
) -> std::path::PathBuf {
    let kubeconfig = cluster.kubeconfig(&home.dir);
    let path = home.dir.join("config.yaml");
    let text = format!(
        r#"app:
  name: beacon
  version: "9.9.9"
  logLevel: info
  logFormat: json
resources:
  - apiVersion: v1
    kind: ConfigMap
    namespaces: [default]
  - apiVersion: serving.kserve.io/v1alpha1
    kind: LLMInferenceService
    resource: llminferenceservices
annotation:
  key: {KEY}
payload:
  annotations: [owner]
cloudEvents:
  source: /beacon
endpoint:
  url: {url}
  timeout: 5s
  headers:
    X-Team: platform
  retry:
    initialBackoff: 100ms
    maxBackoff: 500ms
    # With full jitter, the default 10 attempts can all fall inside a test's 2 s outage.
    maxAttempts: 100
storage:
  dbPath: {db}
kubeconfig: {kubeconfig}
watch:
  timeout: 3s
{extra}"#,
        url = receiver.url,
        db = home.dir.join("data").join("beacon.db").display(),
        kubeconfig = kubeconfig.display(),
    );
    std::fs::write(&path, text).expect("config");
    path
}

pub(crate) fn run(home: &Home, config: &std::path::Path) -> Server {
    home.spawn_server(
        &[
            "kubernetes",
            "run",
            "--config",
            config.to_str().expect("path"),
            "--listen",
            "127.0.0.1:0",
        ],
        &[("ENDPOINT_AUTH_TOKEN", "s3cret-token")],
    )
}

fn ready(server: &Server) -> Value {
    eventually(WAIT, "ready", || {
        let (code, body) = server.get("/ready");
        (code == 200).then(|| serde_json::from_str(&body).expect("json"))
    })
}

#[test]
fn annotated_objects_are_delivered_as_cloud_events_in_order() {
    let home = Home::sqlite();
    let k = cluster();
    let receiver = Receiver::start();
    // Before Beacon starts: found by the start-up reconciliation.
    k.apply(
        "configmaps",
        "default",
        "pre",
        &[(KEY, "managed"), ("owner", "ml"), ("secret", "x")],
        &[("app", "web")],
    );
    k.apply("configmaps", "default", "plain", &[], &[]);
    k.apply(
        "llminferenceservices",
        "models",
        "llama",
        &[(KEY, "true")],
        &[],
    );
    k.apply("configmaps", "kube-system", "elsewhere", &[(KEY, "x")], &[]);
    let server = run(&home, &config(&home, &k, &receiver, ""));
    let body = ready(&server);
    assert_eq!(body["checks"]["kubernetes"]["status"], "up", "{body}");
    assert_eq!(body["checks"]["watchers"]["status"], "up", "{body}");
    receiver.wait_for(&[("created", "pre"), ("created", "llama")]);

    // Seed 001's request, field by field.
    let got = receiver.got();
    let pre = got
        .iter()
        .find(|g| g.body["subject"] == "pre")
        .expect("pre delivered");
    let h = |n: &str| {
        pre.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert_eq!(pre.method, "POST");
    assert_eq!(
        h("content-type"),
        "application/cloudevents+json; charset=UTF-8"
    );
    assert_eq!(h("user-agent"), "beacon/9.9.9");
    assert_eq!(h("authorization"), "Bearer s3cret-token");
    assert_eq!(h("x-team"), "platform");
    assert!(
        uuid::Uuid::try_parse(h("x-request-id")).is_ok(),
        "{}",
        h("x-request-id")
    );
    let b = &pre.body;
    assert_eq!(b["specversion"], "1.0");
    assert_eq!(b["source"], "/beacon/default/ConfigMap");
    assert_eq!(b["type"], "net.bakerapps.beacon.resource.created");
    assert_eq!(b["datacontenttype"], "application/json");
    assert!(b["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{b}");
    assert_eq!(b["data"]["resource"]["type"], "ConfigMap");
    assert_eq!(b["data"]["resource"]["namespace"], "default");
    assert_eq!(b["data"]["resource"]["annotationValue"], "managed");
    assert_eq!(
        b["data"]["metadata"]["annotations"],
        serde_json::json!({"owner": "ml"})
    );
    assert_eq!(
        b["data"]["metadata"]["labels"],
        serde_json::json!({"app": "web"})
    );
    assert!(
        b["data"]["resource"]["uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    );
    assert_eq!(
        got.iter()
            .find(|g| g.body["subject"] == "llama")
            .expect("llama")
            .body["source"],
        "/beacon/models/LLMInferenceService"
    );

    // Live changes through the watch: created, annotation removed, added again, deleted.
    k.apply("configmaps", "default", "live", &[(KEY, "managed")], &[]);
    receiver.wait_for(&[("created", "live")]);
    k.apply(
        "configmaps",
        "default",
        "live",
        &[(KEY, "managed"), ("touched", "1")],
        &[],
    );
    k.apply("configmaps", "default", "plain", &[("touched", "1")], &[]);
    k.apply("configmaps", "default", "live", &[], &[]);
    receiver.wait_for(&[("deleted", "live")]);
    k.apply("configmaps", "default", "live", &[(KEY, "managed")], &[]);
    k.delete("configmaps", "default", "live");
    eventually(WAIT, "live deleted twice", || {
        (receiver.count("deleted", "live") == 2).then_some(())
    });
    let live: Vec<String> = receiver
        .seen()
        .into_iter()
        .filter(|(_, s)| s == "live")
        .map(|(t, _)| t)
        .collect();
    assert_eq!(live, vec!["created", "deleted", "created", "deleted"]);

    // The receiver is down for a while: everything arrives after, each object's events in order.
    receiver.set(503);
    for i in 0..5 {
        k.apply(
            "configmaps",
            "default",
            &format!("burst-{i}"),
            &[(KEY, "")],
            &[],
        );
    }
    k.delete("configmaps", "default", "burst-1");
    std::thread::sleep(Duration::from_secs(2));
    receiver.set(200);
    receiver.wait_for(&[
        ("created", "burst-0"),
        ("created", "burst-4"),
        ("deleted", "burst-1"),
    ]);
    let burst1: Vec<String> = receiver
        .seen()
        .into_iter()
        .filter(|(_, s)| s == "burst-1")
        .map(|(t, _)| t)
        .collect();
    assert_eq!(burst1, vec!["created", "deleted"], "created before deleted");

    // The API server forgets its history under an open watch (410): a relist, nothing lost or doubled.
    k.expire_watches();
    k.apply("configmaps", "default", "after-gone", &[(KEY, "")], &[]);
    receiver.wait_for(&[("created", "after-gone")]);
    std::thread::sleep(Duration::from_secs(1));
    for name in ["pre", "llama", "burst-0", "burst-4", "after-gone"] {
        assert_eq!(receiver.count("created", name), 1, "{name} once");
    }
    assert_eq!(
        receiver.count("created", "plain"),
        0,
        "unannotated objects are not tracked"
    );
    assert_eq!(
        receiver.count("created", "elsewhere"),
        0,
        "other namespaces are not watched"
    );

    // The endpoint's token is never listed (writers see it on `webhooks get`, to edit it, as any header).
    let hooks = home.json(&["webhooks", "list"]);
    let hook = array(hooks.clone())
        .into_iter()
        .find(|h| h["format"] == "cloudevents")
        .expect("the watcher's webhook");
    assert_eq!(hook["headers"]["Authorization"], "********", "{hook}");
    assert!(!hooks.to_string().contains("s3cret-token"));

    // What the CLI and the API show.
    let objects = array(home.json(&["kubernetes", "objects", "list", "--status", "active"]));
    let mut names: Vec<&str> = objects.iter().filter_map(|o| o["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec![
            "after-gone",
            "burst-0",
            "burst-2",
            "burst-3",
            "burst-4",
            "llama",
            "pre"
        ]
    );
    let deleted = array(home.json(&[
        "kubernetes",
        "objects",
        "list",
        "--status",
        "deleted",
        "--kind",
        "ConfigMap",
    ]));
    let mut names: Vec<&str> = deleted.iter().filter_map(|o| o["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["burst-1", "live"]);
    let events = array(home.json(&["kubernetes", "events", "list", "--limit", "1000"]));
    assert!(
        events
            .iter()
            .all(|e| e["deliveries"]["delivered"] == 1 && e["deliveries"]["pending"] == 0),
        "{events:?}"
    );
    let reasons: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] == "live")
        .filter_map(|e| e["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        vec!["removed", "annotation_added", "annotation_removed", "added"]
    );
    let missed: Vec<&str> = events
        .iter()
        .filter(|e| e["reason"] == "missed_creation")
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(
        missed.contains(&"pre") && missed.contains(&"llama"),
        "{missed:?}"
    );
    let table = home.run(&["kubernetes", "objects", "list"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("after-gone") && table.stdout.contains("ConfigMap"));
    let deliveries = home.json(&["deliveries", "list"]);
    assert!(array(deliveries).len() >= events.len());

    let (_, metrics) = server.get("/metrics");
    for series in [
        "beacon_kube_events_total{",
        "beacon_kube_watch_restarts_total{",
        "beacon_kube_reconcile_runs_total{",
        "# HELP beacon_kube_events_total",
    ] {
        assert!(metrics.contains(series), "{series} missing");
    }
    let (code, _) = server.get("/healthz");
    assert_eq!(code, 200);
    assert_eq!(server.terminate(), 0);
}

#[test]
fn changes_while_beacon_is_down_are_found_by_reconciliation_or_resume() {
    let home = Home::sqlite();
    let k = cluster();
    let receiver = Receiver::start();
    let cfg = config(&home, &k, &receiver, "");
    k.apply("configmaps", "default", "a", &[(KEY, "")], &[]);
    let server = run(&home, &cfg);
    receiver.wait_for(&[("created", "a")]);
    server.kill();

    // Down: one object goes, another comes, and the history is compacted.
    k.delete("configmaps", "default", "a");
    k.apply("configmaps", "default", "b", &[(KEY, "")], &[]);
    k.compact();
    let server = run(&home, &cfg);
    receiver.wait_for(&[("deleted", "a"), ("created", "b")]);
    server.kill();

    // Without the start-up reconciliation the watch resumes from where it stopped: the change arrives
    // through the watch itself...
    let resume = config(
        &home,
        &k,
        &receiver,
        "reconciliation:\n  enabled: true\n  interval: 1h\n  onStartup: false\n",
    );
    k.apply("configmaps", "default", "c", &[(KEY, "")], &[]);
    let server = run(&home, &resume);
    receiver.wait_for(&[("created", "c")]);
    server.kill();
    // ...and when that position has been compacted away, the 410 relists and reconciles.
    k.apply("configmaps", "default", "d", &[(KEY, "")], &[]);
    k.compact();
    let server = run(&home, &resume);
    receiver.wait_for(&[("created", "d")]);
    // SIGKILL right as watch events arrive, wherever between receiving and storing them it lands: after the
    // restart each is delivered, once.
    for i in 0..3 {
        k.apply("configmaps", "default", &format!("k{i}"), &[(KEY, "")], &[]);
    }
    server.kill();
    let server = run(&home, &resume);
    receiver.wait_for(&[("created", "k0"), ("created", "k1"), ("created", "k2")]);
    std::thread::sleep(Duration::from_secs(1));
    for (t, name) in [
        ("created", "a"),
        ("deleted", "a"),
        ("created", "b"),
        ("created", "c"),
        ("created", "d"),
        ("created", "k0"),
        ("created", "k1"),
        ("created", "k2"),
    ] {
        assert_eq!(receiver.count(t, name), 1, "{t} {name} once");
    }
    let events = array(home.json(&["kubernetes", "events", "list"]));
    let reason = |name: &str, event: &str| {
        events
            .iter()
            .find(|e| e["name"] == name && e["event"] == event)
            .map(|e| e["reason"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(
        reason("a", "kubernetes_deleted").as_deref(),
        Some("missed_deletion")
    );
    assert_eq!(
        reason("b", "kubernetes_created").as_deref(),
        Some("missed_creation")
    );
    assert_eq!(
        reason("c", "kubernetes_created").as_deref(),
        Some("added"),
        "through the resumed watch"
    );
    assert_eq!(
        reason("d", "kubernetes_created").as_deref(),
        Some("missed_creation"),
        "after 410"
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn a_silent_watch_is_restarted_and_ready_says_so_while_the_api_is_down() {
    let home = Home::sqlite();
    let k = cluster();
    let receiver = Receiver::start();
    let server = run(&home, &config(&home, &k, &receiver, ""));
    ready(&server);
    // A hung connection: nothing comes, not even bookmarks, and the stream does not end. The watcher drops
    // it once it has been silent for longer than its timeout, and watches again.
    k.set_silent(true);
    eventually(WAIT, "a restart for silence", || {
        let (_, m) = server.get("/metrics");
        m.lines()
            .any(|l| {
                l.starts_with("beacon_kube_watch_restarts_total{")
                    && l.contains("reason=\"silent\"")
            })
            .then_some(())
    });
    k.set_silent(false);
    k.apply("configmaps", "default", "x", &[(KEY, "")], &[]);
    receiver.wait_for(&[("created", "x")]);

    // The API server goes away: /ready turns 503 naming the kubernetes check, and back when it returns.
    k.set_down(true);
    let body = eventually(WAIT, "not ready", || {
        let (code, body) = server.get("/ready");
        (code == 503).then(|| serde_json::from_str::<Value>(&body).expect("json"))
    });
    assert_eq!(body["status"], "unavailable");
    assert_eq!(
        body["checks"]["kubernetes"]["status"],
        "down",
        "{body}\n{}",
        server.log.lock().expect("log")
    );
    assert_eq!(body["checks"]["database"]["status"], "up");
    k.set_down(false);
    ready(&server);
    k.apply("configmaps", "default", "y", &[(KEY, "")], &[]);
    receiver.wait_for(&[("created", "y")]);
    assert_eq!(server.terminate(), 0);
}

#[test]
fn bad_configurations_are_refused_naming_the_cause() {
    let home = Home::sqlite();
    let k = cluster();
    let receiver = Receiver::start();
    let kubeconfig = k.kubeconfig(&home.dir);
    let write = |name: &str, text: &str| {
        let p = home.dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let base = |extra: &str| {
        format!(
            "resources:\n  - apiVersion: v1\n    kind: ConfigMap\nendpoint:\n  url: {}\nstorage:\n  dbPath: {}\nkubeconfig: {}\n{extra}",
            receiver.url,
            home.dir.join("k.db").display(),
            kubeconfig.display()
        )
    };
    let refused = write(
        "refused-kubeconfig",
        &std::fs::read_to_string(&kubeconfig)
            .expect("read")
            .replace(&k.base, refused_url().trim_end_matches('/')),
    );
    let garbage = write("garbage-kubeconfig", "this: [is not a kubeconfig");
    let cases: Vec<(String, i32, &str)> = vec![
        (base("endpont:\n  url: x\n"), 1, "endpont"),
        (
            base("").replace("kind: ConfigMap", "kind: Widget"),
            1,
            "Widget",
        ),
        (
            base("").replace("apiVersion: v1", "apiVersion: example.com/v9"),
            1,
            "example.com/v9",
        ),
        (base("").replace("  url: ", "  urll: "), 1, "urll"),
        (
            base("").replace(
                &kubeconfig.display().to_string(),
                &refused.display().to_string(),
            ),
            2,
            "Kubernetes",
        ),
        (
            base("").replace(
                &kubeconfig.display().to_string(),
                &garbage.display().to_string(),
            ),
            1,
            "kubeconfig",
        ),
        (
            base("reconciliation:\n  interval: soon\n"),
            1,
            "reconciliation.interval",
        ),
        (
            format!("resources: []\nendpoint:\n  url: {}\n", receiver.url),
            1,
            "at least one resource must be configured",
        ),
    ];
    for (i, (yaml, code, want)) in cases.iter().enumerate() {
        let path = write(&format!("bad-{i}.yaml"), yaml);
        let out = home.run(&[
            "kubernetes",
            "run",
            "--config",
            path.to_str().expect("path"),
            "--listen",
            "127.0.0.1:0",
        ]);
        assert_eq!(out.code, *code, "case {i} ({want}): {}", out.stderr);
        assert!(
            out.stderr.contains(want),
            "case {i}: {want:?} not in {}",
            out.stderr
        );
    }
    // The lists refuse filters they cannot apply, naming the field.
    for (args, field) in [
        (
            &["kubernetes", "objects", "list", "--status", "gone"][..],
            "status",
        ),
        (
            &["kubernetes", "objects", "list", "--limit", "0"][..],
            "limit",
        ),
        (
            &["kubernetes", "events", "list", "--limit", "5000"][..],
            "limit",
        ),
    ] {
        let out = home.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(field), "{args:?}: {}", out.stderr);
    }
    assert!(
        !home.dir.join("k.db").exists(),
        "nothing was written for a refused configuration"
    );
    // Missing file, via CONFIG_PATH.
    let out = home
        .command(&["kubernetes", "run"])
        .env("CONFIG_PATH", home.dir.join("nope.yaml"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.yaml"));
}

/// Two servers on one PostgreSQL database, both configured with the watcher: only the leader watches, every
/// event is stored and delivered once, and when the leader dies the other takes over.
#[test]
fn two_servers_on_postgresql_watch_once_and_hand_over() {
    let home = Home::postgres();
    let k = cluster();
    let receiver = Receiver::start();
    let path = home.dir.join("server.yaml");
    std::fs::write(
        &path,
        format!(
            "kubernetes:\n  kubeconfig: {}\n  resources:\n    - apiVersion: v1\n      kind: ConfigMap\n  \
             endpoint:\n    url: {}\n  watch:\n    timeout: 3s\n",
            k.kubeconfig(&home.dir).display(),
            receiver.url
        ),
    )
    .expect("config");
    let config = path.to_str().expect("path");
    let a = home.server(&["--config", config]);
    let b = home.server(&["--config", config]);
    for i in 0..5 {
        k.apply(
            "configmaps",
            "default",
            &format!("cm-{i}"),
            &[(KEY, "")],
            &[],
        );
    }
    receiver.wait_for(&[("created", "cm-0"), ("created", "cm-4")]);
    let detail = |s: &Server| {
        let (_, body) = s.get("/ready");
        let v: Value = serde_json::from_str(&body).expect("json");
        v["checks"]["watchers"]["detail"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let a_leads = eventually(WAIT, "one leader, one standby", || {
        let (da, db) = (detail(&a), detail(&b));
        match (da.contains("standby"), db.contains("standby")) {
            (false, true) if da.contains("watching") => Some(true),
            (true, false) if db.contains("watching") => Some(false),
            _ => None,
        }
    });
    let (leader, follower) = if a_leads { (a, b) } else { (b, a) };
    leader.kill();
    eventually(WAIT, "the other server takes over", || {
        detail(&follower).contains("watching").then_some(())
    });
    k.apply("configmaps", "default", "after-handover", &[(KEY, "")], &[]);
    receiver.wait_for(&[("created", "after-handover")]);
    std::thread::sleep(Duration::from_secs(1));
    for name in ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4", "after-handover"] {
        assert_eq!(receiver.count("created", name), 1, "{name} once");
    }
}

/// The reconciliation timer finds what a watch never showed, the label selector and namespace exclusion narrow
/// what counts, and the cleanup removes deleted objects' records once delivered, keeping a failed one.
#[test]
fn periodic_reconciliation_selectors_and_cleanup() {
    let home = Home::sqlite();
    let k = cluster();
    let receiver = Receiver::start();
    let path = home.dir.join("config.yaml");
    std::fs::write(
        &path,
        format!(
            "app:\n  logFormat: json\nresources:\n  - apiVersion: v1\n    kind: ConfigMap\n    \
             excludeNamespaces: [kube-system]\n    labelSelector: team=sre\n\
             endpoint:\n  url: {}\n  retry:\n    initialBackoff: 100ms\n    maxBackoff: 200ms\n\
             reconciliation:\n  interval: 2s\n  onStartup: true\nretention:\n  cleanupInterval: 1s\n  \
             retentionPeriod: 1s\nstorage:\n  dbPath: {}\nkubeconfig: {}\nwatch:\n  timeout: 30s\n",
            receiver.url,
            home.dir.join("data").join("beacon.db").display(),
            k.kubeconfig(&home.dir).display()
        ),
    )
    .expect("config");
    let server = run(&home, &path);
    ready(&server);
    k.apply(
        "configmaps",
        "default",
        "sre",
        &[(KEY, "")],
        &[("team", "sre")],
    );
    k.apply(
        "configmaps",
        "default",
        "web",
        &[(KEY, "")],
        &[("team", "web")],
    );
    k.apply(
        "configmaps",
        "kube-system",
        "system",
        &[(KEY, "")],
        &[("team", "sre")],
    );
    receiver.wait_for(&[("created", "sre")]);
    // A change the open watch never shows (it hangs): the next reconciliation finds it.
    k.set_silent(true);
    k.apply(
        "configmaps",
        "other",
        "hidden",
        &[(KEY, "")],
        &[("team", "sre")],
    );
    receiver.wait_for(&[("created", "hidden")]);
    k.set_silent(false);
    let events = array(home.json(&["kubernetes", "events", "list"]));
    let hidden = events
        .iter()
        .find(|e| e["name"] == "hidden")
        .expect("hidden's event");
    assert_eq!(hidden["reason"], "missed_creation");
    assert_eq!(
        receiver.count("created", "web"),
        0,
        "outside the label selector"
    );
    assert_eq!(
        receiver.count("created", "system"),
        0,
        "in an excluded namespace"
    );

    // Deleted and delivered: cleaned up after the retention. Deleted but refused: kept for review.
    k.delete("configmaps", "default", "sre");
    receiver.wait_for(&[("deleted", "sre")]);
    receiver.set(422);
    k.delete("configmaps", "other", "hidden");
    eventually(WAIT, "sre's record cleaned up, hidden's kept", || {
        let objects = array(home.json(&["kubernetes", "objects", "list"]));
        let names: Vec<&str> = objects.iter().filter_map(|o| o["name"].as_str()).collect();
        (!names.contains(&"sre") && names.contains(&"hidden")).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let objects = array(home.json(&["kubernetes", "objects", "list", "--status", "deleted"]));
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0]["name"], "hidden");
    let failed = array(home.json(&["deliveries", "list", "--status", "failed"]));
    assert_eq!(failed.len(), 1, "{failed:?}");
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics.contains("beacon_kube_cleanup_deleted_total 1"),
        "cleanup counted"
    );
    assert_eq!(server.terminate(), 0);
}

/// Real API servers speak HTTPS with their own CA: the watcher trusts the kubeconfig's
/// `certificate-authority-data` and refuses a server whose certificate that CA did not sign.
#[test]
fn the_watcher_speaks_tls_to_the_api_server_and_checks_its_certificate() {
    let home = Home::sqlite();
    let k = FakeCluster::start_tls(vec![KindDef::new("v1", "ConfigMap", "configmaps", true)]);
    assert!(k.base.starts_with("https://"));
    let receiver = Receiver::start();
    let config = |kubeconfig: &std::path::Path| {
        let path = home.dir.join("tls.yaml");
        std::fs::write(
            &path,
            format!(
                "resources:\n  - apiVersion: v1\n    kind: ConfigMap\nendpoint:\n  url: {}\nstorage:\n  dbPath: {}\nkubeconfig: {}\n",
                receiver.url,
                home.dir.join("data").join("beacon.db").display(),
                kubeconfig.display()
            ),
        )
        .expect("config");
        path
    };
    // A kubeconfig whose CA is another one: the handshake fails, and Beacon says so and stops.
    let other = FakeCluster::start_tls(vec![]);
    let wrong = home.dir.join("wrong-kubeconfig");
    std::fs::write(
        &wrong,
        std::fs::read_to_string(other.kubeconfig(&home.dir))
            .expect("read")
            .replace(&other.base, &k.base)
            .replace(&other.token, &k.token),
    )
    .expect("write");
    let out = home.run(&[
        "kubernetes",
        "run",
        "--config",
        config(&wrong).to_str().expect("path"),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.to_lowercase().contains("certificate"),
        "{}",
        out.stderr
    );

    let server = run(&home, &config(&k.kubeconfig(&home.dir)));
    ready(&server);
    k.apply("configmaps", "default", "over-tls", &[(KEY, "")], &[]);
    receiver.wait_for(&[("created", "over-tls")]);
    assert_eq!(server.terminate(), 0);
}

/// `endpoint.format: standard` sends the events as signed Standard Webhooks: the signing secret is printed once,
/// by the start that made the webhook, and every request verifies with it.
#[test]
fn the_standard_format_is_signed_with_a_secret_shown_once() {
    use std::io::BufRead;
    let home = Home::sqlite();
    let k = cluster();
    let receiver = Receiver::start();
    let cfg = config(&home, &k, &receiver, "");
    let text = std::fs::read_to_string(&cfg)
        .expect("read")
        .replace("  timeout: 5s\n", "  timeout: 5s\n  format: standard\n");
    std::fs::write(&cfg, text).expect("write");
    let mut child = home
        .command(&[
            "kubernetes",
            "run",
            "--config",
            cfg.to_str().expect("path"),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with("whsec_") {
                let _ = tx.send(line);
            }
        }
    });
    let secret = rx.recv_timeout(WAIT).expect("the signing secret printed");
    k.apply("configmaps", "default", "signed", &[(KEY, "v")], &[]);
    let got = eventually(WAIT, "the signed event", || {
        receiver
            .got()
            .into_iter()
            .find(|g| g.body["data"]["name"] == "signed")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got.body["type"], "kubernetes_created.v1");
    // Made while the first listing may still run: seen by the watch or by that listing.
    let reason = got.body["data"]["reason"].as_str().unwrap_or("");
    assert!(matches!(reason, "added" | "missed_creation"), "{reason}");
    assert_eq!(got.body["data"]["annotation_value"], "v");
    assert!(
        crate::delivery::signature_valid(&secret, &got.headers, &got.raw),
        "the signature verifies with the printed secret"
    );
    assert!(
        !crate::delivery::signature_valid(
            "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
            &got.headers,
            &got.raw
        ),
        "and not with another"
    );
    // Started again, the webhook exists: no new secret is printed, and it stays the only one.
    let server = run(&home, &cfg);
    ready(&server);
    let hooks = array(home.json(&["webhooks", "list"]));
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["format"], "standard");
    assert_eq!(server.terminate(), 0);
}
