//! The heartbeat intake and evaluator (`HeartbeatIntake`): ping batches in one transaction each, deadlines,
//! pruning of the pings log. What differs between backends in how rows follow pings is in `deferred`.

use super::*;

/// A ping row about to be appended to the log.
struct NewPing<'a> {
    pk: i64,
    hb_pk: i64,
    ping: &'a IncomingPing,
    /// The heartbeat's previous ping (the chain).
    prev: Option<i64>,
    /// Its ordinal among the heartbeat's pings.
    seq: i64,
    /// The run's duration when it finishes one.
    duration: Option<i64>,
}

impl This {
    /// PostgreSQL: lock every heartbeat row the batch touches before anything else, in one global order (pk
    /// ascending), so two servers' batches never wait on each other in a cycle. Targets not in the cache are
    /// resolved to pks without locking first (a batch names some by id and some by slug). SQLite has one
    /// writer at a time: nothing to do.
    async fn lock_in_order(
        tx: &mut sqlx::Transaction<'static, Db>,
        cache: &HbCache,
        pings: &[IncomingPing],
        cached: &[i64],
    ) -> Result<()> {
        if sql::HEARTBEAT_LOCK.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<Uuid> = Vec::new();
        let mut slugs: Vec<&str> = Vec::new();
        for p in pings {
            match &p.target {
                HeartbeatRef::Id(id) if cache.pk_of_id(id).is_none() => ids.push(*id),
                HeartbeatRef::Slug(s) if cache.pk_of_slug(s).is_none() => slugs.push(s),
                _ => {}
            }
        }
        let mut all: Vec<i64> = cached.to_vec();
        for chunk in ids.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new("SELECT pk FROM heartbeats WHERE id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            for row in qb.build().fetch_all(&mut **tx).await? {
                all.push(row.try_get(0)?);
            }
        }
        for chunk in slugs.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new("SELECT pk FROM heartbeats WHERE slug IN (");
            let mut list = qb.separated(", ");
            for slug in chunk {
                list.push_bind(*slug);
            }
            qb.push(")");
            for row in qb.build().fetch_all(&mut **tx).await? {
                all.push(row.try_get(0)?);
            }
        }
        all.sort_unstable();
        all.dedup();
        for chunk in all.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new("SELECT h.pk FROM heartbeats h WHERE h.pk IN (");
            let mut list = qb.separated(", ");
            for pk in chunk {
                list.push_bind(*pk);
            }
            qb.push(") ORDER BY h.pk").push(sql::HEARTBEAT_LOCK);
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// One intake batch inside `tx`: the outcomes, the cache entries it changed (merged into the cache
    /// once the transaction commits) and the newest ping pk. Which rows are written when is the backend's
    /// (`deferred`: `intake_begin`, `write_row_at_once`, `intake_flush`, `intake_end`); `flush` receives the
    /// chunk of deferred rows taken, to give back on failure.
    pub(crate) async fn intake_batch(
        tx: &mut sqlx::Transaction<'static, Db>,
        cache: &mut HbCache,
        pings: &[IncomingPing],
        flush: &mut Vec<i64>,
    ) -> Result<(Vec<PingOutcome>, HashMap<i64, CachedHb>, i64)> {
        let page: String = sqlx::query(sql::NEXT_PING_PKS)
            .bind(i64::try_from(pings.len()).unwrap_or(i64::MAX))
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        let mut free_pks: std::collections::VecDeque<i64> = serde_json::from_str::<Vec<i64>>(&page)
            .map_err(corrupt)?
            .into();
        let mut last_pk = free_pks.front().map_or(0, |first| first - 1);
        Self::intake_begin(tx, cache, last_pk).await?;
        // Which heartbeats: cached ones are checked against their row version, the rest read in full.
        let mut work: HashMap<i64, CachedHb> = HashMap::new();
        let mut cached: Vec<i64> = pings
            .iter()
            .filter_map(|p| match &p.target {
                HeartbeatRef::Id(id) => cache.pk_of_id(id),
                HeartbeatRef::Slug(s) => cache.pk_of_slug(s),
            })
            .collect();
        cached.sort_unstable();
        cached.dedup();
        Self::lock_in_order(tx, cache, pings, &cached).await?;
        for chunk in cached.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(sql::JSON_PAGE_OPEN);
            qb.push("pk, row_version) AS j FROM heartbeats WHERE pk IN (");
            let mut list = qb.separated(", ");
            for pk in chunk {
                list.push_bind(*pk);
            }
            qb.push(")) AS page");
            let page: String = qb.build().fetch_one(&mut **tx).await?.try_get(0)?;
            let versions: HashMap<i64, i64> = serde_json::from_str::<Vec<(i64, i64)>>(&page)
                .map_err(corrupt)?
                .into_iter()
                .collect();
            for pk in chunk {
                let entry = cache
                    .rows
                    .get(pk)
                    .filter(|e| versions.get(pk) == Some(&e.row.version));
                match entry {
                    Some(e) => {
                        work.insert(*pk, e.clone());
                    }
                    // Changed by someone else (its row folds in every ping) or deleted.
                    None => cache.evict(*pk),
                }
            }
        }
        let mut ids: Vec<Uuid> = Vec::new();
        let mut slugs: Vec<&str> = Vec::new();
        for p in pings {
            match &p.target {
                HeartbeatRef::Id(id) if cache.pk_of_id(id).is_none() => ids.push(*id),
                HeartbeatRef::Slug(s) if cache.pk_of_slug(s).is_none() => slugs.push(s),
                _ => {}
            }
        }
        ids.sort_unstable();
        ids.dedup();
        slugs.sort_unstable();
        slugs.dedup();
        // Fresh reads by id and by slug (on PostgreSQL already locked by `lock_in_order`).
        let mut by_id: HashMap<Uuid, i64> = HashMap::new();
        let mut by_slug: HashMap<String, i64> = HashMap::new();
        for (col, n) in [("h.id", ids.len()), ("h.slug", slugs.len())] {
            for start in (0..n).step_by(CHUNK) {
                let mut qb = Self::heartbeats_query();
                qb.push(" WHERE ").push(col).push(" IN (");
                let mut list = qb.separated(", ");
                if col == "h.id" {
                    for id in &ids[start..n.min(start + CHUNK)] {
                        list.push_bind(*id);
                    }
                } else {
                    for slug in &slugs[start..n.min(start + CHUNK)] {
                        list.push_bind(*slug);
                    }
                }
                qb.push(") ORDER BY h.pk").push(sql::HEARTBEAT_LOCK);
                for row in Self::read_heartbeats_fresh(tx, qb).await? {
                    by_id.insert(row.hb.id, row.pk);
                    by_slug.insert(row.hb.slug.clone(), row.pk);
                    work.entry(row.pk).or_insert(CachedHb {
                        row,
                        unflushed_from: None,
                    });
                }
            }
        }
        let resolve = |target: &HeartbeatRef| match target {
            HeartbeatRef::Id(id) => cache.pk_of_id(id).or_else(|| by_id.get(id).copied()),
            HeartbeatRef::Slug(s) => cache
                .pk_of_slug(s)
                .or_else(|| by_slug.get(s.as_str()).copied()),
        };
        let mut outcomes = Vec::with_capacity(pings.len());
        // (ping pk, heartbeat pk, ping, previous ping of the heartbeat, ordinal, run duration)
        let mut rows: Vec<NewPing> = Vec::new();
        let mut starts: HashMap<(i64, &str), Millis> = HashMap::new();
        let mut transitions: Vec<(i64, Heartbeat, HbStatus, Millis)> = Vec::new();
        let mut write_now: HashSet<i64> = HashSet::new();
        for p in pings {
            let Some((hb_pk, entry)) =
                resolve(&p.target).and_then(|pk| work.get_mut(&pk).map(|e| (pk, e)))
            else {
                outcomes.push(PingOutcome::NotFound);
                continue;
            };
            let key_ok = |h: &[u8; 32]| {
                beacon_core::token::hashes_match(h, &entry.row.key)
                    || entry.row.prev_key.as_ref().is_some_and(|(prev, until)| {
                        p.received_at <= *until && beacon_core::token::hashes_match(h, prev)
                    })
            };
            if !(p.url_authenticated || p.key_hash.as_ref().is_some_and(key_ok)) {
                outcomes.push(PingOutcome::Unauthorized);
                continue;
            }
            let pk = free_pks
                .pop_front()
                .ok_or_else(|| corrupt("ran out of ping ids"))?;
            last_pk = pk;
            let finishing = matches!(
                p.kind,
                PingKind::Success | PingKind::Fail | PingKind::Exit(_)
            );
            let mut run_start = None;
            if let (true, Some(rid)) = (finishing, p.rid.as_deref()) {
                run_start = match starts.get(&(hb_pk, rid)) {
                    Some(at) => Some(*at),
                    None => match entry.row.last_ping_pk {
                        Some(head) => Self::run_start(tx, head, rid).await?,
                        None => None,
                    },
                };
            }
            if let (PingKind::Start, Some(rid)) = (p.kind, p.rid.as_deref()) {
                starts.insert((hb_pk, rid), p.received_at);
            }
            let prev = entry.row.last_ping_pk;
            let before = entry.row.hb.status;
            let duration = apply_ping(&mut entry.row, pk, p.kind, p.received_at, run_start);
            entry.unflushed_from.get_or_insert(pk);
            if Self::write_row_at_once(entry.row.hb.status != before) {
                write_now.insert(hb_pk);
            }
            if entry.row.hb.status != before {
                transitions.push((hb_pk, entry.row.hb.clone(), before, p.received_at));
            }
            rows.push(NewPing {
                pk,
                hb_pk,
                ping: p,
                prev,
                seq: entry.row.ping_count,
                duration,
            });
            outcomes.push(PingOutcome::Accepted);
        }
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO heartbeat_pings (pk, heartbeat_pk, prev_pk, seq, received_at, kind, exit_status, \
                 rid, duration_ms, client_status, body, metadata) ",
            );
            qb.push_values(chunk, |mut b, n| {
                let (pk, hb_pk, p, prev, seq, duration) =
                    (&n.pk, &n.hb_pk, n.ping, &n.prev, &n.seq, &n.duration);
                let exit = match p.kind {
                    PingKind::Exit(n) => Some(i32::from(n)),
                    _ => None,
                };
                b.push_bind(*pk)
                    .push_bind(*hb_pk)
                    .push_bind(*prev)
                    .push_bind(*seq)
                    .push_bind(p.received_at)
                    .push_bind(p.kind.as_str())
                    .push_bind(exit)
                    .push_bind(p.rid.as_deref())
                    .push_bind(*duration)
                    .push_bind(p.client_status.as_deref())
                    .push_bind(p.body.as_deref())
                    .push_bind(p.metadata.as_deref());
            });
            qb.build().execute(&mut **tx).await?;
        }
        let now = pings
            .iter()
            .map(|p| p.received_at)
            .max()
            .unwrap_or_default();
        *flush = Self::intake_flush(cache, &mut work, now);
        write_now.extend(flush.iter().copied());
        let mut due: Vec<&mut HbRow> = Vec::new();
        let mut written: Vec<i64> = write_now.into_iter().collect();
        written.sort_unstable();
        let mut by_pk: BTreeMap<i64, &mut CachedHb> =
            work.iter_mut().map(|(pk, e)| (*pk, e)).collect();
        for pk in &written {
            if let Some(e) = by_pk.remove(pk) {
                e.unflushed_from = None;
                due.push(&mut e.row);
            }
        }
        let batch_pks: HashSet<i64> = rows.iter().map(|r| r.hb_pk).collect();
        for pk in Self::save_heartbeat_states(tx, &mut due).await? {
            // A cached row someone else wrote since (a flush of a heartbeat this batch did not ping):
            // that writer folded its pings in; forget the copy. A pinged one was checked above.
            if batch_pks.contains(&pk) {
                return Err(corrupt(format!(
                    "heartbeat {pk} changed during an intake batch"
                )));
            }
            work.remove(&pk);
            cache.evict(pk);
        }
        for (pk, hb, before, at) in &transitions {
            Self::heartbeat_transition(tx, *pk, hb, *before, *at).await?;
        }
        Self::intake_end(tx, cache, &mut work, last_pk).await?;
        Ok((outcomes, work, last_pk))
    }

    /// When the run `rid` started: the newest `start` ping with that run id among the heartbeat's last
    /// pings, following the chain back from `head`.
    pub(crate) async fn run_start(
        tx: &mut sqlx::Transaction<'static, Db>,
        head: i64,
        rid: &str,
    ) -> Result<Option<Millis>> {
        Ok(sqlx::query(
            "WITH RECURSIVE chain (pk, n) AS (SELECT CAST($1 AS BIGINT), 1 UNION ALL \
             SELECT p.prev_pk, c.n + 1 FROM chain c JOIN heartbeat_pings p ON p.pk = c.pk \
             WHERE c.n < 1000 AND p.prev_pk IS NOT NULL) \
             SELECT p.received_at FROM chain c JOIN heartbeat_pings p ON p.pk = c.pk \
             WHERE p.kind = 'start' AND p.rid = $2 ORDER BY p.pk DESC LIMIT 1",
        )
        .bind(head)
        .bind(rid)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get::<i64, _>(0))
        .transpose()?)
    }
}

