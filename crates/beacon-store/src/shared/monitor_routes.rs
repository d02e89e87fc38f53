//! A monitor's own notification rules, over its service's: channels it adds or mutes (`monitor_routes`), and
//! its own reminders and escalation policy (`monitor_follow_ups`). Monitors are named by id, endpoint or
//! heartbeat alike.

use super::*;
use sqlx::AssertSqlSafe;

/// A monitor as its column in the tables that name one, and its pk.
#[derive(Clone, Copy)]
pub(crate) struct MonitorPk {
    pub column: &'static str,
    pub pk: i64,
}

impl MonitorPk {
    pub(crate) fn kind(self) -> &'static str {
        if self.column == "endpoint_pk" {
            "endpoint"
        } else {
            "heartbeat"
        }
    }
}

impl This {
    /// The endpoint or heartbeat with this id; NotFound (`monitor`) for neither.
    pub(crate) async fn monitor_pk<'e, E>(ex: E, id: Uuid) -> Result<MonitorPk>
    where
        E: sqlx::Executor<'e, Database = Db>,
    {
        let row = sqlx::query(
            "SELECT (SELECT pk FROM endpoints WHERE id = $1), (SELECT pk FROM heartbeats WHERE id = $1)",
        )
        .bind(id)
        .fetch_one(ex)
        .await?;
        match (
            row.try_get::<Option<i64>, _>(0)?,
            row.try_get::<Option<i64>, _>(1)?,
        ) {
            (Some(pk), _) => Ok(MonitorPk {
                column: "endpoint_pk",
                pk,
            }),
            (None, Some(pk)) => Ok(MonitorPk {
                column: "heartbeat_pk",
                pk,
            }),
            (None, None) => Err(StoreError::NotFound {
                kind: "monitor",
                id,
            }),
        }
    }

