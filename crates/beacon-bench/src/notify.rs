//! `beacon-bench notify`: N incidents opening at once (one batch of failing results) across K channels of
//! different kinds, all pointed at a local nginx; the real `beacon server` delivers them. Reports the time from
//! the batch's commit to the last message received, and deliveries/s per channel kind.

use crate::{Nginx, failing, free_port, now_ms};
use anyhow::{Context, Result};
use beacon_core::channel::{ChannelInput, ChannelKind, ChannelSpec};
use beacon_core::endpoint::{CheckUrl, EndpointInput, EndpointSpec};
use beacon_core::webhook::WebhookSecret;
use beacon_store::roles::*;
use beacon_store::{Claim, NewChannel, Route, SqliteStore, WebhookTarget};
use sqlx::Row;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct NotifyArgs {
    /// Incidents opening at once.
    #[arg(long, default_value_t = 1_000)]
    incidents: u32,
    /// Channel kinds, one channel each, every one subscribed to every incident.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "webhook,slack,discord,pagerduty,ntfy"
    )]
    kinds: Vec<String>,
    #[arg(long)]
    beacon: Option<PathBuf>,
}

pub async fn run(args: NotifyArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("beacon-bench-notify-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let beacon = match &args.beacon {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("beacon"),
    };
    let port = free_port()?;
    let _nginx = Nginx::start(&dir, port, 1)?;
    let base = format!("http://127.0.0.1:{port}");
    let db = dir.join("data").join("beacon.db");
    let store = SqliteStore::open(&db).await?;
    let svc = store.create_service("bench", "", now_ms()).await?;
    let events = vec!["incident_start".to_owned(), "incident_resolved".to_owned()];
    for kind in &args.kinds {
        let kind = ChannelKind::parse(kind)?;
        let mut input = ChannelInput::default();
        match kind {
            ChannelKind::PagerDuty => {
                input.url = Some(format!("{base}/pd"));
                input.routing_key = Some("R0UT1NGKEY0123456789abcdef012345".into());
            }
            ChannelKind::Ntfy => {
                input.url = Some(format!("{base}/ntfy/"));
                input.topic = Some("bench".into());
            }
            ChannelKind::Telegram => {
                input.url = Some(format!("{base}/tg"));
                input.bot_token = Some("1:token".into());
                input.chat_id = Some("-100".into());
            }
            ChannelKind::Gotify => {
                input.url = Some(format!("{base}/gotify"));
                input.token = Some("token".into());
            }
            ChannelKind::Pushover => {
                input.url = Some(format!("{base}/pushover"));
                input.token = Some("token".into());
                input.user_key = Some("user".into());
            }
            ChannelKind::Matrix => {
                input.url = Some(format!("{base}/matrix"));
                input.token = Some("token".into());
                input.room_id = Some("!r:example.org".into());
            }
            ChannelKind::Email => {
                anyhow::bail!("email needs an SMTP server; the bench measures HTTP kinds")
            }
            _ => input.url = Some(format!("{base}/{kind}")),
        }
        let webhook_input = ChannelInput {
            url: None,
            ..input.clone()
        };
        let (spec, webhook) = if kind == ChannelKind::Webhook {
            (
                ChannelSpec::create(kind, &webhook_input)?,
                Some(WebhookTarget {
                    url: CheckUrl::parse(&format!("{base}/hook"))?,
                    secret: WebhookSecret::generate([3; 24]),
                    headers: vec![],
                }),
            )
        } else {
            (ChannelSpec::create(kind, &input)?, None)
        };
        store
            .create_channel(
                &NewChannel {
                    name: kind.as_str().to_owned(),
                    spec,
                    webhook,
                    route: Some(Route {
                        service_id: svc.id,
                        events: events.clone(),
                    }),
                },
                now_ms(),
            )
            .await?;
    }
    for i in 0..args.incidents {
        let spec = EndpointSpec::create(EndpointInput {
            name: Some(format!("e{i}")),
            url: Some(format!("{base}/e/{i}")),
            interval_seconds: Some(86_400),
            alert_threshold: Some(1),
            ..Default::default()
        })?;
        store
            .create_endpoint(svc.id, &spec, now_ms() - 86_400_000)
            .await?;
    }
    // Hold every slot (the server must not check them): the bench completes them itself, all in one batch.
    let held = store
        .claim_slots(&Claim {
            owner: "bench",
            region_pk: 1,
            now: now_ms(),
            horizon: now_ms(),
            limit: args.incidents,
            lease_margin_ms: 3_600_000,
        })
        .await?;
    anyhow::ensure!(
        held.len() == args.incidents as usize,
        "expected {} slots",
        args.incidents
    );
    let mut server = Command::new(&beacon)
        .args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "warn",
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .stdout(Stdio::null())
        .spawn()
        .context("starting beacon server")?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let batch = failing(&held);
    let t0 = now_ms();
    store.complete_slots("bench", 1, &batch).await?;
    let committed = now_ms();
    let want = i64::from(args.incidents) * args.kinds.len() as i64;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'")
            .fetch_one(&pool)
            .await?
            .get(0);
        if n >= want {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {n} of {want} delivered within 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = sqlx::query(
        "SELECT w.kind, COUNT(*), MIN(a.started_at), MAX(a.started_at + a.latency_us / 1000), \
         SUM(CASE WHEN a.response_status BETWEEN 200 AND 299 THEN 0 ELSE 1 END) \
         FROM delivery_attempts a JOIN deliveries d ON d.pk = a.delivery_pk JOIN webhooks w ON w.pk = d.webhook_pk \
         GROUP BY w.kind ORDER BY w.kind",
    )
    .fetch_all(&pool)
    .await?;
    let mut last = 0i64;
    let mut per_kind = serde_json::Map::new();
    for r in &rows {
        let (kind, n, first, end, failed): (String, i64, i64, i64, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        last = last.max(end);
        per_kind.insert(
            kind,
            serde_json::json!({"attempts": n, "failed_attempts": failed,
                "deliveries_per_s": n as f64 / ((end - first).max(1) as f64 / 1000.0)}),
        );
    }
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()?;
    server.wait()?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "incidents": args.incidents,
            "channels": args.kinds,
            "deliveries": want,
            "batch_commit_ms": committed - t0,
            "opened_to_last_received_ms": last - t0,
            "per_kind": per_kind,
        }))?
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
