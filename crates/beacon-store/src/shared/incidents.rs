//! Incidents (`Incidents`): listing, and resolving by hand with its event.

use super::*;

impl This {
    pub(crate) fn incident_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Incident> {
        let status: String = row.try_get("status")?;
        let resolved_by: Option<String> = row.try_get("resolved_by")?;
        Ok(Incident {
            id: row.try_get("id")?,
            endpoint_id: row.try_get("endpoint_id")?,
            heartbeat_id: row.try_get("heartbeat_id")?,
            status: IncidentStatus::parse(&status)
                .ok_or_else(|| corrupt(format!("status {status:?}")))?,
            started_at: row.try_get("started_at")?,
            resolved_at: row.try_get("resolved_at")?,
            cause: row.try_get("cause")?,
            failure_count: to_u32(row.try_get("failure_count")?, "failure_count")?,
            resolved_by: match resolved_by {
                None => None,
                Some(s) => Some(
                    ResolvedBy::parse(&s).ok_or_else(|| corrupt(format!("resolved_by {s:?}")))?,
                ),
            },
            acknowledged_at: row.try_get("acknowledged_at")?,
            acknowledged_by: row.try_get("acknowledged_by")?,
            ack_note: row.try_get("ack_note")?,
        })
    }
}

impl This {
    /// Cancel an incident's reminders and escalation steps that have not gone out yet (acknowledged or resolved).
    pub(crate) async fn cancel_follow_ups(
        tx: &mut sqlx::Transaction<'static, Db>,
        incident_pk: i64,
        now: Millis,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE deliveries SET status = 'cancelled', finished_at = $2, lease_owner = NULL, lease_expires_at = NULL \
             WHERE status = 'pending' AND event_pk IN (SELECT pk FROM events WHERE incident_pk = $1 AND follow_up)",
        )
        .bind(incident_pk)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected())
    }

    /// An `incident_acknowledged` event, named as the incident's start named its monitor, to whoever was told
    /// of the incident (and subscribers). An incident whose start was never written (nobody was told) has none.
    async fn tell_acknowledged(
        tx: &mut sqlx::Transaction<'static, Db>,
        owner: Owner,
        incident_pk: i64,
        by: &str,
        note: Option<&str>,
        now: Millis,
    ) -> Result<()> {
        let Some(start) = sqlx::query(
            "SELECT kind, payload FROM events WHERE incident_pk = $1 \
             AND kind IN ('incident_start', 'heartbeat_down') ORDER BY pk LIMIT 1",
        )
        .bind(incident_pk)
        .fetch_optional(&mut **tx)
        .await?
        else {
            return Ok(());
        };
        let kind: String = start.try_get(0)?;
        let payload: String = start.try_get(1)?;
        let Some(f) = super::outbox::follow_up_of(&crate::events::from_columns(&kind, &payload)?)
        else {
            return Ok(());
        };
        let ack = Payload::IncidentAcknowledged(beacon_core::event::Acknowledged {
            incident_id: f.incident_id,
            subject: f.subject,
            path: f.path,
            started_at: f.started_at,
            cause: f.cause,
            by: by.to_owned(),
            note: note.map(str::to_owned),
            at: now,
        });
        Self::insert_event(tx, owner, &ack, now, false).await?;
        Ok(())
    }

    /// Pausing (disabling) an endpoint: its open incident resolves (`resolved_by: paused`, with an
    /// `incident_resolved` event for its service's webhooks — not its own `webhook_url`, whose alerts come from
    /// check runs), and its health starts afresh (`unknown`), so after it resumes a new outage is a new incident.
    pub(crate) async fn pause_endpoint(
        tx: &mut sqlx::Transaction<'static, Db>,
        endpoint_pk: i64,
        now: Millis,
    ) -> Result<()> {
        let row = sqlx::query(
            "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = $3 \
             WHERE endpoint_pk = $1 AND status = 'open' RETURNING id, started_at, cause, failure_count",
        )
        .bind(endpoint_pk)
        .bind(now)
        .bind(ResolvedBy::Paused.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE endpoints SET status = $2, consecutive_failures = 0, consecutive_successes = 0 \
             WHERE pk = $1",
        )
        .bind(endpoint_pk)
        .bind(Status::Unknown.as_str())
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE schedules SET status = 'unknown', region_down = FALSE, consecutive_failures = 0, \
             consecutive_successes = 0 WHERE endpoint_pk = $1",
        )
        .bind(endpoint_pk)
        .execute(&mut **tx)
        .await?;
        let Some(row) = row else {
            return Ok(());
        };
        let payload = Payload::IncidentResolved(IncidentResolved {
            incident_id: row.try_get("id")?,
            monitor: Self::monitor(tx, endpoint_pk).await?,
            started_at: row.try_get("started_at")?,
            resolved_at: now,
            cause: row.try_get("cause")?,
            failure_count: to_u32(row.try_get("failure_count")?, "failure_count")?,
            resolved_by: ResolvedBy::Paused.as_str().to_owned(),
            run_status: None,
        });
        Self::insert_event(tx, Owner::Endpoint(endpoint_pk), &payload, now, false).await?;
        Ok(())
    }
}

