//! Heartbeat rows and the intake's cache of them (no I/O here; the SQL lives in `imp`).
//!
//! On SQLite a ping appends to `heartbeat_pings` and does not write its heartbeat's row at once (migration 0007):
//! the intake keeps recently pinged heartbeats here, writes a row at once only when its status changes, and
//! otherwise writes rows in bulk, in pk order, about once a second. `heartbeat_intake.applied_through` (the
//! watermark) says which pings every row reflects; readers apply the few pings after it (`apply_ping`).

use crate::model::Heartbeat;
use beacon_core::Millis;
use beacon_core::heartbeat::{self as hbeat, PingKind};
use std::collections::HashMap;
use uuid::Uuid;

/// A heartbeat row as read: the heartbeat, its key hash, and the bookkeeping of its pings log.
#[derive(Debug, Clone)]
pub(crate) struct HbRow {
    pub pk: i64,
    pub hb: Heartbeat,
    pub key: Vec<u8>,
    /// The key before the last rotation and until when it still works.
    pub prev_key: Option<(Vec<u8>, Millis)>,
    /// The newest ping the state reflects; the head of the heartbeat's chain of pings.
    pub last_ping_pk: Option<i64>,
    pub ping_count: i64,
    /// Bumped by every write of the row.
    pub version: i64,
}

/// Apply one ping (stored as `pk`) to a row's state; the run's duration when it finishes one. `run_started_at`
/// pairs a finish with its start by run id (see `hbeat::on_ping`).
pub(crate) fn apply_ping(
    row: &mut HbRow,
    pk: i64,
    kind: PingKind,
    at: Millis,
    run_started_at: Option<Millis>,
) -> Option<Millis> {
    let effect = hbeat::on_ping(&row.hb.state, kind, at, run_started_at);
    let hb = &mut row.hb;
    hb.state = effect.state;
    hb.last_ping_at = Some(hb.last_ping_at.map_or(at, |l| l.max(at)));
    hb.status = hbeat::evaluate(&hb.spec, &hb.state, at);
    hb.next_check_at = hbeat::next_change_at(&hb.spec, &hb.state, at);
    row.last_ping_pk = Some(pk);
    row.ping_count += 1;
    effect.duration_ms
}

/// A ping kind as stored (`kind` column; an exit status is stored as success or fail).
pub(crate) fn stored_kind(kind: &str) -> Option<PingKind> {
    match kind {
        "success" => Some(PingKind::Success),
        other => PingKind::from_suffix(other).filter(|k| !matches!(k, PingKind::Success)),
    }
}

/// A cached row and the first of its pings not yet written to it.
#[derive(Debug, Clone)]
pub(crate) struct CachedHb {
    pub row: HbRow,
    pub unflushed_from: Option<i64>,
}

/// Rows are written at most about once per this long (ms of the pings' receive times) while pings keep coming.
pub(crate) const FLUSH_EVERY_MS: Millis = 1000;
/// Rows written per batch while a flush is under way (in pk order, so neighbours share pages).
pub(crate) const FLUSH_CHUNK: usize = 250;
/// Clean rows are dropped from the cache beyond this many entries.
const MAX_ENTRIES: usize = 100_000;

/// The intake's cache (SQLite only). Every change made during a batch is kept aside and merged only after the
/// batch commits (`commit`); a failed batch marks the cache `poisoned`, and the next batch starts from the
/// database again (`repair`).
#[derive(Debug, Default)]
pub(crate) struct HbCache {
    pub rows: HashMap<i64, CachedHb>,
    by_id: HashMap<Uuid, i64>,
    by_slug: HashMap<String, i64>,
    /// The highest ping pk at the end of this process's last batch: another writer's pings show as a different
    /// maximum at the start of the next one.
    pub last_pk: Option<i64>,
    pub poisoned: bool,
    /// Dirty pks still to write in the current flush (reverse pk order), and when that flush started.
    flush_queue: Vec<i64>,
    flush_started: Option<Millis>,
}

impl HbCache {
    pub fn pk_of_id(&self, id: &Uuid) -> Option<i64> {
        self.by_id.get(id).copied()
    }

    pub fn pk_of_slug(&self, slug: &str) -> Option<i64> {
        self.by_slug.get(slug).copied()
    }

    pub fn clear(&mut self) {
        self.rows.clear();
        self.by_id.clear();
        self.by_slug.clear();
        self.flush_queue.clear();
        self.flush_started = None;
    }

    pub fn evict(&mut self, pk: i64) {
        if let Some(e) = self.rows.remove(&pk) {
            self.by_id.remove(&e.row.hb.id);
            self.by_slug.remove(&e.row.hb.slug);
        }
    }

    /// The dirty rows this batch should write: the next chunk of the current flush, starting a new flush when
    /// the last one is done and `every` ms have passed since it started (times are the batch's, not a clock's).
    pub fn next_flush_chunk(&mut self, now: Millis, every: Millis) -> Vec<i64> {
        if self.flush_queue.is_empty()
            && self
                .flush_started
                .is_none_or(|t| now - t >= every || now < t)
        {
            let mut dirty: Vec<i64> = self
                .rows
                .iter()
                .filter(|(_, e)| e.unflushed_from.is_some())
                .map(|(pk, _)| *pk)
                .collect();
            if !dirty.is_empty() {
                dirty.sort_unstable_by(|a, b| b.cmp(a));
                self.flush_queue = dirty;
                self.flush_started = Some(now);
            }
        }
        let keep = self.flush_queue.len().saturating_sub(FLUSH_CHUNK);
        self.flush_queue.split_off(keep)
    }

    /// Give back a flush chunk that was not written (its batch failed).
    pub fn requeue(&mut self, chunk: Vec<i64>) {
        self.flush_queue.extend(chunk.into_iter().rev());
    }

    /// The watermark after a batch whose entries are `work` (taking precedence over the cache) and whose newest
    /// ping is `max_pk`: every ping below the first unwritten one.
    pub fn watermark(&self, work: &HashMap<i64, CachedHb>, max_pk: i64) -> i64 {
        let cached = self
            .rows
            .iter()
            .filter(|(pk, _)| !work.contains_key(pk))
            .filter_map(|(_, e)| e.unflushed_from);
        let worked = work.values().filter_map(|e| e.unflushed_from);
        cached.chain(worked).min().map_or(max_pk, |first| first - 1)
    }

    /// Merge a committed batch.
    pub fn commit(&mut self, work: HashMap<i64, CachedHb>, last_pk: i64) {
        for (pk, e) in work {
            self.by_id.insert(e.row.hb.id, pk);
            self.by_slug.insert(e.row.hb.slug.clone(), pk);
            self.rows.insert(pk, e);
        }
        self.last_pk = Some(last_pk);
        self.poisoned = false;
        if self.rows.len() > MAX_ENTRIES {
            let clean: Vec<i64> = self
                .rows
                .iter()
                .filter(|(_, e)| e.unflushed_from.is_none())
                .map(|(pk, _)| *pk)
                .collect();
            for pk in clean {
                self.evict(pk);
            }
        }
    }
}
