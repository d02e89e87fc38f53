//! The check loop's slice (`Schedules`): lease due slots, store a batch of results once per (endpoint, region,
//! slot) with health, incidents and rollups in the same transaction, advance schedules, give leases back.

use super::*;

/// An endpoint's health as `apply_results` reads, changes and writes it back: the quorum's rules, whether an
/// incident is open, and each region's own health (`regions[i]` is the region `region_pks[i]`).
struct EndpointHealth {
    rules: Rules,
    open: bool,
    region_pks: Vec<i32>,
    regions: Vec<RegionHealth>,
    last_error_kind: Vec<Option<i32>>,
    /// Regions whose row changed (written back).
    touched: Vec<bool>,
    /// Since when it has been degraded, and why (from its row, then as this batch leaves it).
    degraded: Option<(Millis, String)>,
    /// The batch's last result for it: its warning if it passed degraded, and when it ran.
    last: Option<(Option<String>, Millis)>,
}

impl This {
    /// The endpoint as an event names it: id, name, what it checks (an HTTP check's URL) and its service. Read
    /// only when an event is written (incidents are rare next to results).
    pub(crate) async fn monitor(
        tx: &mut sqlx::Transaction<'static, Db>,
        endpoint_pk: i64,
    ) -> Result<Monitor> {
        let row = sqlx::query(
            "SELECT e.id, e.name, e.kind, e.config, s.name AS service FROM endpoints e \
             JOIN services s ON s.pk = e.service_pk WHERE e.pk = $1",
        )
        .bind(endpoint_pk)
        .fetch_one(&mut **tx)
        .await?;
        let kind: String = row.try_get("kind")?;
        let config: String = row.try_get("config")?;
        let (check, _) = checks::from_columns(&kind, &config)?;
        Ok(Monitor {
            endpoint_id: row.try_get("id")?,
            endpoint_name: Some(row.try_get("name")?),
            endpoint_url: Some(check.target()),
            service_name: Some(row.try_get("service")?),
        })
    }

