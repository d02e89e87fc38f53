//! Endpoints (checks): create, list, read, change, delete; their pings, statistics and uptime.

use super::*;

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PingParams {
    /// Items per page, 1..1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Only failed checks.
    pub failed: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// 1m, 5m, 1h or 1d (default: the finest giving at most 500 buckets).
    pub resolution: Option<String>,
    /// Start of the range, RFC 3339 (default: `to` minus `since`).
    pub from: Option<String>,
    /// End of the range, RFC 3339 (default: now).
    pub to: Option<String>,
    /// The range as a span back from `to`, e.g. 24h, 7d (default 24h; not with `from`).
    pub since: Option<String>,
    /// Only the checks run from this region (default: all regions).
    pub region: Option<String>,
}

/// The fields of a create or update request as the domain takes them.
pub fn endpoint_input(p: EndpointPatch) -> Result<EndpointInput, ValidationError> {
    Ok(EndpointInput {
        name: p.name,
        url: p.url,
        method: p.method,
        interval_seconds: p.interval_seconds,
        timeout_seconds: p.timeout_seconds,
        expected_status: p.expected_status,
        headers: headers(p.headers)?,
        body: p.body,
        alert_threshold: p.alert_threshold,
        recovery_threshold: p.recovery_threshold,
        expect_body_contains: p.expect_body_contains,
        follow_redirects: p.follow_redirects,
        http2: p.http2,
        enabled: p.enabled,
        webhook_url: p.webhook_url,
        regions: p.regions,
        alert_regions: p.alert_regions,
        kind: p.kind,
        target: p.target,
        record_type: p.record_type,
        dns_server: p.dns_server,
        expect: p.expect,
        send: p.send,
        tls: p.tls,
        sni: p.sni,
        cert_fail_days: p.cert_fail_days,
        cert_warn_days: p.cert_warn_days,
        conditions: p.conditions,
        expect_json_path: p.expect_json_path,
        equals: p.equals,
        degraded_above_ms: p.degraded_above_ms,
    })
}

#[async_trait]
pub trait EndpointOps: Send + Sync {
    async fn create_endpoint(&self, body: EndpointCreate) -> Result<EndpointView, ApiError>;
    async fn list_endpoints(&self, params: ByServiceParams) -> Result<EndpointList, ApiError>;
    async fn get_endpoint(&self, id: Uuid) -> Result<EndpointView, ApiError>;
    async fn update_endpoint(
        &self,
        id: Uuid,
        body: EndpointPatch,
    ) -> Result<EndpointView, ApiError>;
    async fn delete_endpoint(&self, id: Uuid) -> Result<(), ApiError>;
    /// Stop checking (and close its open incident, `resolved_by: paused`) or start again.
    async fn set_endpoint_paused(&self, id: Uuid, paused: bool) -> Result<EndpointView, ApiError>;
    async fn list_pings(&self, endpoint_id: Uuid, params: PingParams)
    -> Result<PingList, ApiError>;
    /// Statistics of one endpoint over a range, from rollup windows.
    async fn endpoint_stats(&self, id: Uuid, params: StatsParams) -> Result<StatsView, ApiError>;
    async fn endpoint_uptime(&self, id: Uuid) -> Result<UptimeView, ApiError>;
    /// Run a check described by these fields once, now, from here; store nothing.
    async fn try_check(&self, body: EndpointPatch) -> Result<TriedView, ApiError>;
}

impl App {
    /// Uptime of each of the last `days` UTC days of an endpoint, oldest first, today last (None: no checks).
    pub async fn daily_uptime(&self, id: Uuid, days: usize) -> Result<Vec<Option<f64>>, ApiError> {
        Ok(self
            .daily_of(&[id], days)
            .await?
            .remove(&id)
            .map_or_else(|| vec![None; days], |(cells, _)| cells))
    }