    /// Replace the monitor's subscription or mute of a channel (`events: None` mutes).
    pub(crate) async fn put_monitor_route(
        tx: &mut sqlx::Transaction<'static, Db>,
        channel_pk: i64,
        monitor: MonitorPk,
        events: Option<&[String]>,
        now: Millis,
    ) -> Result<()> {
        let column = monitor.column;
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM monitor_routes WHERE channel_pk = $1 AND {column} = $2"
        )))
        .bind(channel_pk)
        .bind(monitor.pk)
        .execute(&mut **tx)
        .await?;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO monitor_routes (channel_pk, {column}, events, muted, created_at) VALUES ($1, $2, $3, $4, $5)"
        )))
        .bind(channel_pk)
        .bind(monitor.pk)
        .bind(format!(",{},", events.unwrap_or_default().join(",")))
        .bind(events.is_none())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Remove the monitor's subscription (`muted` false) or mute of a channel; whether there was one.
    pub(crate) async fn drop_monitor_route(
        tx: &mut sqlx::Transaction<'static, Db>,
        channel_pk: i64,
        monitor: MonitorPk,
        muted: bool,
    ) -> Result<bool> {
        let column = monitor.column;
        Ok(sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM monitor_routes WHERE channel_pk = $1 AND {column} = $2 AND muted = $3"
        )))
        .bind(channel_pk)
        .bind(monitor.pk)
        .bind(muted)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            > 0)
    }

    /// Every channel's monitor routes, or one channel's, by channel pk.
    pub(crate) async fn read_monitor_routes<'e, E>(
        ex: E,
        channel: Option<Uuid>,
    ) -> Result<HashMap<i64, Vec<MonitorRoute>>>
    where
        E: sqlx::Executor<'e, Database = Db>,
    {
        let rows = sqlx::query(
            "SELECT m.channel_pk, COALESCE(e.id, h.id), m.endpoint_pk IS NOT NULL, m.events, m.muted \
             FROM monitor_routes m LEFT JOIN endpoints e ON e.pk = m.endpoint_pk \
             LEFT JOIN heartbeats h ON h.pk = m.heartbeat_pk \
             WHERE $1 IS NULL OR m.channel_pk = (SELECT pk FROM webhooks WHERE id = $1) ORDER BY m.pk",
        )
        .bind(channel)
        .fetch_all(ex)
        .await?;
        let mut out: HashMap<i64, Vec<MonitorRoute>> = HashMap::new();
        for r in &rows {
            let events: String = r.try_get(3)?;
            out.entry(r.try_get(0)?).or_default().push(MonitorRoute {
                monitor_id: r.try_get(1)?,
                monitor_kind: if r.try_get::<bool, _>(2)? {
                    "endpoint"
                } else {
                    "heartbeat"
                },
                events: super::channels::event_list(&events),
                muted: r.try_get(4)?,
            });
        }
        Ok(out)
    }

    /// A monitor's own follow-ups and channels.
    pub(crate) async fn read_monitor_notifications(
        &self,
        monitor_id: Uuid,
    ) -> Result<MonitorNotifications> {
        let mut conn = self.pool.acquire().await?;
        let monitor = Self::monitor_pk(&mut *conn, monitor_id).await?;
        let column = monitor.column;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT f.remind_own, f.remind_every_ms, f.remind_max, f.escalation_own, p.id \
             FROM monitor_follow_ups f LEFT JOIN escalation_policies p ON p.pk = f.escalation_policy_pk \
             WHERE f.{column} = $1"
        )))
        .bind(monitor.pk)
        .fetch_optional(&mut *conn)
        .await?;
        let mut out = MonitorNotifications::default();
        if let Some(row) = row {
            if row.try_get::<bool, _>(0)? {
                let every: Option<i64> = row.try_get(1)?;
                let max: Option<i32> = row.try_get(2)?;
                out.reminders = Setting::Own(match (every, max) {
                    (Some(every_ms), Some(max)) => Some(Reminders {
                        every_ms,
                        max: to_u32(max, "remind_max")?,
                    }),
                    _ => None,
                });
            }
            if row.try_get::<bool, _>(3)? {
                out.escalation = Setting::Own(row.try_get(4)?);
            }
        }
        let routes = sqlx::query(AssertSqlSafe(format!(
            "SELECT w.id, w.name, m.events, m.muted FROM monitor_routes m JOIN webhooks w ON w.pk = m.channel_pk \
             WHERE m.{column} = $1 ORDER BY m.pk"
        )))
        .bind(monitor.pk)
        .fetch_all(&mut *conn)
        .await?;
        for r in &routes {
            let events: String = r.try_get(2)?;
            out.channels.push((
                r.try_get(0)?,
                r.try_get(1)?,
                MonitorRoute {
                    monitor_id,
                    monitor_kind: monitor.kind(),
                    events: super::channels::event_list(&events),
                    muted: r.try_get(3)?,
                },
            ));
        }
        Ok(out)
    }

    /// Change a monitor's own follow-ups; `None` keeps a setting.
    pub(crate) async fn write_monitor_follow_ups(
        &self,
        monitor_id: Uuid,
        reminders: Option<Setting<Reminders>>,
        escalation: Option<Setting<Uuid>>,
        now: Millis,
    ) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let monitor = Self::monitor_pk(&mut *tx, monitor_id).await?;
        let column = monitor.column;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO monitor_follow_ups ({column}, updated_at) VALUES ($1, $2) ON CONFLICT ({column}) DO NOTHING"
        )))
        .bind(monitor.pk)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(r) = reminders {
            let (own, every, max) = match r {
                Setting::Inherit => (false, None, None),
                Setting::Own(None) => (true, None, None),
                Setting::Own(Some(r)) => (
                    true,
                    Some(r.every_ms),
                    Some(i32::try_from(r.max).unwrap_or(i32::MAX)),
                ),
            };
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE monitor_follow_ups SET remind_own = $2, remind_every_ms = $3, remind_max = $4, \
                 updated_at = $5 WHERE {column} = $1"
            )))
            .bind(monitor.pk)
            .bind(own)
            .bind(every)
            .bind(max)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(e) = escalation {
            let (own, policy_pk) = match e {
                Setting::Inherit | Setting::Own(None) => (matches!(e, Setting::Own(_)), None),
                Setting::Own(Some(id)) => (
                    true,
                    Some(
                        sqlx::query("SELECT pk FROM escalation_policies WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?
                            .ok_or(StoreError::NotFound {
                                kind: "escalation policy",
                                id,
                            })?
                            .try_get::<i64, _>(0)?,
                    ),
                ),
            };
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE monitor_follow_ups SET escalation_own = $2, escalation_policy_pk = $3, updated_at = $4 \
                 WHERE {column} = $1"
            )))
            .bind(monitor.pk)
            .bind(own)
            .bind(policy_pk)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
