//! Escalation policies (`Escalations`): steps of channels stored by pk, read back as ids.

use super::outbox::StoredStep;
use super::*;

fn name_taken(e: sqlx::Error, name: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("an escalation policy named {name:?} exists"))
        }
        _ => e.into(),
    }
}

impl This {
    async fn read_policies(&self, id: Option<Uuid>) -> Result<Vec<EscalationPolicy>> {
        let rows = match id {
            Some(id) => {
                sqlx::query(
                    "SELECT id, name, steps, repeat, created_at, updated_at FROM escalation_policies WHERE id = $1",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT id, name, steps, repeat, created_at, updated_at FROM escalation_policies ORDER BY pk",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        let channel_ids: HashMap<i64, Uuid> = sqlx::query("SELECT pk, id FROM webhooks")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_>>()?;
        rows.iter()
            .map(|row| {
                let steps: String = row.try_get("steps")?;
                let steps: Vec<StoredStep> = serde_json::from_str(&steps).map_err(corrupt)?;
                Ok(EscalationPolicy {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    steps: steps
                        .into_iter()
                        .map(|s| PolicyStep {
                            delay_ms: s.delay_ms,
                            // A channel deleted since is left out.
                            channels: s
                                .channels
                                .iter()
                                .filter_map(|pk| channel_ids.get(pk).copied())
                                .collect(),
                        })
                        .collect(),
                    repeat: to_u32(row.try_get("repeat")?, "repeat")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl Escalations for This {
    async fn create_policy(
        &self,
        name: &str,
        steps: &[PolicyStep],
        repeat: u32,
        now: Millis,
    ) -> Result<EscalationPolicy> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let mut stored = Vec::with_capacity(steps.len());
        for step in steps {
            let mut pks = Vec::with_capacity(step.channels.len());
            for id in &step.channels {
                let pk: i64 = sqlx::query("SELECT pk FROM webhooks WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound {
                        kind: "channel",
                        id: *id,
                    })?
                    .try_get(0)?;
                pks.push(pk);
            }
            stored.push(StoredStep {
                delay_ms: step.delay_ms,
                channels: pks,
            });
        }
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO escalation_policies (id, name, steps, repeat, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(serde_json::to_string(&stored).map_err(corrupt)?)
        .bind(i32::try_from(repeat).unwrap_or(i32::MAX))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| name_taken(e, name))?;
        tx.commit().await?;
        self.get_policy(id).await
    }

    async fn list_policies(&self) -> Result<Vec<EscalationPolicy>> {
        self.read_policies(None).await
    }

    async fn get_policy(&self, id: Uuid) -> Result<EscalationPolicy> {
        self.read_policies(Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound {
                kind: "escalation policy",
                id,
            })
    }

    async fn delete_policy(&self, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        // Explicitly, not by the foreign key's ON DELETE: SQLite enforces it only with foreign keys on.
        sqlx::query(
            "UPDATE services SET escalation_policy_pk = NULL \
             WHERE escalation_policy_pk = (SELECT pk FROM escalation_policies WHERE id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM escalation_policies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "escalation policy",
                id,
            });
        }
        tx.commit().await?;
        Ok(())
    }

    async fn monitor_notifications(&self, monitor_id: Uuid) -> Result<MonitorNotifications> {
        self.read_monitor_notifications(monitor_id).await
    }

    async fn set_monitor_follow_ups(
        &self,
        monitor_id: Uuid,
        reminders: Option<Setting<Reminders>>,
        escalation: Option<Setting<Uuid>>,
        now: Millis,
    ) -> Result<MonitorNotifications> {
        self.write_monitor_follow_ups(monitor_id, reminders, escalation, now)
            .await?;
        self.read_monitor_notifications(monitor_id).await
    }

    async fn set_service_policy(
        &self,
        service_id: Uuid,
        policy_id: Option<Uuid>,
        now: Millis,
    ) -> Result<Service> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let policy_pk: Option<i64> = match policy_id {
            Some(id) => Some(
                sqlx::query("SELECT pk FROM escalation_policies WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound {
                        kind: "escalation policy",
                        id,
                    })?
                    .try_get(0)?,
            ),
            None => None,
        };
        let updated = sqlx::query(
            "UPDATE services SET escalation_policy_pk = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(service_id)
        .bind(policy_pk)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "service",
                id: service_id,
            });
        }
        tx.commit().await?;
        self.get_service(service_id).await
    }
}
