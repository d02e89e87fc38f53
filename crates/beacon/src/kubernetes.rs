//! The Kubernetes watcher's configuration: seed 001's file as written (`beacon kubernetes run --config`, keys in
//! camelCase, Go-style durations such as `30s`, `5m`, `1h30m`), and the same watcher keys as the `kubernetes:`
//! section of `beacon server`'s file. Load order as the seed's: YAML, defaults, environment overrides
//! (`CONFIG_PATH`, `DB_PATH`, `ENDPOINT_URL`, `ENDPOINT_AUTH_TOKEN`), validation. Unknown keys are errors naming
//! the key.

use crate::error::UsageError;
use anyhow::Result;
use beacon_core::endpoint::{CheckUrl, Header};
use beacon_core::kubernetes::{AnnotationRule, DEFAULT_ANNOTATION_KEY};
use beacon_kube::{ResourceConfig, WatchConfig};
use beacon_store::{CloudEventsOptions, KubeTarget, KubeWebhook, WebhookFormat, WebhookOptions};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Seed 001's file: every section it documents, plus Beacon's `kubeconfig`, `service` and `watch`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedFile {
    #[serde(default)]
    pub app: AppSection,
    #[serde(default)]
    resources: Vec<ResourceSection>,
    #[serde(default)]
    annotation: AnnotationSection,
    #[serde(default)]
    payload: PayloadSection,
    #[serde(default)]
    cloud_events: CloudEventsSection,
    #[serde(default)]
    endpoint: EndpointSection,
    #[serde(default)]
    worker: WorkerSection,
    #[serde(default)]
    reconciliation: ReconciliationSection,
    #[serde(default)]
    retention: RetentionSection,
    #[serde(default)]
    storage: StorageSection,
    #[serde(default)]
    metrics: MetricsSection,
    #[serde(default)]
    health: HealthSection,
    kubeconfig: Option<PathBuf>,
    service: Option<String>,
    #[serde(default)]
    watch: WatchSection,
}

