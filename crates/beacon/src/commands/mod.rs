//! The resource commands (`services`, `endpoints`, `pings`, `incidents`, `tokens`), written once against
//! `Operations`: the same code runs on the database (direct) or against a server (`--server`).

use crate::cli::{
    BadgesCmd, ChecksCmd, DeliveriesCmd, EndpointFlags, EndpointsCmd, HeartbeatsCmd,
    IncidentStatusArg, IncidentsCmd, MaintenanceCmd, Output, PingsCmd, ServicesCmd, StatsArgs,
    StatusPagesCmd, TokensCmd, UsersCmd, WebhooksCmd,
};
mod channels;

pub use channels::{channels, escalations};

use crate::cli::{KubeEventsCmd, KubeObjectsCmd, KubernetesCmd, RegionsCmd, WorkersCmd};
use crate::error::UsageError;
use crate::names::{self, Named, maybe};
use crate::output;
use anyhow::Result;
use beacon_core::endpoint::Header;
use beacon_server::api::{IncidentParams, MAX_PAGE, Operations, PingParams, StatsParams};
use beacon_server::wire::*;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Flags to API fields. Headers are parsed here so that a malformed one is reported the same way in both modes.
fn patch(
    name: Option<String>,
    url: Option<String>,
    f: EndpointFlags,
) -> Result<EndpointPatch, beacon_core::ValidationError> {
    let headers = if f.headers.is_empty() {
        None
    } else {
        let mut map = BTreeMap::new();
        for h in &f.headers {
            let parsed: Header = h.parse()?;
            map.insert(parsed.name, parsed.value);
        }
        Some(map)
    };
    Ok(EndpointPatch {
        name,
        url,
        method: f.method,
        interval_seconds: f.interval,
        timeout_seconds: f.timeout,
        expected_status: f.expected_status,
        headers,
        body: f.body,
        alert_threshold: f.alert_threshold,
        recovery_threshold: f.recovery_threshold,
        expect_body_contains: f.expect_body_contains,
        follow_redirects: f.follow_redirects,
        http2: f.http2,
        enabled: f.enabled,
        webhook_url: f.webhook_url,
        regions: f.regions.map(|r| vec![r]),
        alert_regions: f.alert_regions,
        conditions: if f.clear_conditions {
            Some(Vec::new())
        } else {
            (!f.conditions.is_empty()).then_some(f.conditions)
        },
        expect_json_path: f.expect_json_path,
        equals: f.equals,
        target: f.target,
        record_type: f.record_type,
        dns_server: f.dns_server,
        expect: (!f.expect.is_empty()).then_some(f.expect),
        send: f.send,
        tls: f.tls,
        sni: f.sni,
        cert_fail_days: f.cert_fail_days,
        cert_warn_days: f.cert_warn_days,
        degraded_above_ms: f
            .degraded_above
            .as_deref()
            .map(|d| millis("degraded_above_ms", d))
            .transpose()?,
        kind: None,
    })
}

/// `500ms`, `2s`, `1m` or a bare number of milliseconds (`0`).
fn millis(field: &'static str, s: &str) -> Result<i64, beacon_core::ValidationError> {
    let s = s.trim();
    let bad = || {
        beacon_core::ValidationError::new(
            field,
            format!("{s:?} is not a duration like 500ms, 2s or 1m"),
        )
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let unit_ms = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_ms).ok_or_else(bad)
}

/// Follow cursors until the last page.
pub(crate) async fn all_pages<T, F, Fut>(fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<
            Output = Result<(Vec<T>, Option<String>), beacon_server::error::ApiError>,
        >,
{
    pages_up_to(None, fetch).await
}

/// Items page by page until there are `max` (all of them without one).
async fn pages_up_to<T, F, Fut>(max: Option<usize>, mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<
            Output = Result<(Vec<T>, Option<String>), beacon_server::error::ApiError>,
        >,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let (items, next) = fetch(cursor).await?;
        out.extend(items);
        if let Some(max) = max.filter(|m| out.len() >= *m) {
            out.truncate(max);
            return Ok(out);
        }
        match next {
            Some(n) => cursor = Some(n),
            None => return Ok(out),
        }
    }
}

