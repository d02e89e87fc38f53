//! The dashboard's overview as a read model: every monitor (endpoints and heartbeats) with its status, counts by
//! status, filtered, sorted and paged. Read in a bounded number of queries: pages of 1,000 services, endpoints
//! and heartbeats, whatever the number of monitors.

use super::*;
use beacon_core::heartbeat::HbStatus;

/// Status groups the overview counts and filters by.
pub const STATUS_GROUPS: [&str; 6] = ["up", "down", "degraded", "maintenance", "paused", "unknown"];
pub const SORTS: [&str; 3] = ["status", "name", "service"];
pub const OVERVIEW_PAGE: usize = 100;

/// What the overview shows.
#[derive(Debug, Clone, Default)]
pub struct OverviewQuery {
    /// Part of the monitor's name, any case.
    pub q: String,
    /// One of `STATUS_GROUPS`, or empty.
    pub status: String,
    /// A service's name, or empty.
    pub service: String,
    /// One of `SORTS` (default status: down first).
    pub sort: String,
    /// 0-based page of `OVERVIEW_PAGE` rows.
    pub page: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonitorRow {
    pub id: Uuid,
    pub kind: &'static str,
    pub name: String,
    pub service_id: Uuid,
    pub service: String,
    /// As the API says it: up, down, failing, paused, unknown; heartbeats new, late, started.
    pub status: String,
    /// The status group (`STATUS_GROUPS`).
    pub group: &'static str,
    /// The last check's error kind, when it failed.
    pub detail: String,
    /// RFC 3339 of the last check or ping.
    pub last: Option<String>,
    /// An endpoint's URL as a public page may show it (no credentials or query).
    pub target: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// (group, monitors in it) over every monitor.
    pub counts: Vec<(&'static str, usize)>,
    pub total: usize,
    /// Monitors matching the filters.
    pub matching: usize,
    /// This page of them.
    pub rows: Vec<MonitorRow>,
    pub services: Vec<String>,
}

/// Every item of a paged store list, `MAX_PAGE` at a time.
pub(crate) async fn every<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(Page) -> Fut,
    Fut: std::future::Future<Output = beacon_store::Result<beacon_store::Paged<T>>>,
{
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = fetch(Page {
            after,
            limit: Some(MAX_PAGE),
        })
        .await?;
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

fn group(status: &str) -> &'static str {
    match status {
        "up" | "started" => "up",
        "down" => "down",
        "failing" | "late" | "degraded" => "degraded",
        "paused" => "paused",
        _ => "unknown",
    }
}

fn rank(group: &str) -> usize {
    ["down", "degraded", "unknown", "up", "maintenance", "paused"]
        .iter()
        .position(|g| *g == group)
        .unwrap_or(6)
}

/// How long one reading of every monitor serves the overview as fresh: pages and their live fragments asked for
/// within it share it.
pub const MONITORS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// How long an older reading may still be served while a new one is read in the background: nobody waits for
/// the reading then, and a status change shows up at most a reading later. Older than this, a request reads anew.
pub const MONITORS_STALE_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// Every monitor and the service names, as last read.
pub type MonitorSnapshot = Arc<(Vec<MonitorRow>, Vec<String>)>;

/// The last snapshot and when it was read (a plain mutex, held only to look or replace), and the lock one
/// reader holds while it reads anew, so requests arriving meanwhile use its result instead of each reading.
#[derive(Default)]
pub struct MonitorCache {
    last: std::sync::Mutex<Option<(std::time::Instant, MonitorSnapshot)>>,
    reading: Arc<tokio::sync::Mutex<()>>,
}

impl MonitorCache {
    /// The last snapshot if it is younger than `age`.
    fn within(&self, age: std::time::Duration) -> Option<MonitorSnapshot> {
        let last = self.last.lock().ok()?;
        let (at, snap) = last.as_ref()?;
        (at.elapsed() < age).then(|| snap.clone())
    }

    fn keep(&self, snap: MonitorSnapshot) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some((std::time::Instant::now(), snap));
        }
    }
}

