//! A Kubernetes API server of the tests' own (feature `fake-apiserver`), speaking the wire protocol the watcher
//! relies on: discovery (`/api/v1`, `/apis/<group>/<version>` as `APIResourceList`), lists with
//! `metadata.resourceVersion`, `limit` and `continue`, and chunked watch streams of `{"type","object"}` lines
//! with `resourceVersion`, `timeoutSeconds`, `allowWatchBookmarks` and `labelSelector`; a watch from a version
//! older than the retained history is answered as a real API server answers it: 200 and one `ERROR` event with a
//! 410 `Status`. Requests need `Authorization: Bearer <token>`. Tests change objects, compact the history, end or
//! silence watches, or take the server down (503) from plain blocking code: the server runs on a thread of its
//! own.

use axum::body::Body;
use axum::extract::{Query, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// A kind the fake serves.
#[derive(Debug, Clone)]
pub struct KindDef {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
}

impl KindDef {
    pub fn new(api_version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        let (group, version) = api_version
            .split_once('/')
            .map_or(("", api_version), |(g, v)| (g, v));
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            plural: plural.to_owned(),
            namespaced,
        }
    }

    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

#[derive(Debug, Clone)]
struct Change {
    rv: u64,
    plural: String,
    namespace: String,
    kind: &'static str,
    object: Value,
}

#[derive(Debug, Clone, Copy)]
enum Control {
    /// Send watchers an ERROR 410 and end their streams.
    Expire,
    /// End every watch stream without a word.
    Drop,
}

#[derive(Default)]
struct State {
    kinds: Vec<KindDef>,
    /// (plural, namespace, name) → object.
    objects: BTreeMap<(String, String, String), Value>,
    rv: u64,
    history: Vec<Change>,
    /// Watches from a version below this are answered 410.
    oldest: u64,
    down: bool,
    silent: bool,
    lists: u64,
    watches: u64,
}

/// The fake API server. Dropping it leaves its thread serving until the process ends.
pub struct FakeCluster {
    pub base: String,
    pub token: String,
    /// The CA (PEM) of the server's certificate, when it serves HTTPS (`start_tls`).
    pub ca_pem: Option<String>,
    state: Arc<Mutex<State>>,
    changes: broadcast::Sender<Change>,
    control: broadcast::Sender<Control>,
    /// Bookmarks are sent this often on watches that ask for them.
    pub bookmark_every: Duration,
}

fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code})
}

