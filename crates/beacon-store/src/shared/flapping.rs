//! Flapping monitors (`beacon_core::flapping`), endpoints and heartbeats alike: an incident event that makes its
//! monitor flap is held back and one `flapping` event goes out instead, and so is every incident event while it
//! flaps; a flapping monitor that has not changed state for a window is stable again (`settle_flapping`), with
//! one more `flapping` event saying the state it settled in. The rule is the monitor's service's own, if it set
//! one (`services.flap_changes`, `flap_window_ms`), else the default.

use super::*;
use beacon_core::event::{EventKind, Flapper, Flapping, FlappingHeartbeat};
use beacon_core::flapping::FlapRule;
use sqlx::AssertSqlSafe;

/// Where a monitor's flapping is kept, which of its events are state changes, and how its flapping events
/// reach channels (as its incident starts do, in order with them).
struct Flaps {
    table: &'static str,
    column: &'static str,
    changes: &'static str,
    starts: EventKind,
    order_key: i64,
}

fn flaps(owner: Owner) -> Option<(i64, Flaps)> {
    match owner {
        Owner::Endpoint(pk) => Some((
            pk,
            Flaps {
                table: "endpoints",
                column: "endpoint_pk",
                changes: "'incident_start', 'incident_resolved'",
                starts: EventKind::IncidentStart,
                order_key: pk,
            },
        )),
        Owner::Heartbeat(pk) => Some((
            pk,
            Flaps {
                table: "heartbeats",
                column: "heartbeat_pk",
                changes: "'heartbeat_down', 'heartbeat_up'",
                starts: EventKind::HeartbeatDown,
                order_key: -pk,
            },
        )),
        Owner::KubeObject(_) => None,
    }
}

