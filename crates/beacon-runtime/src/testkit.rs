//! Test doubles for the loops' unit tests on a paused tokio clock: `TokioClock`, whose `now` follows tokio's
//! (virtual) time, and in-memory implementations of the narrow store roles the loops take. The real stores are
//! proven by the conformance suite and the loops end to end on both databases; these exist because a database
//! cannot sit under a paused clock (tokio jumps paused time ahead whenever the runtime waits on another thread,
//! such as SQLite's worker, so timeouts would fire at random).

use crate::Clock;
use crate::delivery::{Posted, Transport};
use async_trait::async_trait;
use beacon_core::Millis;
use beacon_core::endpoint::CheckUrl;
use beacon_core::endpoint::{EndpointInput, EndpointSpec};
use beacon_core::event::{IncidentStarted, Monitor, Payload};
use beacon_core::heartbeat::{self, HbState, HbStatus, HeartbeatInput, HeartbeatSpec};
use beacon_core::ping::{Observation, Timings};
use beacon_core::webhook::WebhookSecret;
use beacon_probe::Prober;
use beacon_store::{
    AttemptRecord, Claim, ClaimedDelivery, ClaimedSlot, CleanupStep, CompleteReport, Completion,
    FinishedAttempt, HeartbeatIntake, IncomingPing, NextStep, Outbox, PingOutcome, Result,
    Schedules, StoreError, WebhookFormat,
};
use std::sync::Mutex;
use uuid::Uuid;

/// Milliseconds since the epoch at the test's start; every test starts at the same instant.
pub const T0: Millis = 1_767_225_600_000;

/// A clock at `T0` when created, moving with tokio's time (virtual under `tokio::time::pause`).
pub struct TokioClock {
    start: tokio::time::Instant,
}

impl TokioClock {
    pub fn new() -> Self {
        Self {
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Millis {
        T0 + i64::try_from(self.start.elapsed().as_millis()).unwrap_or(i64::MAX / 2)
    }
}

/// Milliseconds of tokio time since `start`.
pub fn since(start: tokio::time::Instant) -> Millis {
    i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX)
}

pub fn http_spec(interval_seconds: i64) -> EndpointSpec {
    EndpointSpec::create(EndpointInput {
        name: Some("api".into()),
        url: Some("http://127.0.0.1:9/health".into()),
        interval_seconds: Some(interval_seconds),
        timeout_seconds: Some(2.0),
        ..Default::default()
    })
    .expect("valid spec")
}

/// Answers every check with success after `latency_ms` of tokio time.
pub struct SteadyProber {
    pub latency_ms: u64,
}

#[async_trait]
impl Prober for SteadyProber {
    async fn probe(&self, _spec: &EndpointSpec) -> Observation {
        tokio::time::sleep(std::time::Duration::from_millis(self.latency_ms)).await;
        Observation {
            details: Default::default(),
            status_code: Some(200),
            timings: Timings {
                total_us: u32::try_from(self.latency_ms * 1000).unwrap_or(u32::MAX),
                ..Timings::default()
            },
            failure: None,
        }
    }
}

/// One schedule row.
#[derive(Debug, Clone)]
pub struct MemSchedule {
    pub pk: i64,
    pub endpoint_id: Uuid,
    pub spec: EndpointSpec,
    pub next_slot_at: Millis,
    pub lease: Option<(String, Millis)>,
}

#[derive(Default)]
pub struct MemSchedulesState {
    pub schedules: Vec<MemSchedule>,
    /// Completions stored, in order.
    pub written: Vec<Completion>,
    /// Size of each stored batch.
    pub batches: Vec<usize>,
    /// Tokio-time offsets (ms from `started`) of every `complete_slots` call, failed ones included.
    pub write_calls: Vec<Millis>,
    /// `complete_slots` calls still to fail.
    pub fail_writes: usize,
    pub released: Vec<String>,
}

/// `Schedules` in memory, with the stores' lease rules: a slot is claimable when due within the horizon and
/// its lease is free or expired; a completion advances the schedule only while its owner holds it at that slot.
pub struct MemSchedules {
    pub state: Mutex<MemSchedulesState>,
    started: tokio::time::Instant,
}

impl MemSchedules {
    pub fn new(schedules: Vec<MemSchedule>) -> Self {
        Self {
            state: Mutex::new(MemSchedulesState {
                schedules,
                ..Default::default()
            }),
            started: tokio::time::Instant::now(),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut MemSchedulesState) -> T) -> T {
        f(&mut self.state.lock().expect("state"))
    }
}

#[async_trait]
impl Schedules for MemSchedules {
    async fn claim_slots(&self, claim: &Claim<'_>) -> Result<Vec<ClaimedSlot>> {
        self.with(|s| {
            let mut out = Vec::new();
            for sc in s.schedules.iter_mut() {
                let free = sc
                    .lease
                    .as_ref()
                    .is_none_or(|(_, until)| *until <= claim.now);
                if out.len() < claim.limit as usize && sc.next_slot_at <= claim.horizon && free {
                    let until = sc.next_slot_at.max(claim.now)
                        + i64::from(sc.spec.timeout_ms)
                        + claim.lease_margin_ms;
                    sc.lease = Some((claim.owner.to_owned(), until));
                    out.push(ClaimedSlot {
                        schedule_pk: sc.pk,
                        endpoint_pk: sc.pk,
                        endpoint_id: sc.endpoint_id,
                        slot: sc.next_slot_at,
                        spec: sc.spec.clone(),
                    });
                }
            }
            Ok(out)
        })
    }