    /// Create an endpoint from settable fields (shared by `/api/v1/endpoints` and the `/checks` surface).
    pub async fn create_endpoint_fields(
        &self,
        service_id: Uuid,
        fields: EndpointPatch,
    ) -> Result<EndpointView, ApiError> {
        // Validated before the database is touched: nothing is written for bad input.
        let spec = EndpointSpec::create(endpoint_input(fields)?)?;
        Ok((&self
            .store
            .create_endpoint(service_id, &spec, self.now())
            .await?)
            .into())
    }
}

#[async_trait]
impl EndpointOps for App {
    async fn set_endpoint_paused(&self, id: Uuid, paused: bool) -> Result<EndpointView, ApiError> {
        let patch = EndpointPatch {
            enabled: Some(!paused),
            ..Default::default()
        };
        self.update_endpoint(id, patch).await
    }

    async fn create_endpoint(&self, body: EndpointCreate) -> Result<EndpointView, ApiError> {
        let (service_id, fields) = body.split();
        self.create_endpoint_fields(service_id, fields).await
    }

    async fn list_endpoints(&self, params: ByServiceParams) -> Result<EndpointList, ApiError> {
        let got = self
            .store
            .list_endpoints(
                params.service_id,
                page(params.limit, params.cursor.as_deref())?,
            )
            .await?;
        // Lists never show header values (they may hold credentials); `get` does, to those who may write.
        let mut data: Vec<EndpointView> = got
            .items
            .iter()
            .map(|e| {
                let mut view = EndpointView::from(e);
                mask_values(&mut view.headers);
                view
            })
            .collect();
        self.mark_maintenance(&mut data).await?;
        Ok(EndpointList {
            data,
            next_cursor: got.next.map(|n| n.to_string()),
        })
    }

    async fn get_endpoint(&self, id: Uuid) -> Result<EndpointView, ApiError> {
        let endpoint = self.store.get_endpoint(id).await?;
        let mut view: EndpointView = (&endpoint).into();
        self.mark_maintenance(std::slice::from_mut(&mut view))
            .await?;
        view.stats = Some(self.endpoint_uptime(id).await?);
        let now = self.now();
        let spec = &endpoint.spec;
        view.region_status = Some(
            self.store
                .endpoint_regions(id)
                .await?
                .into_iter()
                .map(|r| {
                    let available = beacon_core::incident::region_available(
                        r.last_checked_at,
                        now,
                        spec.interval_ms(),
                        i64::from(spec.timeout_ms),
                    );
                    let status = match r.status {
                        _ if !spec.enabled => "paused",
                        beacon_core::incident::Status::Unknown => "unknown",
                        _ if !available => "unavailable",
                        s => s.as_str(),
                    };
                    RegionStatusView {
                        region: r.region,
                        status: status.to_owned(),
                        consecutive_failures: r.consecutive_failures,
                        last_checked_at: crate::wire::opt_rfc3339(r.last_checked_at),
                        last_error: r.last_error_kind.map(|k| k.as_str().to_owned()),
                        next_check_at: crate::wire::rfc3339(r.next_check_at),
                    }
                })
                .collect(),
        );
        Ok(view)
    }