pub async fn services(ops: &dyn Operations, out: Output, cmd: ServicesCmd) -> Result<()> {
    match cmd {
        ServicesCmd::Create { name, description } => {
            let s = ops
                .create_service(ServiceCreate {
                    name,
                    description: Some(description),
                })
                .await?;
            output::service(out, &s)
        }
        ServicesCmd::List => output::services(out, &names::all_services(ops).await?),
        ServicesCmd::Get { id } => {
            let id = names::service(ops, &id).await?;
            output::service(out, &ops.get_service(id).await?)
        }
        ServicesCmd::Update {
            id,
            name,
            description,
            remind_every,
            remind_max,
            escalation_policy,
            flap_changes,
            flap_window,
        } => {
            let id = names::service(ops, &id).await?;
            let body = ServicePatch {
                name,
                description,
                remind_every,
                remind_max,
                escalation_policy,
                flap_changes,
                flap_window,
            };
            output::service(out, &ops.update_service(id, body).await?)
        }
        ServicesCmd::Delete { id, cascade } => {
            let id = names::service(ops, &id).await?;
            ops.delete_service(id, cascade).await?;
            output::deleted(out, "service", id)
        }
    }
}

pub async fn endpoints(ops: &dyn Operations, out: Output, cmd: EndpointsCmd) -> Result<()> {
    match cmd {
        EndpointsCmd::Create {
            service_id,
            name,
            kind,
            url,
            flags,
        } => {
            let patch = EndpointPatch {
                kind,
                ..patch(Some(name), url, *flags)?
            };
            let service_id = names::service(ops, &service_id).await?;
            let body = EndpointCreate::new(service_id, patch);
            output::endpoint(out, &ops.create_endpoint(body).await?)
        }
        EndpointsCmd::List { service_id } => {
            let service_id =
                maybe(service_id, |n| async move { names::service(ops, &n).await }).await?;
            output::endpoints(out, &names::all_endpoints(ops, service_id).await?)
        }
        EndpointsCmd::Get { id } => {
            let id = names::endpoint(ops, &id).await?;
            output::endpoint(out, &ops.get_endpoint(id).await?)
        }
        EndpointsCmd::Update {
            id,
            name,
            url,
            flags,
            follow,
        } => {
            let patch = patch(name, url, *flags)?;
            let id = names::endpoint(ops, &id).await?;
            if follow.given() && patch == EndpointPatch::default() {
                return channels::follow_ups(ops, out, id, follow, true).await;
            }
            channels::follow_ups(ops, out, id, follow, false).await?;
            output::endpoint(out, &ops.update_endpoint(id, patch).await?)
        }
        EndpointsCmd::Delete { id } => {
            let id = names::endpoint(ops, &id).await?;
            ops.delete_endpoint(id).await?;
            output::deleted(out, "endpoint", id)
        }
        EndpointsCmd::Pause { id } => {
            let id = names::endpoint(ops, &id).await?;
            output::endpoint(out, &ops.set_endpoint_paused(id, true).await?)
        }
        EndpointsCmd::Resume { id } => {
            let id = names::endpoint(ops, &id).await?;
            output::endpoint(out, &ops.set_endpoint_paused(id, false).await?)
        }
    }
}

pub async fn checks(ops: &dyn Operations, out: Output, cmd: ChecksCmd) -> Result<()> {
    match cmd {
        ChecksCmd::Run { kind, url, flags } => {
            let body = EndpointPatch {
                kind,
                ..patch(None, url, *flags)?
            };
            let tried = ops.try_check(body).await?;
            output::tried(out, &tried)?;
            if !tried.success {
                anyhow::bail!(
                    "the check failed: {}",
                    tried.error.as_deref().unwrap_or("no reason given")
                );
            }
            Ok(())
        }
    }
}