fn reply(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `k=v` and `k` terms, comma-separated.
fn selects(selector: Option<&String>, object: &Value) -> bool {
    let Some(sel) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    let labels = &object["metadata"]["labels"];
    sel.split(',').all(|term| match term.split_once('=') {
        Some((k, v)) => labels[k.trim()].as_str() == Some(v.trim()),
        None => !labels[term.trim()].is_null(),
    })
}

impl FakeCluster {
    /// Serve plain HTTP on a free port of 127.0.0.1.
    pub fn start(kinds: Vec<KindDef>) -> Self {
        Self::serve(kinds, None)
    }

    /// Serve HTTPS on a free port of 127.0.0.1, with a certificate for 127.0.0.1 signed by a CA made now (its PEM
    /// in `ca_pem`, and in the kubeconfig as `certificate-authority-data`), as real API servers do.
    pub fn start_tls(kinds: Vec<KindDef>) -> Self {
        let (config, ca_pem) = localhost_tls();
        let mut cluster = Self::serve(kinds, Some(Arc::new(config)));
        cluster.ca_pem = Some(ca_pem);
        cluster
    }

    fn serve(kinds: Vec<KindDef>, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind the fake API server");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State {
            kinds,
            rv: 1000,
            oldest: 1000,
            ..State::default()
        }));
        let (changes, _) = broadcast::channel(65_536);
        let (control, _) = broadcast::channel(16);
        let cluster = Self {
            base,
            token: format!("test-{}", uuid::Uuid::new_v4().simple()),
            ca_pem: None,
            state,
            changes,
            control,
            bookmark_every: Duration::from_millis(500),
        };
        let handler = cluster.handler();
        listener.set_nonblocking(true).expect("nonblocking");
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(
                    move |Query(q): Query<HashMap<String, String>>, req: Request| {
                        let h = handler.clone();
                        async move { h.handle(req, q).await }
                    },
                );
                match tls {
                    None => {
                        let _ = axum::serve(listener, app).await;
                    }
                    Some(config) => serve_tls(listener, app, config).await,
                }
            });
        });
        cluster
    }

    fn handler(&self) -> Handler {
        Handler {
            state: self.state.clone(),
            changes: self.changes.clone(),
            control: self.control.clone(),
            token: self.token.clone(),
            bookmark_every: self.bookmark_every,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("fake cluster state"))
    }

    /// A kubeconfig naming this server and its token, written into `dir`.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        use base64::Engine;
        let path = dir.join("kubeconfig");
        let ca = self
            .ca_pem
            .as_ref()
            .map(|pem| {
                format!(
                    "    certificate-authority-data: {}\n",
                    base64::engine::general_purpose::STANDARD.encode(pem)
                )
            })
            .unwrap_or_default();
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n{ca}\
             contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n\
             current-context: fake\nusers:\n- name: fake\n  user:\n    token: {}\n",
            self.base, self.token
        );
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }

    fn kind(&self, plural: &str) -> KindDef {
        self.with(|s| s.kinds.iter().find(|k| k.plural == plural).cloned())
            .unwrap_or_else(|| panic!("the fake serves no {plural}"))
    }

    fn record(&self, s: &mut State, change: Change) {
        s.history.push(change.clone());
        let _ = self.changes.send(change);
    }

    /// Create or update an object; its uid.
    pub fn apply(
        &self,
        plural: &str,
        namespace: &str,
        name: &str,
        annotations: &[(&str, &str)],
        labels: &[(&str, &str)],
    ) -> String {
        let k = self.kind(plural);
        self.with(|s| {
            s.rv += 1;
            let key = (plural.to_owned(), namespace.to_owned(), name.to_owned());
            let existing = s.objects.get(&key);
            let uid = existing
                .and_then(|o| o["metadata"]["uid"].as_str().map(str::to_owned))
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let kind = if existing.is_some() {
                "MODIFIED"
            } else {
                "ADDED"
            };
            let map = |pairs: &[(&str, &str)]| -> serde_json::Map<String, Value> {
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect()
            };
            let mut metadata = json!({
                "name": name,
                "uid": uid,
                "resourceVersion": s.rv.to_string(),
                "creationTimestamp": "2026-11-29T00:00:00Z",
                "annotations": map(annotations),
                "labels": map(labels),
            });
            if k.namespaced {
                metadata["namespace"] = json!(namespace);
            }
            let object = json!({"apiVersion": k.api_version(), "kind": k.kind, "metadata": metadata,
                "data": {"n": s.rv.to_string()}});
            s.objects.insert(key, object.clone());
            let change = Change {
                rv: s.rv,
                plural: plural.to_owned(),
                namespace: namespace.to_owned(),
                kind,
                object,
            };
            self.record(s, change);
            uid
        })
    }

    /// Delete an object (it must exist).
    pub fn delete(&self, plural: &str, namespace: &str, name: &str) {
        self.with(|s| {
            s.rv += 1;
            let key = (plural.to_owned(), namespace.to_owned(), name.to_owned());
            let mut object = s
                .objects
                .remove(&key)
                .unwrap_or_else(|| panic!("no {plural} {namespace}/{name} to delete"));
            object["metadata"]["resourceVersion"] = json!(s.rv.to_string());
            let change = Change {
                rv: s.rv,
                plural: plural.to_owned(),
                namespace: namespace.to_owned(),
                kind: "DELETED",
                object,
            };
            self.record(s, change);
        });
    }

    /// Forget the history (as etcd compaction does): a watch from any earlier version gets 410 Gone.
    pub fn compact(&self) {
        self.with(|s| {
            s.history.clear();
            s.oldest = s.rv;
        });
    }

    /// Compact, and tell every open watch so (ERROR 410), as an API server does to a watcher left behind.
    pub fn expire_watches(&self) {
        self.compact();
        let _ = self.control.send(Control::Expire);
    }

    /// End every open watch stream without a word.
    pub fn drop_watches(&self) {
        let _ = self.control.send(Control::Drop);
    }

    /// Open watches send nothing at all (no events, no bookmarks) while set.
    pub fn set_silent(&self, silent: bool) {
        self.with(|s| s.silent = silent);
    }

    /// Answer every request 503 while set.
    pub fn set_down(&self, down: bool) {
        self.with(|s| s.down = down);
        if down {
            self.drop_watches();
        }
    }

    /// List and watch requests served so far.
    pub fn requests(&self) -> (u64, u64) {
        self.with(|s| (s.lists, s.watches))
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.with(|s| s.rv)
    }
}