impl This {
    /// The flap rule of the monitor's service (its own, or the default).
    async fn flap_rule(
        tx: &mut sqlx::Transaction<'static, Db>,
        f: &Flaps,
        pk: i64,
    ) -> Result<FlapRule> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT s.flap_changes, s.flap_window_ms FROM {} m JOIN services s ON s.pk = m.service_pk \
             WHERE m.pk = $1",
            f.table
        )))
        .bind(pk)
        .fetch_one(&mut **tx)
        .await?;
        Ok(
            match (
                row.try_get::<Option<i32>, _>(0)?,
                row.try_get::<Option<i64>, _>(1)?,
            ) {
                (Some(changes), Some(window_ms)) => FlapRule {
                    changes: to_u32(changes, "flap_changes")?,
                    window_ms,
                },
                _ => FlapRule::default(),
            },
        )
    }

    /// Whether a monitor's incident event (already written) is held back because the monitor flaps: it is
    /// already flapping, or this change makes it so — then one `flapping` event goes to the channels that get
    /// its incidents.
    pub(crate) async fn flap_check(
        tx: &mut sqlx::Transaction<'static, Db>,
        owner: Owner,
        typed: &Payload,
        now: Millis,
    ) -> Result<bool> {
        let (monitor, state) = match typed {
            Payload::IncidentStart(e) => (Flapper::Endpoint(e.monitor.clone()), "down"),
            Payload::IncidentResolved(e) => (Flapper::Endpoint(e.monitor.clone()), "up"),
            Payload::HeartbeatDown(e) | Payload::HeartbeatUp(e) => (
                Flapper::Heartbeat(FlappingHeartbeat {
                    heartbeat_id: e.heartbeat_id,
                    name: e.name.clone(),
                }),
                if matches!(typed, Payload::HeartbeatDown(_)) {
                    "down"
                } else {
                    "up"
                },
            ),
            _ => return Ok(false),
        };
        let Some((pk, f)) = flaps(owner) else {
            return Ok(false);
        };
        let rule = Self::flap_rule(tx, &f, pk).await?;
        // Whether it flaps already, and its state changes within the window (this one included): one statement.
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT flapping_since, (SELECT COUNT(*) FROM events WHERE {column} = $1 \
             AND kind IN ({changes}) AND created_at > $2) FROM {table} WHERE pk = $1",
            column = f.column,
            changes = f.changes,
            table = f.table,
        )))
        .bind(pk)
        .bind(now - rule.window_ms)
        .fetch_one(&mut **tx)
        .await?;
        let (since, changes): (Option<i64>, i64) = (row.try_get(0)?, row.try_get(1)?);
        if since.is_some() {
            return Ok(true);
        }
        let changes = u32::try_from(changes).unwrap_or(u32::MAX);
        if !rule.flapping(changes) {
            return Ok(false);
        }
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {} SET flapping_since = $2 WHERE pk = $1",
            f.table
        )))
        .bind(pk)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let notice = Payload::Flapping(Flapping {
            monitor,
            started: true,
            state: state.to_owned(),
            changes,
            window_ms: rule.window_ms,
        });
        Self::write_flapping(tx, owner, &notice, now).await?;
        Ok(true)
    }

    /// A flapping monitor whose last state change is a window old is stable again: cleared, with a `flapping`
    /// event in the state it settled in (`down` when `down`). Nothing for one still changing.
    pub(crate) async fn settle_flapping(
        tx: &mut sqlx::Transaction<'static, Db>,
        owner: Owner,
        down: bool,
        now: Millis,
    ) -> Result<()> {
        let Some((pk, f)) = flaps(owner) else {
            return Ok(());
        };
        let rule = Self::flap_rule(tx, &f, pk).await?;
        let last: Option<i64> = sqlx::query(AssertSqlSafe(format!(
            "SELECT MAX(created_at) FROM events WHERE {} = $1 AND kind IN ({})",
            f.column, f.changes
        )))
        .bind(pk)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        if !rule.stable(last.unwrap_or(0), now) {
            return Ok(());
        }
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {} SET flapping_since = NULL WHERE pk = $1",
            f.table
        )))
        .bind(pk)
        .execute(&mut **tx)
        .await?;
        let monitor = match owner {
            Owner::Endpoint(pk) => Flapper::Endpoint(Self::monitor(tx, pk).await?),
            _ => {
                let row = sqlx::query("SELECT id, name FROM heartbeats WHERE pk = $1")
                    .bind(pk)
                    .fetch_one(&mut **tx)
                    .await?;
                Flapper::Heartbeat(FlappingHeartbeat {
                    heartbeat_id: row.try_get("id")?,
                    name: row.try_get("name")?,
                })
            }
        };
        let notice = Payload::Flapping(Flapping {
            monitor,
            started: false,
            state: if down { "down" } else { "up" }.to_owned(),
            changes: 0,
            window_ms: rule.window_ms,
        });
        Self::write_flapping(tx, owner, &notice, now).await
    }

    /// Heartbeats flapping at `now` that have been stable for a window: settled (the heartbeat evaluator's
    /// turn; the flapping few are found through a partial index).
    pub(crate) async fn settle_flapping_heartbeats(
        tx: &mut sqlx::Transaction<'static, Db>,
        now: Millis,
    ) -> Result<()> {
        let flapping: Vec<(i64, String)> =
            sqlx::query("SELECT pk, status FROM heartbeats WHERE flapping_since IS NOT NULL")
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_>>()?;
        for (pk, status) in flapping {
            Self::settle_flapping(tx, Owner::Heartbeat(pk), status == "down", now).await?;
        }
        Ok(())
    }

    /// A `flapping` event of a monitor, to the channels that get its incidents' starts (in order with them).
    async fn write_flapping(
        tx: &mut sqlx::Transaction<'static, Db>,
        owner: Owner,
        notice: &Payload,
        now: Millis,
    ) -> Result<()> {
        let Some((pk, f)) = flaps(owner) else {
            return Ok(());
        };
        super::outbox::log_event(notice);
        let (kind, payload) = events::to_columns(notice)?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO events (id, kind, payload, created_at, {column}, service_pk) \
             VALUES ($1, $2, $3, $4, $5, (SELECT service_pk FROM {table} WHERE pk = $5)) RETURNING pk, service_pk",
            column = f.column,
            table = f.table,
        )))
        .bind(Uuid::new_v4())
        .bind(kind)
        .bind(payload)
        .bind(now)
        .bind(pk)
        .fetch_one(&mut **tx)
        .await?;
        let (event_pk, service_pk): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        sqlx::query(sql::FAN_OUT)
            .bind(event_pk)
            .bind(now)
            .bind(service_pk)
            .bind(f.starts.as_str())
            .bind(f.order_key)
            .bind(false)
            .bind(owner.endpoint_pk())
            .bind(owner.heartbeat_pk())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
