//! Check results (`Results`): raw pings and the rollup windows folded from them as they are stored.

use super::*;

impl This {
    /// Apply new results to endpoint health and incidents. `results` are (endpoint_pk, record), sorted
    /// by endpoint and slot, and are only results stored for the first time.
    /// Fold newly stored results into their rollup windows (all resolutions): read the windows they
    /// touch, merge in memory, write them back. Called in the transaction that stored the results.
    pub(crate) async fn apply_rollups(
        tx: &mut sqlx::Transaction<'static, Db>,
        region_pk: i32,
        results: &[(i64, &PingRecord)],
    ) -> Result<()> {
        let mut adds: BTreeMap<(i64, i32, Millis), Window> = BTreeMap::new();
        for (endpoint_pk, p) in results {
            for r in Resolution::ALL {
                adds.entry((*endpoint_pk, r.seconds(), r.window_start(p.scheduled_at)))
                    .or_default()
                    .add_result(
                        p.observation.success(),
                        p.observation.degraded().is_some(),
                        i64::from(p.observation.timings.total_us),
                    );
            }
        }
        let endpoints: Vec<i64> = {
            let mut v: Vec<i64> = results.iter().map(|(pk, _)| *pk).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let mut first: HashMap<i32, Millis> = HashMap::new();
        for (_, res, start) in adds.keys() {
            let e = first.entry(*res).or_insert(*start);
            *e = (*e).min(*start);
        }
        for chunk in endpoints.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(sql::JSON_PAGE_OPEN);
            qb.push("endpoint_pk, resolution, start, count, successes, min_us, max_us, sum_us, ");
            qb.push(sql::HEX_SKETCH);
            qb.push(", degraded) AS j FROM rollups WHERE region_pk = ")
                .push_bind(region_pk);
            qb.push(" AND endpoint_pk IN (");
            let mut list = qb.separated(", ");
            for pk in chunk {
                list.push_bind(*pk);
            }
            qb.push(") AND (");
            for (i, (res, start)) in first.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                qb.push("(resolution = ")
                    .push_bind(*res)
                    .push(" AND start >= ")
                    .push_bind(*start)
                    .push(")");
            }
            qb.push(")) AS page");
            let page: String = qb.build().fetch_one(&mut **tx).await?.try_get(0)?;
            for (key, stored) in rollup_page(&page)? {
                if let Some(add) = adds.get_mut(&key) {
                    let mut merged = stored;
                    merged.merge(add);
                    *add = merged;
                }
            }
        }
        let rows: Vec<_> = adds.into_iter().collect();
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO rollups (endpoint_pk, resolution, start, region_pk, count, successes, min_us, \
                 max_us, sum_us, sketch, degraded) ",
            );
            qb.push_values(chunk, |mut b, ((endpoint_pk, res, start), w)| {
                b.push_bind(*endpoint_pk)
                    .push_bind(*res)
                    .push_bind(*start)
                    .push_bind(region_pk)
                    .push_bind(i64::try_from(w.count).unwrap_or(i64::MAX))
                    .push_bind(i64::try_from(w.successes).unwrap_or(i64::MAX))
                    .push_bind(w.min_us)
                    .push_bind(w.max_us)
                    .push_bind(w.sum_us)
                    .push_bind(w.sketch.encode())
                    .push_bind(i64::try_from(w.degraded).unwrap_or(i64::MAX));
            });
            qb.push(
                " ON CONFLICT (endpoint_pk, resolution, start, region_pk) DO UPDATE SET \
                 count = excluded.count, successes = excluded.successes, min_us = excluded.min_us, \
                 max_us = excluded.max_us, sum_us = excluded.sum_us, sketch = excluded.sketch, \
                 degraded = excluded.degraded",
            );
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Results for This {
    async fn list_pings(&self, endpoint_id: Uuid, query: PingQuery) -> Result<Vec<Ping>> {
        let pk = self.endpoint_pk(endpoint_id).await?;
        let mut qb = QueryBuilder::<Db>::new(sql::JSON_PAGE_OPEN);
        qb.push(
            "p.slot, p.start_delay, p.status_code, p.error_kind, p.error, p.dns_us, p.connect_us, p.tls_us, \
             p.first_byte_us, p.total_us, r.name, p.details) AS j FROM pings p JOIN regions r ON r.pk = p.region_pk \
             WHERE p.endpoint_pk = ",
        );
        qb.push_bind(pk)
            .push(" AND p.slot < ")
            .push_bind(query.before.unwrap_or(i64::MAX));
        if query.failed_only {
            qb.push(" AND NOT p.success");
        }
        qb.push(" ORDER BY p.slot DESC LIMIT ")
            .push_bind(i64::from(query.limit))
            .push(") AS page");
        let page: String = qb.build().fetch_one(&self.pool).await?.try_get(0)?;
        ping_page(endpoint_id, &page)
    }

    async fn rollup_windows(
        &self,
        endpoint_id: Uuid,
        resolution: Resolution,
        from: Millis,
        to: Millis,
        region: Option<&str>,
    ) -> Result<Vec<(Millis, Window)>> {
        let pk = self.endpoint_pk(endpoint_id).await?;
        let region_pk: Option<i64> = match region {
            None => None,
            Some(name) => Some(
                sqlx::query("SELECT CAST(pk AS BIGINT) FROM regions WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.try_get::<i64, _>(0))
                    .transpose()?
                    .ok_or(StoreError::NotFound {
                        kind: "region",
                        id: Uuid::nil(),
                    })?,
            ),
        };
        let mut qb = QueryBuilder::<Db>::new(sql::JSON_PAGE_OPEN);
        qb.push("endpoint_pk, resolution, start, count, successes, min_us, max_us, sum_us, ");
        qb.push(sql::HEX_SKETCH);
        qb.push(", degraded) AS j FROM rollups WHERE endpoint_pk = ")
            .push_bind(pk);
        qb.push(" AND resolution = ")
            .push_bind(resolution.seconds());
        qb.push(" AND start >= ")
            .push_bind(from)
            .push(" AND start < ")
            .push_bind(to);
        if let Some(r) = region_pk {
            qb.push(" AND region_pk = ").push_bind(r);
        }
        qb.push(" ORDER BY start) AS page");
        let page: String = qb.build().fetch_one(&self.pool).await?.try_get(0)?;
        let mut windows: Vec<(Millis, Window)> = rollup_page(&page)?
            .into_iter()
            .map(|((_, _, start), w)| (start, w))
            .collect();
        windows.sort_by_key(|(start, _)| *start);
        Ok(windows)
    }

    async fn rollup_windows_of(
        &self,
        endpoint_ids: &[Uuid],
        resolution: Resolution,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<(Uuid, Millis, Window)>> {
        if endpoint_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT CAST(pk AS BIGINT) AS pk, id FROM endpoints WHERE id IN (",
        );
        let mut list = qb.separated(", ");
        for id in endpoint_ids {
            list.push_bind(*id);
        }
        qb.push(")");
        let mut ids = std::collections::HashMap::new();
        for row in qb.build().fetch_all(&self.pool).await? {
            ids.insert(row.try_get::<i64, _>("pk")?, row.try_get::<Uuid, _>("id")?);
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Db>::new(sql::JSON_PAGE_OPEN);
        qb.push("endpoint_pk, resolution, start, count, successes, min_us, max_us, sum_us, ");
        qb.push(sql::HEX_SKETCH);
        qb.push(", degraded) AS j FROM rollups WHERE endpoint_pk IN (");
        let mut list = qb.separated(", ");
        for pk in ids.keys() {
            list.push_bind(*pk);
        }
        qb.push(") AND resolution = ")
            .push_bind(resolution.seconds());
        qb.push(" AND start >= ")
            .push_bind(from)
            .push(" AND start < ")
            .push_bind(to);
        qb.push(") AS page");
        let page: String = qb.build().fetch_one(&self.pool).await?.try_get(0)?;
        Ok(rollup_page(&page)?
            .into_iter()
            .filter_map(|((pk, _, start), w)| ids.get(&pk).map(|id| (*id, start, w)))
            .collect())
    }
}