pub async fn maintenance(ops: &dyn Operations, out: Output, cmd: MaintenanceCmd) -> Result<()> {
    match cmd {
        MaintenanceCmd::Create {
            service,
            monitor,
            reason,
            start,
            end,
            duration,
            cron,
            tz,
        } => {
            let body = MaintenanceCreate {
                service_id: maybe(service, |n| async move { names::service(ops, &n).await })
                    .await?,
                monitor_id: maybe(monitor, |n| async move { names::monitor(ops, &n).await })
                    .await?,
                reason,
                start,
                end,
                duration,
                cron,
                tz,
            };
            let w = ops.create_maintenance(body).await?;
            output::maintenance(out, &[w], &names::directory(ops).await?)
        }
        MaintenanceCmd::List => {
            let list = ops.list_maintenance().await?.data;
            output::maintenance(out, &list, &names::directory(ops).await?)
        }
        MaintenanceCmd::Get { id } => {
            let w = ops.get_maintenance(id).await?;
            output::maintenance(out, &[w], &names::directory(ops).await?)
        }
        MaintenanceCmd::End { id } => {
            let w = ops.end_maintenance(id).await?;
            output::maintenance(out, &[w], &names::directory(ops).await?)
        }
    }
}

pub async fn stats(ops: &dyn Operations, out: Output, args: StatsArgs) -> Result<()> {
    let params = StatsParams {
        resolution: args.resolution,
        from: args.from,
        to: args.to,
        since: args.since,
        region: args.region,
    };
    let id = names::endpoint(ops, &args.endpoint_id).await?;
    output::stats(out, &ops.endpoint_stats(id, params).await?)
}

pub async fn pings(ops: &dyn Operations, out: Output, cmd: PingsCmd) -> Result<()> {
    match cmd {
        PingsCmd::List {
            endpoint_id,
            limit,
            failed,
        } => {
            let endpoint_id = names::endpoint(ops, &endpoint_id).await?;
            let mut list = Vec::new();
            let mut cursor = None;
            while list.len() < limit as usize {
                let want = (limit as usize - list.len()).min(MAX_PAGE as usize) as u32;
                let page = ops
                    .list_pings(
                        endpoint_id,
                        PingParams {
                            limit: Some(want),
                            failed: Some(failed),
                            cursor,
                        },
                    )
                    .await?;
                list.extend(page.data);
                match page.next_cursor {
                    Some(n) => cursor = Some(n),
                    None => break,
                }
            }
            output::pings(out, &list)
        }
    }
}

pub async fn incidents(ops: &dyn Operations, out: Output, cmd: IncidentsCmd) -> Result<()> {
    match cmd {
        IncidentsCmd::List {
            status,
            endpoint_id,
            heartbeat_id,
            limit,
        } => {
            let status = status.map(|s| match s {
                IncidentStatusArg::Open => "open".to_owned(),
                IncidentStatusArg::Resolved => "resolved".to_owned(),
            });
            let endpoint_id = maybe(
                endpoint_id,
                |n| async move { names::endpoint(ops, &n).await },
            )
            .await?;
            let heartbeat_id = maybe(
                heartbeat_id,
                |n| async move { names::heartbeat(ops, &n).await },
            )
            .await?;
            let max = limit.map(|n| n as usize);
            let list = pages_up_to(max, |cursor| {
                let status = status.clone();
                async move {
                    let page = ops
                        .list_incidents(IncidentParams {
                            status,
                            endpoint_id,
                            heartbeat_id,
                            limit: Some(limit.unwrap_or(MAX_PAGE).min(MAX_PAGE)),
                            cursor,
                        })
                        .await?;
                    Ok((page.data, page.next_cursor))
                }
            })
            .await?;
            output::incidents(out, &list, &table_names(ops, out).await?)
        }
        IncidentsCmd::Get { id } => output::incident(out, &ops.get_incident(id).await?),
        IncidentsCmd::Resolve { id } => output::incident(out, &ops.resolve_incident(id).await?),
        IncidentsCmd::Ack { id, note } => {
            // On the database the acknowledgement names the account; through a server, the token.
            let by =
                std::env::var("USER").map_or_else(|_| "cli".to_owned(), |u| format!("{u} (cli)"));
            output::incident(out, &ops.ack_incident(id, AckBody { note }, &by).await?)
        }
    }
}