#[async_trait]
impl HeartbeatIntake for This {
    async fn record_heartbeat_pings(&self, pings: &[IncomingPing]) -> Result<Vec<PingOutcome>> {
        if pings.is_empty() {
            return Ok(Vec::new());
        }
        let mut cache = self.intake_cache().await;
        let mut tx = self.hot_pool().begin_with(sql::BEGIN_WRITE).await?;
        let mut flush = Vec::new();
        match Self::intake_batch(&mut tx, &mut cache, pings, &mut flush).await {
            Ok((outcomes, work, last_pk)) => match tx.commit().await {
                Ok(()) => {
                    cache.commit(work, last_pk);
                    Ok(outcomes)
                }
                Err(e) => {
                    cache.poisoned = true;
                    Err(e.into())
                }
            },
            Err(e) => {
                // Nothing of the batch is stored; the cache is rebuilt from the database next time.
                cache.requeue(flush);
                cache.poisoned = true;
                Err(e)
            }
        }
    }

    async fn evaluate_heartbeats(
        &self,
        now: Millis,
        limit: u32,
        resumed_at: Millis,
    ) -> Result<u32> {
        // The intake's connection: it queues behind a batch instead of sleeping in SQLite's busy handler.
        let mut tx = self.hot_pool().begin_with(sql::BEGIN_WRITE).await?;
        let mut qb = Self::heartbeats_query();
        qb.push(" WHERE h.next_check_at <= ").push_bind(now);
        qb.push(" ORDER BY h.next_check_at LIMIT ")
            .push_bind(i64::from(limit));
        qb.push(sql::HEARTBEAT_LOCK_SKIP);
        let due = Self::read_heartbeats_fresh(&mut tx, qb).await?;
        let evaluated = u32::try_from(due.len()).unwrap_or(u32::MAX);
        for mut row in due {
            Self::reevaluate(&mut tx, &mut row, now, Some(resumed_at)).await?;
        }
        Self::release_held_heartbeats(&mut tx, now).await?;
        Self::settle_flapping_heartbeats(&mut tx, now).await?;
        tx.commit().await?;
        Ok(evaluated)
    }

