//! The workers page: regions with their endpoints and connected workers, and each worker as it last reported.

use super::*;
use crate::api::{RegionOps, WorkerOps};
use axum::extract::State;

/// One worker's row.
struct WorkerLine {
    name: String,
    region: String,
    version: String,
    address: String,
    since: String,
    seen: String,
    connected: bool,
    in_flight: u32,
    rate: String,
    pending: u32,
}

#[derive(Template)]
#[template(path = "workers.html")]
struct WorkersPage {
    nav: Nav,
    /// (region, endpoints, workers connected)
    regions: Vec<(String, i64, usize)>,
    workers: Vec<WorkerLine>,
}

pub async fn workers(State(state): State<AppState>, Me(me): Me) -> Response {
    let (regions, workers) = match (
        state.app.list_regions().await,
        state.app.list_workers().await,
    ) {
        (Ok(r), Ok(w)) => (r.data, w.data),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    let page = WorkersPage {
        nav: Nav::new(&me, "workers"),
        regions: regions
            .iter()
            .map(|r| {
                let connected = workers
                    .iter()
                    .filter(|w| w.connected && w.region == r.name)
                    .count();
                (r.name.clone(), r.endpoints, connected)
            })
            .collect(),
        workers: workers
            .into_iter()
            .map(|w| WorkerLine {
                since: when(&w.connected_since),
                seen: when(&w.last_seen_at),
                rate: format!("{:.1}", w.checks_per_second),
                name: w.name,
                region: w.region,
                version: w.version,
                address: w.address,
                connected: w.connected,
                in_flight: w.in_flight,
                pending: w.results_pending,
            })
            .collect(),
    };
    render(&page)
}
