//! Remote workers: lease their region's due slots to them (waiting a little when none are due), store what they
//! push through the same idempotent path as the in-process pool, give their leases back; list them.

use super::*;
use beacon_core::ping::{Details, ErrorKind, Observation, PingRecord, Timings};
use beacon_store::{Claim, Completion, WorkerReport};

/// A lease lasts the slot's timeout plus this, as for the in-process pool; results pushed later still count (they
/// are stored once per slot) unless another worker ran the slot meanwhile.
const LEASE_MARGIN_MS: i64 = 15_000;

/// A worker that claimed within this long counts as connected.
const CONNECTED_WITHIN_MS: i64 = 30_000;

/// Workers not seen for this long are no longer listed.
const LISTED_FOR_MS: i64 = 24 * 3_600_000;

/// Longest error text kept from a worker's result.
const MAX_ERROR_LEN: usize = 1_000;

#[async_trait]
pub trait WorkerOps: Send + Sync {
    /// Workers seen in the last day, by region and name.
    async fn list_workers(&self) -> Result<WorkerList, ApiError>;
}

/// The lease owner of a worker process.
fn owner(hello: &WorkerHello) -> String {
    format!("worker:{}", hello.instance)
}

fn check_hello(hello: &WorkerHello) -> Result<(), ApiError> {
    if hello.protocol != WORKER_PROTOCOL {
        return Err(ApiError::from(ValidationError::new(
            "protocol",
            format!(
                "this server (beacon {}) speaks worker protocol {WORKER_PROTOCOL}; the worker (beacon {}) speaks {}: \
                 run the same version of beacon on both",
                env!("CARGO_PKG_VERSION"),
                hello.version,
                hello.protocol
            ),
        )));
    }
    let ok = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
    };
    if !ok(&hello.instance, 64) {
        return Err(
            ValidationError::new("instance", "1-64 of a-z, A-Z, 0-9, '-', '_', '.', ':'").into(),
        );
    }
    if !ok(&hello.name, 128) {
        return Err(
            ValidationError::new("name", "1-128 of a-z, A-Z, 0-9, '-', '_', '.', ':'").into(),
        );
    }
    if hello.version.len() > 64 {
        return Err(ValidationError::new("version", "at most 64 characters").into());
    }
    Ok(())
}

impl App {
    /// The region a worker request acts for, and its key: a worker token's or certificate's own region (asking
    /// for another is 403); an admin token must name one.
    async fn worker_region(
        &self,
        grant: &Grant,
        hello: &WorkerHello,
    ) -> Result<(String, i32), ApiError> {
        check_hello(hello)?;
        let name = match (&grant.region, hello.region.as_deref()) {
            (Some(own), Some(asked)) if own != asked => {
                return Err(ApiError::forbidden(format!(
                    "this credential is for region {own}; it cannot take leases or store results of region {asked}"
                )));
            }
            (Some(own), _) => own.clone(),
            (None, _) if grant.scope != Scope::Admin => {
                return Err(ApiError::forbidden(
                    "worker routes need a worker token or certificate",
                ));
            }
            (None, Some(asked)) => asked.to_owned(),
            (None, None) => {
                return Err(ValidationError::new(
                    "region",
                    "an admin token works for any region: name the region (--region)",
                )
                .into());
            }
        };
        if let Ok(known) = self.region_keys.lock()
            && let Some(pk) = known.get(&name)
        {
            return Ok((name, *pk));
        }
        let pk = self.store.region_pk(&name).await?.ok_or_else(|| {
            ApiError::from(ValidationError::new(
                "region",
                format!(
                    "no region is named {name:?}; create it with `beacon regions create {name}`"
                ),
            ))
        })?;
        // Regions are never renamed or deleted: a key once read stays right.
        if let Ok(mut known) = self.region_keys.lock() {
            known.insert(name.clone(), pk);
        }
        Ok((name, pk))
    }