    async fn endpoint_stats(&self, id: Uuid, params: StatsParams) -> Result<StatsView, ApiError> {
        const MAX_BUCKETS: i64 = 10_000;
        let time = |field: &'static str, v: Option<&str>| {
            v.map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|d| d.timestamp_millis())
                    .map_err(|e| {
                        ApiError::bad_request(format!(
                            "{field}: '{t}' is not an RFC 3339 time ({e})"
                        ))
                        .with_field(field)
                    })
            })
            .transpose()
        };
        let to = time("to", params.to.as_deref())?.unwrap_or_else(|| self.now());
        let from = match (
            time("from", params.from.as_deref())?,
            params.since.as_deref(),
        ) {
            (Some(_), Some(_)) => {
                return Err(
                    ApiError::bad_request("give from or since, not both").with_field("since")
                );
            }
            (Some(from), None) => from,
            (None, since) => {
                let span = rollup::parse_span(since.unwrap_or("24h"))
                    .map_err(|e| ApiError::bad_request(e.to_string()).with_field("since"))?;
                to - span
            }
        };
        if from >= to {
            return Err(ApiError::bad_request("from must be before to").with_field("from"));
        }
        let resolution = match params.resolution.as_deref() {
            Some(r) => Resolution::parse(r)
                .map_err(|e| ApiError::bad_request(e.to_string()).with_field("resolution"))?,
            None => Resolution::fitting(from, to, 500),
        };
        if (to - from) / resolution.millis() > MAX_BUCKETS {
            return Err(ApiError::bad_request(format!(
                "{} buckets of {} is more than {MAX_BUCKETS}: choose a coarser resolution or a shorter range",
                (to - from) / resolution.millis(),
                resolution.as_str()
            ))
            .with_field("resolution"));
        }
        // Windows overlapping the range: the one holding `from` onwards.
        let windows = self
            .store
            .rollup_windows(
                id,
                resolution,
                resolution.window_start(from),
                to,
                params.region.as_deref(),
            )
            .await?;
        let (summary, buckets) = rollup::buckets(resolution, from, to, windows);
        Ok(StatsView {
            summary: (&summary).into(),
            buckets: buckets.iter().map(StatsBucket::from).collect(),
        })
    }

    async fn endpoint_uptime(&self, id: Uuid) -> Result<UptimeView, ApiError> {
        let now = self.now();
        let longest = rollup::UPTIME_PERIODS[3].1;
        let hourly = self
            .store
            .rollup_windows(
                id,
                Resolution::Hour,
                Resolution::Hour.window_start(now - longest),
                now + 1,
                None,
            )
            .await?;
        let period = |i: usize| rollup::trailing(now, rollup::UPTIME_PERIODS[i].1, &hourly);
        let day = period(0);
        Ok(UptimeView {
            uptime_24h: day.uptime(),
            uptime_7d: period(1).uptime(),
            uptime_30d: period(2).uptime(),
            uptime_90d: period(3).uptime(),
            p95_24h_ms: day.quantile_ms(0.95),
            checks_24h: day.count,
        })
    }

    async fn update_endpoint(
        &self,
        id: Uuid,
        body: EndpointPatch,
    ) -> Result<EndpointView, ApiError> {
        Ok((&self
            .store
            .update_endpoint(id, endpoint_input(body)?, self.now())
            .await?)
            .into())
    }

    async fn delete_endpoint(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_endpoint(id).await?)
    }

    async fn list_pings(
        &self,
        endpoint_id: Uuid,
        params: PingParams,
    ) -> Result<PingList, ApiError> {
        let limit = limit(params.limit)?;
        let query = PingQuery {
            limit,
            failed_only: params.failed.unwrap_or(false),
            before: cursor(params.cursor.as_deref())?,
        };
        let pings = self.store.list_pings(endpoint_id, query).await?;
        let next = (pings.len() == limit as usize)
            .then(|| pings.last().map(|p| p.scheduled_at.to_string()))
            .flatten();
        Ok(PingList {
            data: pings.iter().map(Into::into).collect(),
            next_cursor: next,
        })
    }

    async fn try_check(&self, body: EndpointPatch) -> Result<TriedView, ApiError> {
        let mut input = endpoint_input(body)?;
        // A name is not needed to try a check.
        input.name = Some(input.name.unwrap_or_else(|| "try".into()));
        let spec = EndpointSpec::create(input)?;
        let prober = self
            .prober
            .as_ref()
            .ok_or_else(|| ApiError::internal("no prober: TLS configuration failed"))?;
        let tried = prober.attempt(&spec).await;
        let o = &tried.observation;
        Ok(TriedView {
            kind: spec.check.kind().as_str().to_owned(),
            target: spec.check.target(),
            success: o.success(),
            status_code: o.status_code,
            error_kind: o.failure.as_ref().map(|(k, _)| k.as_str().to_owned()),
            error: o.failure.as_ref().map(|(_, m)| m.clone()),
            timings: TimingsView::from(&o.timings),
            details: DetailsView::of(&o.details),
            conditions: tried
                .conditions
                .iter()
                .map(|c| ConditionOutcomeView {
                    condition: c.shown.clone(),
                    ok: c.ok,
                })
                .collect(),
        })
    }
}