    pub(crate) async fn apply_results(
        tx: &mut sqlx::Transaction<'static, Db>,
        region_pk: i32,
        results: &[(i64, &PingRecord)],
        report: &mut CompleteReport,
    ) -> Result<()> {
        let mut pks: Vec<i64> = results.iter().map(|(pk, _)| *pk).collect();
        pks.dedup();
        let mut states: BTreeMap<i64, EndpointHealth> = BTreeMap::new();
        for chunk in pks.chunks(CHUNK) {
            // The endpoint rows are locked first (in key order), then their regions' rows are read.
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT e.pk, e.alert_threshold, e.recovery_threshold, e.alert_regions, e.interval_seconds, \
                 e.timeout_ms, (SELECT COUNT(*) FROM incidents i WHERE i.endpoint_pk = e.pk AND i.status = 'open') \
                 AS open_count, e.degraded_since, e.degraded_reason FROM endpoints e WHERE e.enabled AND e.pk IN (",
            );
            let mut list = qb.separated(", ");
            for pk in chunk {
                list.push_bind(*pk);
            }
            qb.push(") ORDER BY e.pk");
            qb.push(sql::FOR_UPDATE);
            for row in qb.build().fetch_all(&mut **tx).await? {
                let rules = Rules {
                    thresholds: Thresholds {
                        alert: to_u32(row.try_get("alert_threshold")?, "alert_threshold")?,
                        recovery: to_u32(row.try_get("recovery_threshold")?, "recovery_threshold")?,
                    },
                    alert_regions: to_u32(row.try_get("alert_regions")?, "alert_regions")?,
                    interval_ms: i64::from(row.try_get::<i32, _>("interval_seconds")?) * 1000,
                    timeout_ms: i64::from(row.try_get::<i32, _>("timeout_ms")?),
                };
                states.insert(
                    row.try_get("pk")?,
                    EndpointHealth {
                        rules,
                        open: row.try_get::<i64, _>("open_count")? > 0,
                        region_pks: Vec::new(),
                        regions: Vec::new(),
                        last_error_kind: Vec::new(),
                        touched: Vec::new(),
                        degraded: row
                            .try_get::<Option<i64>, _>("degraded_since")?
                            .map(|since| {
                                let why: Option<String> =
                                    row.try_get("degraded_reason").ok().flatten();
                                (since, why.unwrap_or_default())
                            }),
                        last: None,
                    },
                );
            }
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT endpoint_pk, region_pk, status, region_down, consecutive_failures, consecutive_successes, \
                 last_checked_at, last_error_kind FROM schedules WHERE endpoint_pk IN (",
            );
            let mut list = qb.separated(", ");
            for pk in chunk {
                list.push_bind(*pk);
            }
            qb.push(") ORDER BY endpoint_pk, region_pk");
            for row in qb.build().fetch_all(&mut **tx).await? {
                let Some(state) = states.get_mut(&row.try_get::<i64, _>("endpoint_pk")?) else {
                    continue;
                };
                let status: String = row.try_get("status")?;
                state.region_pks.push(row.try_get("region_pk")?);
                state.regions.push(RegionHealth {
                    health: Health {
                        status: Status::parse(&status)
                            .ok_or_else(|| corrupt(format!("status {status:?}")))?,
                        consecutive_failures: to_u32(
                            row.try_get("consecutive_failures")?,
                            "failures",
                        )?,
                        consecutive_successes: to_u32(
                            row.try_get("consecutive_successes")?,
                            "successes",
                        )?,
                        incident_open: row.try_get("region_down")?,
                    },
                    last_checked_at: row.try_get("last_checked_at")?,
                });
                state.last_error_kind.push(row.try_get("last_error_kind")?);
                state.touched.push(false);
            }
        }
        // Maintenance windows of the batch's endpoints: an incident that would open during one is held back
        // (the region stays down, so the first failure after the window opens it).
        let earliest = results.iter().map(|(_, r)| r.started_at).min().unwrap_or(0);
        let windows = Self::endpoint_windows(tx, &pks, earliest).await?;
        // Failures counted on open incidents, written once per endpoint rather than once per result.
        let mut failures_during: HashMap<i64, i32> = HashMap::new();
        for (pk, record) in results {
            // The endpoint was deleted or paused after the check started, or no longer checked from this region:
            // the result is kept, its health and incidents are not touched (a pause closed its incident; a late
            // failure must not open another).
            let Some(state) = states.get_mut(pk) else {
                continue;
            };
            let Some(at) = state.region_pks.iter().position(|r| *r == region_pk) else {
                continue;
            };
            let obs = &record.observation;
            let transition = incident::observe_region(
                &mut state.regions,
                at,
                obs.success(),
                record.started_at,
                &state.rules,
                state.open,
            );
            state.last_error_kind[at] = obs.failure.as_ref().map(|(k, _)| i32::from(k.code()));
            state.touched[at] = true;
            state.last = Some((obs.degraded().map(str::to_owned), record.started_at));
            let held = matches!(transition, Some(Transition::Open { .. }))
                && windows
                    .get(pk)
                    .is_some_and(|ws| ws.iter().any(|w| w.active_at(record.started_at).is_some()));
            if held {
                continue;
            }
            match transition {
                Some(Transition::Open { .. }) => state.open = true,
                Some(Transition::Resolve) => state.open = false,
                _ => {}
            }
            match transition {
                None => {}
                Some(Transition::FailureDuringIncident) => {
                    *failures_during.entry(*pk).or_default() += 1
                }
                Some(Transition::Open { failures }) => {
                    let cause = match &obs.failure {
                        Some((kind, msg)) => format!("{}: {msg}", kind.as_str()),
                        None => String::from("failure"),
                    };
                    let id = Uuid::new_v4();
                    sqlx::query(
                        "INSERT INTO incidents (id, endpoint_pk, status, started_at, cause, failure_count) \
                         VALUES ($1, $2, 'open', $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(*pk)
                    .bind(record.started_at)
                    .bind(&cause)
                    .bind(clamp_i32(failures))
                    .execute(&mut **tx)
                    .await?;
                    let payload = Payload::IncidentStart(IncidentStarted {
                        incident_id: id,
                        monitor: Self::monitor(tx, *pk).await?,
                        started_at: record.started_at,
                        cause,
                        failure_count: failures,
                        run_status: Some(run_status(obs.failure.as_ref().map(|(k, _)| *k)).into()),
                        error: obs.failure.as_ref().map(|(_, m)| m.clone()),
                    });
                    Self::insert_event(tx, Owner::Endpoint(*pk), &payload, record.started_at, true)
                        .await?;
                    report.incidents_opened += 1;
                }
                Some(Transition::Resolve) => {
                    let extra = failures_during.remove(pk).unwrap_or(0);
                    let row = sqlx::query(
                        "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = 'auto', \
                         failure_count = failure_count + $3 WHERE endpoint_pk = $1 AND status = 'open' \
                         RETURNING id, started_at, cause, failure_count",
                    )
                    .bind(*pk)
                    .bind(record.started_at)
                    .bind(extra)
                    .fetch_optional(&mut **tx)
                    .await?;
                    if let Some(row) = row {
                        let payload = Payload::IncidentResolved(IncidentResolved {
                            incident_id: row.try_get("id")?,
                            monitor: Self::monitor(tx, *pk).await?,
                            started_at: row.try_get("started_at")?,
                            resolved_at: record.started_at,
                            cause: row.try_get("cause")?,
                            failure_count: to_u32(row.try_get("failure_count")?, "failure_count")?,
                            resolved_by: ResolvedBy::Auto.as_str().to_owned(),
                            run_status: Some(run_status(None).into()),
                        });
                        let at = record.started_at;
                        Self::insert_event(tx, Owner::Endpoint(*pk), &payload, at, true).await?;
                        report.incidents_resolved += 1;
                    }
                }
            }
        }
        for (pk, n) in failures_during {
            sqlx::query(
                "UPDATE incidents SET failure_count = failure_count + $2 \
                 WHERE endpoint_pk = $1 AND status = 'open'",
            )
            .bind(pk)
            .bind(n)
            .execute(&mut **tx)
            .await?;
        }
        // A flapping endpoint in this batch that has not changed state for a whole window is stable again.
        let flapping: Vec<i64> =
            sqlx::query("SELECT pk FROM endpoints WHERE flapping_since IS NOT NULL")
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
        if !flapping.is_empty() {
            let now = results.iter().map(|(_, r)| r.started_at).max().unwrap_or(0);
            for pk in flapping.iter().filter(|pk| states.contains_key(pk)) {
                Self::settle_flapping(tx, Owner::Endpoint(*pk), states[pk].open, now).await?;
            }
        }
        // Degraded starts with a result that passed with a warning and ends with one that did not (or with an
        // incident): one event each.
        for (pk, e) in states.iter_mut() {
            if let Some((warning, at)) = e.last.take() {
                let now = warning.filter(|_| !e.open);
                e.degraded = Self::settle_degraded(tx, *pk, e.degraded.take(), now, at).await?;
            }
        }
        // The endpoint row carries the quorum's outcome and the last result's region's counts; each region's
        // row its own health.
        let mut endpoint_rows = Vec::with_capacity(states.len());
        let mut region_rows = Vec::new();
        for (pk, e) in &states {
            let Some(at) = e.region_pks.iter().position(|r| *r == region_pk) else {
                continue;
            };
            let last = e.regions.iter().filter_map(|r| r.last_checked_at).max();
            let status = match (e.open, &e.degraded) {
                (true, _) => Status::Down,
                (false, Some(_)) => Status::Degraded,
                (false, None) => Status::Up,
            };
            endpoint_rows.push((
                *pk,
                status,
                e.regions[at].health,
                last,
                e.last_error_kind[at],
            ));
            for (i, r) in e.regions.iter().enumerate() {
                if e.touched[i] {
                    region_rows.push((*pk, e.region_pks[i], *r, e.last_error_kind[i]));
                }
            }
        }
        for chunk in endpoint_rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "UPDATE endpoints SET status = v.column2, consecutive_failures = v.column3, \
                 consecutive_successes = v.column4, last_checked_at = v.column5, last_error_kind = v.column6 FROM (",
            );
            qb.push_values(chunk, |mut b, (pk, status, h, last, kind)| {
                b.push("CAST(")
                    .push_bind_unseparated(*pk)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(status.as_str())
                    .push_unseparated(" AS TEXT)");
                b.push("CAST(")
                    .push_bind_unseparated(clamp_i32(h.consecutive_failures))
                    .push_unseparated(" AS INTEGER)");
                b.push("CAST(")
                    .push_bind_unseparated(clamp_i32(h.consecutive_successes))
                    .push_unseparated(" AS INTEGER)");
                b.push("CAST(")
                    .push_bind_unseparated(*last)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(*kind)
                    .push_unseparated(" AS INTEGER)");
            });
            qb.push(") AS v WHERE endpoints.pk = v.column1");
            qb.build().execute(&mut **tx).await?;
        }
        for chunk in region_rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "UPDATE schedules SET status = v.column3, region_down = v.column4, consecutive_failures = v.column5, \
                 consecutive_successes = v.column6, last_checked_at = v.column7, last_error_kind = v.column8 FROM (",
            );
            qb.push_values(chunk, |mut b, (pk, region, r, kind)| {
                let h = &r.health;
                b.push("CAST(")
                    .push_bind_unseparated(*pk)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(*region)
                    .push_unseparated(" AS INTEGER)");
                b.push("CAST(")
                    .push_bind_unseparated(h.status.as_str())
                    .push_unseparated(" AS TEXT)");
                b.push("CAST(")
                    .push_bind_unseparated(h.incident_open)
                    .push_unseparated(" AS BOOLEAN)");
                b.push("CAST(")
                    .push_bind_unseparated(clamp_i32(h.consecutive_failures))
                    .push_unseparated(" AS INTEGER)");
                b.push("CAST(")
                    .push_bind_unseparated(clamp_i32(h.consecutive_successes))
                    .push_unseparated(" AS INTEGER)");
                b.push("CAST(")
                    .push_bind_unseparated(r.last_checked_at)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(*kind)
                    .push_unseparated(" AS INTEGER)");
            });
            qb.push(") AS v WHERE schedules.endpoint_pk = v.column1 AND schedules.region_pk = v.column2");
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Schedules for This {
    async fn claim_slots(&self, claim: &Claim<'_>) -> Result<Vec<ClaimedSlot>> {
        let leased = sqlx::query(sql::CLAIM)
            .bind(claim.owner)
            .bind(claim.now)
            .bind(claim.region_pk)
            .bind(claim.horizon)
            .bind(claim.lease_margin_ms)
            .bind(i64::from(claim.limit))
            .fetch_all(&self.pool)
            .await?;
        if leased.is_empty() {
            return Ok(Vec::new());
        }
        let mut specs: HashMap<i64, Endpoint> = HashMap::with_capacity(leased.len());
        for chunk in leased.chunks(CHUNK) {
            let mut qb = Self::endpoints_query();
            qb.push(" WHERE e.pk IN (");
            let mut list = qb.separated(", ");
            for row in chunk {
                list.push_bind(row.try_get::<i64, _>("endpoint_pk")?);
            }
            qb.push(")");
            specs.extend(Self::read_endpoints(&self.pool, qb).await?);
        }
        let mut out = Vec::with_capacity(leased.len());
        for row in &leased {
            let endpoint_pk: i64 = row.try_get("endpoint_pk")?;
            // Deleted between the claim and the read: its schedule row is gone with it.
            let Some(endpoint) = specs.get(&endpoint_pk) else {
                continue;
            };
            out.push(ClaimedSlot {
                schedule_pk: row.try_get("pk")?,
                endpoint_pk,
                endpoint_id: endpoint.id,
                slot: row.try_get("next_slot_at")?,
                spec: endpoint.spec.clone(),
            });
        }
        out.sort_by_key(|c| c.slot);
        Ok(out)
    }

    async fn complete_slots(
        &self,
        owner: &str,
        region_pk: i32,
        batch: &[Completion],
    ) -> Result<CompleteReport> {
        let mut report = CompleteReport::default();
        if batch.is_empty() {
            return Ok(report);
        }
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let with_ping: Vec<(&Completion, &PingRecord)> = batch
            .iter()
            .filter_map(|c| c.ping.as_ref().map(|p| (c, p)))
            .collect();
        let mut stored: HashSet<(i64, i64)> = HashSet::with_capacity(with_ping.len());
        for chunk in with_ping.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO pings (endpoint_pk, slot, region_pk, start_delay, success, status_code, \
                 error_kind, error, dns_us, connect_us, tls_us, first_byte_us, total_us, details) ",
            );
            qb.push_values(chunk, |mut b, (c, p)| {
                let o = &p.observation;
                let t = &o.timings;
                let delay = i32::try_from(p.started_at - c.slot).unwrap_or(i32::MAX);
                b.push_bind(c.endpoint_pk)
                    .push_bind(c.slot)
                    .push_bind(region_pk)
                    .push_bind(delay)
                    .push_bind(o.success())
                    .push_bind(o.status_code.map(i32::from))
                    .push_bind(o.failure.as_ref().map(|(k, _)| i32::from(k.code())))
                    .push_bind(o.failure.as_ref().map(|(_, m)| m.clone()))
                    .push_bind(t.dns_us.map(clamp_i32))
                    .push_bind(t.connect_us.map(clamp_i32))
                    .push_bind(t.tls_us.map(clamp_i32))
                    .push_bind(t.first_byte_us.map(clamp_i32))
                    .push_bind(clamp_i32(t.total_us))
                    .push_bind(o.details.encode());
            });
            qb.push(" ON CONFLICT DO NOTHING RETURNING endpoint_pk, slot");
            for row in qb.build().fetch_all(&mut *tx).await? {
                stored.insert((row.try_get(0)?, row.try_get(1)?));
            }
        }
        report.inserted = stored.len();
        report.duplicates = with_ping.len() - stored.len();
        let mut fresh: Vec<(i64, &PingRecord)> = with_ping
            .iter()
            .filter(|(c, _)| stored.contains(&(c.endpoint_pk, c.slot)))
            .map(|(c, p)| (c.endpoint_pk, *p))
            .collect();
        fresh.sort_by_key(|(pk, p)| (*pk, p.scheduled_at));
        if !fresh.is_empty() {
            Self::apply_results(&mut tx, region_pk, &fresh, &mut report).await?;
            Self::apply_rollups(&mut tx, region_pk, &fresh).await?;
        }
        for chunk in batch.chunks(CHUNK) {
            // The owner is a column of the values, not a constant: as a constant PostgreSQL takes it for a
            // selective filter and scans every schedule against every value.
            let mut qb = QueryBuilder::<Db>::new(
                "UPDATE schedules SET next_slot_at = v.column3, lease_owner = NULL, lease_expires_at = NULL \
                 FROM (",
            );
            qb.push_values(chunk, |mut b, c| {
                b.push("CAST(")
                    .push_bind_unseparated(c.schedule_pk)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(c.slot)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(c.next_slot)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(owner.to_owned())
                    .push_unseparated(" AS TEXT)");
            });
            qb.push(
                ") AS v WHERE schedules.pk = v.column1 AND schedules.next_slot_at = v.column2 \
                     AND schedules.lease_owner = v.column4",
            );
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    async fn release_leases(&self, owner: &str) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE schedules SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn queue_depth(&self, region_pk: i32, now: Millis) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM schedules s JOIN endpoints e ON e.pk = s.endpoint_pk \
             WHERE s.region_pk = $1 AND s.next_slot_at <= $2 AND e.enabled \
             AND (s.lease_expires_at IS NULL OR s.lease_expires_at <= $2)",
        )
        .bind(region_pk)
        .bind(now)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }
}
