//! Status pages (create, list, read, change, delete), what a public page shows (cached for a few seconds), and
//! badge keys of monitors with the badges' figures.

use super::*;
use beacon_core::status_page::{self, Overall, StatusPageInput, StatusPageSpec};
use beacon_store::BadgeMonitor;

/// How long a public page's reading serves every visitor.
pub const PUBLIC_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// Public pages as last read, by slug (only existing pages are kept, and only while fresh).
#[derive(Default)]
pub struct PublicCache {
    pages: std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, Arc<PublicStatus>)>,
    >,
    reading: tokio::sync::Mutex<()>,
}

impl PublicCache {
    fn fresh(&self, slug: &str) -> Option<Arc<PublicStatus>> {
        let pages = self.pages.lock().ok()?;
        let (at, page) = pages.get(slug)?;
        (at.elapsed() < PUBLIC_FRESH_FOR).then(|| page.clone())
    }
}

/// What a badge shows of its monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct BadgeFigures {
    pub name: String,
    /// The status group: up, down, degraded, paused or unknown.
    pub status: &'static str,
    /// Percent over the window asked for (endpoints only).
    pub uptime: Option<f64>,
    /// p95 over 24 h, ms (endpoints only).
    pub p95_ms: Option<f64>,
}

#[async_trait]
pub trait StatusPageOps: Send + Sync {
    async fn create_status_page(&self, body: StatusPageCreate) -> Result<StatusPageView, ApiError>;
    async fn list_status_pages(&self) -> Result<StatusPageList, ApiError>;
    async fn get_status_page(&self, id: Uuid) -> Result<StatusPageView, ApiError>;
    async fn update_status_page(
        &self,
        id: Uuid,
        body: StatusPagePatch,
    ) -> Result<StatusPageView, ApiError>;
    async fn delete_status_page(&self, id: Uuid) -> Result<(), ApiError>;
    /// A new badge key for a monitor (endpoint or heartbeat); the old one stops working.
    async fn create_badge(&self, monitor: Uuid) -> Result<BadgeView, ApiError>;
    /// The monitor's badge, if it has one.
    async fn get_badge(&self, monitor: Uuid) -> Result<Option<BadgeView>, ApiError>;
    async fn revoke_badge(&self, monitor: Uuid) -> Result<(), ApiError>;
}

