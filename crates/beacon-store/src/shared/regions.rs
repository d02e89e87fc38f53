//! Regions (`Regions`).

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