pub async fn tokens(ops: &dyn Operations, out: Output, cmd: TokensCmd) -> Result<()> {
    match cmd {
        TokensCmd::Create {
            name,
            scope,
            region,
        } => output::created_token(
            out,
            &ops.create_token(TokenCreate {
                name,
                scope: Some(scope),
                region,
            })
            .await?,
        ),
        TokensCmd::List => output::tokens(out, &ops.list_tokens().await?.data),
        TokensCmd::Revoke { id } => output::token(out, &ops.revoke_token(id).await?),
    }
}

pub async fn webhooks(ops: &dyn Operations, out: Output, cmd: WebhooksCmd) -> Result<()> {
    match cmd {
        WebhooksCmd::Create {
            service_id,
            url,
            events,
            secret,
            headers,
        } => {
            let service_id = names::service(ops, &service_id).await?;
            let map = header_map(&headers)?;
            let headers = (!map.is_empty()).then_some(map);
            let events = event_list(events);
            let body = WebhookCreate {
                service_id,
                url,
                events,
                secret,
                headers,
            };
            output::created_webhook(out, &ops.create_webhook(body).await?)
        }
        WebhooksCmd::List { service_id } => {
            let service_id =
                maybe(service_id, |n| async move { names::service(ops, &n).await }).await?;
            let list = ops.list_webhooks(service_id).await?.data;
            output::webhooks(out, &list, &table_names(ops, out).await?)
        }
        WebhooksCmd::Get { id } => output::webhooks_one(out, &ops.get_webhook(id).await?),
        WebhooksCmd::Update {
            id,
            url,
            events,
            secret,
            headers,
            clear_headers,
        } => {
            let headers = if clear_headers {
                Some(BTreeMap::new())
            } else {
                Some(header_map(&headers)?).filter(|m| !m.is_empty())
            };
            let body = WebhookPatchBody {
                url,
                events: events.map(event_list),
                secret,
                headers,
            };
            if body.url.is_none()
                && body.events.is_none()
                && body.secret.is_none()
                && body.headers.is_none()
            {
                return Err(UsageError(
                    "nothing to change: give --url, --events, --secret, --header or --clear-headers".into(),
                )
                .into());
            }
            output::webhooks_one(out, &ops.update_webhook(id, body).await?)
        }
        WebhooksCmd::Delete { id } => {
            ops.delete_webhook(id).await?;
            output::deleted(out, "webhook", id)
        }
        WebhooksCmd::Test { id } => tested(out, &ops.test_webhook(id).await?, "event"),
    }
}

/// Print a test delivery; an error (exit 2) when it was not delivered.
fn tested(out: Output, detail: &DeliveryDetailView, what: &str) -> Result<()> {
    output::delivery_detail(out, detail)?;
    if detail.delivery.status != "delivered" {
        let why = detail
            .attempts
            .last()
            .and_then(|a| a.error.clone())
            .unwrap_or_else(|| "no attempt was made".into());
        anyhow::bail!("the test {what} was not delivered: {why}");
    }
    Ok(())
}

/// `--header 'Name: value'` arguments as the API's header object.
pub(crate) fn header_map(headers: &[String]) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for h in headers {
        let parsed: Header = h.parse()?;
        map.insert(parsed.name, parsed.value);
    }
    Ok(map)
}

pub(crate) fn event_list(events: Vec<String>) -> Vec<String> {
    events
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect()
}

