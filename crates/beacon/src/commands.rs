//! The resource commands (`services`, `endpoints`, `pings`, `incidents`), working straight on the database.

use crate::cli::{
    EndpointFlags, EndpointsCmd, IncidentStatusArg, IncidentsCmd, Output, PingsCmd, ServicesCmd,
};
use crate::output;
use anyhow::Result;
use beacon_core::Millis;
use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_runtime::{Clock, SystemClock};
use beacon_server::wire::{EndpointView, IncidentView, PingView, ServiceView};
use beacon_store::{IncidentFilter, IncidentStatus, Store};

fn now() -> Millis {
    SystemClock.now()
}

impl From<EndpointFlags> for EndpointInput {
    fn from(f: EndpointFlags) -> Self {
        EndpointInput {
            name: f.name,
            url: f.url,
            method: f.method,
            interval_seconds: f.interval,
            timeout_seconds: f.timeout,
            expected_status: f.expected_status,
            headers: (!f.headers.is_empty()).then_some(f.headers),
            body: f.body,
            alert_threshold: f.alert_threshold,
            recovery_threshold: f.recovery_threshold,
            expect_body_contains: f.expect_body_contains,
            follow_redirects: f.follow_redirects,
            enabled: f.enabled,
        }
    }
}

pub async fn services(store: &dyn Store, out: Output, cmd: ServicesCmd) -> Result<()> {
    match cmd {
        ServicesCmd::Create { name, description } => {
            let s = store.create_service(&name, &description, now()).await?;
            output::service(out, &ServiceView::from(&s))
        }
        ServicesCmd::List => {
            let list: Vec<ServiceView> = store
                .list_services()
                .await?
                .iter()
                .map(ServiceView::from)
                .collect();
            output::services(out, &list)
        }
        ServicesCmd::Get { id } => {
            output::service(out, &ServiceView::from(&store.get_service(id).await?))
        }
        ServicesCmd::Update {
            id,
            name,
            description,
        } => {
            let s = store
                .update_service(id, name.as_deref(), description.as_deref(), now())
                .await?;
            output::service(out, &ServiceView::from(&s))
        }
        ServicesCmd::Delete { id, cascade } => {
            store.delete_service(id, cascade).await?;
            output::deleted(out, "service", id)
        }
    }
}

pub async fn endpoints(store: &dyn Store, out: Output, cmd: EndpointsCmd) -> Result<()> {
    match cmd {
        EndpointsCmd::Create { service_id, flags } => {
            // Validate before touching the database: nothing is written for bad input.
            let spec = EndpointSpec::create(flags.into())?;
            let e = store.create_endpoint(service_id, &spec, now()).await?;
            output::endpoint(out, &EndpointView::from(&e))
        }
        EndpointsCmd::List { service_id } => {
            let list: Vec<EndpointView> = store
                .list_endpoints(service_id)
                .await?
                .iter()
                .map(EndpointView::from)
                .collect();
            output::endpoints(out, &list)
        }
        EndpointsCmd::Get { id } => {
            output::endpoint(out, &EndpointView::from(&store.get_endpoint(id).await?))
        }
        EndpointsCmd::Update { id, flags } => {
            let e = store.update_endpoint(id, flags.into(), now()).await?;
            output::endpoint(out, &EndpointView::from(&e))
        }
        EndpointsCmd::Delete { id } => {
            store.delete_endpoint(id).await?;
            output::deleted(out, "endpoint", id)
        }
    }
}

pub async fn pings(store: &dyn Store, out: Output, cmd: PingsCmd) -> Result<()> {
    match cmd {
        PingsCmd::List {
            endpoint_id,
            limit,
            failed,
        } => {
            let list: Vec<PingView> = store
                .list_pings(endpoint_id, limit, failed)
                .await?
                .iter()
                .map(PingView::from)
                .collect();
            output::pings(out, &list)
        }
    }
}

pub async fn incidents(store: &dyn Store, out: Output, cmd: IncidentsCmd) -> Result<()> {
    match cmd {
        IncidentsCmd::List {
            status,
            endpoint_id,
        } => {
            let status = status.map(|s| match s {
                IncidentStatusArg::Open => IncidentStatus::Open,
                IncidentStatusArg::Resolved => IncidentStatus::Resolved,
            });
            let list: Vec<IncidentView> = store
                .list_incidents(IncidentFilter {
                    status,
                    endpoint_id,
                })
                .await?
                .iter()
                .map(IncidentView::from)
                .collect();
            output::incidents(out, &list)
        }
        IncidentsCmd::Get { id } => {
            output::incident(out, &IncidentView::from(&store.get_incident(id).await?))
        }
        IncidentsCmd::Resolve { id } => {
            let i = store.resolve_incident(id, now()).await?;
            output::incident(out, &IncidentView::from(&i))
        }
    }
}
