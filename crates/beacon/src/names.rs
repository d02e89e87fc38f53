//! Services, endpoints and heartbeats named on the command line by UUID or by name (`endpoints get "Checkout
//! API"`, `pings list --endpoint Flaky`). A name matches exactly, or else ignoring case; a name several monitors
//! share is an error listing them. Resolved through `Operations`, so it works on the database and through a
//! server alike.

use crate::commands::all_pages;
use crate::error::UsageError;
use anyhow::Result;
use beacon_server::api::{ByServiceParams, ListParams, MAX_PAGE, Operations};
use beacon_server::wire::{EndpointView, HeartbeatView, ServiceView};
use std::convert::Infallible;
use std::str::FromStr;
use uuid::Uuid;

/// What a person typed for a service, endpoint or heartbeat: its UUID or its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named(pub String);

impl FromStr for Named {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(Self(s.to_owned()))
    }
}

/// (id, name, what else tells it apart) of each candidate.
type Candidate = (Uuid, String, String);

fn pick(kind: &str, given: &Named, all: &[Candidate]) -> Result<Uuid> {
    let exact: Vec<&Candidate> = all.iter().filter(|c| c.1 == given.0).collect();
    let matches = if exact.is_empty() {
        all.iter()
            .filter(|c| c.1.eq_ignore_ascii_case(&given.0))
            .collect()
    } else {
        exact
    };
    match matches[..] {
        [one] => Ok(one.0),
        [] => Err(UsageError(format!("no {kind} has the id or name {:?}", given.0)).into()),
        _ => {
            let list: Vec<String> = matches
                .iter()
                .map(|(id, name, extra)| format!("  {id}  {name}{extra}"))
                .collect();
            Err(UsageError(format!(
                "{} {kind}s are named {:?}; give the id of one:\n{}",
                matches.len(),
                given.0,
                list.join("\n")
            ))
            .into())
        }
    }
}

/// Every service, page by page.
pub async fn all_services(ops: &dyn Operations) -> Result<Vec<ServiceView>> {
    all_pages(|cursor| async move {
        let page = ops
            .list_services(ListParams {
                limit: Some(MAX_PAGE),
                cursor,
            })
            .await?;
        Ok((page.data, page.next_cursor))
    })
    .await
}

/// Every endpoint (of one service, if given), page by page.
pub async fn all_endpoints(
    ops: &dyn Operations,
    service_id: Option<Uuid>,
) -> Result<Vec<EndpointView>> {
    all_pages(|cursor| async move {
        let page = ops
            .list_endpoints(ByServiceParams {
                service_id,
                limit: Some(MAX_PAGE),
                cursor,
            })
            .await?;
        Ok((page.data, page.next_cursor))
    })
    .await
}

/// Every heartbeat (of one service, if given), page by page.
pub async fn all_heartbeats(
    ops: &dyn Operations,
    service_id: Option<Uuid>,
) -> Result<Vec<HeartbeatView>> {
    all_pages(|cursor| async move {
        let page = ops
            .list_heartbeats(ByServiceParams {
                service_id,
                limit: Some(MAX_PAGE),
                cursor,
            })
            .await?;
        Ok((page.data, page.next_cursor))
    })
    .await
}

fn in_service(services: &[ServiceView], id: Uuid) -> String {
    services
        .iter()
        .find(|s| s.id == id)
        .map_or_else(String::new, |s| format!(" (service {})", s.name))
}

pub async fn channel(ops: &dyn Operations, given: &Named) -> Result<Uuid> {
    if let Ok(id) = Uuid::try_parse(&given.0) {
        return Ok(id);
    }
    let all: Vec<Candidate> = ops
        .list_channels()
        .await?
        .data
        .into_iter()
        .filter_map(|c| Some((c.id, c.name?, String::new())))
        .collect();
    pick("channel", given, &all)
}