/// Accept TLS connections and serve `app` on each over HTTP/1.1.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    config: Arc<rustls::ServerConfig>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        });
    }
}

#[derive(Clone)]
struct Handler {
    state: Arc<Mutex<State>>,
    changes: broadcast::Sender<Change>,
    control: broadcast::Sender<Control>,
    token: String,
    bookmark_every: Duration,
}

impl Handler {
    async fn handle(self, req: Request, q: HashMap<String, String>) -> Response {
        let bearer = format!("Bearer {}", self.token);
        if req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some(bearer.as_str())
        {
            return reply(
                StatusCode::UNAUTHORIZED,
                &status(401, "Unauthorized", "Unauthorized"),
            );
        }
        if self.state.lock().expect("state").down {
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                &status(503, "ServiceUnavailable", "the server is down"),
            );
        }
        let path: Vec<String> = req
            .uri()
            .path()
            .trim_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect();
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        // (group, version, rest)
        let (group, version, rest) = match p.as_slice() {
            ["api", v, rest @ ..] => ("", *v, rest),
            ["apis", g, v, rest @ ..] => (*g, *v, rest),
            _ => return reply(StatusCode::NOT_FOUND, &status(404, "NotFound", "not found")),
        };
        let (namespace, plural) = match rest {
            [] => return self.discovery(group, version),
            ["namespaces", ns, plural] => (Some((*ns).to_owned()), *plural),
            [plural] => (None, *plural),
            _ => return reply(StatusCode::NOT_FOUND, &status(404, "NotFound", "not found")),
        };
        let kind = {
            let s = self.state.lock().expect("state");
            s.kinds
                .iter()
                .find(|k| k.group == group && k.version == version && k.plural == plural)
                .cloned()
        };
        let Some(kind) = kind else {
            return reply(
                StatusCode::NOT_FOUND,
                &status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                ),
            );
        };
        if matches!(q.get("watch").map(String::as_str), Some("true" | "1")) {
            self.watch(&kind, namespace, &q)
        } else {
            self.list(&kind, namespace.as_deref(), &q)
        }
    }

    fn discovery(&self, group: &str, version: &str) -> Response {
        let s = self.state.lock().expect("state");
        let resources: Vec<Value> = s
            .kinds
            .iter()
            .filter(|k| k.group == group && k.version == version)
            .map(|k| {
                json!({"name": k.plural, "singularName": k.kind.to_lowercase(), "namespaced": k.namespaced,
                    "kind": k.kind, "verbs": ["get", "list", "watch", "create", "update", "delete"]})
            })
            .collect();
        if resources.is_empty() {
            return reply(
                StatusCode::NOT_FOUND,
                &status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                ),
            );
        }
        let gv = if group.is_empty() {
            version.to_owned()
        } else {
            format!("{group}/{version}")
        };
        reply(
            StatusCode::OK,
            &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
        )
    }

    fn list(
        &self,
        kind: &KindDef,
        namespace: Option<&str>,
        q: &HashMap<String, String>,
    ) -> Response {
        let mut s = self.state.lock().expect("state");
        s.lists += 1;
        let items: Vec<Value> = s
            .objects
            .iter()
            .filter(|((p, ns, _), o)| {
                *p == kind.plural
                    && namespace.is_none_or(|n| n == ns)
                    && selects(q.get("labelSelector"), o)
            })
            .map(|(_, o)| o.clone())
            .collect();
        let offset: usize = q.get("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
        let limit: usize = q
            .get("limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        let page: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
        let next = offset + page.len();
        let mut metadata = json!({"resourceVersion": s.rv.to_string()});
        if next < items.len() {
            metadata["continue"] = json!(next.to_string());
            metadata["remainingItemCount"] = json!(items.len() - next);
        }
        reply(
            StatusCode::OK,
            &json!({"kind": format!("{}List", kind.kind), "apiVersion": kind.api_version(),
                "metadata": metadata, "items": page}),
        )
    }

    fn watch(
        &self,
        kind: &KindDef,
        namespace: Option<String>,
        q: &HashMap<String, String>,
    ) -> Response {
        let from: u64 = q
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let timeout = Duration::from_secs(
            q.get("timeoutSeconds")
                .and_then(|t| t.parse().ok())
                .unwrap_or(1800),
        );
        let bookmarks = q.get("allowWatchBookmarks").map(String::as_str) == Some("true");
        let selector = q.get("labelSelector").cloned();
        let mut live = self.changes.subscribe();
        let mut control = self.control.subscribe();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(1024);
        let (backlog, gone, current) = {
            let mut s = self.state.lock().expect("state");
            s.watches += 1;
            let gone = from < s.oldest;
            let backlog: Vec<Change> = if gone {
                Vec::new()
            } else {
                s.history.iter().filter(|c| c.rv > from).cloned().collect()
            };
            (backlog, gone, s.rv)
        };
        let line = |t: &str, object: &Value| format!("{}\n", json!({"type": t, "object": object}));
        let expired = line(
            "ERROR",
            &status(
                410,
                "Expired",
                &format!("too old resource version: {from} ({current})"),
            ),
        );
        let (state, plural, api_version, kind_name, every) = (
            self.state.clone(),
            kind.plural.clone(),
            kind.api_version(),
            kind.kind.clone(),
            self.bookmark_every,
        );
        let matches = move |c: &Change| {
            c.plural == plural
                && namespace.as_deref().is_none_or(|n| n == c.namespace)
                && (c.kind == "DELETED" || selects(selector.as_ref(), &c.object))
        };
        tokio::spawn(async move {
            if gone {
                let _ = tx.send(Ok(expired)).await;
                return;
            }
            let mut last = from;
            let silent = || state.lock().map(|s| s.silent).unwrap_or(false);
            for c in &backlog {
                last = c.rv;
                if matches(c) && tx.send(Ok(line(c.kind, &c.object))).await.is_err() {
                    return;
                }
            }
            let end = tokio::time::Instant::now() + timeout;
            let mut tick = tokio::time::interval(every);
            loop {
                // A silent watch is a hung connection: nothing comes, and it does not end on time either.
                while silent() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    if tx.is_closed() {
                        return;
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep_until(end) => return,
                    c = control.recv() => match c {
                        Ok(Control::Expire) => { let _ = tx.send(Ok(expired.clone())).await; return; }
                        _ => return,
                    },
                    c = live.recv() => match c {
                        Ok(c) if c.rv > last && matches(&c) => {
                            last = c.rv;
                            // Silenced while it came: held back until the silence ends.
                            while silent() {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                if tx.is_closed() {
                                    return;
                                }
                            }
                            if tx.send(Ok(line(c.kind, &c.object))).await.is_err() { return; }
                        }
                        // Not for this watch, but seen in order: a bookmark may say so.
                        Ok(c) => last = last.max(c.rv),
                        Err(broadcast::error::RecvError::Lagged(_)) => return,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    _ = tick.tick(), if bookmarks => {
                        // Everything up to `last` was sent (or is not this watch's).
                        let rv = last;
                        let mark = json!({"kind": kind_name, "apiVersion": api_version,
                            "metadata": {"resourceVersion": rv.to_string(),
                                "annotations": {"k8s.io/initial-events-end": "false"}}});
                        if tx.send(Ok(line("BOOKMARK", &mark))).await.is_err() { return; }
                    }
                }
            }
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            Body::from_stream(stream),
        )
            .into_response()
    }
}

/// A TLS server configuration for 127.0.0.1, its certificate signed by a CA made now, and that CA's PEM: what a
/// test's own server (this API server, the e2e tests' SMTP server) presents to a client told to trust the CA.
pub fn localhost_tls() -> (rustls::ServerConfig, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("server params")
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![server.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )
        .expect("server TLS configuration");
    (config, ca_cert.pem())
}
