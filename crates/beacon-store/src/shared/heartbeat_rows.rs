//! Reading and writing heartbeat rows: JSON-page reads with the pending pings folded in (`fold_pending` is the
//! backend's, see `deferred`), versioned writes, re-evaluation, and status changes with their incidents and
//! events.

use super::*;

impl This {
    /// Heartbeats as one JSON page (see `endpoint_page`): `SELECT … FROM heartbeats h` + `tail`.
    pub(crate) fn heartbeats_query() -> QueryBuilder<Db> {
        let mut qb = QueryBuilder::<Db>::new(sql::JSON_PAGE_OPEN);
        qb.push(sql::HEARTBEAT_JSON);
        qb
    }

    pub(crate) async fn read_heartbeats<'c, E>(
        exec: E,
        mut qb: QueryBuilder<Db>,
    ) -> Result<Vec<HbRow>>
    where
        E: sqlx::Executor<'c, Database = Db>,
    {
        qb.push(") AS page");
        let page: String = qb.build().fetch_one(exec).await?.try_get(0)?;
        let mut rows = heartbeat_page(&page)?;
        rows.sort_by_key(|r| r.pk);
        Ok(rows)
    }

    /// Heartbeats with the pings their rows do not reflect yet applied (SQLite defers row writes, see
    /// migration 0007); read in one transaction so rows and pings are one snapshot.
    pub(crate) async fn read_heartbeats_fresh(
        tx: &mut sqlx::Transaction<'static, Db>,
        qb: QueryBuilder<Db>,
    ) -> Result<Vec<HbRow>> {
        let mut rows = Self::read_heartbeats(&mut **tx, qb).await?;
        Self::fold_pending(tx, &mut rows).await?;
        Ok(rows)
    }

    pub(crate) async fn heartbeat_locked(
        tx: &mut sqlx::Transaction<'static, Db>,
        id: Uuid,
    ) -> Result<HbRow> {
        let mut qb = Self::heartbeats_query();
        qb.push(" WHERE h.id = ")
            .push_bind(id)
            .push(sql::HEARTBEAT_LOCK);
        Self::read_heartbeats_fresh(tx, qb)
            .await?
            .pop()
            .ok_or(StoreError::NotFound {
                kind: "heartbeat",
                id,
            })
    }

    /// Write heartbeats' state, status, next check time and pings bookkeeping, and bump each row's
    /// version — only where the row still has the version read (else someone else wrote it since, with
    /// every ping folded in). The pks not written.
    pub(crate) async fn save_heartbeat_states(
        tx: &mut sqlx::Transaction<'static, Db>,
        rows: &mut [&mut HbRow],
    ) -> Result<Vec<i64>> {
        let mut stale = Vec::new();
        for chunk in rows.chunks_mut(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "UPDATE heartbeats SET status = v.column2, last_result_at = v.column3, \
                 last_result_ok = v.column4, started_at = v.column5, paused = v.column6, \
                 last_ping_at = v.column7, next_check_at = v.column8, last_ping_pk = v.column9, \
                 ping_count = v.column10, row_version = heartbeats.row_version + 1 FROM (",
            );
            qb.push_values(chunk.iter(), |mut b, r| {
                let hb = &r.hb;
                let mut bigint = |v: Option<i64>| {
                    b.push("CAST(")
                        .push_bind_unseparated(v)
                        .push_unseparated(" AS BIGINT)");
                };
                bigint(Some(r.pk));
                b.push("CAST(")
                    .push_bind_unseparated(hb.status.as_str())
                    .push_unseparated(" AS TEXT)");
                b.push("CAST(")
                    .push_bind_unseparated(hb.state.last_result.map(|r| r.0))
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(hb.state.last_result.map(|r| r.1))
                    .push_unseparated(" AS BOOLEAN)");
                b.push("CAST(")
                    .push_bind_unseparated(hb.state.started_at)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(hb.state.paused)
                    .push_unseparated(" AS BOOLEAN)");
                b.push("CAST(")
                    .push_bind_unseparated(hb.last_ping_at)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(hb.next_check_at)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(r.last_ping_pk)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(r.ping_count)
                    .push_unseparated(" AS BIGINT)");
                b.push("CAST(")
                    .push_bind_unseparated(r.version)
                    .push_unseparated(" AS BIGINT)");
            });
            qb.push(
                ") AS v WHERE heartbeats.pk = v.column1 AND heartbeats.row_version = v.column11 \
                 RETURNING heartbeats.pk",
            );
            let written: HashSet<i64> = qb
                .build()
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<std::result::Result<_, _>>()?;
            for r in chunk.iter_mut() {
                if written.contains(&r.pk) {
                    r.version += 1;
                } else {
                    stale.push(r.pk);
                }
            }
        }
        Ok(stale)
    }

    /// Evaluate a heartbeat at `now`, save it, and handle a status change.
    pub(crate) async fn reevaluate(
        tx: &mut sqlx::Transaction<'static, Db>,
        row: &mut HbRow,
        now: Millis,
        resumed_at: Option<Millis>,
    ) -> Result<()> {
        let before = row.hb.status;
        (row.hb.status, row.hb.next_check_at) = match resumed_at {
            Some(resumed) => {
                hbeat::evaluate_held(&row.hb.spec, &row.hb.state, before, now, resumed)
            }
            None => (
                hbeat::evaluate(&row.hb.spec, &row.hb.state, now),
                hbeat::next_change_at(&row.hb.spec, &row.hb.state, now),
            ),
        };
        Self::save_heartbeat_states(tx, &mut [&mut *row]).await?;
        if row.hb.status != before {
            Self::heartbeat_transition(tx, row.pk, &row.hb, before, now).await?;
        }
        Ok(())
    }

    /// Open a down heartbeat's incident (unless one is open) with its `heartbeat_down` event.
    pub(crate) async fn open_heartbeat_incident(
        tx: &mut sqlx::Transaction<'static, Db>,
        pk: i64,
        hb: &Heartbeat,
        from: HbStatus,
        now: Millis,
    ) -> Result<()> {
        let cause = down_cause(hb, now);
        let id = Uuid::new_v4();
        let opened = sqlx::query(
            "INSERT INTO incidents (id, heartbeat_pk, status, started_at, cause, failure_count) \
             SELECT $1, $2, 'open', $3, $4, 1 WHERE NOT EXISTS \
             (SELECT 1 FROM incidents WHERE heartbeat_pk = $2 AND status = 'open')",
        )
        .bind(id)
        .bind(pk)
        .bind(now)
        .bind(&cause)
        .execute(&mut **tx)
        .await?;
        if opened.rows_affected() > 0 {
            let payload = Payload::HeartbeatDown(HeartbeatChanged {
                heartbeat_id: hb.id,
                incident_id: id,
                service_id: Some(hb.service_id),
                slug: Some(hb.slug.clone()),
                name: Some(hb.spec.name.clone()),
                status: Some(HbStatus::Down.as_str().to_owned()),
                previous_status: Some(from.as_str().to_owned()),
                last_ping_at: hb.last_ping_at,
                started_at: now,
                cause,
                resolved_at: None,
                resolved_by: None,
            });
            Self::insert_event(tx, Owner::Heartbeat(pk), &payload, now, false).await?;
        }
        Ok(())
    }

    /// Log a status change; entering `down` opens an incident (heartbeat_down); reaching `up` again
    /// (directly, or through a run that started while down) resolves it (heartbeat_up).
    pub(crate) async fn heartbeat_transition(
        tx: &mut sqlx::Transaction<'static, Db>,
        pk: i64,
        hb: &Heartbeat,
        from: HbStatus,
        now: Millis,
    ) -> Result<()> {
        let to = hb.status;
        sqlx::query(
            "INSERT INTO heartbeat_log (heartbeat_pk, at, status_from, status_to, last_ping_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(pk)
        .bind(now)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(hb.last_ping_at)
        .execute(&mut **tx)
        .await?;
        let change = |incident_id, started_at, cause| HeartbeatChanged {
            heartbeat_id: hb.id,
            incident_id,
            service_id: Some(hb.service_id),
            slug: Some(hb.slug.clone()),
            name: Some(hb.spec.name.clone()),
            status: Some(to.as_str().to_owned()),
            previous_status: Some(from.as_str().to_owned()),
            last_ping_at: hb.last_ping_at,
            started_at,
            cause,
            resolved_at: None,
            resolved_by: None,
        };
        if to == HbStatus::Down && from != HbStatus::Down {
            // Inside a maintenance window the incident waits for the window's end (`release_held_heartbeats`).
            if !Self::hold_heartbeat(tx, pk, now).await? {
                Self::open_heartbeat_incident(tx, pk, hb, from, now).await?;
            }
        } else if (to == HbStatus::Up && matches!(from, HbStatus::Down | HbStatus::Started))
            || to == HbStatus::Paused
        {
            // Down → up, possibly by way of a started run: an open incident is resolved. Pausing closes it
            // too (`resolved_by: paused`): a paused heartbeat pages no one, and after it resumes the next outage
            // is a new incident with its own `heartbeat_down`.
            let by = if to == HbStatus::Paused {
                ResolvedBy::Paused
            } else {
                ResolvedBy::Auto
            };
            let row = sqlx::query(
                "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = $3 \
                 WHERE heartbeat_pk = $1 AND status = 'open' RETURNING id, started_at, cause",
            )
            .bind(pk)
            .bind(now)
            .bind(by.as_str())
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(row) = row {
                let payload = Payload::HeartbeatUp(HeartbeatChanged {
                    resolved_at: Some(now),
                    resolved_by: Some(by.as_str().to_owned()),
                    ..change(
                        row.try_get("id")?,
                        row.try_get("started_at")?,
                        row.try_get("cause")?,
                    )
                });
                Self::insert_event(tx, Owner::Heartbeat(pk), &payload, now, false).await?;
            }
        }
        Ok(())
    }
}
