//! SQLite only: heartbeat rows are written behind the intake (migration 0007; the cache is `hbrows::HbCache`).
//! A ping that changes no status appends to the log and leaves its row alone; dirty rows are written in pk-ordered
//! chunks, a full round about once a second; `heartbeat_intake.applied_through` (the watermark) marks the pings
//! every row reflects, and every reader folds in the pings after it. One process owns the file, so one cache is
//! the truth; another process's pings are noticed (a new maximum pk) and folded into the rows first.
//!
//! These are the hooks the shared intake (`shared/intake.rs`) calls; PostgreSQL has the same ones, doing nothing.

use super::dialect as sql;
use super::{Db, This};
use crate::Result;
use crate::common::CHUNK;
use crate::error::corrupt;
use crate::hbrows::{CachedHb, FLUSH_EVERY_MS, HbCache, HbRow, apply_ping, stored_kind};
use beacon_core::Millis;
use sqlx::pool::PoolConnection;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;
use std::ops::DerefMut;

impl This {
    /// The intake's cache, held for the whole batch (one batch at a time).
    pub(crate) async fn intake_cache(&self) -> Box<dyn DerefMut<Target = HbCache> + Send + '_> {
        Box::new(self.hb_cache.lock().await)
    }

    /// Before a batch whose first new ping follows `last_pk`: after this process's first batch, a failed one,
    /// or another process's pings, forget the cache and fold every pending ping into the rows.
    pub(crate) async fn intake_begin(
        tx: &mut sqlx::Transaction<'static, Db>,
        cache: &mut HbCache,
        last_pk: i64,
    ) -> Result<()> {
        if cache.poisoned || cache.last_pk != Some(last_pk) {
            cache.clear();
            Self::repair_pending(tx).await?;
        }
        Ok(())
    }

    /// A row is written in the ping's batch only when its status changed (an incident may open or resolve).
    pub(crate) fn write_row_at_once(status_changed: bool) -> bool {
        status_changed
    }

    /// The rolling flush: the next chunk of dirty rows, in pk order, added to the batch's `work`; a new round
    /// starts at most every `FLUSH_EVERY_MS` of the pings' own time.
    pub(crate) fn intake_flush(
        cache: &mut HbCache,
        work: &mut HashMap<i64, CachedHb>,
        now: Millis,
    ) -> Vec<i64> {
        let flush = cache.next_flush_chunk(now, FLUSH_EVERY_MS);
        for pk in &flush {
            if let (false, Some(e)) = (work.contains_key(pk), cache.rows.get(pk)) {
                work.insert(*pk, e.clone());
            }
        }
        flush
    }

    /// After a batch: move the watermark below the first ping some row does not reflect yet.
    pub(crate) async fn intake_end(
        tx: &mut sqlx::Transaction<'static, Db>,
        cache: &mut HbCache,
        work: &mut HashMap<i64, CachedHb>,
        last_pk: i64,
    ) -> Result<()> {
        let mark = cache.watermark(work, last_pk);
        sqlx::query("UPDATE heartbeat_intake SET applied_through = $1 WHERE applied_through <> $1")
            .bind(mark)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Apply to `rows` the pings after the watermark that each row does not reflect yet.
    pub(crate) async fn fold_pending(
        tx: &mut sqlx::Transaction<'static, Db>,
        rows: &mut [HbRow],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut qb = QueryBuilder::<Db>::new(sql::JSON_PAGE_OPEN);
        qb.push(
            "p.heartbeat_pk, p.pk, p.received_at, p.kind) AS j FROM heartbeat_pings p \
             WHERE p.pk > (SELECT applied_through FROM heartbeat_intake) AND p.heartbeat_pk IN (",
        );
        let mut list = qb.separated(", ");
        for r in rows.iter() {
            list.push_bind(r.pk);
        }
        qb.push(") ORDER BY p.pk) AS page");
        let page: String = qb.build().fetch_one(&mut **tx).await?.try_get(0)?;
        let mut pending: Vec<(i64, i64, i64, String)> =
            serde_json::from_str(&page).map_err(corrupt)?;
        pending.sort_by_key(|p| p.1);
        let index: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.pk, i)).collect();
        for (hb_pk, pk, at, kind) in pending {
            let row = &mut rows[index[&hb_pk]];
            if row.last_ping_pk.is_some_and(|last| last >= pk) {
                continue;
            }
            let kind = stored_kind(&kind).ok_or_else(|| corrupt(format!("ping kind {kind:?}")))?;
            apply_ping(row, pk, kind, at, None);
        }
        Ok(())
    }

    /// Write every pending ping into its heartbeat's row and move the watermark to the newest ping, so the
    /// rows alone are up to date (after a crash, or when another process's pings were seen).
    async fn repair_pending(tx: &mut sqlx::Transaction<'static, Db>) -> Result<()> {
        let page: String = sqlx::query(
            "SELECT json_group_array(hb) FROM (SELECT DISTINCT heartbeat_pk AS hb FROM heartbeat_pings \
             WHERE pk > (SELECT applied_through FROM heartbeat_intake))",
        )
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        let pks: Vec<i64> = serde_json::from_str(&page).map_err(corrupt)?;
        for chunk in pks.chunks(CHUNK) {
            let mut qb = Self::heartbeats_query();
            qb.push(" WHERE h.pk IN (");
            let mut list = qb.separated(", ");
            for pk in chunk {
                list.push_bind(*pk);
            }
            qb.push(")");
            let mut rows = Self::read_heartbeats_fresh(tx, qb).await?;
            Self::save_heartbeat_states(tx, &mut rows.iter_mut().collect::<Vec<_>>()).await?;
        }
        sqlx::query(
            "UPDATE heartbeat_intake SET applied_through = (SELECT COALESCE(MAX(pk), 0) FROM heartbeat_pings)",
        )
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The intake's connection for a pruning step, and the SQL of a heartbeat's ping count there. At the start
    /// of a sweep the counts the cache holds ahead of the rows go into a temporary table on that connection.
    /// The cache before the connection, never the other way round: the intake takes them in this order too
    /// (holding the connection while waiting for the cache deadlocked the two).
    pub(crate) async fn prune_connection(
        &self,
        after: i64,
    ) -> Result<(PoolConnection<Db>, &'static str)> {
        let counts: Vec<(i64, i64)> = if after == 0 {
            let cache = self.hb_cache.lock().await;
            cache
                .rows
                .iter()
                .filter(|(_, e)| e.unflushed_from.is_some())
                .map(|(pk, e)| (*pk, e.row.ping_count))
                .collect()
        } else {
            Vec::new()
        };
        let mut conn = self.hot_pool().acquire().await?;
        sqlx::query(
            "CREATE TEMP TABLE IF NOT EXISTS pending_counts (pk BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
        )
        .execute(&mut *conn)
        .await?;
        if after == 0 {
            sqlx::query("DELETE FROM pending_counts")
                .execute(&mut *conn)
                .await?;
            for chunk in counts.chunks(CHUNK) {
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO pending_counts (pk, n) ");
                qb.push_values(chunk, |mut b, (pk, n)| {
                    b.push_bind(*pk).push_bind(*n);
                });
                qb.build().execute(&mut *conn).await?;
            }
        }
        Ok((
            conn,
            "COALESCE((SELECT c.n FROM pending_counts c WHERE c.pk = h.pk), h.ping_count)",
        ))
    }
}