pub async fn deliveries(ops: &dyn Operations, out: Output, cmd: DeliveriesCmd) -> Result<()> {
    match cmd {
        DeliveriesCmd::List { webhook_id, status } => {
            output::deliveries(out, &ops.list_deliveries(webhook_id, status).await?.data)
        }
        DeliveriesCmd::Get { id } => output::delivery_detail(out, &ops.get_delivery(id).await?),
        DeliveriesCmd::Retry { id } => {
            output::deliveries(out, std::slice::from_ref(&ops.retry_delivery(id).await?))
        }
    }
}

pub async fn heartbeats(ops: &dyn Operations, out: Output, cmd: HeartbeatsCmd) -> Result<()> {
    match cmd {
        HeartbeatsCmd::Create {
            service_id,
            name,
            slug,
            period,
            cron,
            tz,
            grace,
        } => {
            let service_id = names::service(ops, &service_id).await?;
            let body = HeartbeatCreate {
                service_id,
                name,
                slug,
                period_seconds: period,
                cron,
                tz,
                grace_seconds: grace,
            };
            output::created_heartbeat(out, &ops.create_heartbeat(body).await?)
        }
        HeartbeatsCmd::List { service_id } => {
            let service_id =
                maybe(service_id, |n| async move { names::service(ops, &n).await }).await?;
            output::heartbeats(out, &names::all_heartbeats(ops, service_id).await?)
        }
        HeartbeatsCmd::Get { id } => {
            let id = names::heartbeat(ops, &id).await?;
            output::heartbeat(out, &ops.get_heartbeat(id).await?)
        }
        HeartbeatsCmd::Update {
            id,
            name,
            period,
            cron,
            tz,
            grace,
            follow,
        } => {
            let body = HeartbeatPatch {
                name,
                period_seconds: period,
                cron,
                tz,
                grace_seconds: grace,
            };
            let unchanged = body.name.is_none()
                && body.period_seconds.is_none()
                && body.cron.is_none()
                && body.tz.is_none()
                && body.grace_seconds.is_none();
            if unchanged && !follow.given() {
                return Err(UsageError(
                    "nothing to change: give --name, --period, --cron, --tz, --grace, --remind-every, \
                     --remind-max or --escalation-policy"
                        .into(),
                )
                .into());
            }
            let id = names::heartbeat(ops, &id).await?;
            if unchanged {
                return channels::follow_ups(ops, out, id, follow, true).await;
            }
            channels::follow_ups(ops, out, id, follow, false).await?;
            output::heartbeat(out, &ops.update_heartbeat(id, body).await?)
        }
        HeartbeatsCmd::Delete { id } => {
            let id = names::heartbeat(ops, &id).await?;
            ops.delete_heartbeat(id).await?;
            output::deleted(out, "heartbeat", id)
        }
        HeartbeatsCmd::Pause { id } => {
            let id = names::heartbeat(ops, &id).await?;
            output::heartbeat(out, &ops.set_heartbeat_paused(id, true).await?)
        }
        HeartbeatsCmd::Resume { id } => {
            let id = names::heartbeat(ops, &id).await?;
            output::heartbeat(out, &ops.set_heartbeat_paused(id, false).await?)
        }
        HeartbeatsCmd::RotateKey { id, grace } => {
            let id = names::heartbeat(ops, &id).await?;
            let grace_seconds = grace
                .as_deref()
                .map(|g| span_seconds("--grace", g))
                .transpose()?;
            let params = RotateKeyParams { grace_seconds };
            output::created_heartbeat(out, &ops.rotate_heartbeat_key(id, params).await?)
        }
        HeartbeatsCmd::Pings { id, limit } => {
            let id = names::heartbeat(ops, &id).await?;
            output::heartbeat_pings(out, &ops.list_heartbeat_pings(id, Some(limit)).await?.data)
        }
    }
}

