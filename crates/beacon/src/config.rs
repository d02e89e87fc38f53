//! Server settings, resolved in one pass: defaults, then the YAML file (`--config`), then environment variables
//! and flags (clap reads both). Unknown keys in the file are errors, not silent defaults.

use crate::cli::{Global, ServerArgs};
use crate::error::UsageError;
use anyhow::{Context, Result};
use beacon_runtime::CheckConfig;
use beacon_runtime::cleanup::RetentionConfig;
use beacon_runtime::delivery::DeliveryConfig;
use beacon_runtime::heartbeats::HeartbeatConfig;
use beacon_runtime::storage::StorageThresholds;
use beacon_server::HttpConfig;
use beacon_store::DatabaseUrl;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_DATA_DIR: &str = "./beacon-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    database: Option<String>,
    data_dir: Option<PathBuf>,
    #[serde(default)]
    worker: WorkerFile,
    #[serde(default)]
    api: ApiFile,
    #[serde(default)]
    delivery: DeliveryFile,
    public_url: Option<String>,
    #[serde(default)]
    heartbeats: HeartbeatsFile,
    #[serde(default)]
    retention: RetentionFile,
    #[serde(default)]
    storage: StorageFile,
    #[serde(default)]
    tls: TlsFile,
    /// The Kubernetes watcher (seed 001's keys; see docs/kubernetes.md).
    kubernetes: Option<crate::kubernetes::KubeSection>,
}

/// HTTPS served by the server itself: its certificate and key (PEM), and the CA of workers' client certificates.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    client_ca: Option<PathBuf>,
}