impl MonitorRow {
    pub fn endpoint(e: &beacon_store::Endpoint, service: String) -> Self {
        let status = shown_status(e);
        Self {
            id: e.id,
            kind: e.spec.check.kind().as_str(),
            name: e.spec.name.clone(),
            service_id: e.service_id,
            service,
            status: status.to_owned(),
            group: group(status),
            detail: e
                .last_error_kind
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            last: e.last_checked_at.map(rfc3339),
            target: Some(match &e.spec.check {
                beacon_core::check::CheckSpec::Http(h) => {
                    beacon_core::status_page::shown_url(h.url.as_url())
                }
                other => other.target(),
            }),
        }
    }

    pub fn heartbeat(h: &beacon_store::Heartbeat, service: String, now: i64) -> Self {
        let status = heartbeat::evaluate(&h.spec, &h.state, now);
        let shown = match status {
            HbStatus::New => "unknown",
            s => s.as_str(),
        };
        Self {
            id: h.id,
            kind: "heartbeat",
            name: h.spec.name.clone(),
            service_id: h.service_id,
            service,
            status: status.as_str().to_owned(),
            group: group(shown),
            detail: String::new(),
            last: h.last_ping_at.map(rfc3339),
            target: None,
        }
    }
}

/// The last 24 hours of one endpoint, for a row of the overview.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recent {
    /// Uptime of each hour, oldest first, the current hour last (None: no checks).
    pub hours: Vec<Option<f64>>,
    /// 95th percentile latency of successful checks over them, ms.
    pub p95_ms: Option<f64>,
}

