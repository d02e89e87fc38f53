//! The Kubernetes watcher (seed 001): objects of any kind carrying an annotation, listed, watched and reconciled
//! into the store, whose `Kubernetes` role turns them into `kubernetes_created` / `kubernetes_deleted` outbox
//! events (delivered by the ordinary delivery engine).
//!
//! - `connect`: a client from a kubeconfig file or the pod's service account; `resolve`: each configured
//!   `apiVersion`/`kind` found through discovery (a kind the cluster does not serve is an error naming it).
//! - `run`: one task per watched set (a kind, cluster-wide or in one namespace). Each lists (in pages) and
//!   reconciles, then watches from the listing's resourceVersion with bookmarks, writing each batch of events
//!   — and the position after it — in one transaction before reading on. A 410 Gone relists and reconciles; a
//!   stream that ends is resumed from the last position; errors reconnect with backoff; a stream silent for
//!   longer than its timeout is dropped and resumed. Reconciliation also runs every `reconcile_interval`, in
//!   the same task, so a listing never races the watch it interrupts.
//! - `WatchStatus`: what `/ready` reports (`kubernetes`, `watchers`).

#[cfg(feature = "fake-apiserver")]
pub mod fake;
mod status;
mod upkeep;
mod watch;

pub use kube::Client;
pub use status::WatchStatus;
pub use upkeep::{cleanup_once, run_upkeep};
pub use watch::{WatchConfig, Watcher};

use beacon_store::KubeScope;
use kube::api::ApiResource;
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use std::path::Path;

/// Why the watcher cannot start: the configuration (`Input`) or the cluster (`Environment`).
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Environment(String),
}

/// One configured resource: a kind of an apiVersion, where to watch it, and which of its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceConfig {
    pub api_version: String,
    pub kind: String,
    /// The plural used in URLs, when discovery should not decide it.
    pub plural: Option<String>,
    /// Watch only these namespaces (all when empty).
    pub namespaces: Vec<String>,
    /// Never these.
    pub exclude_namespaces: Vec<String>,
    pub label_selector: Option<String>,
}

/// A configured resource as the cluster serves it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub config: ResourceConfig,
    pub resource: ApiResource,
    pub namespaced: bool,
}

impl Resolved {
    /// The watched sets: one per listed namespace, or the whole cluster.
    pub fn sets(&self) -> Vec<(Option<String>, KubeScope)> {
        let scope = |include: Vec<String>| KubeScope {
            api_version: self.config.api_version.clone(),
            kind: self.config.kind.clone(),
            include,
            exclude: self.config.exclude_namespaces.clone(),
        };
        if self.namespaced && !self.config.namespaces.is_empty() {
            self.config
                .namespaces
                .iter()
                .map(|ns| (Some(ns.clone()), scope(vec![ns.clone()])))
                .collect()
        } else {
            vec![(None, scope(Vec::new()))]
        }
    }
}

/// An error with every cause under it (the client's own message stops at "client error (Connect)"; the reason,
/// such as an unknown certificate issuer, is further down).
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = cause.source();
    }
    text
}

/// A client: from `kubeconfig` (a file) when given, else the pod's service account when in a cluster, else
/// `$KUBECONFIG` or `~/.kube/config`.
pub async fn connect(kubeconfig: Option<&Path>) -> Result<kube::Client, KubeError> {
    let config = match kubeconfig {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path).map_err(|e| {
                KubeError::Input(format!(
                    "reading the kubeconfig {}: {e}",
                    path.display()
                ))
            })?;
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
                .await
                .map_err(|e| {
                    KubeError::Input(format!("the kubeconfig {}: {e}", path.display()))
                })?
        }
        None => kube::Config::infer().await.map_err(|e| {
            KubeError::Environment(format!(
                "no Kubernetes credentials: not in a cluster, and no usable kubeconfig ({e}); set kubernetes.kubeconfig"
            ))
        })?,
    };
    kube::Client::try_from(config)
        .map_err(|e| KubeError::Input(format!("building the Kubernetes client: {e}")))
}

/// Find each configured kind through discovery. An apiVersion or kind the cluster does not serve is an input
/// error naming it; an API server that cannot be reached is an environment error.
pub async fn resolve(
    client: &kube::Client,
    resources: &[ResourceConfig],
) -> Result<Vec<Resolved>, KubeError> {
    let mut out = Vec::with_capacity(resources.len());
    for r in resources {
        let (group, version) = match r.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", r.api_version.as_str()),
        };
        let gvk = GroupVersionKind::gvk(group, version, &r.kind);
        let (mut resource, caps) =
            kube::discovery::pinned_kind(client, &gvk)
                .await
                .map_err(|e| match &e {
                    kube::Error::Api(s) if s.code == 404 => KubeError::Input(format!(
                        "the cluster does not serve apiVersion {:?} (resources: {} {})",
                        r.api_version, r.api_version, r.kind
                    )),
                    kube::Error::Discovery(_) => KubeError::Input(format!(
                        "the cluster serves no kind {:?} in apiVersion {:?}",
                        r.kind, r.api_version
                    )),
                    _ => KubeError::Environment(format!(
                        "asking the Kubernetes API about {} {}: {}",
                        r.api_version,
                        r.kind,
                        causes(&e)
                    )),
                })?;
        if let Some(plural) = &r.plural {
            resource.plural.clone_from(plural);
        }
        out.push(Resolved {
            config: r.clone(),
            resource,
            namespaced: caps.scope == Scope::Namespaced,
        });
    }
    Ok(out)
}