/// A span flag (`90s`, `10m`, `2h`, `1d`) in whole seconds.
fn span_seconds(flag: &str, value: &str) -> Result<u32> {
    beacon_core::rollup::parse_span(value)
        .ok()
        .filter(|ms| *ms >= 0)
        .and_then(|ms| u32::try_from(ms / 1000).ok())
        .ok_or_else(|| {
            UsageError(format!(
                "{flag}: '{value}' is not a span like 90s, 10m, 2h or 1d"
            ))
            .into()
        })
}

/// Names for a table's ids (none needed for JSON, which keeps the ids).
pub(crate) async fn table_names(
    ops: &dyn Operations,
    out: Output,
) -> Result<std::collections::HashMap<uuid::Uuid, String>> {
    match out {
        Output::Json => Ok(Default::default()),
        Output::Table => names::directory(ops).await,
    }
}

/// The password on standard input (its first line, without the line break).
fn password_from_stdin() -> Result<String> {
    first_line("password")
}

/// A channel's secret on standard input (its first line).
pub(crate) fn secret_from_stdin() -> Result<String> {
    first_line("secret")
}

fn first_line(what: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let value = line.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        return Err(UsageError(format!("no {what} on standard input")).into());
    }
    Ok(value)
}

/// A user by UUID or email.
async fn user_id(ops: &dyn Operations, given: &str) -> Result<uuid::Uuid> {
    if let Ok(id) = uuid::Uuid::try_parse(given) {
        return Ok(id);
    }
    let email = given.trim().to_lowercase();
    ops.list_users()
        .await?
        .data
        .into_iter()
        .find(|u| u.email == email)
        .map(|u| u.id)
        .ok_or_else(|| UsageError(format!("no user has the id or email {given:?}")).into())
}

pub async fn regions(ops: &dyn Operations, out: Output, cmd: RegionsCmd) -> Result<()> {
    match cmd {
        RegionsCmd::Create { name } => {
            output::region(out, &ops.create_region(RegionCreate { name }).await?)
        }
        RegionsCmd::List => output::regions(out, &ops.list_regions().await?.data),
    }
}

pub async fn kubernetes(ops: &dyn Operations, out: Output, cmd: KubernetesCmd) -> Result<()> {
    match cmd {
        KubernetesCmd::Objects(KubeObjectsCmd::List {
            kind,
            namespace,
            status,
            limit,
        }) => {
            let q = KubeObjectQuery {
                kind,
                namespace,
                status,
                limit: Some(limit),
            };
            output::kube_objects(out, &ops.list_kube_objects(q).await?.data)
        }
        KubernetesCmd::Events(KubeEventsCmd::List {
            object,
            kind,
            namespace,
            limit,
        }) => {
            let q = KubeEventQuery {
                object_id: object,
                kind,
                namespace,
                limit: Some(limit),
            };
            output::kube_events(out, &ops.list_kube_events(q).await?.data)
        }
        KubernetesCmd::Run(_) => Err(UsageError(
            "kubernetes run is a process of its own, not an operation".into(),
        )
        .into()),
    }
}

pub async fn workers(ops: &dyn Operations, out: Output, cmd: WorkersCmd) -> Result<()> {
    match cmd {
        WorkersCmd::List => output::workers(out, &ops.list_workers().await?.data),
    }
}

/// A status page by UUID or slug.
async fn status_page_id(ops: &dyn Operations, given: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::try_parse(given) {
        return Ok(id);
    }
    ops.list_status_pages()
        .await?
        .data
        .into_iter()
        .find(|p| p.slug == given)
        .map(|p| p.id)
        .ok_or_else(|| UsageError(format!("no status page with the slug {given:?}")).into())
}

async fn service_ids(ops: &dyn Operations, given: &[Named]) -> Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(given.len());
    for s in given {
        ids.push(names::service(ops, s).await?);
    }
    Ok(ids)
}

