//! Heartbeat definitions and what they received (`Heartbeats`): create, read, change, pause, rotate keys,
//! delete; the pings log and the status log.

use super::*;

#[async_trait]
impl Heartbeats for This {
    async fn create_heartbeat(
        &self,
        service_id: Uuid,
        slug: &str,
        spec: &HeartbeatSpec,
        key_hash: &[u8; 32],
        now: Millis,
    ) -> Result<Heartbeat> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let service_pk: i64 = sqlx::query("SELECT pk FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.get(0))
            .ok_or(StoreError::NotFound {
                kind: "service",
                id: service_id,
            })?;
        let taken = sqlx::query("SELECT 1 FROM heartbeats WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "the slug {slug:?} is taken by another heartbeat"
            )));
        }
        let (period, cron, tz) = schedule_columns(&spec.schedule);
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO heartbeats (id, service_pk, slug, name, period_seconds, cron, tz, grace_seconds, \
             key_hash, status, created_at, updated_at, ping_secret) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)",
        )
        .bind(id)
        .bind(service_pk)
        .bind(slug)
        .bind(&spec.name)
        .bind(period)
        .bind(cron)
        .bind(tz)
        .bind(clamp_i32(spec.grace_seconds))
        .bind(key_hash.as_slice())
        .bind(HbStatus::New.as_str())
        .bind(now)
        .bind(Uuid::new_v4().to_string())
        .execute(&mut *tx)
        .await?;
        let hb = Self::heartbeat_locked(&mut tx, id).await?.hb;
        tx.commit().await?;
        Ok(hb)
    }

    async fn list_heartbeats(
        &self,
        service_id: Option<Uuid>,
        page: Page,
    ) -> Result<Paged<Heartbeat>> {
        let mut qb = Self::heartbeats_query();
        self.push_service_page(&mut qb, "h", service_id, page)
            .await?;
        let mut tx = self.pool.begin().await?;
        let rows = Self::read_heartbeats_fresh(&mut tx, qb).await?;
        tx.commit().await?;
        let last = rows.last().map(|r| r.pk);
        Ok(paged(rows.into_iter().map(|r| r.hb).collect(), last, page))
    }

    async fn get_heartbeat(&self, target: &HeartbeatRef) -> Result<Heartbeat> {
        let mut qb = Self::heartbeats_query();
        let id = match target {
            HeartbeatRef::Id(id) => {
                qb.push(" WHERE h.id = ").push_bind(*id);
                *id
            }
            HeartbeatRef::Slug(slug) => {
                qb.push(" WHERE h.slug = ").push_bind(slug.clone());
                Uuid::nil()
            }
        };
        let mut tx = self.pool.begin().await?;
        let row = Self::read_heartbeats_fresh(&mut tx, qb).await?.pop();
        tx.commit().await?;
        row.map(|r| r.hb).ok_or(StoreError::NotFound {
            kind: "heartbeat",
            id,
        })
    }

    async fn update_heartbeat(
        &self,
        id: Uuid,
        input: HeartbeatInput,
        now: Millis,
    ) -> Result<Heartbeat> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let mut row = Self::heartbeat_locked(&mut tx, id).await?;
        let pk = row.pk;
        let spec = row.hb.spec.apply(input)?;
        let (period, cron, tz) = schedule_columns(&spec.schedule);
        sqlx::query(
            "UPDATE heartbeats SET name = $2, period_seconds = $3, cron = $4, tz = $5, grace_seconds = $6, \
             updated_at = $7 WHERE pk = $1",
        )
        .bind(pk)
        .bind(&spec.name)
        .bind(period)
        .bind(cron)
        .bind(tz)
        .bind(clamp_i32(spec.grace_seconds))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        row.hb.spec = spec;
        row.hb.updated_at = now;
        Self::reevaluate(&mut tx, &mut row, now, None).await?;
        tx.commit().await?;
        Ok(row.hb)
    }

    async fn set_heartbeat_paused(&self, id: Uuid, paused: bool, now: Millis) -> Result<Heartbeat> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let mut row = Self::heartbeat_locked(&mut tx, id).await?;
        if row.hb.state.paused != paused {
            row.hb.state.paused = paused;
            if !paused {
                // Resumed: a fresh start, like a new heartbeat, until the next ping.
                row.hb.state.last_result = None;
                row.hb.state.started_at = None;
            }
            Self::reevaluate(&mut tx, &mut row, now, None).await?;
        }
        tx.commit().await?;
        Ok(row.hb)
    }

    async fn set_heartbeat_key(
        &self,
        id: Uuid,
        key_hash: &[u8; 32],
        old_valid_until: Option<Millis>,
        now: Millis,
    ) -> Result<Heartbeat> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        // Read with its pending pings and written back whole: the intake sees the new version and
        // re-reads the row (with the new key) instead of its cached copy.
        let mut row = Self::heartbeat_locked(&mut tx, id).await?;
        let secret = Uuid::new_v4();
        // The old key and ping URL keep working until `old_valid_until`, or stop now.
        let (prev_key, prev_secret) = match old_valid_until {
            Some(_) => (Some(row.key.clone()), Some(row.hb.ping_secret.to_string())),
            None => (None, None),
        };
        sqlx::query(
            "UPDATE heartbeats SET key_hash = $2, updated_at = $3, ping_secret = $4, prev_key_hash = $5, \
             prev_ping_secret = $6, prev_valid_until = $7 WHERE pk = $1",
        )
        .bind(row.pk)
        .bind(key_hash.as_slice())
        .bind(now)
        .bind(secret.to_string())
        .bind(prev_key)
        .bind(prev_secret)
        .bind(old_valid_until)
        .execute(&mut *tx)
        .await?;
        row.hb.ping_secret = secret;
        row.hb.updated_at = now;
        Self::save_heartbeat_states(&mut tx, &mut [&mut row]).await?;
        tx.commit().await?;
        Ok(row.hb)
    }

    async fn heartbeat_for_ping_url(&self, secret: Uuid, now: Millis) -> Result<Option<Uuid>> {
        let secret = secret.to_string();
        let row = sqlx::query(
            "SELECT id FROM heartbeats WHERE ping_secret = $1 \
             UNION ALL SELECT id FROM heartbeats WHERE prev_ping_secret = $1 AND prev_valid_until >= $2",
        )
        .bind(&secret)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    async fn service_ping_key(&self, service_id: Uuid) -> Result<String> {
        sqlx::query("SELECT ping_key FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?
            .ok_or(StoreError::NotFound {
                kind: "service",
                id: service_id,
            })
    }

    async fn heartbeat_for_ping_slug(
        &self,
        ping_key: &str,
        slug: &str,
    ) -> Result<Option<(Uuid, Option<Uuid>)>> {
        let Some(service) = sqlx::query("SELECT pk, id FROM services WHERE ping_key = $1")
            .bind(ping_key)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let (service_pk, service_id): (i64, Uuid) = (service.try_get(0)?, service.try_get(1)?);
        let heartbeat =
            sqlx::query("SELECT id FROM heartbeats WHERE service_pk = $1 AND slug = $2")
                .bind(service_pk)
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get::<Uuid, _>(0))
                .transpose()?;
        Ok(Some((service_id, heartbeat)))
    }

    async fn delete_heartbeat(&self, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk = sqlx::query("SELECT pk FROM heartbeats WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .ok_or(StoreError::NotFound {
                kind: "heartbeat",
                id,
            })?;
        // Its pings after the watermark go now: readers fold those in by heartbeat pk, and SQLite may give
        // that pk to the next heartbeat. Older ones (no foreign key on SQLite) go with the pruning sweep.
        sqlx::query(
            "DELETE FROM heartbeat_pings WHERE pk > (SELECT applied_through FROM heartbeat_intake) \
             AND heartbeat_pk = $1",
        )
        .bind(pk)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM heartbeats WHERE pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_heartbeat_pings(&self, id: Uuid, limit: u32) -> Result<Vec<HeartbeatPing>> {
        let pk = self.heartbeat_pk(id).await?;
        // The chain back from the newest ping: a pending one (after the watermark) or the row's.
        let rows = sqlx::query(
            "WITH RECURSIVE chain (pk, n) AS (\
               SELECT COALESCE((SELECT MAX(p.pk) FROM heartbeat_pings p WHERE p.heartbeat_pk = $1 \
                 AND p.pk > (SELECT applied_through FROM heartbeat_intake)), \
                 (SELECT h.last_ping_pk FROM heartbeats h WHERE h.pk = $1)), 1 \
               UNION ALL SELECT p.prev_pk, c.n + 1 FROM chain c JOIN heartbeat_pings p ON p.pk = c.pk \
               WHERE c.n < $2 AND p.prev_pk IS NOT NULL) \
             SELECT p.received_at, p.kind, p.exit_status, p.rid, p.duration_ms, p.client_status, p.body, \
               p.metadata FROM chain c JOIN heartbeat_pings p ON p.pk = c.pk ORDER BY p.pk DESC",
        )
        .bind(pk)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let exit: Option<i32> = r.try_get("exit_status")?;
                Ok(HeartbeatPing {
                    received_at: r.try_get("received_at")?,
                    kind: r.try_get("kind")?,
                    exit_status: exit.and_then(|e| u8::try_from(e).ok()),
                    rid: r.try_get("rid")?,
                    duration_ms: r.try_get("duration_ms")?,
                    client_status: r.try_get("client_status")?,
                    body: r.try_get("body")?,
                    metadata: r.try_get("metadata")?,
                })
            })
            .collect()
    }

    async fn list_heartbeat_log(
        &self,
        target: &HeartbeatRef,
        limit: u32,
    ) -> Result<Vec<HeartbeatLogEntry>> {
        let pk = match target {
            HeartbeatRef::Id(id) => self.heartbeat_pk(*id).await?,
            HeartbeatRef::Slug(slug) => sqlx::query("SELECT pk FROM heartbeats WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.get::<i64, _>(0))
                .ok_or_else(|| StoreError::NotFound {
                    kind: "heartbeat",
                    id: Uuid::nil(),
                })?,
        };
        let rows = sqlx::query(
            "SELECT at, status_from, status_to, last_ping_at FROM heartbeat_log WHERE heartbeat_pk = $1 \
             ORDER BY pk DESC LIMIT $2",
        )
        .bind(pk)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HeartbeatLogEntry {
                    at: r.try_get("at")?,
                    from: r.try_get("status_from")?,
                    to: r.try_get("status_to")?,
                    last_ping_at: r.try_get("last_ping_at")?,
                })
            })
            .collect()
    }
}