/// Ages as spans (`7d`, `48h`, `90m`) or `forever`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionFile {
    raw_pings: Option<String>,
    rollups_1m: Option<String>,
    rollups_5m: Option<String>,
    rollups_1h: Option<String>,
    rollups_1d: Option<String>,
    cleanup_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageFile {
    warning_percent: Option<f64>,
    critical_percent: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeartbeatsFile {
    keep_pings: Option<u32>,
    batch_max: Option<usize>,
    poll_interval_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryFile {
    concurrency: Option<usize>,
    lease_margin_seconds: Option<u64>,
    request_timeout_seconds: Option<u64>,
    retry_base_ms: Option<u64>,
    retry_cap_seconds: Option<u64>,
    max_attempts: Option<u32>,
    max_age_hours: Option<u64>,
    /// Refuse webhook URLs that are or resolve to private addresses (SSRF protection).
    deny_private_networks: Option<bool>,
    /// Bytes of a receiver's answer read and kept; the rest is not read.
    max_response_body_bytes: Option<usize>,
    /// Also trust certificates signed by this CA (PEM file) when sending: a receiver or SMTP server with a
    /// certificate of an internal CA.
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiFile {
    max_body_bytes: Option<usize>,
    request_timeout_seconds: Option<u64>,
    metrics_require_token: Option<bool>,
    header_read_timeout_seconds: Option<u64>,
    max_connections: Option<usize>,
    /// beacon_monitor_* series per monitor on /metrics.
    per_monitor_metrics: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkerFile {
    /// Run checks in the server's own process (`--no-local-worker` turns it off).
    local: Option<bool>,
    concurrency: Option<usize>,
    max_pending: Option<usize>,
    lookahead_ms: Option<u64>,
    poll_interval_ms: Option<u64>,
    lease_margin_seconds: Option<u64>,
    batch_max: Option<usize>,
    flush_interval_ms: Option<u64>,
    shutdown_grace_seconds: Option<u64>,
    /// Bytes of a check's response body read (assertions see this prefix); the rest is not read.
    max_response_body_bytes: Option<usize>,
    /// Checks also trust certificates signed by this CA (PEM file): internal services' certificates.
    ca_file: Option<PathBuf>,
}

#[derive(Debug)]
pub struct Settings {
    pub listen: String,
    pub database: DatabaseUrl,
    /// Holds the admin token file (and the SQLite database unless `database` points elsewhere).
    pub data_dir: PathBuf,
    pub checks: CheckConfig,
    /// Whether this server runs checks itself.
    pub local_worker: bool,
    /// Bytes of a check's response body the prober reads.
    pub check_max_body: usize,
    /// A CA (PEM) checks trust besides Mozilla's roots.
    pub check_ca: Option<Vec<u8>>,
    pub http: HttpConfig,
    pub delivery: DeliveryConfig,
    /// Base of ping URLs; `http://<bound address>` when not set.
    pub public_url: Option<String>,
    pub heartbeats: HeartbeatConfig,
    pub retention: RetentionConfig,
    pub storage: StorageThresholds,
    /// The Kubernetes watcher, when configured.
    pub kubernetes: Option<crate::kubernetes::KubeSettings>,
}

/// The database a command uses: `--database` wins over `--data-dir`.
pub fn database_url(global: &Global) -> Result<DatabaseUrl> {
    resolve_database(
        global.database.as_deref(),
        global.data_dir.as_deref(),
        None,
        None,
    )
}

fn resolve_database(
    flag_url: Option<&str>,
    flag_dir: Option<&Path>,
    file_url: Option<&str>,
    file_dir: Option<&Path>,
) -> Result<DatabaseUrl> {
    if let Some(url) = flag_url.or(if flag_dir.is_none() { file_url } else { None }) {
        return Ok(DatabaseUrl::parse(url)?);
    }
    let dir = flag_dir.or(file_dir).unwrap_or(Path::new(DEFAULT_DATA_DIR));
    Ok(DatabaseUrl::in_data_dir(dir))
}

impl Settings {
    pub fn load(global: &Global, args: &ServerArgs) -> Result<Self> {
        let file = read_file(args.config.as_deref())?;
        let database = resolve_database(
            global.database.as_deref(),
            global.data_dir.as_deref(),
            file.database.as_deref(),
            file.data_dir.as_deref(),
        )?;
        let w = &file.worker;
        let defaults = CheckConfig::default();
        let ms = |v: Option<u64>, d: Duration| v.map_or(d, Duration::from_millis);
        let secs = |v: Option<u64>, d: Duration| v.map_or(d, Duration::from_secs);
        let concurrency = args
            .concurrency
            .or(w.concurrency)
            .unwrap_or(defaults.concurrency);
        if concurrency == 0 {
            return Err(UsageError("worker concurrency must be at least 1".into()).into());
        }
        let checks = CheckConfig {
            concurrency,
            max_pending: w.max_pending.unwrap_or(defaults.max_pending),
            lookahead: ms(w.lookahead_ms, defaults.lookahead),
            poll_interval: ms(w.poll_interval_ms, defaults.poll_interval),
            lease_margin: secs(w.lease_margin_seconds, defaults.lease_margin),
            batch_max: w.batch_max.unwrap_or(defaults.batch_max).max(1),
            flush_interval: ms(w.flush_interval_ms, defaults.flush_interval),
            shutdown_grace: secs(w.shutdown_grace_seconds, defaults.shutdown_grace),
            ..defaults
        };
        let http_defaults = HttpConfig::default();
        let http = HttpConfig {
            max_body_bytes: file
                .api
                .max_body_bytes
                .unwrap_or(http_defaults.max_body_bytes),
            request_timeout: secs(
                file.api.request_timeout_seconds,
                http_defaults.request_timeout,
            ),
            metrics_require_token: file
                .api
                .metrics_require_token
                .unwrap_or(http_defaults.metrics_require_token),
            per_monitor_metrics: file
                .api
                .per_monitor_metrics
                .unwrap_or(http_defaults.per_monitor_metrics),
            limits: beacon_server::listener::ListenerLimits {
                header_read_timeout: secs(
                    file.api.header_read_timeout_seconds,
                    http_defaults.limits.header_read_timeout,
                ),
                max_connections: file
                    .api
                    .max_connections
                    .unwrap_or(http_defaults.limits.max_connections)
                    .max(1),
            },
            tls: None,
            ops_paths: beacon_server::OpsPaths::default(),
        };
        let data_dir = global
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let tls = match (
            args.tls_cert.clone().or(file.tls.cert),
            args.tls_key.clone().or(file.tls.key),
            args.client_ca.clone().or(file.tls.client_ca),
        ) {
            (None, None, None) => None,
            (Some(cert), Some(key), ca) => Some(
                beacon_server::tls::server_config(&cert, &key, ca.as_deref())
                    .map_err(UsageError)?,
            ),
            _ => {
                return Err(UsageError(
                    "HTTPS needs both --tls-cert and --tls-key (a --client-ca only with them)"
                        .into(),
                )
                .into());
            }
        };
        let http = HttpConfig { tls, ..http };
        let hd = HeartbeatConfig::default();
        let heartbeats = HeartbeatConfig {
            keep_pings: file.heartbeats.keep_pings.unwrap_or(hd.keep_pings).max(1),
            batch_max: file.heartbeats.batch_max.unwrap_or(hd.batch_max).max(1),
            poll_interval: ms(file.heartbeats.poll_interval_ms, hd.poll_interval),
            ..hd
        };
        let d = file.delivery;
        let dd = DeliveryConfig::default();
        let delivery = DeliveryConfig {
            concurrency: d.concurrency.unwrap_or(dd.concurrency).max(1),
            request_timeout: secs(d.request_timeout_seconds, dd.request_timeout),
            lease_margin: secs(d.lease_margin_seconds, dd.lease_margin),
            policy: beacon_core::delivery::RetryPolicy {
                base: ms(d.retry_base_ms, dd.policy.base),
                cap: secs(d.retry_cap_seconds, dd.policy.cap),
                max_attempts: d.max_attempts.unwrap_or(dd.policy.max_attempts).max(1),
                max_age: d
                    .max_age_hours
                    .map_or(dd.policy.max_age, |h| Duration::from_secs(h * 3_600)),
            },
            deny_private_networks: d.deny_private_networks.unwrap_or(dd.deny_private_networks),
            max_response_body: d.max_response_body_bytes.unwrap_or(dd.max_response_body),
            extra_root_ca: match &d.ca_file {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    UsageError(format!("delivery.ca_file {}: {e}", path.display()))
                })?),
                None => None,
            },
            ..dd
        };
        let retention = retention(&file.retention)?;
        let sd = StorageThresholds::default();
        let storage = StorageThresholds {
            warning_percent: file.storage.warning_percent.unwrap_or(sd.warning_percent),
            critical_percent: file.storage.critical_percent.unwrap_or(sd.critical_percent),
        };
        if !(0.0..=100.0).contains(&storage.warning_percent)
            || !(0.0..=100.0).contains(&storage.critical_percent)
            || storage.warning_percent > storage.critical_percent
        {
            return Err(UsageError(
                "storage: warning_percent and critical_percent must be within 0..100, warning at most critical"
                    .into(),
            )
            .into());
        }
        let kubernetes = file.kubernetes.as_ref().map(|k| k.settings()).transpose()?;
        Ok(Self {
            kubernetes,
            retention,
            storage,
            listen: args
                .listen
                .clone()
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
            database,
            data_dir,
            checks,
            local_worker: !args.no_local_worker && w.local.unwrap_or(true),
            check_max_body: w
                .max_response_body_bytes
                .unwrap_or(beacon_probe::DEFAULT_MAX_BODY_BYTES),
            check_ca: match &w.ca_file {
                Some(path) => {
                    Some(std::fs::read(path).map_err(|e| {
                        UsageError(format!("worker.ca_file {}: {e}", path.display()))
                    })?)
                }
                None => None,
            },
            http,
            delivery,
            public_url: args.public_url.clone().or(file.public_url),
            heartbeats,
        })
    }
}

impl Settings {
    /// `beacon kubernetes run`: a server whose configuration is the watcher's file — SQLite at its
    /// `storage.dbPath` (unless `--database`), the ops endpoints on `metrics.port` and its paths, the delivery
    /// engine with its endpoint's timeout, retry and TLS settings.
    pub fn for_kubernetes(
        global: &Global,
        run: crate::kubernetes::RunSettings,
        listen: Option<String>,
    ) -> Result<Self> {
        let args = ServerArgs {
            listen: Some(listen.unwrap_or_else(|| format!("0.0.0.0:{}", run.port))),
            config: None,
            concurrency: None,
            public_url: None,
            no_local_worker: false,
            tls_cert: None,
            tls_key: None,
            client_ca: None,
        };
        let mut s = Self::load(global, &args)?;
        if global.database.is_none() {
            s.database = DatabaseUrl::Sqlite(run.db_path.clone());
        }
        if global.data_dir.is_none() {
            s.data_dir = run
                .db_path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        }
        s.http.ops_paths = beacon_server::OpsPaths {
            metrics: Some(run.metrics_path),
            liveness: Some(run.liveness_path),
            readiness: Some(run.readiness_path),
        };
        s.delivery.request_timeout = run.delivery_timeout;
        s.delivery.policy = run.retry;
        s.delivery.poll_interval = run.poll_interval;
        s.delivery.concurrency = run.concurrency;
        s.delivery.accept_invalid_certs = run.insecure_skip_verify;
        if let Some(ca) = &run.extra_root_ca {
            s.delivery.extra_root_ca =
                Some(std::fs::read(ca).map_err(|e| {
                    UsageError(format!("endpoint.tls.caFile {}: {e}", ca.display()))
                })?);
        }
        s.storage = StorageThresholds {
            warning_percent: run.warning_percent,
            critical_percent: run.critical_percent,
        };
        s.kubernetes = Some(run.kube);
        Ok(s)
    }
}

fn read_file(path: Option<&Path>) -> Result<FileSettings> {
    let Some(path) = path else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))
        .map_err(|e| UsageError(format!("{e:#}")))?;
    Ok(serde_saphyr::from_str::<FileSettings>(&text)
        .map_err(|e| UsageError(format!("config file {}: {e}", path.display())))?)
}

