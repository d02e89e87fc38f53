//! PostgreSQL's side of the heartbeat intake's hooks (see `sqlite/deferred.rs` for the other): several servers
//! may take pings, so nothing is deferred — every batch locks its heartbeats' rows in pk order and writes them,
//! no cache survives a batch, and no ping is ever pending.

use super::{Db, This};
use crate::Result;
use crate::hbrows::{CachedHb, HbCache, HbRow};
use beacon_core::Millis;
use sqlx::pool::PoolConnection;
use std::collections::HashMap;
use std::ops::DerefMut;

impl This {
    /// A cache for one batch only.
    pub(crate) async fn intake_cache(&self) -> Box<dyn DerefMut<Target = HbCache> + Send + '_> {
        Box::new(Box::<HbCache>::default())
    }

    pub(crate) async fn intake_begin(
        _tx: &mut sqlx::Transaction<'static, Db>,
        _cache: &mut HbCache,
        _last_pk: i64,
    ) -> Result<()> {
        Ok(())
    }

    /// Every pinged row is written in its batch.
    pub(crate) fn write_row_at_once(_status_changed: bool) -> bool {
        true
    }

    pub(crate) fn intake_flush(
        _cache: &mut HbCache,
        _work: &mut HashMap<i64, CachedHb>,
        _now: Millis,
    ) -> Vec<i64> {
        Vec::new()
    }

    /// Nothing to keep: the rows hold everything.
    pub(crate) async fn intake_end(
        _tx: &mut sqlx::Transaction<'static, Db>,
        _cache: &mut HbCache,
        work: &mut HashMap<i64, CachedHb>,
        _last_pk: i64,
    ) -> Result<()> {
        work.clear();
        Ok(())
    }

    /// Rows reflect every ping.
    pub(crate) async fn fold_pending(
        _tx: &mut sqlx::Transaction<'static, Db>,
        _rows: &mut [HbRow],
    ) -> Result<()> {
        Ok(())
    }

    /// Any pooled connection; counts are the rows'.
    pub(crate) async fn prune_connection(
        &self,
        _after: i64,
    ) -> Result<(PoolConnection<Db>, &'static str)> {
        Ok((self.pool.acquire().await?, "h.ping_count"))
    }
}