    async fn checkpoint(&self) -> Result<()> {
        if !sql::CHECKPOINT.is_empty() {
            sqlx::query(sql::CHECKPOINT).execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn prune_heartbeat_pings(&self, keep: u32, after: i64, rows: u32) -> Result<CleanupStep> {
        // Each step is one short statement on the intake's own connection (a second SQLite connection
        // would make the intake sleep in the busy handler), so batches slip in between steps. A ping
        // goes when its heartbeat has had `keep` newer ones, or is gone (SQLite keeps no foreign key on
        // the log; a pk reused by a newer heartbeat is told apart by the time). Counts come from the
        // rows, or on SQLite from the intake's cache where it holds pings not written to rows yet.
        // `count` is the SQL for a heartbeat's ping count (see each backend's `deferred`).
        let (mut conn, count) = self.prune_connection(after).await?;
        let last: Option<i64> = sqlx::query(
            "SELECT MAX(pk) FROM (SELECT pk FROM heartbeat_pings WHERE pk > $1 ORDER BY pk LIMIT $2) AS step",
        )
        .bind(after)
        .bind(i64::from(rows.max(1)))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let Some(last) = last else {
            return Ok(CleanupStep {
                deleted: 0,
                last: None,
            });
        };
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM heartbeat_pings WHERE pk > ");
        qb.push_bind(after).push(" AND pk <= ").push_bind(last);
        qb.push(
            " AND NOT EXISTS (SELECT 1 FROM heartbeats h WHERE h.pk = heartbeat_pings.heartbeat_pk \
             AND h.created_at <= heartbeat_pings.received_at AND heartbeat_pings.seq > ",
        );
        qb.push(count)
            .push(" - ")
            .push_bind(i64::from(keep.max(1)))
            .push(")");
        let deleted = qb.build().execute(&mut *conn).await?.rows_affected();
        Ok(CleanupStep {
            deleted,
            last: Some(last),
        })
    }
}