fn retention(file: &RetentionFile) -> Result<RetentionConfig> {
    let d = RetentionConfig::default();
    let age =
        |key: &str, v: &Option<String>, default: Option<Duration>| -> Result<Option<Duration>> {
            match v.as_deref().map(str::trim) {
                None => Ok(default),
                Some("forever") => Ok(None),
                Some(span) => beacon_core::rollup::parse_span(span)
                    .map(|ms| Some(Duration::from_millis(ms.unsigned_abs())))
                    .map_err(|_| {
                        UsageError(format!(
                            "retention.{key}: '{span}' is not a span like 90m, 48h, 7d or 'forever'"
                        ))
                        .into()
                    }),
            }
        };
    Ok(RetentionConfig {
        raw_pings: age("raw_pings", &file.raw_pings, d.raw_pings)?,
        rollups_1m: age("rollups_1m", &file.rollups_1m, d.rollups_1m)?,
        rollups_5m: age("rollups_5m", &file.rollups_5m, d.rollups_5m)?,
        rollups_1h: age("rollups_1h", &file.rollups_1h, d.rollups_1h)?,
        rollups_1d: age("rollups_1d", &file.rollups_1d, d.rollups_1d)?,
        interval: age("cleanup_interval", &file.cleanup_interval, Some(d.interval))?
            .ok_or_else(|| UsageError("retention.cleanup_interval cannot be 'forever'".into()))?,
        ..d
    })
}

