//! Status pages and badge keys (`Publishing`).

use super::*;
use beacon_core::status_page::StatusPageSpec;

/// A page's columns (statements on `status_pages` alone).
macro_rules! page_columns {
    () => {
        "pk, id, slug, title, description, show_urls, created_at, updated_at"
    };
}

impl This {
    /// The page in `row` with its services, in order.
    async fn page_from_row(&self, row: &<Db as sqlx::Database>::Row) -> Result<StatusPage> {
        let pk: i64 = row.try_get("pk")?;
        let services = sqlx::query(
            "SELECT s.id FROM status_page_services p JOIN services s ON s.pk = p.service_pk \
             WHERE p.page_pk = $1 ORDER BY p.position",
        )
        .bind(pk)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<Uuid, _>(0))
        .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(StatusPage {
            id: row.try_get("id")?,
            spec: StatusPageSpec {
                slug: row.try_get("slug")?,
                title: row.try_get("title")?,
                description: row.try_get("description")?,
                show_urls: row.try_get("show_urls")?,
                services,
            },
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// Set a page's services (inside its transaction), NotFound naming the first that does not exist.
    async fn put_page_services(
        tx: &mut sqlx::Transaction<'static, Db>,
        page_pk: i64,
        services: &[Uuid],
    ) -> Result<()> {
        sqlx::query("DELETE FROM status_page_services WHERE page_pk = $1")
            .bind(page_pk)
            .execute(&mut **tx)
            .await?;
        for (position, id) in services.iter().enumerate() {
            let inserted = sqlx::query(
                "INSERT INTO status_page_services (page_pk, service_pk, position) \
                 SELECT $1, pk, $2 FROM services WHERE id = $3",
            )
            .bind(page_pk)
            .bind(position as i32)
            .bind(*id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Err(StoreError::NotFound {
                    kind: "service",
                    id: *id,
                });
            }
        }
        Ok(())
    }
}

fn slug_taken(e: sqlx::Error, slug: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("a status page with the slug {slug} exists"))
        }
        _ => e.into(),
    }
}

#[async_trait]
impl Publishing for This {
    async fn create_status_page(&self, spec: &StatusPageSpec, now: Millis) -> Result<StatusPage> {
        let id = Uuid::new_v4();
        let mut tx = self.pool.begin().await?;
        let pk: i64 = sqlx::query(
            "INSERT INTO status_pages (id, slug, title, description, show_urls, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING CAST(pk AS BIGINT)",
        )
        .bind(id)
        .bind(&spec.slug)
        .bind(&spec.title)
        .bind(&spec.description)
        .bind(spec.show_urls)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| slug_taken(e, &spec.slug))?
        .try_get(0)?;
        Self::put_page_services(&mut tx, pk, &spec.services).await?;
        tx.commit().await?;
        Ok(StatusPage {
            id,
            spec: spec.clone(),
            created_at: now,
            updated_at: now,
        })
    }

    async fn list_status_pages(&self) -> Result<Vec<StatusPage>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            page_columns!(),
            " FROM status_pages ORDER BY slug"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.page_from_row(row).await?);
        }
        Ok(out)
    }

    async fn get_status_page(&self, id: Uuid) -> Result<StatusPage> {
        let row = sqlx::query(concat!(
            "SELECT ",
            page_columns!(),
            " FROM status_pages WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            kind: "status page",
            id,
        })?;
        self.page_from_row(&row).await
    }

    async fn status_page_by_slug(&self, slug: &str) -> Result<Option<StatusPage>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            page_columns!(),
            " FROM status_pages WHERE slug = $1"
        ))
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.page_from_row(&row).await?)),
            None => Ok(None),
        }
    }

    async fn update_status_page(
        &self,
        id: Uuid,
        spec: &StatusPageSpec,
        now: Millis,
    ) -> Result<StatusPage> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE status_pages SET slug = $2, title = $3, description = $4, show_urls = $5, updated_at = $6 \
             WHERE id = $1 RETURNING CAST(pk AS BIGINT), created_at",
        )
        .bind(id)
        .bind(&spec.slug)
        .bind(&spec.title)
        .bind(&spec.description)
        .bind(spec.show_urls)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| slug_taken(e, &spec.slug))?
        .ok_or(StoreError::NotFound {
            kind: "status page",
            id,
        })?;
        let pk: i64 = row.try_get(0)?;
        let created_at: i64 = row.try_get(1)?;
        Self::put_page_services(&mut tx, pk, &spec.services).await?;
        tx.commit().await?;
        Ok(StatusPage {
            id,
            spec: spec.clone(),
            created_at,
            updated_at: now,
        })
    }

    async fn delete_status_page(&self, id: Uuid) -> Result<()> {
        let gone = sqlx::query("DELETE FROM status_pages WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound {
                kind: "status page",
                id,
            });
        }
        Ok(())
    }

    async fn set_badge_key(&self, monitor: Uuid, key: Option<&str>) -> Result<()> {
        let (endpoint, pk) = match self.endpoint_pk(monitor).await {
            Ok(pk) => (true, pk),
            Err(StoreError::NotFound { .. }) => (false, self.heartbeat_pk(monitor).await?),
            Err(e) => return Err(e),
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(if endpoint {
            "DELETE FROM badges WHERE endpoint_pk = $1"
        } else {
            "DELETE FROM badges WHERE heartbeat_pk = $1"
        })
        .bind(pk)
        .execute(&mut *tx)
        .await?;
        if let Some(key) = key {
            sqlx::query(if endpoint {
                "INSERT INTO badges (key, endpoint_pk) VALUES ($1, $2)"
            } else {
                "INSERT INTO badges (key, heartbeat_pk) VALUES ($1, $2)"
            })
            .bind(key)
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn badge_key(&self, monitor: Uuid) -> Result<Option<String>> {
        Ok(sqlx::query(
            "SELECT b.key FROM badges b LEFT JOIN endpoints e ON e.pk = b.endpoint_pk \
             LEFT JOIN heartbeats h ON h.pk = b.heartbeat_pk WHERE e.id = $1 OR h.id = $1",
        )
        .bind(monitor)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?)
    }

    async fn badge_monitor(&self, key: &str) -> Result<Option<BadgeMonitor>> {
        let Some(row) = sqlx::query(
            "SELECT e.id AS endpoint, h.id AS heartbeat FROM badges b \
             LEFT JOIN endpoints e ON e.pk = b.endpoint_pk LEFT JOIN heartbeats h ON h.pk = b.heartbeat_pk \
             WHERE b.key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let endpoint: Option<Uuid> = row.try_get("endpoint")?;
        let heartbeat: Option<Uuid> = row.try_get("heartbeat")?;
        Ok(endpoint
            .map(BadgeMonitor::Endpoint)
            .or(heartbeat.map(BadgeMonitor::Heartbeat)))
    }
}