impl App {
    /// The last 24 hours of each endpoint named, from hourly rollups read in two queries whatever their number.
    pub async fn recent(
        &self,
        ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, Recent>, ApiError> {
        let now = self.now();
        let hour = Resolution::Hour;
        let from = hour.window_start(now) - 23 * hour.millis();
        let mut by_endpoint: std::collections::HashMap<Uuid, Vec<(i64, rollup::Window)>> =
            Default::default();
        for (id, start, w) in self
            .store
            .rollup_windows_of(ids, hour, from, now + 1)
            .await?
        {
            by_endpoint.entry(id).or_default().push((start, w));
        }
        Ok(by_endpoint
            .into_iter()
            .map(|(id, windows)| {
                let mut total = rollup::Window::default();
                for (_, w) in &windows {
                    total.merge(w);
                }
                let recent = Recent {
                    hours: rollup::uptime_cells(hour, from, 24, &windows),
                    p95_ms: total.quantile_ms(0.95),
                };
                (id, recent)
            })
            .collect())
    }

    /// Every service, by name.
    pub async fn all_services(&self) -> Result<Vec<ServiceView>, ApiError> {
        let mut all: Vec<ServiceView> = every(|page| self.store.list_services(page))
            .await?
            .iter()
            .map(Into::into)
            .collect();
        all.sort_by_key(|s| s.name.to_lowercase());
        Ok(all)
    }

    /// A service's monitors, read now (not from the snapshot: its page shows what was just created).
    /// Monitors in a maintenance window read `maintenance`, in their own group (it counts as no problem on
    /// status pages); paused ones stay paused.
    pub async fn mark_rows_in_maintenance(&self, rows: &mut [MonitorRow]) -> Result<(), ApiError> {
        let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
        let inside = self.store.monitors_in_maintenance(&ids, self.now()).await?;
        for m in rows
            .iter_mut()
            .filter(|m| inside.contains_key(&m.id) && m.status != "paused")
        {
            m.status = "maintenance".into();
            m.group = "maintenance";
        }
        Ok(())
    }

    pub async fn service_monitors(
        &self,
        service: &ServiceView,
    ) -> Result<Vec<MonitorRow>, ApiError> {
        let store = &self.store;
        let id = service.id;
        let mut rows: Vec<MonitorRow> = every(|page| store.list_endpoints(Some(id), page))
            .await?
            .iter()
            .map(|e| MonitorRow::endpoint(e, service.name.clone()))
            .collect();
        let now = self.now();
        rows.extend(
            every(|page| store.list_heartbeats(Some(id), page))
                .await?
                .iter()
                .map(|h| MonitorRow::heartbeat(h, service.name.clone(), now)),
        );
        self.mark_rows_in_maintenance(&mut rows).await?;
        rows.sort_by(|a, b| {
            (rank(a.group), a.name.to_lowercase()).cmp(&(rank(b.group), b.name.to_lowercase()))
        });
        Ok(rows)
    }

    /// Every monitor, unsorted, and the service names: the snapshot if it is fresh; a recent one while one
    /// background task reads anew; else read now (one reader at a time, the others wait for its result).
    pub async fn monitors(&self) -> Result<MonitorSnapshot, ApiError> {
        if let Some(snap) = self.monitor_cache.within(MONITORS_FRESH_FOR) {
            return Ok(snap);
        }
        if let Some(recent) = self.monitor_cache.within(MONITORS_STALE_FOR) {
            if let Ok(guard) = self.monitor_cache.reading.clone().try_lock_owned() {
                let app = self.clone();
                tokio::spawn(async move {
                    let _reading = guard;
                    match app.read_monitors().await {
                        Ok(snap) => app.monitor_cache.keep(Arc::new(snap)),
                        Err(e) => tracing::warn!(error = %e, "reading the monitors failed"),
                    }
                });
            }
            return Ok(recent);
        }
        let _reading = self.monitor_cache.reading.lock().await;
        // Someone else may have read while this request waited.
        if let Some(snap) = self.monitor_cache.within(MONITORS_FRESH_FOR) {
            return Ok(snap);
        }
        let snap = Arc::new(self.read_monitors().await?);
        self.monitor_cache.keep(snap.clone());
        Ok(snap)
    }

    /// Every monitor, unsorted, and the service names (in pages of 1,000 of each).
    async fn read_monitors(&self) -> Result<(Vec<MonitorRow>, Vec<String>), ApiError> {
        let store = &self.store;
        let services: std::collections::HashMap<Uuid, String> =
            every(|page| store.list_services(page))
                .await?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect();
        let service = |id: &Uuid| services.get(id).cloned().unwrap_or_default();
        let mut all = Vec::new();
        for e in every(|page| store.list_endpoints(None, page)).await? {
            all.push(MonitorRow::endpoint(&e, service(&e.service_id)));
        }
        let now = self.now();
        for h in every(|page| store.list_heartbeats(None, page)).await? {
            all.push(MonitorRow::heartbeat(&h, service(&h.service_id), now));
        }
        self.mark_rows_in_maintenance(&mut all).await?;
        let mut names: Vec<String> = services.into_values().collect();
        names.sort();
        Ok((all, names))
    }

    /// Names of monitors by id, for pages that show what an incident is about.
    pub async fn monitor_names(&self) -> Result<std::collections::HashMap<Uuid, String>, ApiError> {
        Ok(self
            .monitors()
            .await?
            .0
            .iter()
            .map(|m| (m.id, m.name.clone()))
            .collect())
    }

    pub async fn overview(&self, query: &OverviewQuery) -> Result<Overview, ApiError> {
        let snap = self.monitors().await?;
        let (all, services) = (&snap.0, snap.1.clone());
        let counts = STATUS_GROUPS
            .iter()
            .map(|g| (*g, all.iter().filter(|r| r.group == *g).count()))
            .collect();
        let total = all.len();
        let needle = query.q.trim().to_lowercase();
        let mut matching: Vec<&MonitorRow> = all
            .iter()
            .filter(|r| needle.is_empty() || r.name.to_lowercase().contains(&needle))
            .filter(|r| query.status.is_empty() || r.group == query.status)
            .filter(|r| query.service.is_empty() || r.service == query.service)
            .collect();
        match query.sort.as_str() {
            "name" => matching.sort_by_key(|r| r.name.to_lowercase()),
            "service" => matching.sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name))),
            _ => matching.sort_by(|a, b| {
                (rank(a.group), a.name.to_lowercase()).cmp(&(rank(b.group), b.name.to_lowercase()))
            }),
        }
        let count = matching.len();
        let rows = matching
            .into_iter()
            .skip(query.page * OVERVIEW_PAGE)
            .take(OVERVIEW_PAGE)
            .cloned()
            .collect();
        Ok(Overview {
            counts,
            total,
            matching: count,
            rows,
            services,
        })
    }
}