    /// Lease up to `limit` due slots of the worker's region; when none are due, wait up to `wait_ms` for some.
    pub async fn worker_claim(
        &self,
        grant: &Grant,
        address: &str,
        req: ClaimRequest,
    ) -> Result<ClaimResponse, ApiError> {
        let (region, region_pk) = self.worker_region(grant, &req.hello).await?;
        if !(1..=WORKER_BATCH_MAX).contains(&req.limit) {
            return Err(ValidationError::new(
                "limit",
                format!("{} is outside 1..{WORKER_BATCH_MAX}", req.limit),
            )
            .into());
        }
        let lookahead = i64::from(req.lookahead_ms.min(WORKER_MAX_LOOKAHEAD_MS));
        let wait = std::time::Duration::from_millis(u64::from(req.wait_ms.min(WORKER_MAX_WAIT_MS)));
        let now = self.now();
        self.store
            .record_worker(&WorkerReport {
                instance: owner(&req.hello),
                name: req.hello.name.clone(),
                region: region.clone(),
                version: req.hello.version.clone(),
                address: address.to_owned(),
                connected_at: now,
                last_seen_at: now,
                in_flight: req.in_flight,
                checks_per_minute: req.checks_per_minute,
                pending: req.pending,
            })
            .await?;
        let owner = owner(&req.hello);
        let deadline = tokio::time::Instant::now() + wait;
        let claimed = loop {
            let now = self.now();
            let claimed = self
                .store
                .claim_slots(&Claim {
                    owner: &owner,
                    region_pk,
                    now,
                    horizon: now + lookahead,
                    limit: req.limit,
                    lease_margin_ms: LEASE_MARGIN_MS,
                })
                .await?;
            if !claimed.is_empty() || tokio::time::Instant::now() >= deadline {
                break claimed;
            }
            tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + CLAIM_POLL)).await;
        };
        metrics::counter!("beacon_worker_slots_leased_total", "region" => region.clone())
            .increment(claimed.len() as u64);
        Ok(ClaimResponse {
            region,
            server_time: rfc3339(self.now()),
            slots: claimed
                .iter()
                .map(|c| LeasedSlot {
                    schedule_key: c.schedule_pk,
                    endpoint_key: c.endpoint_pk,
                    endpoint_id: c.endpoint_id,
                    slot: rfc3339(c.slot),
                    check: (&c.spec).into(),
                })
                .collect(),
        })
    }

    /// Store a worker's finished slots: only those of its region's schedules; each once per slot.
    pub async fn worker_results(
        &self,
        grant: &Grant,
        req: ResultsRequest,
    ) -> Result<ResultsResponse, ApiError> {
        let (region, region_pk) = self.worker_region(grant, &req.hello).await?;
        if req.results.len() > WORKER_BATCH_MAX as usize {
            return Err(ValidationError::new(
                "results",
                format!(
                    "{} results; at most {WORKER_BATCH_MAX} per push",
                    req.results.len()
                ),
            )
            .into());
        }
        let mut batch = Vec::with_capacity(req.results.len());
        for r in req.results {
            batch.push(completion(r)?);
        }
        let pairs: Vec<(i64, i64)> = batch
            .iter()
            .map(|c| (c.schedule_pk, c.endpoint_pk))
            .collect();
        let ours = self.store.schedules_in_region(region_pk, &pairs).await?;
        let before = batch.len();
        batch.retain(|c| ours.contains(&c.schedule_pk));
        let refused = (before - batch.len()) as u64;
        let report = self
            .store
            .complete_slots(&owner(&req.hello), region_pk, &batch)
            .await?;
        for (outcome, n) in [
            ("stored", report.inserted as u64),
            ("duplicate", report.duplicates as u64),
            ("refused", refused),
        ] {
            metrics::counter!("beacon_worker_results_total", "region" => region.clone(), "outcome" => outcome)
                .increment(n);
        }
        Ok(ResultsResponse {
            stored: report.inserted as u64,
            duplicates: report.duplicates as u64,
            refused,
        })
    }

    /// Give back every lease the worker holds.
    pub async fn worker_release(
        &self,
        grant: &Grant,
        req: ReleaseRequest,
    ) -> Result<ReleaseResponse, ApiError> {
        self.worker_region(grant, &req.hello).await?;
        Ok(ReleaseResponse {
            released: self.store.release_leases(&owner(&req.hello)).await?,
        })
    }
}

