//! The `beacon` binary: parses the command line, sets up logging and TLS, and hands off to a command. Errors end
//! here: printed to stderr, exit 1 for bad input, 2 for environment or server problems.

mod certs;
mod cli;
mod commands;
mod config;
mod error;
mod kubernetes;
mod names;
mod output;
mod remote;
mod server;
mod worker;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, Command, Global, LogFormat};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn init_logging(global: &Global, default_level: &str, json: bool) {
    let filter = EnvFilter::try_new(global.log_level.as_deref().unwrap_or(default_level))
        .unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json || global.log_format == LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// `kubernetes run` logs as its file's `app` section says (level unless --log-level; `json` by default, as the
/// watcher's deployments expect); a file that cannot be read is reported by the command itself.
fn kubernetes_logging(args: &cli::KubeRunArgs) -> (String, bool) {
    match kubernetes::read_seed_file(args.config.as_deref()) {
        Ok((_, file)) => (
            file.app.log_level.clone().unwrap_or_else(|| "info".into()),
            file.app.log_format.as_deref() != Some("text"),
        ),
        Err(_) => ("info".into(), false),
    }
}

/// Is `url` a server on this machine, whose data dir (and admin token) the CLI may read?
fn is_local(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1")
}

/// The server's base URL from `--server`: `host:port` alone means `http://host:port`; other schemes are refused.
fn server_url(given: &str) -> Result<String> {
    let url = match given.split_once("://") {
        None => format!("http://{given}"),
        Some(("http" | "https", _)) => given.to_owned(),
        Some((scheme, _)) => {
            return Err(error::UsageError(format!(
                "--server {given}: use an http:// or https:// URL (got the scheme {scheme:?})"
            ))
            .into());
        }
    };
    Ok(url)
}

/// A command other than `server` and `migrate` works on an existing SQLite database unless `--init` is given.
fn existing_database(global: &Global, url: &beacon_store::DatabaseUrl) -> Result<()> {
    match url {
        beacon_store::DatabaseUrl::Sqlite(path) if !global.init && !path.exists() => {
            Err(error::UsageError(format!(
                "no Beacon database at {}: run this where `beacon server` keeps its data, or point at it with \
                 --data-dir / --database, or --server for a running server; --init creates a new one there",
                path.display()
            ))
            .into())
        }
        _ => Ok(()),
    }
}

/// The operations the command runs on: a server (`--server`) or the database.
async fn operations(global: &Global) -> Result<Box<dyn beacon_server::api::Operations>> {
    if let Some(given) = &global.server {
        let url = server_url(given)?;
        let (token, hint) = match &global.token {
            Some(t) => (Some(t.clone()), String::new()),
            None if is_local(&url) => {
                let dir = global
                    .data_dir
                    .clone()
                    .unwrap_or_else(|| config::DEFAULT_DATA_DIR.into());
                let file = dir.join(server::ADMIN_TOKEN_FILE);
                let token = std::fs::read_to_string(&file)
                    .ok()
                    .map(|t| t.trim().to_owned());
                (token, format!("none in {}", file.display()))
            }
            None => (
                None,
                "a server on another machine needs one given".to_owned(),
            ),
        };
        return Ok(Box::new(remote::Remote::new(&url, token, hint)?));
    }
    let url = config::database_url(global)?;
    existing_database(global, &url)?;
    let store = beacon_store::open(&url)
        .await
        .with_context(|| format!("opening database {}", url.redacted()))?;
    // Ping URLs shown by the CLI on the database point where the server is reachable.
    let public_url = std::env::var("BEACON_PUBLIC_URL").unwrap_or_else(|_| {
        format!(
            "http://{}",
            std::env::var("BEACON_LISTEN").unwrap_or_else(|_| config::DEFAULT_LISTEN.into())
        )
    });
    Ok(Box::new(
        beacon_server::api::App::new(store, std::sync::Arc::new(beacon_core::clock::SystemClock))
            .with_public_url(&public_url),
    ))
}

async fn run(cli: Cli) -> Result<()> {
    let out = cli.global.output;
    match cli.command {
        Command::Server(args) => {
            let settings = config::Settings::load(&cli.global, &args)?;
            server::run(settings).await
        }
        Command::Kubernetes(cli::KubernetesCmd::Run(args)) => {
            let (_, file) = kubernetes::read_seed_file(args.config.as_deref())?;
            let run = file.settings()?;
            let settings = config::Settings::for_kubernetes(&cli.global, run, args.listen)?;
            server::run(settings).await
        }
        Command::Cleanup(args) => {
            if cli.global.server.is_some() {
                return Err(error::UsageError(
                    "cleanup runs on the database (--data-dir or --database), not through --server"
                        .into(),
                )
                .into());
            }
            let retention = config::retention_from(args.config.as_deref())?;
            let url = config::database_url(&cli.global)?;
            existing_database(&cli.global, &url)?;
            let store = beacon_store::open(&url)
                .await
                .with_context(|| format!("opening database {}", url.redacted()))?;
            let started = std::time::Instant::now();
            let report = beacon_runtime::cleanup::cleanup_once(
                &*store,
                beacon_core::clock::Clock::now(&beacon_core::clock::SystemClock),
                &retention,
            )
            .await
            .map_err(anyhow::Error::from)
            .context("cleanup")?;
            output::cleanup(out, &report, started.elapsed())
        }
        Command::Backup(args) => {
            let url = config::database_url(&cli.global)?;
            let path = match &url {
                beacon_store::DatabaseUrl::Sqlite(path) if cli.global.server.is_none() => path,
                beacon_store::DatabaseUrl::Sqlite(_) => {
                    return Err(error::UsageError(
                        "backup copies the database file (--data-dir or --database), not through --server".into(),
                    )
                    .into());
                }
                beacon_store::DatabaseUrl::Postgres(_) => {
                    return Err(error::UsageError(
                        "backup copies the embedded SQLite database; for PostgreSQL use pg_dump \
                         (pg_dump -Fc \"$DATABASE_URL\" > beacon.dump; restore with pg_restore)"
                            .into(),
                    )
                    .into());
                }
            };
            existing_database(&cli.global, &url)?;
            let store = beacon_store::SqliteStore::open(path)
                .await
                .with_context(|| format!("opening database {}", url.redacted()))?;
            let bytes = store.backup_to(&args.to).await?;
            eprintln!(
                "backed up {} to {} ({bytes} bytes)",
                path.display(),
                args.to.display()
            );
            Ok(())
        }
        Command::Worker(args) => {
            let Some(given) = &cli.global.server else {
                return Err(error::UsageError(
                    "a worker runs checks for a server: give its URL with --server (or BEACON_URL)"
                        .into(),
                )
                .into());
            };
            if cli.global.token.is_none() && args.cert.is_none() {
                return Err(error::UsageError(
                    "a worker needs a credential: --token (or BEACON_TOKEN) with a worker token from \
                     `beacon tokens create --scope worker --region R`, or --cert/--key from \
                     `beacon certs issue-worker`"
                        .into(),
                )
                .into());
            }
            worker::run(server_url(given)?, cli.global.token.clone(), args).await
        }
        Command::Certs(cmd) => {
            if cli.global.server.is_some() {
                return Err(error::UsageError(
                    "certs work on the data dir and the database (--data-dir or --database), not through --server"
                        .into(),
                )
                .into());
            }
            let data_dir = cli
                .global
                .data_dir
                .clone()
                .unwrap_or_else(|| config::DEFAULT_DATA_DIR.into());
            match cmd {
                cli::CertsCmd::Init { server_names } => {
                    for path in certs::init(&data_dir, &server_names)? {
                        println!("{}", path.display());
                    }
                    eprintln!(
                        "serve HTTPS with: beacon server --tls-cert {0}/server.pem --tls-key {0}/server.key \
                         --client-ca {0}/ca.pem",
                        certs::tls_dir(&data_dir).display()
                    );
                    Ok(())
                }
                cli::CertsCmd::Revoke { name } => {
                    let url = config::database_url(&cli.global)?;
                    existing_database(&cli.global, &url)?;
                    let store = beacon_store::open(&url)
                        .await
                        .with_context(|| format!("opening database {}", url.redacted()))?;
                    let now = beacon_core::clock::Clock::now(&beacon_core::clock::SystemClock);
                    match store.revoke_worker_certs(&name, now).await? {
                        0 => Err(error::UsageError(format!(
                            "no certificate of a worker named {name:?} is in force"
                        ))
                        .into()),
                        n => {
                            eprintln!(
                                "revoked {n} certificate(s) of {name}; servers refuse them within 5 s"
                            );
                            Ok(())
                        }
                    }
                }
                cli::CertsCmd::IssueWorker {
                    name,
                    region,
                    out: dir,
                    days,
                } => {
                    let url = config::database_url(&cli.global)?;
                    existing_database(&cli.global, &url)?;
                    let store = beacon_store::open(&url)
                        .await
                        .with_context(|| format!("opening database {}", url.redacted()))?;
                    // The region first: nothing is written for one that does not exist.
                    if store.region_pk(&region).await?.is_none() {
                        return Err(beacon_core::ValidationError::new(
                            "region",
                            format!("no region is named {region:?}; create it with `beacon regions create {region}`"),
                        )
                        .into());
                    }
                    let issued = certs::issue_worker(&data_dir, &name, dir.as_deref(), days)?;
                    let now = beacon_core::clock::Clock::now(&beacon_core::clock::SystemClock);
                    let record = beacon_store::WorkerCert {
                        fingerprint: issued.fingerprint,
                        name: name.clone(),
                        region: region.clone(),
                        created_at: now,
                        expires_at: issued.expires_at,
                        revoked_at: None,
                    };
                    if let Err(e) = store.add_worker_cert(&record).await {
                        let _ = std::fs::remove_file(&issued.cert);
                        let _ = std::fs::remove_file(&issued.key);
                        return Err(e.into());
                    }
                    output::issued_cert(out, &name, &region, &issued)
                }
            }
        }
        Command::Migrate => {
            let url = config::database_url(&cli.global)?;
            beacon_store::open(&url)
                .await
                .with_context(|| format!("opening database {}", url.redacted()))?;
            eprintln!("migrations applied to {}", url.redacted());
            Ok(())
        }
        command => {
            let ops = operations(&cli.global).await?;
            match command {
                Command::Services(cmd) => commands::services(&*ops, out, cmd).await,
                Command::Endpoints(cmd) => commands::endpoints(&*ops, out, cmd).await,
                Command::Pings(cmd) => commands::pings(&*ops, out, cmd).await,
                Command::Checks(cmd) => commands::checks(&*ops, out, cmd).await,
                Command::Maintenance(cmd) => commands::maintenance(&*ops, out, cmd).await,
                Command::Stats(args) => commands::stats(&*ops, out, args).await,
                Command::Incidents(cmd) => commands::incidents(&*ops, out, cmd).await,
                Command::Tokens(cmd) => commands::tokens(&*ops, out, cmd).await,
                Command::Users(cmd) => commands::users(&*ops, out, cmd).await,
                Command::Regions(cmd) => commands::regions(&*ops, out, cmd).await,
                Command::Workers(cmd) => commands::workers(&*ops, out, cmd).await,
                Command::Kubernetes(cmd) => commands::kubernetes(&*ops, out, cmd).await,
                Command::StatusPages(cmd) => commands::status_pages(&*ops, out, cmd).await,
                Command::Badges(cmd) => commands::badges(&*ops, out, cmd).await,
                Command::Channels(cmd) => commands::channels(&*ops, out, cmd).await,
                Command::Escalations(cmd) => commands::escalations(&*ops, out, cmd).await,
                Command::Webhooks(cmd) => commands::webhooks(&*ops, out, cmd).await,
                Command::Deliveries(cmd) => commands::deliveries(&*ops, out, cmd).await,
                Command::Heartbeats(cmd) => commands::heartbeats(&*ops, out, cmd).await,
                Command::Server(_)
                | Command::Worker(_)
                | Command::Certs(_)
                | Command::Migrate
                | Command::Cleanup(_)
                | Command::Backup(_) => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; every usage error exits 1.
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let (level, json) = match &cli.command {
        Command::Kubernetes(cli::KubernetesCmd::Run(args)) => kubernetes_logging(args),
        Command::Server(_) | Command::Worker(_) => ("info".into(), false),
        _ => ("warn".into(), false),
    };
    init_logging(&cli.global, &level, json);
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(error::exit_code(&e))
        }
    }
}
