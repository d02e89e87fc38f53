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

    async fn region_pk(&self, name: &str) -> Result<Option<i32>> {
        Ok(sqlx::query("SELECT pk FROM regions WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.get(0)))
    }

    async fn endpoint_regions(&self, endpoint_id: Uuid) -> Result<Vec<RegionState>> {
        let pk = self.endpoint_pk(endpoint_id).await?;
        sqlx::query(
            "SELECT r.name, s.status, s.region_down, s.consecutive_failures, s.last_checked_at, \
             s.last_error_kind, s.next_slot_at FROM schedules s JOIN regions r ON r.pk = s.region_pk \
             WHERE s.endpoint_pk = $1 ORDER BY r.pk",
        )
        .bind(pk)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            let status = Status::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?;
            let down: bool = row.try_get("region_down")?;
            Ok(RegionState {
                region: row.try_get("name")?,
                status: if down { Status::Down } else { status },
                consecutive_failures: to_u32(row.try_get("consecutive_failures")?, "failures")?,
                last_checked_at: row.try_get("last_checked_at")?,
                last_error_kind: row
                    .try_get::<Option<i32>, _>("last_error_kind")?
                    .and_then(|k| i16::try_from(k).ok())
                    .and_then(beacon_core::ping::ErrorKind::from_code),
                next_check_at: row.try_get("next_slot_at")?,
            })
        })
        .collect()
    }

    async fn schedules_in_region(
        &self,
        region_pk: i32,
        pairs: &[(i64, i64)],
    ) -> Result<HashSet<i64>> {
        let mut out = HashSet::with_capacity(pairs.len());
        for chunk in pairs.chunks(CHUNK) {
            let mut qb =
                QueryBuilder::<Db>::new("SELECT pk, endpoint_pk FROM schedules WHERE region_pk = ");
            qb.push_bind(region_pk).push(" AND pk IN (");
            let mut list = qb.separated(", ");
            for (schedule, _) in chunk {
                list.push_bind(*schedule);
            }
            qb.push(")");
            let wanted: HashMap<i64, i64> = chunk.iter().copied().collect();
            for row in qb.build().fetch_all(&self.pool).await? {
                let pk: i64 = row.try_get(0)?;
                if wanted.get(&pk) == Some(&row.try_get::<i64, _>(1)?) {
                    out.insert(pk);
                }
            }
        }
        Ok(out)
    }

    async fn record_worker(&self, w: &WorkerReport) -> Result<()> {
        let updated = sqlx::query(
            "UPDATE workers SET last_seen_at = $2, in_flight = $3, checks_per_minute = $4, pending = $5, \
             address = $6 WHERE instance = $1",
        )
        .bind(&w.instance)
        .bind(w.last_seen_at)
        .bind(clamp_i32(w.in_flight))
        .bind(clamp_i32(w.checks_per_minute))
        .bind(clamp_i32(w.pending))
        .bind(&w.address)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if updated > 0 {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO workers (instance, name, region_pk, version, address, connected_at, last_seen_at, \
             in_flight, checks_per_minute, pending) SELECT $1, $2, r.pk, $4, $5, $6, $7, $8, $9, $10 \
             FROM regions r WHERE r.name = $3 ON CONFLICT (instance) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind(&w.instance)
        .bind(&w.name)
        .bind(&w.region)
        .bind(&w.version)
        .bind(&w.address)
        .bind(w.connected_at)
        .bind(w.last_seen_at)
        .bind(clamp_i32(w.in_flight))
        .bind(clamp_i32(w.checks_per_minute))
        .bind(clamp_i32(w.pending))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_workers(&self, seen_since: Millis) -> Result<Vec<WorkerReport>> {
        sqlx::query(
            "SELECT w.instance, w.name, r.name AS region, w.version, w.address, w.connected_at, w.last_seen_at, \
             w.in_flight, w.checks_per_minute, w.pending FROM workers w JOIN regions r ON r.pk = w.region_pk \
             WHERE w.last_seen_at >= $1 ORDER BY r.name, w.name, w.connected_at",
        )
        .bind(seen_since)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(WorkerReport {
                instance: row.try_get("instance")?,
                name: row.try_get("name")?,
                region: row.try_get("region")?,
                version: row.try_get("version")?,
                address: row.try_get("address")?,
                connected_at: row.try_get("connected_at")?,
                last_seen_at: row.try_get("last_seen_at")?,
                in_flight: to_u32(row.try_get("in_flight")?, "in_flight")?,
                checks_per_minute: to_u32(row.try_get("checks_per_minute")?, "checks_per_minute")?,
                pending: to_u32(row.try_get("pending")?, "pending")?,
            })
        })
        .collect()
    }

    async fn add_worker_cert(&self, cert: &WorkerCert) -> Result<()> {
        let inserted = sqlx::query(
            "INSERT INTO worker_certs (fingerprint, name, region_pk, created_at, expires_at) \
             SELECT $1, $2, r.pk, $4, $5 FROM regions r WHERE r.name = $3",
        )
        .bind(cert.fingerprint.to_vec())
        .bind(&cert.name)
        .bind(&cert.region)
        .bind(cert.created_at)
        .bind(cert.expires_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(beacon_core::ValidationError::new(
                "region",
                format!(
                    "no region is named {:?}; create it first with `beacon regions create {}`",
                    cert.region, cert.region
                ),
            )
            .into());
        }
        Ok(())
    }

    async fn revoke_worker_certs(&self, name: &str, now: Millis) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE worker_certs SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
        )
        .bind(name)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn worker_cert(&self, fingerprint: &[u8; 32]) -> Result<Option<WorkerCert>> {
        let Some(row) = sqlx::query(
            "SELECT c.name, r.name AS region, c.created_at, c.expires_at, c.revoked_at FROM worker_certs c \
             JOIN regions r ON r.pk = c.region_pk WHERE c.fingerprint = $1",
        )
        .bind(fingerprint.to_vec())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(WorkerCert {
            fingerprint: *fingerprint,
            name: row.try_get("name")?,
            region: row.try_get("region")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            revoked_at: row.try_get("revoked_at")?,
        }))
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