impl App {
    /// Per-region and per-worker series in Prometheus' text format: workers connected per region, and each
    /// listed worker's load as it last reported it.
    pub async fn worker_metrics(&self) -> Result<String, ApiError> {
        use std::fmt::Write;
        let regions = self.store.list_regions().await?;
        let workers = self.list_workers().await?.data;
        let mut out = String::from(
            "# HELP beacon_region_workers_connected Workers of the region that claimed within the last 30 s.\n\
             # TYPE beacon_region_workers_connected gauge\n",
        );
        for r in &regions {
            let n = workers
                .iter()
                .filter(|w| w.connected && w.region == r.name)
                .count();
            let _ = writeln!(
                out,
                "beacon_region_workers_connected{{region=\"{}\"}} {n}",
                super::monitors::escape(&r.name)
            );
        }
        let series: [Series; 4] = [
            (
                "beacon_worker_in_flight",
                "Checks the worker was running at its last claim.",
                |w| f64::from(w.in_flight),
            ),
            (
                "beacon_worker_checks_per_second",
                "Checks the worker finished per second over the last minute.",
                |w| w.checks_per_second,
            ),
            (
                "beacon_worker_results_pending",
                "Results the worker held, not yet acknowledged by a server.",
                |w| f64::from(w.results_pending),
            ),
            (
                "beacon_worker_connected",
                "1 when the worker claimed within the last 30 s.",
                |w| f64::from(u8::from(w.connected)),
            ),
        ];
        for (name, help, value) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for w in &workers {
                let _ = writeln!(
                    out,
                    "{name}{{worker=\"{}\",region=\"{}\"}} {}",
                    super::monitors::escape(&w.name),
                    super::monitors::escape(&w.region),
                    value(w)
                );
            }
        }
        Ok(out)
    }
}

/// A per-worker series: name, help, and its value for a worker.
type Series = (&'static str, &'static str, fn(&WorkerView) -> f64);

/// How often a waiting claim looks again.
const CLAIM_POLL: std::time::Duration = std::time::Duration::from_millis(200);

fn completion(r: SlotResult) -> Result<Completion, ApiError> {
    let slot = parse_time("slot", &r.slot)?;
    let ping = match r.ping {
        None => None,
        Some(p) => {
            let failure = match (p.error_kind.as_deref(), p.error) {
                (None, _) => None,
                (Some(kind), error) => {
                    let kind: ErrorKind = kind.parse().map_err(|()| {
                        ValidationError::new("error_kind", format!("unknown error kind {kind:?}"))
                    })?;
                    let mut error = error.unwrap_or_default();
                    if error.len() > MAX_ERROR_LEN {
                        let mut end = MAX_ERROR_LEN;
                        while !error.is_char_boundary(end) {
                            end -= 1;
                        }
                        error.truncate(end);
                    }
                    Some((kind, error))
                }
            };
            Some(PingRecord {
                scheduled_at: slot,
                started_at: parse_time("started_at", &p.started_at)?,
                observation: Observation {
                    status_code: p.status_code,
                    timings: Timings {
                        dns_us: p.dns_us,
                        connect_us: p.connect_us,
                        tls_us: p.tls_us,
                        first_byte_us: p.first_byte_us,
                        total_us: p.total_us,
                    },
                    failure,
                    details: match p.details {
                        None => Details::default(),
                        Some(d) => Details {
                            certificate_expires_at: d
                                .certificate_expires_at
                                .as_deref()
                                .map(|t| parse_time("details.certificate_expires_at", t))
                                .transpose()?,
                            protocol: d.protocol,
                            rcode: d.rcode,
                            answers: d.answers,
                        }
                        .bounded(),
                    },
                },
            })
        }
    };
    Ok(Completion {
        schedule_pk: r.schedule_key,
        endpoint_pk: r.endpoint_key,
        slot,
        next_slot: parse_time("next_slot", &r.next_slot)?,
        ping,
    })
}

#[async_trait]
impl WorkerOps for App {
    async fn list_workers(&self) -> Result<WorkerList, ApiError> {
        let now = self.now();
        Ok(WorkerList {
            data: self
                .store
                .list_workers(now - LISTED_FOR_MS)
                .await?
                .into_iter()
                .map(|w| WorkerView {
                    name: w.name,
                    region: w.region,
                    version: w.version,
                    address: w.address,
                    connected_since: rfc3339(w.connected_at),
                    last_seen_at: rfc3339(w.last_seen_at),
                    in_flight: w.in_flight,
                    checks_per_second: f64::from(w.checks_per_minute) / 60.0,
                    results_pending: w.pending,
                    connected: now - w.last_seen_at <= CONNECTED_WITHIN_MS,
                })
                .collect(),
            next_cursor: None,
        })
    }
}
