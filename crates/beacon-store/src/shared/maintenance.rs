//! Upkeep (`Maintenance`): round trips, retention steps, space given back, sizes and row counts.

use super::*;

#[async_trait]
impl Maintenance for This {
    async fn forget_workers(&self, before: Millis) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM workers WHERE last_seen_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn round_trip(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn delete_expired(
        &self,
        what: Expiring,
        before: Millis,
        after: i64,
        endpoints: u32,
    ) -> Result<CleanupStep> {
        let page: String = sqlx::query(sql::ENDPOINT_PKS_AFTER)
            .bind(after)
            .bind(i64::from(endpoints.max(1)))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let pks: Vec<i64> = serde_json::from_str(&page).map_err(corrupt)?;
        let Some(last) = pks.last().copied() else {
            return Ok(CleanupStep {
                deleted: 0,
                last: None,
            });
        };
        // One seek per endpoint: an IN list, not a range of endpoints (that would read their kept rows).
        let mut qb = QueryBuilder::<Db>::new(match what {
            Expiring::RawPings => "DELETE FROM pings WHERE slot < ",
            Expiring::Rollups(_) => "DELETE FROM rollups WHERE start < ",
        });
        qb.push_bind(before);
        if let Expiring::Rollups(r) = what {
            qb.push(" AND resolution = ").push_bind(r.seconds());
        }
        qb.push(" AND endpoint_pk IN (");
        let mut list = qb.separated(", ");
        for pk in &pks {
            list.push_bind(*pk);
        }
        qb.push(")");
        let deleted = qb.build().execute(&self.pool).await?.rows_affected();
        Ok(CleanupStep {
            deleted,
            last: Some(last),
        })
    }

    async fn reclaim_space(&self, pages: u32) -> Result<u64> {
        if sql::CHECKPOINT.is_empty() {
            return Ok(0);
        }
        let mut conn = self.pool.acquire().await?;
        let mode: i64 = sqlx::query("PRAGMA auto_vacuum")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let before: i64 = sqlx::query("PRAGMA freelist_count")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        if mode == 2 {
            // Incremental: move up to `pages` free pages to the end of the file and truncate them.
            QueryBuilder::<Db>::new(format!("PRAGMA incremental_vacuum({pages})"))
                .build()
                .execute(&mut *conn)
                .await?;
        }
        let after: i64 = sqlx::query("PRAGMA freelist_count")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        sqlx::query(sql::CHECKPOINT).execute(&mut *conn).await?;
        Ok(u64::try_from(before - after).unwrap_or(0))
    }

    async fn storage_usage(&self) -> Result<StorageUsage> {
        let row = sqlx::query(sql::STORAGE_USAGE)
            .fetch_one(&self.pool)
            .await?;
        let bytes =
            |i: usize| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0)) };
        let path = self.database_path();
        let wal_bytes = path
            .as_ref()
            .and_then(|p| std::fs::metadata(format!("{}-wal", p.display())).ok())
            .map_or(0, |m| m.len());
        Ok(StorageUsage {
            db_bytes: bytes(0)?,
            wal_bytes,
            free_bytes: bytes(1)?,
            path,
        })
    }

    async fn table_rows(&self) -> Result<Vec<(&'static str, i64)>> {
        const TABLES: [&str; 7] = [
            "pings",
            "rollups",
            "heartbeat_pings",
            "events",
            "deliveries",
            "incidents",
            "heartbeat_log",
        ];
        let rows = sqlx::query(sql::TABLE_ROWS).fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for r in rows {
            let name: String = r.try_get(0)?;
            if let Some(t) = TABLES.iter().find(|t| **t == name) {
                out.push((*t, r.try_get::<i64, _>(1)?));
            }
        }
        out.sort_by_key(|(t, _)| TABLES.iter().position(|x| x == t));
        Ok(out)
    }
}