/// The retention settings of a config file (for `beacon cleanup`).
pub fn retention_from(config: Option<&Path>) -> Result<RetentionConfig> {
    retention(&read_file(config)?.retention)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_precedence() {
        let p = |s: &str| PathBuf::from(s);
        let url = |a, b: Option<&str>, c, d: Option<&str>| {
            resolve_database(a, b.map(Path::new), c, d.map(Path::new)).expect("valid")
        };
        assert_eq!(
            url(None, None, None, None),
            DatabaseUrl::Sqlite(p("./beacon-data/beacon.db"))
        );
        assert_eq!(
            url(Some("sqlite:///x.db"), Some("/d"), None, None),
            DatabaseUrl::Sqlite(p("/x.db"))
        );
        assert_eq!(
            url(None, Some("/d"), Some("sqlite:///f.db"), None),
            DatabaseUrl::Sqlite(p("/d/beacon.db"))
        );
        assert_eq!(
            url(None, None, Some("sqlite:///f.db"), Some("/e")),
            DatabaseUrl::Sqlite(p("/f.db"))
        );
        assert_eq!(
            url(None, None, None, Some("/e")),
            DatabaseUrl::Sqlite(p("/e/beacon.db"))
        );
    }

    #[test]
    fn unknown_config_keys_are_errors() {
        let err =
            serde_saphyr::from_str::<FileSettings>("listen: 1.2.3.4:5\nworkr:\n  concurrency: 3\n")
                .expect_err("typo must fail");
        assert!(err.to_string().contains("workr"), "{err}");
        let ok: FileSettings =
            serde_saphyr::from_str("listen: 127.0.0.1:9\nworker:\n  concurrency: 3\n")
                .expect("valid");
        assert_eq!(ok.worker.concurrency, Some(3));
    }
}