pub async fn status_pages(ops: &dyn Operations, out: Output, cmd: StatusPagesCmd) -> Result<()> {
    match cmd {
        StatusPagesCmd::Create {
            slug,
            title,
            services,
            description,
            show_urls,
        } => {
            let body = StatusPageCreate {
                slug,
                title,
                description,
                show_urls: Some(show_urls),
                services: service_ids(ops, &services).await?,
            };
            output::status_page(out, &ops.create_status_page(body).await?)
        }
        StatusPagesCmd::List => output::status_pages(out, &ops.list_status_pages().await?.data),
        StatusPagesCmd::Get { id } => {
            let id = status_page_id(ops, &id).await?;
            output::status_page(out, &ops.get_status_page(id).await?)
        }
        StatusPagesCmd::Update {
            id,
            slug,
            title,
            description,
            services,
            show_urls,
        } => {
            if slug.is_none()
                && title.is_none()
                && description.is_none()
                && services.is_empty()
                && show_urls.is_none()
            {
                return Err(UsageError(
                    "nothing to change: give --slug, --title, --description, --service or --show-urls"
                        .into(),
                )
                .into());
            }
            let id = status_page_id(ops, &id).await?;
            let body = StatusPagePatch {
                slug,
                title,
                description,
                show_urls,
                services: if services.is_empty() {
                    None
                } else {
                    Some(service_ids(ops, &services).await?)
                },
            };
            output::status_page(out, &ops.update_status_page(id, body).await?)
        }
        StatusPagesCmd::Delete { id } => {
            let id = status_page_id(ops, &id).await?;
            ops.delete_status_page(id).await?;
            output::deleted(out, "status page", id)
        }
    }
}

pub async fn badges(ops: &dyn Operations, out: Output, cmd: BadgesCmd) -> Result<()> {
    match cmd {
        BadgesCmd::Create { monitor } => {
            let id = names::monitor(ops, &monitor).await?;
            output::badge(out, &ops.create_badge(id).await?)
        }
        BadgesCmd::Get { monitor } => {
            let id = names::monitor(ops, &monitor).await?;
            match ops.get_badge(id).await? {
                Some(b) => output::badge(out, &b),
                None => Err(UsageError(format!(
                    "{} has no badge yet: `beacon badges create {}` makes one",
                    monitor.0, monitor.0
                ))
                .into()),
            }
        }
        BadgesCmd::Revoke { monitor } => {
            let id = names::monitor(ops, &monitor).await?;
            ops.revoke_badge(id).await?;
            output::deleted(out, "badge of monitor", id)
        }
    }
}

pub async fn users(ops: &dyn Operations, out: Output, cmd: UsersCmd) -> Result<()> {
    match cmd {
        UsersCmd::Create {
            name, email, role, ..
        } => {
            let password = password_from_stdin()?;
            let body = UserCreate {
                name,
                email,
                role: Some(role),
                password,
            };
            output::user(out, &ops.create_user(body).await?)
        }
        UsersCmd::List => output::users(out, &ops.list_users().await?.data),
        UsersCmd::Get { id } => {
            let id = user_id(ops, &id).await?;
            output::user(out, &ops.get_user(id).await?)
        }
        UsersCmd::Update {
            id,
            name,
            email,
            role,
        } => {
            if name.is_none() && email.is_none() && role.is_none() {
                return Err(
                    UsageError("nothing to change: give --name, --email or --role".into()).into(),
                );
            }
            let id = user_id(ops, &id).await?;
            let body = UserPatch { name, email, role };
            output::user(out, &ops.update_user(id, body).await?)
        }
        UsersCmd::Delete { id } => {
            let id = user_id(ops, &id).await?;
            ops.delete_user(id).await?;
            output::deleted(out, "user", id)
        }
        UsersCmd::SetPassword { id, .. } => {
            let password = password_from_stdin()?;
            let id = user_id(ops, &id).await?;
            ops.set_user_password(id, PasswordSet { password }).await?;
            eprintln!("password set; the user's sessions have ended");
            Ok(())
        }
    }
}