    async fn complete_slots(
        &self,
        owner: &str,
        _region_pk: i32,
        batch: &[Completion],
    ) -> Result<CompleteReport> {
        let at = since(self.started);
        self.with(|s| {
            s.write_calls.push(at);
            if s.fail_writes > 0 {
                s.fail_writes -= 1;
                return Err(StoreError::Unavailable("database is down (test)".into()));
            }
            let mut report = CompleteReport::default();
            for c in batch {
                if c.ping.is_some() {
                    report.inserted += 1;
                }
                if let Some(sc) = s.schedules.iter_mut().find(|sc| sc.pk == c.schedule_pk) {
                    let held = sc.lease.as_ref().is_some_and(|(o, _)| o == owner);
                    if held && sc.next_slot_at == c.slot {
                        sc.next_slot_at = c.next_slot;
                        sc.lease = None;
                    }
                }
                s.written.push(c.clone());
            }
            s.batches.push(batch.len());
            Ok(report)
        })
    }

    async fn release_leases(&self, owner: &str) -> Result<u64> {
        self.with(|s| {
            s.released.push(owner.to_owned());
            let mut n = 0;
            for sc in s.schedules.iter_mut() {
                if sc.lease.as_ref().is_some_and(|(o, _)| o == owner) {
                    sc.lease = None;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    async fn queue_depth(&self, _region_pk: i32, now: Millis) -> Result<i64> {
        self.with(|s| {
            Ok(s.schedules
                .iter()
                .filter(|sc| sc.next_slot_at <= now && sc.lease.is_none())
                .count() as i64)
        })
    }
}

/// One delivery row.
#[derive(Debug, Clone)]
pub struct MemDelivery {
    pub d: ClaimedDelivery,
    pub status: &'static str,
    pub next_attempt_at: Millis,
    pub lease: Option<(String, Millis)>,
    /// (`started_at` of the attempt, what followed), in order.
    pub finished: Vec<(Millis, NextStep)>,
}

/// A delivery of an `incident_start` event to a Standard Webhooks receiver, created at `T0`, due at once.
pub fn delivery(pk: i64) -> MemDelivery {
    let id = Uuid::from_u128(pk as u128);
    MemDelivery {
        d: ClaimedDelivery {
            pk,
            id,
            attempts: 0,
            created_at: T0,
            event_id: id,
            event: Payload::IncidentStart(IncidentStarted {
                incident_id: id,
                monitor: Monitor {
                    endpoint_id: id,
                    endpoint_name: Some("api".into()),
                    endpoint_url: Some("http://127.0.0.1:9/health".into()),
                    service_name: Some("shop".into()),
                },
                started_at: T0,
                cause: "http_status: 503".into(),
                failure_count: 3,
                run_status: Some("fail".into()),
                error: None,
            }),
            event_at: T0,
            webhook_id: id,
            format: WebhookFormat::Standard,
            url: Some(CheckUrl::parse("http://127.0.0.1:9/hook").expect("url")),
            secret: WebhookSecret::generate([7; 24]),
            headers: Vec::new(),
            options: Default::default(),
            channel: beacon_core::channel::ChannelSpec::Webhook,
        },
        status: "pending",
        next_attempt_at: T0,
        lease: None,
        finished: Vec::new(),
    }
}

/// The delivery engine's side of `Outbox` in memory, with the stores' rules: a delivery is claimable when pending,
/// due and not leased; an attempt is recorded only while its owner holds the lease.
pub struct MemOutbox {
    pub deliveries: Mutex<Vec<MemDelivery>>,
}

impl MemOutbox {
    pub fn new(deliveries: Vec<MemDelivery>) -> Self {
        Self {
            deliveries: Mutex::new(deliveries),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Vec<MemDelivery>) -> T) -> T {
        f(&mut self.deliveries.lock().expect("deliveries"))
    }
}

#[async_trait]
impl Outbox for MemOutbox {
    async fn create_test_delivery(
        &self,
        webhook_id: Uuid,
        _owner: &str,
        _lease_ms: i64,
        _now: Millis,
    ) -> Result<ClaimedDelivery> {
        // The engine never creates deliveries; tests of `webhooks test` run on the real stores.
        Err(StoreError::NotFound {
            kind: "webhook",
            id: webhook_id,
        })
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Millis,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>> {
        self.with(|all| {
            let mut out = Vec::new();
            for m in all.iter_mut() {
                let free = m.lease.as_ref().is_none_or(|(_, until)| *until <= now);
                if out.len() < limit as usize
                    && m.status == "pending"
                    && m.next_attempt_at <= now
                    && free
                {
                    m.lease = Some((owner.to_owned(), now + lease_ms));
                    out.push(m.d.clone());
                }
            }
            Ok(out)
        })
    }

    async fn finish_attempt(&self, owner: &str, done: &FinishedAttempt) -> Result<bool> {
        self.with(|all| {
            let Some(m) = all.iter_mut().find(|m| m.d.pk == done.delivery_pk) else {
                return Ok(false);
            };
            if m.lease.as_ref().is_none_or(|(o, _)| o != owner) {
                return Ok(false);
            }
            m.lease = None;
            m.d.attempts += 1;
            m.finished.push((done.attempt.started_at, done.next));
            match done.next {
                NextStep::Delivered => m.status = "delivered",
                NextStep::Failed => m.status = "failed",
                NextStep::Retry { at } => m.next_attempt_at = at,
            }
            Ok(true)
        })
    }

    async fn release_deliveries(&self, owner: &str) -> Result<u64> {
        self.with(|all| {
            let mut n = 0;
            for m in all.iter_mut() {
                if m.lease.as_ref().is_some_and(|(o, _)| o == owner) {
                    m.lease = None;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    async fn count_pending_deliveries(&self) -> Result<i64> {
        self.with(|all| Ok(all.iter().filter(|m| m.status == "pending").count() as i64))
    }
}

/// Answers posts from a script: a status (`None`: no response) and an optional `Retry-After`; after the
/// script, 200.
pub struct ScriptedTransport {
    pub answers: Mutex<std::collections::VecDeque<(Option<u16>, Option<std::time::Duration>)>>,
}

impl ScriptedTransport {
    pub fn new(answers: &[(Option<u16>, Option<std::time::Duration>)]) -> Self {
        Self {
            answers: Mutex::new(answers.iter().copied().collect()),
        }
    }
}

#[async_trait]
impl Transport for ScriptedTransport {
    async fn post(&self, _d: &ClaimedDelivery, now: Millis) -> Posted {
        let (status, retry_after) = self
            .answers
            .lock()
            .expect("answers")
            .pop_front()
            .unwrap_or((Some(200), None));
        Posted {
            record: AttemptRecord {
                started_at: now,
                response_status: status,
                ..AttemptRecord::default()
            },
            status,
            retry_after,
            refused: false,
        }
    }
}

/// One heartbeat behind `HeartbeatIntake`, evaluated by the core's rules as the stores do: when its
/// `next_check_at` has come, its status is evaluated at `now` and the next deadline computed.
pub struct MemHeartbeat {
    pub spec: HeartbeatSpec,
    pub state: HbState,
    pub status: HbStatus,
    pub next_check_at: Option<Millis>,
    /// (when, new status) of each change.
    pub changes: Vec<(Millis, HbStatus)>,
    pub evaluations: usize,
    pub checkpoints: Vec<Millis>,
    /// Tokio-time offsets at which a pruning sweep started.
    pub sweeps: Vec<Millis>,
    /// Evaluations before this time fail, as with the database away.
    pub unavailable_until: Millis,
}

pub struct MemHeartbeats {
    pub hb: Mutex<MemHeartbeat>,
    started: tokio::time::Instant,
}

impl MemHeartbeats {
    /// A heartbeat expected every `period_s` with `grace_s` of grace, last pinged (successfully) at `last`.
    pub fn new(period_s: i64, grace_s: i64, last: Millis) -> Self {
        let spec = HeartbeatSpec::create(HeartbeatInput {
            name: Some("backup".into()),
            period_seconds: Some(period_s),
            grace_seconds: Some(grace_s),
            ..Default::default()
        })
        .expect("valid heartbeat");
        let state = HbState {
            last_result: Some((last, true)),
            ..HbState::default()
        };
        Self {
            hb: Mutex::new(MemHeartbeat {
                status: heartbeat::evaluate(&spec, &state, last),
                next_check_at: heartbeat::next_change_at(&spec, &state, last),
                spec,
                state,
                changes: Vec::new(),
                evaluations: 0,
                checkpoints: Vec::new(),
                sweeps: Vec::new(),
                unavailable_until: 0,
            }),
            started: tokio::time::Instant::now(),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut MemHeartbeat) -> T) -> T {
        f(&mut self.hb.lock().expect("heartbeat"))
    }
}

#[async_trait]
impl HeartbeatIntake for MemHeartbeats {
    async fn record_heartbeat_pings(&self, pings: &[IncomingPing]) -> Result<Vec<PingOutcome>> {
        Ok(pings.iter().map(|_| PingOutcome::NotFound).collect())
    }

    async fn evaluate_heartbeats(
        &self,
        now: Millis,
        _limit: u32,
        resumed_at: Millis,
    ) -> Result<u32> {
        self.with(|h| {
            if now < h.unavailable_until {
                return Err(StoreError::Unavailable("database away".into()));
            }
            if h.next_check_at.is_none_or(|at| at > now) {
                return Ok(0);
            }
            h.evaluations += 1;
            let (status, next) =
                heartbeat::evaluate_held(&h.spec, &h.state, h.status, now, resumed_at);
            if status != h.status {
                h.changes.push((now, status));
                h.status = status;
            }
            h.next_check_at = next;
            Ok(1)
        })
    }

    async fn checkpoint(&self) -> Result<()> {
        let at = since(self.started);
        self.with(|h| h.checkpoints.push(at));
        Ok(())
    }

    async fn prune_heartbeat_pings(
        &self,
        _keep: u32,
        after: i64,
        _rows: u32,
    ) -> Result<CleanupStep> {
        let at = since(self.started);
        self.with(|h| {
            if after == 0 {
                h.sweeps.push(at);
            }
        });
        Ok(CleanupStep {
            deleted: 0,
            last: None,
        })
    }
}