impl App {
    fn status_page_view(&self, p: &beacon_store::StatusPage) -> StatusPageView {
        StatusPageView {
            id: p.id,
            slug: p.spec.slug.clone(),
            title: p.spec.title.clone(),
            description: p.spec.description.clone(),
            show_urls: p.spec.show_urls,
            services: p.spec.services.clone(),
            url: format!("{}/status/{}", self.public_url, p.spec.slug),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }

    fn badge_view(&self, key: String) -> BadgeView {
        let base = format!("{}/badge/{key}", self.public_url);
        BadgeView {
            status_url: format!("{base}/status.svg"),
            uptime_url: format!("{base}/uptime.svg"),
            latency_url: format!("{base}/latency.svg"),
            markdown: format!(
                "![status]({base}/status.svg) ![uptime]({base}/uptime.svg?window=30d)"
            ),
            key,
        }
    }

    /// Uptime of each of the last `days` UTC days of several endpoints, and over all of them, in two queries.
    pub(crate) async fn daily_of(
        &self,
        ids: &[Uuid],
        days: usize,
    ) -> Result<std::collections::HashMap<Uuid, (Vec<Option<f64>>, Option<f64>)>, ApiError> {
        let now = self.now();
        let day = Resolution::Day;
        let from = day.window_start(now) - (days as i64 - 1) * day.millis();
        let mut by: std::collections::HashMap<Uuid, Vec<(i64, rollup::Window)>> =
            Default::default();
        for (id, start, w) in self
            .store
            .rollup_windows_of(ids, day, from, now + 1)
            .await?
        {
            by.entry(id).or_default().push((start, w));
        }
        Ok(by
            .into_iter()
            .map(|(id, windows)| {
                let mut total = rollup::Window::default();
                for (_, w) in &windows {
                    total.merge(w);
                }
                (
                    id,
                    (
                        rollup::uptime_cells(day, from, days, &windows),
                        total.uptime(),
                    ),
                )
            })
            .collect())
    }

    /// What the public page `slug` shows: read at most once per `PUBLIC_FRESH_FOR` whatever the traffic (one
    /// reader at a time; the others wait for its result). NotFound for no such page.
    pub async fn public_status(&self, slug: &str) -> Result<Arc<PublicStatus>, ApiError> {
        if let Some(page) = self.public_cache.fresh(slug) {
            return Ok(page);
        }
        let _reading = self.public_cache.reading.lock().await;
        if let Some(page) = self.public_cache.fresh(slug) {
            return Ok(page);
        }
        let page = Arc::new(self.read_public_status(slug).await?);
        if let Ok(mut pages) = self.public_cache.pages.lock() {
            pages.retain(|_, (at, _)| at.elapsed() < PUBLIC_FRESH_FOR);
            pages.insert(slug.to_owned(), (std::time::Instant::now(), page.clone()));
        }
        Ok(page)
    }

    async fn read_public_status(&self, slug: &str) -> Result<PublicStatus, ApiError> {
        let page = self
            .store
            .status_page_by_slug(slug)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no status page {slug:?}")))?;
        let now = self.now();
        let mut services = Vec::new();
        let mut rows = Vec::new();
        let mut service_names = std::collections::HashMap::new();
        for id in &page.spec.services {
            let s = ServiceView::from(&self.store.get_service(*id).await?);
            service_names.insert(*id, s.name.clone());
            let monitors = self.service_monitors(&s).await?;
            rows.extend(monitors.iter().map(|m| (m.id, m.name.clone())));
            services.push((s.name, monitors));
        }
        let endpoints: Vec<Uuid> = services
            .iter()
            .flat_map(|(_, ms)| ms.iter().filter(|m| m.kind != "heartbeat").map(|m| m.id))
            .collect();
        let daily = self.daily_of(&endpoints, 90).await?;
        let names: std::collections::HashMap<Uuid, String> = rows.into_iter().collect();
        let maintenance = self.public_maintenance(&service_names, &names, now).await?;
        let overall = Overall::of(
            services
                .iter()
                .flat_map(|(_, ms)| ms.iter().map(|m| m.group)),
        );
        let incidents = |status: &str| IncidentFilter {
            status: Some(match status {
                "open" => IncidentStatus::Open,
                _ => IncidentStatus::Resolved,
            }),
            ..Default::default()
        };
        let mut open = Vec::new();
        let mut history = Vec::new();
        let since = now - 30 * 86_400_000;
        for (status, into) in [("open", &mut open), ("resolved", &mut history)] {
            let got = self
                .store
                .list_incidents(
                    incidents(status),
                    Page {
                        after: None,
                        limit: Some(1_000),
                    },
                )
                .await?;
            for i in got.items {
                let about = i.endpoint_id.or(i.heartbeat_id);
                let Some(name) = about.and_then(|id| names.get(&id)) else {
                    continue;
                };
                if i.started_at < since && i.resolved_at.is_some() {
                    continue;
                }
                let end = i.resolved_at.unwrap_or(now);
                into.push(PublicIncident {
                    monitor: name.clone(),
                    started_at: rfc3339(i.started_at),
                    resolved_at: i.resolved_at.map(rfc3339),
                    duration_seconds: (end - i.started_at).max(0) / 1000,
                });
            }
        }
        Ok(PublicStatus {
            title: page.spec.title.clone(),
            description: page.spec.description.clone(),
            status: overall.as_str().to_owned(),
            summary: overall.words().to_owned(),
            updated_at: rfc3339(now),
            services: services
                .into_iter()
                .map(|(name, monitors)| PublicService {
                    name,
                    monitors: monitors
                        .into_iter()
                        .map(|m| {
                            let (days, uptime_90d) = daily
                                .get(&m.id)
                                .cloned()
                                .unwrap_or_else(|| (vec![None; 90], None));
                            PublicMonitor {
                                name: m.name,
                                kind: m.kind.to_owned(),
                                status: m.group.to_owned(),
                                uptime_90d,
                                days,
                                url: m.target.filter(|_| page.spec.show_urls),
                            }
                        })
                        .collect(),
                })
                .collect(),
            open_incidents: open,
            history,
            maintenance,
        })
    }

    /// Windows of the services in `service_names` or of the monitors in `names` in force at `now` or starting
    /// within 7 days, as a status page announces them (soonest first).
    async fn public_maintenance(
        &self,
        service_names: &std::collections::HashMap<Uuid, String>,
        names: &std::collections::HashMap<Uuid, String>,
        now: Millis,
    ) -> Result<Vec<PublicMaintenance>, ApiError> {
        const AHEAD: Millis = 7 * 86_400_000;
        let mut out: Vec<(Millis, PublicMaintenance)> = Vec::new();
        for w in self.store.list_windows().await? {
            let about = match (w.service_id, w.monitor_id) {
                (Some(s), _) => service_names.get(&s),
                (None, Some(m)) => names.get(&m),
                (None, None) => None,
            };
            let Some(about) = about else { continue };
            let span = match w.active_at(now) {
                Some(s) => Some((s, true)),
                None => w
                    .schedule
                    .next_after(now)
                    .filter(|(s, _)| *s < now + AHEAD && w.ended_at.is_none_or(|e| *s < e))
                    .map(|s| (s, false)),
            };
            if let Some(((start, end), ongoing)) = span {
                out.push((
                    start,
                    PublicMaintenance {
                        about: about.clone(),
                        reason: w.reason.clone(),
                        starts_at: rfc3339(start),
                        ends_at: rfc3339(end),
                        ongoing,
                    },
                ));
            }
        }
        out.sort_by_key(|(start, _)| *start);
        Ok(out.into_iter().map(|(_, m)| m).collect())
    }

    /// The figures of the monitor a badge key names; NotFound for an unknown or revoked key. `window_days`
    /// for the uptime.
    pub async fn badge_figures(
        &self,
        key: &str,
        window_days: i64,
    ) -> Result<BadgeFigures, ApiError> {
        let unknown = || ApiError::not_found("no such badge");
        if !status_page::is_badge_key(key) {
            return Err(unknown());
        }
        let now = self.now();
        match self.store.badge_monitor(key).await?.ok_or_else(unknown)? {
            BadgeMonitor::Endpoint(id) => {
                let e = self.store.get_endpoint(id).await?;
                let mut row = MonitorRow::endpoint(&e, String::new());
                self.mark_rows_in_maintenance(std::slice::from_mut(&mut row))
                    .await?;
                let hourly = self
                    .store
                    .rollup_windows(
                        id,
                        Resolution::Hour,
                        Resolution::Hour.window_start(now - window_days * 86_400_000),
                        now + 1,
                        None,
                    )
                    .await?;
                let window = rollup::trailing(now, window_days * 86_400_000, &hourly);
                let day = rollup::trailing(now, 86_400_000, &hourly);
                Ok(BadgeFigures {
                    name: row.name,
                    status: row.group,
                    uptime: window.uptime(),
                    p95_ms: day.quantile_ms(0.95),
                })
            }
            BadgeMonitor::Heartbeat(id) => {
                let h = self.store.get_heartbeat(&HeartbeatRef::Id(id)).await?;
                let mut row = MonitorRow::heartbeat(&h, String::new(), now);
                self.mark_rows_in_maintenance(std::slice::from_mut(&mut row))
                    .await?;
                Ok(BadgeFigures {
                    name: row.name,
                    status: row.group,
                    uptime: None,
                    p95_ms: None,
                })
            }
        }
    }
}

fn input_of(body: StatusPagePatch) -> StatusPageInput {
    StatusPageInput {
        slug: body.slug,
        title: body.title,
        description: body.description,
        show_urls: body.show_urls,
        services: body.services,
    }
}

#[async_trait]
impl StatusPageOps for App {
    async fn create_status_page(&self, body: StatusPageCreate) -> Result<StatusPageView, ApiError> {
        let spec = StatusPageSpec::create(input_of(StatusPagePatch {
            slug: Some(body.slug),
            title: Some(body.title),
            description: body.description,
            show_urls: body.show_urls,
            services: Some(body.services),
        }))?;
        let p = self.store.create_status_page(&spec, self.now()).await?;
        Ok(self.status_page_view(&p))
    }

