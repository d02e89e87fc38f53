//! Regions (`Regions`) and leases on duties that run once (`Leadership`).

use super::*;

#[async_trait]
impl Regions for This {
    async fn create_region(&self, name: &str) -> Result<Region> {
        let name = beacon_core::region::validate_name(name)?;
        // The next pk in the same statement; two servers racing collide on the key and one is told to retry.
        let inserted = sqlx::query(
            "INSERT INTO regions (pk, name) SELECT COALESCE(MAX(pk), 0) + 1, $1 FROM regions WHERE TRUE \
             ON CONFLICT DO NOTHING",
        )
        .bind(&name)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "a region named {name} exists (or was being created at the same moment: try again)"
            )));
        }
        Ok(Region { name, endpoints: 0 })
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        sqlx::query(
            "SELECT r.name, (SELECT COUNT(*) FROM schedules s WHERE s.region_pk = r.pk) AS endpoints \
             FROM regions r ORDER BY r.name",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(Region {
                name: row.try_get("name")?,
                endpoints: row.try_get("endpoints")?,
            })
        })
        .collect()
    }
}

#[async_trait]
impl Leadership for This {
    async fn hold_lease(&self, duty: &str, holder: &str, now: Millis, ttl_ms: i64) -> Result<bool> {
        // One statement: take a free or expired lease, or renew one's own; another's live lease stays.
        let taken = sqlx::query(
            "INSERT INTO leader_leases (duty, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (duty) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leader_leases.holder = excluded.holder OR leader_leases.expires_at <= $4",
        )
        .bind(duty)
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    async fn release_lease(&self, duty: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leader_leases WHERE duty = $1 AND holder = $2")
            .bind(duty)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