pub async fn service(ops: &dyn Operations, given: &Named) -> Result<Uuid> {
    if let Ok(id) = Uuid::try_parse(&given.0) {
        return Ok(id);
    }
    let all: Vec<Candidate> = all_services(ops)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name, String::new()))
        .collect();
    pick("service", given, &all)
}

pub async fn endpoint(ops: &dyn Operations, given: &Named) -> Result<Uuid> {
    if let Ok(id) = Uuid::try_parse(&given.0) {
        return Ok(id);
    }
    let services = all_services(ops).await?;
    let all: Vec<Candidate> = all_endpoints(ops, None)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name, in_service(&services, e.service_id)))
        .collect();
    pick("endpoint", given, &all)
}

pub async fn heartbeat(ops: &dyn Operations, given: &Named) -> Result<Uuid> {
    if let Ok(id) = Uuid::try_parse(&given.0) {
        return Ok(id);
    }
    let services = all_services(ops).await?;
    let mut all = Vec::new();
    for h in all_heartbeats(ops, None).await? {
        // A heartbeat's slug names it too.
        let extra = in_service(&services, h.service_id);
        if h.slug != h.name {
            all.push((h.id, h.slug.clone(), extra.clone()));
        }
        all.push((h.id, h.name, extra));
    }
    pick("heartbeat", given, &all)
}

/// An endpoint or a heartbeat, by UUID or name (endpoints first; a name both have is ambiguous).
pub async fn monitor(ops: &dyn Operations, given: &Named) -> Result<Uuid> {
    if let Ok(id) = Uuid::try_parse(&given.0) {
        return Ok(id);
    }
    let services = all_services(ops).await?;
    let mut all: Vec<Candidate> = all_endpoints(ops, None)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name, in_service(&services, e.service_id)))
        .collect();
    for h in all_heartbeats(ops, None).await? {
        let extra = in_service(&services, h.service_id);
        if h.slug != h.name {
            all.push((h.id, h.slug.clone(), extra.clone()));
        }
        all.push((h.id, h.name, extra));
    }
    pick("monitor", given, &all)
}

/// Names of services, endpoints and heartbeats by id, for tables a person reads.
pub async fn directory(ops: &dyn Operations) -> Result<std::collections::HashMap<Uuid, String>> {
    let mut names: std::collections::HashMap<Uuid, String> = all_services(ops)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    names.extend(
        all_endpoints(ops, None)
            .await?
            .into_iter()
            .map(|e| (e.id, e.name)),
    );
    names.extend(
        all_heartbeats(ops, None)
            .await?
            .into_iter()
            .map(|h| (h.id, h.name)),
    );
    Ok(names)
}

/// `Some` resolved, for optional flags.
pub async fn maybe<F, Fut>(given: Option<Named>, resolve: F) -> Result<Option<Uuid>>
where
    F: FnOnce(Named) -> Fut,
    Fut: std::future::Future<Output = Result<Uuid>>,
{
    match given {
        Some(g) => Ok(Some(resolve(g).await?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_then_case_insensitive_and_ambiguity_lists_candidates() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        let c = Uuid::new_v4();
        let all = vec![
            (a, "Checkout API".to_owned(), " (service shop)".to_owned()),
            (b, "Flaky".to_owned(), " (service shop)".to_owned()),
            (c, "flaky".to_owned(), " (service blog)".to_owned()),
        ];
        let n = |s: &str| Named(s.to_owned());
        assert_eq!(pick("endpoint", &n("Flaky"), &all).expect("exact"), b);
        assert_eq!(
            pick("endpoint", &n("checkout api"), &all).expect("any case"),
            a
        );
        let err = pick("endpoint", &n("FLAKY"), &all).expect_err("two match");
        let text = err.to_string();
        assert!(
            text.contains(&b.to_string()) && text.contains(&c.to_string()),
            "{text}"
        );
        assert!(text.contains("service blog"), "{text}");
        assert!(pick("endpoint", &n("nope"), &all).is_err());
    }
}