    async fn list_status_pages(&self) -> Result<StatusPageList, ApiError> {
        Ok(StatusPageList {
            data: self
                .store
                .list_status_pages()
                .await?
                .iter()
                .map(|p| self.status_page_view(p))
                .collect(),
            next_cursor: None,
        })
    }

    async fn get_status_page(&self, id: Uuid) -> Result<StatusPageView, ApiError> {
        Ok(self.status_page_view(&self.store.get_status_page(id).await?))
    }

    async fn update_status_page(
        &self,
        id: Uuid,
        body: StatusPagePatch,
    ) -> Result<StatusPageView, ApiError> {
        let current = self.store.get_status_page(id).await?;
        let spec = current.spec.apply(input_of(body))?;
        let p = self.store.update_status_page(id, &spec, self.now()).await?;
        if let Ok(mut pages) = self.public_cache.pages.lock() {
            pages.remove(&current.spec.slug);
        }
        Ok(self.status_page_view(&p))
    }

    async fn delete_status_page(&self, id: Uuid) -> Result<(), ApiError> {
        let current = self.store.get_status_page(id).await?;
        self.store.delete_status_page(id).await?;
        if let Ok(mut pages) = self.public_cache.pages.lock() {
            pages.remove(&current.spec.slug);
        }
        Ok(())
    }

    async fn create_badge(&self, monitor: Uuid) -> Result<BadgeView, ApiError> {
        let key = status_page::badge_key(rand::random());
        self.store.set_badge_key(monitor, Some(&key)).await?;
        Ok(self.badge_view(key))
    }

    async fn get_badge(&self, monitor: Uuid) -> Result<Option<BadgeView>, ApiError> {
        Ok(self
            .store
            .badge_key(monitor)
            .await?
            .map(|k| self.badge_view(k)))
    }

    async fn revoke_badge(&self, monitor: Uuid) -> Result<(), ApiError> {
        Ok(self.store.set_badge_key(monitor, None).await?)
    }
}