/// `beacon server`'s `kubernetes:` section: the watcher's keys of seed 001's file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeSection {
    #[serde(default)]
    resources: Vec<ResourceSection>,
    #[serde(default)]
    annotation: AnnotationSection,
    #[serde(default)]
    payload: PayloadSection,
    #[serde(default)]
    cloud_events: CloudEventsSection,
    #[serde(default)]
    endpoint: EndpointSection,
    #[serde(default)]
    reconciliation: ReconciliationSection,
    #[serde(default)]
    retention: RetentionSection,
    kubeconfig: Option<PathBuf>,
    service: Option<String>,
    #[serde(default)]
    watch: WatchSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AppSection {
    #[expect(
        dead_code,
        reason = "accepted as the seed documents it: it names the deployment, for people"
    )]
    pub name: Option<String>,
    pub version: Option<String>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResourceSection {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    resource: Option<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    exclude_namespaces: Vec<String>,
    label_selector: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AnnotationSection {
    key: Option<String>,
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PayloadSection {
    #[serde(default)]
    annotations: Vec<String>,
    #[serde(default)]
    labels: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CloudEventsSection {
    source: Option<String>,
    type_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EndpointSection {
    url: Option<String>,
    method: Option<String>,
    timeout: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    retry: RetrySection,
    #[serde(default)]
    tls: TlsSection,
    /// `cloudevents` (seed 001's body, the default) or `standard` (signed Standard Webhooks).
    format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RetrySection {
    max_attempts: Option<u32>,
    initial_backoff: Option<String>,
    max_backoff: Option<String>,
    backoff_multiplier: Option<f64>,
    jitter: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TlsSection {
    insecure_skip_verify: Option<bool>,
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorkerSection {
    poll_interval: Option<String>,
    #[expect(
        dead_code,
        reason = "Beacon's engine claims as many deliveries as it has free request slots"
    )]
    batch_size: Option<u32>,
    concurrency: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ReconciliationSection {
    enabled: Option<bool>,
    interval: Option<String>,
    on_startup: Option<bool>,
    timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RetentionSection {
    enabled: Option<bool>,
    cleanup_interval: Option<String>,
    retention_period: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StorageSection {
    db_path: Option<PathBuf>,
    #[expect(
        dead_code,
        reason = "the volume sampled is the one holding the database (dbPath lives in it)"
    )]
    volume_path: Option<PathBuf>,
    monitor_interval: Option<String>,
    warning_threshold: Option<f64>,
    critical_threshold: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricsSection {
    #[expect(
        dead_code,
        reason = "as in the seed's code, the ops endpoints always run: probes need them"
    )]
    enabled: Option<bool>,
    port: Option<u16>,
    path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HealthSection {
    liveness_path: Option<String>,
    readiness_path: Option<String>,
    #[expect(
        dead_code,
        reason = "as in the seed's code, one listener on metrics.port carries the probes"
    )]
    port: Option<u16>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WatchSection {
    /// Each watch request's timeoutSeconds (default 290s); silent streams are dropped after it plus a margin.
    timeout: Option<String>,
    /// Objects per list page (default 500).
    page_size: Option<u32>,
}

/// The watcher, resolved: what to watch, where events go, and its upkeep.
#[derive(Debug, Clone)]
pub struct KubeSettings {
    pub kubeconfig: Option<PathBuf>,
    pub resources: Vec<ResourceConfig>,
    pub watch: WatchConfig,
    pub target: KubeTarget,
    /// Records of deleted objects older than this go (0: never).
    pub retention: Option<Duration>,
    pub cleanup_interval: Duration,
}

/// Seed 001's `kubernetes run` settings beyond the watcher: the delivery engine, storage and the ops listener.
#[derive(Debug)]
pub struct RunSettings {
    pub kube: KubeSettings,
    pub db_path: PathBuf,
    pub port: u16,
    pub metrics_path: String,
    pub liveness_path: String,
    pub readiness_path: String,
    pub delivery_timeout: Duration,
    pub retry: beacon_core::delivery::RetryPolicy,
    pub poll_interval: Duration,
    pub concurrency: usize,
    pub warning_percent: f64,
    pub critical_percent: f64,
    pub extra_root_ca: Option<PathBuf>,
    pub insecure_skip_verify: bool,
}

fn bad(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// A Go-style duration (`300ms`, `1.5s`, `5m`, `1h30m`, `48h`); `key` names it in errors.
pub fn go_duration(key: &str, s: &str) -> Result<Duration> {
    let err = || {
        bad(format!(
            "{key}: {s:?} is not a duration like 30s, 5m, 1h30m or 48h"
        ))
    };
    let text = s.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(err());
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        let value: f64 = rest[..num_end].parse().map_err(|_| err())?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3_600.0,
            _ => return Err(err()),
        };
        total += value * scale;
        rest = &rest[unit_end..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| err())
}

fn duration_or(key: &str, v: &Option<String>, default: Duration) -> Result<Duration> {
    v.as_deref()
        .map_or(Ok(default), |s| go_duration(key, s))
        .map(|d| if d.is_zero() { default } else { d })
}

/// The watcher's keys, shared by seed 001's file and the server's `kubernetes:` section.
struct Parts<'a> {
    resources: &'a [ResourceSection],
    annotation: &'a AnnotationSection,
    payload: &'a PayloadSection,
    cloud_events: &'a CloudEventsSection,
    endpoint: &'a EndpointSection,
    reconciliation: &'a ReconciliationSection,
    retention: &'a RetentionSection,
    kubeconfig: &'a Option<PathBuf>,
    service: &'a Option<String>,
    watch: &'a WatchSection,
    app_version: Option<&'a str>,
    /// `ENDPOINT_URL` (seed 001's run only).
    url_override: Option<String>,
    url_required: bool,
}

fn kube_settings(p: Parts<'_>) -> Result<KubeSettings> {
    if p.resources.is_empty() {
        return Err(bad("at least one resource must be configured"));
    }
    let mut resources = Vec::new();
    for (i, r) in p.resources.iter().enumerate() {
        if r.api_version.trim().is_empty() || r.kind.trim().is_empty() {
            return Err(bad(format!(
                "resources[{i}]: apiVersion and kind are required"
            )));
        }
        if !r.namespaces.is_empty() && !r.exclude_namespaces.is_empty() {
            return Err(bad(format!(
                "resources[{i}]: give namespaces or excludeNamespaces, not both"
            )));
        }
        resources.push(ResourceConfig {
            api_version: r.api_version.trim().to_owned(),
            kind: r.kind.trim().to_owned(),
            plural: r.resource.clone().filter(|s| !s.is_empty()),
            namespaces: r.namespaces.clone(),
            exclude_namespaces: r.exclude_namespaces.clone(),
            label_selector: r.label_selector.clone().filter(|s| !s.is_empty()),
        });
    }
    let rule = AnnotationRule::new(
        p.annotation
            .key
            .as_deref()
            .unwrap_or(DEFAULT_ANNOTATION_KEY),
        p.annotation.values.clone(),
    )
    .map_err(|e| bad(e.to_string()))?;
    let rc = p.reconciliation;
    let defaults = WatchConfig::default();
    // As the seed: the reconciliation defaults apply only when no interval is set.
    let (enabled, on_startup) = if rc.interval.is_none() {
        (true, true)
    } else {
        (rc.enabled.unwrap_or(true), rc.on_startup.unwrap_or(true))
    };
    let watch = WatchConfig {
        rule,
        reconcile_enabled: enabled,
        reconcile_on_startup: on_startup,
        reconcile_interval: duration_or(
            "reconciliation.interval",
            &rc.interval,
            defaults.reconcile_interval,
        )?,
        reconcile_timeout: duration_or(
            "reconciliation.timeout",
            &rc.timeout,
            defaults.reconcile_timeout,
        )?,
        watch_timeout: duration_or("watch.timeout", &p.watch.timeout, defaults.watch_timeout)?
            .max(Duration::from_secs(1)),
        page_size: p.watch.page_size.unwrap_or(defaults.page_size).max(1),
        ..defaults
    };
    let url = p.url_override.clone().or_else(|| p.endpoint.url.clone());
    let webhook = match url.filter(|u| !u.trim().is_empty()) {
        None if p.url_required => return Err(bad("endpoint.url is required")),
        None => None,
        Some(url) => Some(webhook(&p, &url)?),
    };
    let re = p.retention;
    let (retention, cleanup_interval) = if re.cleanup_interval.is_none() {
        (
            Some(Duration::from_secs(48 * 3_600)),
            Duration::from_secs(3_600),
        )
    } else {
        let period = duration_or(
            "retention.retentionPeriod",
            &re.retention_period,
            Duration::from_secs(48 * 3_600),
        )?;
        (
            re.enabled.unwrap_or(true).then_some(period),
            duration_or(
                "retention.cleanupInterval",
                &re.cleanup_interval,
                Duration::from_secs(3_600),
            )?,
        )
    };
    Ok(KubeSettings {
        kubeconfig: p.kubeconfig.clone(),
        resources,
        watch,
        target: KubeTarget {
            service_name: p.service.clone().unwrap_or_else(|| "kubernetes".to_owned()),
            webhook,
        },
        retention,
        cleanup_interval,
    })
}

fn webhook(p: &Parts<'_>, url: &str) -> Result<KubeWebhook> {
    let e = p.endpoint;
    let url = CheckUrl::parse(url).map_err(|err| bad(format!("endpoint.url: {}", err.message)))?;
    let method = e.method.as_deref().unwrap_or("POST").to_ascii_uppercase();
    if !matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
        return Err(bad(format!(
            "endpoint.method: {method:?} is not one of POST, PUT, PATCH"
        )));
    }
    let format = match e.format.as_deref().unwrap_or("cloudevents") {
        "cloudevents" => WebhookFormat::CloudEvents,
        "standard" => WebhookFormat::Standard,
        other => {
            return Err(bad(format!(
                "endpoint.format: {other:?} is not one of cloudevents, standard"
            )));
        }
    };
    let mut headers = Vec::new();
    for (name, value) in &e.headers {
        let h: Header =
            format!("{name}: {value}")
                .parse()
                .map_err(|err: beacon_core::ValidationError| {
                    bad(format!("endpoint.headers.{name}: {}", err.message))
                })?;
        headers.push(h);
    }
    // Never from the file: the token comes from the environment (a Kubernetes Secret).
    if let Ok(token) = std::env::var("ENDPOINT_AUTH_TOKEN")
        && !token.trim().is_empty()
    {
        headers.retain(|h| !h.name.eq_ignore_ascii_case("authorization"));
        headers.push(
            format!("Authorization: Bearer {}", token.trim())
                .parse()
                .map_err(|_| bad("ENDPOINT_AUTH_TOKEN: not usable in a header"))?,
        );
    }
    if let Some(m) = e.retry.backoff_multiplier
        && !(1.0..=10.0).contains(&m)
    {
        return Err(bad(
            "endpoint.retry.backoffMultiplier: must be within 1..10",
        ));
    }
    if let Some(j) = e.retry.jitter
        && !(0.0..=1.0).contains(&j)
    {
        return Err(bad("endpoint.retry.jitter: must be within 0..1"));
    }
    Ok(KubeWebhook {
        url,
        format,
        headers,
        options: WebhookOptions {
            method: (method != "POST").then_some(method),
            user_agent: p.app_version.map(|v| format!("beacon/{v}")),
            cloud_events: Some(CloudEventsOptions {
                source: p
                    .cloud_events
                    .source
                    .clone()
                    .unwrap_or_else(|| "/beacon".to_owned()),
                type_prefix: p
                    .cloud_events
                    .type_prefix
                    .clone()
                    .unwrap_or_else(|| "net.bakerapps.beacon.resource".to_owned()),
                annotations: p.payload.annotations.clone(),
                labels: p.payload.labels.clone(),
            }),
        },
    })
}

impl KubeSection {
    /// The server's watcher; `None` for a section without resources (no `kubernetes:` at all).
    pub fn settings(&self) -> Result<KubeSettings> {
        kube_settings(Parts {
            resources: &self.resources,
            annotation: &self.annotation,
            payload: &self.payload,
            cloud_events: &self.cloud_events,
            endpoint: &self.endpoint,
            reconciliation: &self.reconciliation,
            retention: &self.retention,
            kubeconfig: &self.kubeconfig,
            service: &self.service,
            watch: &self.watch,
            app_version: None,
            url_override: None,
            url_required: false,
        })
        .map_err(|e| bad(format!("kubernetes: {e}")))
    }
}

/// Read seed 001's file: `path`, else `CONFIG_PATH`, else `/config/config.yaml`.
pub fn read_seed_file(path: Option<&Path>) -> Result<(PathBuf, SeedFile)> {
    let path = path
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("CONFIG_PATH").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/config/config.yaml"));
    let text = std::fs::read_to_string(&path)
        .map_err(|e| bad(format!("reading config file {}: {e}", path.display())))?;
    let file = serde_saphyr::from_str::<SeedFile>(&text)
        .map_err(|e| bad(format!("config file {}: {e}", path.display())))?;
    Ok((path, file))
}

impl SeedFile {
    pub fn settings(&self) -> Result<RunSettings> {
        let kube = kube_settings(Parts {
            resources: &self.resources,
            annotation: &self.annotation,
            payload: &self.payload,
            cloud_events: &self.cloud_events,
            endpoint: &self.endpoint,
            reconciliation: &self.reconciliation,
            retention: &self.retention,
            kubeconfig: &self.kubeconfig,
            service: &self.service,
            watch: &self.watch,
            app_version: self.app.version.as_deref(),
            url_override: std::env::var("ENDPOINT_URL").ok().filter(|u| !u.is_empty()),
            url_required: true,
        })?;
        // Logging is set up from these before the file is read in full (main.rs); here they are checked.
        if let Some(level) = &self.app.log_level
            && !matches!(level.as_str(), "debug" | "info" | "warn" | "error")
        {
            return Err(bad(format!(
                "app.logLevel: {level:?} is not one of debug, info, warn, error"
            )));
        }
        if let Some(format) = &self.app.log_format
            && !matches!(format.as_str(), "json" | "text")
        {
            return Err(bad(format!(
                "app.logFormat: {format:?} is not one of json, text"
            )));
        }
        let e = &self.endpoint;
        let retry = beacon_core::delivery::RetryPolicy {
            base: duration_or(
                "endpoint.retry.initialBackoff",
                &e.retry.initial_backoff,
                Duration::from_secs(1),
            )?,
            cap: duration_or(
                "endpoint.retry.maxBackoff",
                &e.retry.max_backoff,
                Duration::from_secs(300),
            )?,
            max_attempts: e.retry.max_attempts.unwrap_or(10).max(1),
            ..beacon_core::delivery::RetryPolicy::default()
        };
        let s = &self.storage;
        let warning = s.warning_threshold.unwrap_or(80.0);
        let critical = s.critical_threshold.unwrap_or(90.0);
        if !(0.0..=100.0).contains(&warning)
            || !(0.0..=100.0).contains(&critical)
            || warning > critical
        {
            return Err(bad(
                "storage: warningThreshold and criticalThreshold must be within 0..100, warning at most critical",
            ));
        }
        duration_or(
            "storage.monitorInterval",
            &s.monitor_interval,
            Duration::from_secs(60),
        )?;
        let path_ok = |key: &str, p: Option<&String>, default: &str| -> Result<String> {
            let v = p.cloned().unwrap_or_else(|| default.to_owned());
            if v.starts_with('/') {
                Ok(v)
            } else {
                Err(bad(format!("{key}: {v:?} must start with '/'")))
            }
        };
        Ok(RunSettings {
            db_path: std::env::var_os("DB_PATH")
                .map(PathBuf::from)
                .or_else(|| s.db_path.clone())
                .unwrap_or_else(|| PathBuf::from("/data/events.db")),
            port: self.metrics.port.unwrap_or(8080),
            metrics_path: path_ok("metrics.path", self.metrics.path.as_ref(), "/metrics")?,
            liveness_path: path_ok(
                "health.livenessPath",
                self.health.liveness_path.as_ref(),
                "/healthz",
            )?,
            readiness_path: path_ok(
                "health.readinessPath",
                self.health.readiness_path.as_ref(),
                "/ready",
            )?,
            delivery_timeout: duration_or("endpoint.timeout", &e.timeout, Duration::from_secs(30))?,
            retry,
            // Beacon's engine looks at the outbox at least every 200 ms, so delivery stays under a second.
            poll_interval: duration_or(
                "worker.pollInterval",
                &self.worker.poll_interval,
                Duration::from_secs(5),
            )?
            .min(Duration::from_millis(200)),
            concurrency: self.worker.concurrency.unwrap_or(5).max(1),
            warning_percent: warning,
            critical_percent: critical,
            extra_root_ca: e.tls.ca_file.clone(),
            insecure_skip_verify: e.tls.insecure_skip_verify.unwrap_or(false),
            kube,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_as_go_does() {
        let d = |s| go_duration("k", s).expect(s);
        assert_eq!(d("30s"), Duration::from_secs(30));
        assert_eq!(d("5m"), Duration::from_secs(300));
        assert_eq!(d("1h30m"), Duration::from_secs(5_400));
        assert_eq!(d("48h"), Duration::from_secs(172_800));
        assert_eq!(d("1.5s"), Duration::from_millis(1_500));
        assert_eq!(d("250ms"), Duration::from_millis(250));
        assert_eq!(d("0"), Duration::ZERO);
        for bad in ["", "5", "5x", "m", "1h 30m", "-5s"] {
            let err = go_duration("retention.retentionPeriod", bad).expect_err(bad);
            assert!(
                err.to_string().contains("retention.retentionPeriod"),
                "{err}"
            );
        }
    }

    const SEED: &str = r#"
app:
  name: beacon
  version: "1.0.0"
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
  key: bakerapps.net/maas
  values: ["true"]
endpoint:
  url: https://events.example.com/hook
  method: PUT
  timeout: 10s
  headers:
    X-Team: sre
  retry:
    maxAttempts: 4
    initialBackoff: 2s
    maxBackoff: 1m
    backoffMultiplier: 2.0
    jitter: 0.1
  tls:
    insecureSkipVerify: false
worker:
  pollInterval: 5s
  batchSize: 10
  concurrency: 5
reconciliation:
  enabled: true
  interval: 10m
  onStartup: false
  timeout: 2m
retention:
  enabled: true
  cleanupInterval: 30m
  retentionPeriod: 24h
storage:
  dbPath: /data/events.db
  volumePath: /data
  monitorInterval: 1m
  warningThreshold: 70
  criticalThreshold: 85
metrics:
  enabled: true
  port: 9090
  path: /metrics
health:
  livenessPath: /healthz
  readinessPath: /ready
  port: 9090
"#;

    #[test]
    fn seed_001s_file_reads_as_written() {
        let file: SeedFile = serde_saphyr::from_str(SEED).expect("parse");
        let s = file.settings().expect("valid");
        assert_eq!(s.port, 9090);
        assert_eq!(s.kube.resources.len(), 2);
        assert_eq!(
            s.kube.resources[1].plural.as_deref(),
            Some("llminferenceservices")
        );
        assert_eq!(s.kube.watch.rule.key, "bakerapps.net/maas");
        assert!(!s.kube.watch.reconcile_on_startup);
        assert_eq!(s.kube.watch.reconcile_interval, Duration::from_secs(600));
        assert_eq!(s.kube.retention, Some(Duration::from_secs(86_400)));
        assert_eq!(s.kube.cleanup_interval, Duration::from_secs(1_800));
        assert_eq!(s.retry.max_attempts, 4);
        assert_eq!(s.retry.base, Duration::from_secs(2));
        assert_eq!(s.delivery_timeout, Duration::from_secs(10));
        let hook = s.kube.target.webhook.expect("webhook");
        assert_eq!(hook.options.method.as_deref(), Some("PUT"));
        assert_eq!(hook.options.user_agent.as_deref(), Some("beacon/1.0.0"));
        assert_eq!(hook.format, WebhookFormat::CloudEvents);
        assert_eq!((s.warning_percent, s.critical_percent), (70.0, 85.0));
    }

    /// The configuration shipped in deploy/kubernetes/configmap.yaml reads and validates.
    #[test]
    fn the_shipped_configmap_is_valid() {
        #[derive(Deserialize)]
        struct ConfigMap {
            data: BTreeMap<String, String>,
        }
        let text = include_str!("../../../deploy/kubernetes/configmap.yaml");
        let cm: ConfigMap = serde_saphyr::from_str(text).expect("a ConfigMap");
        let file: SeedFile =
            serde_saphyr::from_str(&cm.data["config.yaml"]).expect("its config.yaml");
        let s = file.settings().expect("valid");
        assert_eq!(s.db_path, PathBuf::from("/data/events.db"));
        assert_eq!(s.kube.resources.len(), 2);
    }

    #[test]
    fn bad_files_name_the_key() {
        let cases = [
            (
                "resources: []\nendpoint: {url: http://x}\n",
                "at least one resource must be configured",
            ),
            (
                "resources: [{apiVersion: v1, kind: Pod}]\n",
                "endpoint.url is required",
            ),
            (
                "resources: [{apiVersion: v1, kind: Pod}]\nendpoint: {url: http://x, method: GET}\n",
                "endpoint.method",
            ),
            (
                "resources: [{apiVersion: v1, kind: Pod}]\nendpoint: {url: http://x}\nretention: {cleanupInterval: soon}\n",
                "retention.cleanupInterval",
            ),
            (
                "resources: [{apiVersion: v1, kind: Pod}]\nendpoint: {url: http://x}\napp: {logLevel: loud}\n",
                "app.logLevel",
            ),
            (
                "resources: [{apiVersion: v1, kind: Pod}]\nendpoint: {url: http://x}\nannotation: {key: 'a b'}\n",
                "annotation.key",
            ),
            (
                "resources: [{kind: Pod}]\nendpoint: {url: http://x}\n",
                "apiVersion and kind are required",
            ),
        ];
        for (yaml, want) in cases {
            let file: SeedFile = serde_saphyr::from_str(yaml).expect(yaml);
            let err = file.settings().expect_err(yaml);
            assert!(err.to_string().contains(want), "{yaml}: {err}");
        }
        let err = serde_saphyr::from_str::<SeedFile>("resources: []\nendpont: {}\n")
            .expect_err("unknown key");
        assert!(err.to_string().contains("endpont"), "{err}");
        let err = serde_saphyr::from_str::<SeedFile>(
            "resources: [{apiVersion: v1, kind: Pod, namespace: x}]\n",
        )
        .expect_err("unknown nested key");
        assert!(err.to_string().contains("namespace"), "{err}");
    }
}
