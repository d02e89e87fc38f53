//! Maintenance windows (`MaintenanceWindows`): a service's or one monitor's spans or recurrences during which
//! incidents are held back. The result writer reads the windows of a batch's endpoints (`endpoint_windows`).

use super::*;
use beacon_core::heartbeat::CronSchedule;
use beacon_core::maintenance::WindowSchedule;

const WINDOW_SELECT: &str = "SELECT w.id, s.id AS service_id, COALESCE(e.id, h.id) AS monitor_id, \
     w.endpoint_pk IS NOT NULL AS on_endpoint, w.reason, w.starts_at, w.ends_at, w.cron, w.tz, w.duration_ms, \
     w.ended_at, w.created_at FROM maintenance_windows w LEFT JOIN services s ON s.pk = w.service_pk \
     LEFT JOIN endpoints e ON e.pk = w.endpoint_pk LEFT JOIN heartbeats h ON h.pk = w.heartbeat_pk";

fn window(row: &<Db as sqlx::Database>::Row) -> Result<MaintenanceWindow> {
    let cron: Option<String> = row.try_get("cron")?;
    let schedule = match cron {
        Some(expr) => {
            let tz: Option<String> = row.try_get("tz")?;
            WindowSchedule::Recurring {
                cron: Box::new(
                    CronSchedule::parse(&expr, tz.as_deref().unwrap_or("UTC")).map_err(corrupt)?,
                ),
                duration_ms: row
                    .try_get::<Option<i64>, _>("duration_ms")?
                    .ok_or_else(|| corrupt("a recurring window without a duration"))?,
            }
        }
        None => WindowSchedule::Once {
            start: row
                .try_get::<Option<i64>, _>("starts_at")?
                .ok_or_else(|| corrupt("a window without a start"))?,
            end: row
                .try_get::<Option<i64>, _>("ends_at")?
                .ok_or_else(|| corrupt("a window without an end"))?,
        },
    };
    let monitor_id: Option<Uuid> = row.try_get("monitor_id")?;
    Ok(MaintenanceWindow {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        monitor_id,
        monitor_kind: monitor_id.map(|_| {
            if row.try_get::<bool, _>("on_endpoint").unwrap_or(false) {
                "endpoint"
            } else {
                "heartbeat"
            }
        }),
        reason: row.try_get("reason")?,
        schedule,
        ended_at: row.try_get("ended_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Monitors of one table to find windows of: by pk (the writers) or by id (the readers).
#[derive(Clone, Copy)]
pub(crate) enum Monitors<'a> {
    Pks(&'a [i64]),
    Ids(&'a [Uuid]),
}

impl This {
    /// The windows (not ended by hand before `from`) of these monitors of `table` (`endpoints` or
    /// `heartbeats`), their own and their services', as (monitor pk, monitor id, window). One query per chunk
    /// of monitors, after one look whether any window exists at all (most databases have none).
    pub(crate) async fn monitor_windows(
        tx: &mut sqlx::Transaction<'static, Db>,
        table: &'static str,
        monitors: Monitors<'_>,
        from: Millis,
    ) -> Result<Vec<(i64, Uuid, MaintenanceWindow)>> {
        let mut out = Vec::new();
        let any: Option<i64> = sqlx::query(
            "SELECT pk FROM maintenance_windows WHERE ended_at IS NULL OR ended_at > $1 LIMIT 1",
        )
        .bind(from)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        if any.is_none() {
            return Ok(out);
        }
        let own = if table == "endpoints" {
            "endpoint_pk"
        } else {
            "heartbeat_pk"
        };
        let (pks, ids) = match monitors {
            Monitors::Pks(p) => (p, &[][..]),
            Monitors::Ids(i) => (&[][..], i),
        };
        let chunks = pks.len().max(ids.len()).div_ceil(CHUNK);
        for c in 0..chunks {
            let mut qb = QueryBuilder::<Db>::new(format!(
                "SELECT x.pk AS monitor_pk, x.id AS monitor_key, w.id, s.id AS service_id, \
                 COALESCE(e.id, h.id) AS monitor_id, w.endpoint_pk IS NOT NULL AS on_endpoint, w.reason, \
                 w.starts_at, w.ends_at, w.cron, w.tz, w.duration_ms, w.ended_at, w.created_at FROM {table} x \
                 JOIN maintenance_windows w ON (w.{own} = x.pk OR w.service_pk = x.service_pk) \
                 LEFT JOIN services s ON s.pk = w.service_pk LEFT JOIN endpoints e ON e.pk = w.endpoint_pk \
                 LEFT JOIN heartbeats h ON h.pk = w.heartbeat_pk WHERE (w.ended_at IS NULL OR w.ended_at > "
            ));
            qb.push_bind(from);
            let range = c * CHUNK..((c + 1) * CHUNK);
            if pks.is_empty() {
                qb.push(") AND x.id IN (");
                let mut list = qb.separated(", ");
                for id in &ids[range.start..range.end.min(ids.len())] {
                    list.push_bind(*id);
                }
            } else {
                qb.push(") AND x.pk IN (");
                let mut list = qb.separated(", ");
                for pk in &pks[range.start..range.end.min(pks.len())] {
                    list.push_bind(*pk);
                }
            }
            qb.push(")");
            for row in qb.build().fetch_all(&mut **tx).await? {
                out.push((
                    row.try_get("monitor_pk")?,
                    row.try_get("monitor_key")?,
                    window(&row)?,
                ));
            }
        }
        Ok(out)
    }

    /// The windows of these endpoints by endpoint pk (the result writer's).
    pub(crate) async fn endpoint_windows(
        tx: &mut sqlx::Transaction<'static, Db>,
        endpoint_pks: &[i64],
        from: Millis,
    ) -> Result<HashMap<i64, Vec<MaintenanceWindow>>> {
        let mut out: HashMap<i64, Vec<MaintenanceWindow>> = HashMap::new();
        for (pk, _, w) in
            Self::monitor_windows(tx, "endpoints", Monitors::Pks(endpoint_pks), from).await?
        {
            out.entry(pk).or_default().push(w);
        }
        Ok(out)
    }
}

impl This {
    /// Whether a maintenance window of the heartbeat, or of its service, is in force at `at`.
    async fn heartbeat_in_window(
        tx: &mut sqlx::Transaction<'static, Db>,
        heartbeat_pk: i64,
        at: Millis,
    ) -> Result<bool> {
        Ok(Self::heartbeat_window(tx, heartbeat_pk, at)
            .await?
            .is_some())
    }

    /// The span of a window of the heartbeat, or of its service, in force at `at`.
    async fn heartbeat_window(
        tx: &mut sqlx::Transaction<'static, Db>,
        heartbeat_pk: i64,
        at: Millis,
    ) -> Result<Option<(Millis, Millis)>> {
        Ok(
            Self::monitor_windows(tx, "heartbeats", Monitors::Pks(&[heartbeat_pk]), at)
                .await?
                .iter()
                .find_map(|(_, _, w)| w.active_at(at)),
        )
    }

    /// A heartbeat going down at `at`: inside a window, remember it (its incident waits) and say so.
    pub(crate) async fn hold_heartbeat(
        tx: &mut sqlx::Transaction<'static, Db>,
        heartbeat_pk: i64,
        at: Millis,
    ) -> Result<bool> {
        if !Self::heartbeat_in_window(tx, heartbeat_pk, at).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO held_heartbeats (heartbeat_pk, since) VALUES ($1, $2) ON CONFLICT (heartbeat_pk) DO NOTHING",
        )
        .bind(heartbeat_pk)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(true)
    }

    /// Heartbeats held back by a window that is over: open the incident of each that is still down, forget
    /// the rest.
    pub(crate) async fn release_held_heartbeats(
        tx: &mut sqlx::Transaction<'static, Db>,
        now: Millis,
    ) -> Result<()> {
        let held: Vec<i64> =
            sqlx::query("SELECT heartbeat_pk FROM held_heartbeats ORDER BY heartbeat_pk LIMIT 100")
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
        for pk in held {
            if Self::heartbeat_in_window(tx, pk, now).await? {
                continue;
            }
            sqlx::query("DELETE FROM held_heartbeats WHERE heartbeat_pk = $1")
                .bind(pk)
                .execute(&mut **tx)
                .await?;
            let mut qb = Self::heartbeats_query();
            qb.push(" WHERE h.pk = ").push_bind(pk);
            for row in Self::read_heartbeats_fresh(tx, qb).await? {
                if row.hb.status == beacon_core::heartbeat::HbStatus::Down {
                    let since = beacon_core::heartbeat::HbStatus::Down;
                    Self::open_heartbeat_incident(tx, pk, &row.hb, since, now).await?;
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl MaintenanceWindows for This {
    async fn create_window(&self, new: &NewWindow, now: Millis) -> Result<MaintenanceWindow> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let (column, pk) = match new.target {
            WindowTarget::Service(id) => ("service_pk", Self::service_pk_of(&mut tx, id).await?),
            WindowTarget::Monitor(id) => {
                let m = Self::monitor_pk(&mut *tx, id).await?;
                (m.column, m.pk)
            }
        };
        let (starts, ends, cron, tz, duration) = match &new.schedule {
            WindowSchedule::Once { start, end } => (Some(*start), Some(*end), None, None, None),
            WindowSchedule::Recurring { cron, duration_ms } => (
                None,
                None,
                Some(cron.expr().to_owned()),
                Some(cron.tz().to_owned()),
                Some(*duration_ms),
            ),
        };
        let id = Uuid::new_v4();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO maintenance_windows (id, {column}, reason, starts_at, ends_at, cron, tz, duration_ms, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(id)
        .bind(pk)
        .bind(&new.reason)
        .bind(starts)
        .bind(ends)
        .bind(cron)
        .bind(tz)
        .bind(duration)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_window(id).await
    }

    async fn list_windows(&self) -> Result<Vec<MaintenanceWindow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{WINDOW_SELECT} ORDER BY w.pk DESC"
        )))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(window)
        .collect()
    }

    async fn get_window(&self, id: Uuid) -> Result<MaintenanceWindow> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{WINDOW_SELECT} WHERE w.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            kind: "maintenance window",
            id,
        })?;
        window(&row)
    }

    async fn end_window(&self, id: Uuid, now: Millis) -> Result<MaintenanceWindow> {
        let w = self.get_window(id).await?;
        let over = match (&w.ended_at, &w.schedule) {
            (Some(_), _) => true,
            (None, WindowSchedule::Once { end, .. }) => *end <= now,
            (None, WindowSchedule::Recurring { .. }) => false,
        };
        if over {
            return Err(StoreError::Conflict(format!(
                "maintenance window {id} has ended already"
            )));
        }
        sqlx::query(
            "UPDATE maintenance_windows SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.get_window(id).await
    }

    async fn monitors_in_maintenance(
        &self,
        monitor_ids: &[Uuid],
        at: Millis,
    ) -> Result<HashMap<Uuid, (Millis, Millis)>> {
        let mut out = HashMap::new();
        if monitor_ids.is_empty() {
            return Ok(out);
        }
        let mut tx = self.pool.begin().await?;
        for table in ["endpoints", "heartbeats"] {
            for (_, id, w) in
                Self::monitor_windows(&mut tx, table, Monitors::Ids(monitor_ids), at).await?
            {
                if let Some(span) = w.active_at(at) {
                    out.insert(id, span);
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