#[async_trait]
impl Incidents for This {
    async fn list_incidents(&self, filter: IncidentFilter, page: Page) -> Result<Paged<Incident>> {
        if let Some(eid) = filter.endpoint_id {
            self.endpoint_pk(eid).await?;
        }
        if let Some(hid) = filter.heartbeat_id {
            self.heartbeat_pk(hid).await?;
        }
        let mut qb = QueryBuilder::<Db>::new(concat!(incident_select!(), " WHERE i.pk < "));
        qb.push_bind(page.after.unwrap_or(i64::MAX));
        if let Some(status) = filter.status {
            qb.push(" AND i.status = ").push_bind(status.as_str());
        }
        if let Some(eid) = filter.endpoint_id {
            qb.push(" AND e.id = ").push_bind(eid);
        }
        if let Some(hid) = filter.heartbeat_id {
            qb.push(" AND h.id = ").push_bind(hid);
        }
        // Newest first: incidents are created in time order, so their keys are too.
        qb.push(" ORDER BY i.pk DESC");
        push_limit(&mut qb, page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in &rows {
            items.push(Self::incident_from_row(row)?);
            last = Some(row.try_get::<i64, _>("pk")?);
        }
        Ok(paged(items, last, page))
    }

    async fn get_incident(&self, id: Uuid) -> Result<Incident> {
        let row = sqlx::query(concat!(incident_select!(), " WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                kind: "incident",
                id,
            })?;
        Self::incident_from_row(&row)
    }

    async fn acknowledge_incident(
        &self,
        id: Uuid,
        by: &str,
        note: Option<&str>,
        now: Millis,
    ) -> Result<Incident> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let row = sqlx::query(sql::INCIDENT_BY_ID_LOCKED)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound {
                kind: "incident",
                id,
            })?;
        let incident_pk: i64 = row.try_get("pk")?;
        if row.try_get::<String, _>("status")? != "open" {
            return Err(StoreError::Conflict(format!(
                "incident {id} is resolved; only an open incident can be acknowledged"
            )));
        }
        // The first acknowledgement stands; a second one changes nothing (and tells nobody).
        let first = sqlx::query(
            "UPDATE incidents SET acknowledged_at = $2, acknowledged_by = $3, ack_note = $4 \
             WHERE pk = $1 AND acknowledged_at IS NULL",
        )
        .bind(incident_pk)
        .bind(now)
        .bind(by)
        .bind(note)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        Self::cancel_follow_ups(&mut tx, incident_pk, now).await?;
        if first {
            let owner = match row.try_get::<Option<i64>, _>("endpoint_pk")? {
                Some(pk) => Owner::Endpoint(pk),
                None => Owner::Heartbeat(row.try_get("heartbeat_pk")?),
            };
            Self::tell_acknowledged(&mut tx, owner, incident_pk, by, note, now).await?;
        }
        tx.commit().await?;
        self.get_incident(id).await
    }

    async fn server_key(&self, name: &str, fresh: &[u8], now: Millis) -> Result<Vec<u8>> {
        sqlx::query(
            "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query("SELECT secret FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
    }

    async fn resolve_incident(&self, id: Uuid, now: Millis) -> Result<Incident> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let row = sqlx::query(sql::INCIDENT_BY_ID_LOCKED)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound {
                kind: "incident",
                id,
            })?;
        let (incident_pk, endpoint_pk): (i64, Option<i64>) =
            (row.try_get("pk")?, row.try_get("endpoint_pk")?);
        if row.try_get::<String, _>("status")? != "open" {
            return Err(StoreError::Conflict(format!(
                "incident {id} is already resolved"
            )));
        }
        sqlx::query(
            "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = 'manual' WHERE pk = $1",
        )
        .bind(incident_pk)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(endpoint_pk) = endpoint_pk {
            // The endpoint's failures count afresh; a heartbeat's status follows its next ping.
            let status: String = sqlx::query("SELECT status FROM endpoints WHERE pk = $1")
                .bind(endpoint_pk)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let health = incident::resolve_manually(Health {
                status: Status::parse(&status)
                    .ok_or_else(|| corrupt(format!("status {status:?}")))?,
                ..Health::default()
            });
            sqlx::query(
                "UPDATE endpoints SET status = $2, consecutive_failures = 0, consecutive_successes = 0 WHERE pk = $1",
            )
            .bind(endpoint_pk)
            .bind(health.status.as_str())
            .execute(&mut *tx)
            .await?;
            // Every region counts afresh too: a region that had seen it down sees it up until it fails again.
            sqlx::query(
                "UPDATE schedules SET status = CASE WHEN status = 'unknown' THEN status ELSE 'up' END, \
                 region_down = FALSE, consecutive_failures = 0, consecutive_successes = 0 WHERE endpoint_pk = $1",
            )
            .bind(endpoint_pk)
            .execute(&mut *tx)
            .await?;
        }
        let incident = Self::incident_from_row(
            &sqlx::query(concat!(incident_select!(), " WHERE i.pk = $1"))
                .bind(incident_pk)
                .fetch_one(&mut *tx)
                .await?,
        )?;
        let manual = ResolvedBy::Manual.as_str().to_owned();
        let (owner, payload) = match (endpoint_pk, incident.heartbeat_id) {
            (Some(pk), _) => (
                Owner::Endpoint(pk),
                Payload::IncidentResolved(IncidentResolved {
                    incident_id: incident.id,
                    monitor: Self::monitor(&mut tx, pk).await?,
                    started_at: incident.started_at,
                    resolved_at: now,
                    cause: incident.cause.clone(),
                    failure_count: incident.failure_count,
                    resolved_by: manual,
                    run_status: None,
                }),
            ),
            (None, Some(heartbeat_id)) => (
                Owner::Heartbeat(row.try_get("heartbeat_pk")?),
                Payload::HeartbeatUp(HeartbeatChanged {
                    heartbeat_id,
                    incident_id: incident.id,
                    service_id: None,
                    slug: None,
                    name: None,
                    status: None,
                    previous_status: None,
                    last_ping_at: None,
                    started_at: incident.started_at,
                    cause: incident.cause.clone(),
                    resolved_at: Some(now),
                    resolved_by: Some(manual),
                }),
            ),
            _ => {
                return Err(corrupt(format!(
                    "incident {} is about nothing",
                    incident.id
                )));
            }
        };
        // Seed 002 alerts come from check runs only: a manual resolve is not sent to a check's own
        // webhook_url; service webhooks get it, with resolved_by: manual.
        Self::insert_event(&mut tx, owner, &payload, now, false).await?;
        tx.commit().await?;
        Ok(incident)
    }

    async fn count_open_incidents(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM incidents WHERE status = 'open'")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
    }
}
