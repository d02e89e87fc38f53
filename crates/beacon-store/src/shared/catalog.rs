//! Services and endpoints (`Catalog`): an endpoint and its schedule are created, moved and deleted together,
//! with the webhook that carries its `webhook_url`.

use super::*;

impl This {
    /// A JSON-page query over endpoints; the caller adds WHERE / ORDER BY / LIMIT.
    pub(crate) fn endpoints_query() -> QueryBuilder<Db> {
        let mut qb = QueryBuilder::<Db>::new(sql::JSON_PAGE_OPEN);
        qb.push(sql::ENDPOINT_JSON);
        qb
    }

    /// Bind an endpoint's spec as `$1..$10`: name, kind, config, interval_seconds, timeout_ms, alert_threshold,
    /// recovery_threshold, enabled, webhook_url, alert_regions (create and update write the same columns).
    fn bind_spec<'q>(
        query: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
        spec: &EndpointSpec,
    ) -> Result<sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>> {
        let (kind, config) =
            checks::to_columns(&spec.check, &spec.conditions, spec.degraded_above_ms)?;
        Ok(query
            .bind(spec.name.clone())
            .bind(kind)
            .bind(config)
            .bind(clamp_i32(spec.interval_seconds))
            .bind(clamp_i32(spec.timeout_ms))
            .bind(clamp_i32(spec.alert_threshold))
            .bind(clamp_i32(spec.recovery_threshold))
            .bind(spec.enabled)
            .bind(spec.webhook_url.as_ref().map(|u| u.as_str().to_owned()))
            .bind(clamp_i32(spec.alert_regions)))
    }

    /// The keys of the regions named, in order; a name no region has is an error on the field `regions`.
    async fn region_pks(
        tx: &mut sqlx::Transaction<'static, Db>,
        names: &[String],
    ) -> Result<Vec<i32>> {
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let pk: Option<i32> = sqlx::query("SELECT pk FROM regions WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.get(0));
            out.push(pk.ok_or_else(|| {
                beacon_core::ValidationError::new(
                    "regions",
                    format!("no region is named {name:?}; create it first with `beacon regions create {name}`"),
                )
            })?);
        }
        Ok(out)
    }

    /// Schedule rows for `regions` of endpoint `pk`, each from the endpoint's next slot after `now`.
    async fn add_schedules(
        tx: &mut sqlx::Transaction<'static, Db>,
        pk: i64,
        id: Uuid,
        spec: &EndpointSpec,
        regions: &[i32],
        now: Millis,
    ) -> Result<Millis> {
        let interval = spec.interval_ms();
        let first = schedule::slot_at_or_after(now, interval, schedule::phase_ms(id, interval));
        for region in regions {
            sqlx::query(
                "INSERT INTO schedules (endpoint_pk, region_pk, next_slot_at) VALUES ($1, $2, $3)",
            )
            .bind(pk)
            .bind(*region)
            .bind(first)
            .execute(&mut **tx)
            .await?;
        }
        Ok(first)
    }

    pub(crate) async fn read_endpoints<'c, E>(
        exec: E,
        mut qb: QueryBuilder<Db>,
    ) -> Result<Vec<(i64, Endpoint)>>
    where
        E: sqlx::Executor<'c, Database = Db>,
    {
        qb.push(") AS page");
        let page: String = qb.build().fetch_one(exec).await?.try_get(0)?;
        endpoint_page(&page)
    }

    pub(crate) fn service_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Service> {
        let every: Option<i64> = row.try_get("remind_every_ms")?;
        let max: Option<i32> = row.try_get("remind_max")?;
        Ok(Service {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            reminders: match (every, max) {
                (Some(every_ms), Some(max)) => Some(Reminders {
                    every_ms,
                    max: to_u32(max, "remind_max")?,
                }),
                _ => None,
            },
            escalation_policy_id: row.try_get("escalation_policy_id")?,
            flap_rule: match (
                row.try_get::<Option<i32>, _>("flap_changes")?,
                row.try_get::<Option<i64>, _>("flap_window_ms")?,
            ) {
                (Some(changes), Some(window_ms)) => Some(beacon_core::flapping::FlapRule {
                    changes: to_u32(changes, "flap_changes")?,
                    window_ms,
                }),
                _ => None,
            },
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// The internal key of the row with public id `id` in the table of `kind` (`service`, `endpoint` or
    /// `heartbeat`), or NotFound naming the kind.
    async fn pk_of(&self, kind: &'static str, id: Uuid) -> Result<i64> {
        let sql = match kind {
            "service" => "SELECT pk FROM services WHERE id = $1",
            "endpoint" => "SELECT pk FROM endpoints WHERE id = $1",
            _ => "SELECT pk FROM heartbeats WHERE id = $1",
        };
        sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.get::<i64, _>(0))
            .ok_or(StoreError::NotFound { kind, id })
    }

    /// ` WHERE a.pk > … [AND a.service_pk = …] ORDER BY a.pk [LIMIT …]`: a keyset page of the rows (aliased
    /// `alias`) of one service, or of all.
    pub(crate) async fn push_service_page(
        &self,
        qb: &mut QueryBuilder<Db>,
        alias: &str,
        service_id: Option<Uuid>,
        page: Page,
    ) -> Result<()> {
        qb.push(format_args!(" WHERE {alias}.pk > "))
            .push_bind(page.after.unwrap_or(0));
        if let Some(sid) = service_id {
            let service_pk = self.service_pk(sid).await?;
            qb.push(format_args!(" AND {alias}.service_pk = "))
                .push_bind(service_pk);
        }
        qb.push(format_args!(" ORDER BY {alias}.pk"));
        push_limit(qb, page);
        Ok(())
    }

    pub(crate) async fn service_pk(&self, id: Uuid) -> Result<i64> {
        self.pk_of("service", id).await
    }

    pub(crate) async fn endpoint_pk(&self, id: Uuid) -> Result<i64> {
        self.pk_of("endpoint", id).await
    }

    pub(crate) async fn heartbeat_pk(&self, id: Uuid) -> Result<i64> {
        self.pk_of("heartbeat", id).await
    }
}

#[async_trait]
impl Catalog for This {
    async fn create_service(&self, name: &str, description: &str, now: Millis) -> Result<Service> {
        let service = Service {
            id: Uuid::new_v4(),
            name: beacon_core::endpoint::validate_name(name)?,
            description: description.trim().to_owned(),
            reminders: None,
            escalation_policy_id: None,
            flap_rule: None,
            created_at: now,
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO services (id, name, description, created_at, updated_at, ping_key) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(service.id)
        .bind(&service.name)
        .bind(&service.description)
        .bind(now)
        .bind(&Uuid::new_v4().simple().to_string()[..22])
        .execute(&self.pool)
        .await?;
        Ok(service)
    }

    async fn list_services(&self, page: Page) -> Result<Paged<Service>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT pk, id, name, description, remind_every_ms, remind_max, flap_changes, flap_window_ms, created_at, updated_at, \
             (SELECT p.id FROM escalation_policies p WHERE p.pk = services.escalation_policy_pk) AS escalation_policy_id \
             FROM services WHERE pk > ",
        );
        qb.push_bind(page.after.unwrap_or(0)).push(" ORDER BY pk");
        push_limit(&mut qb, page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in &rows {
            items.push(Self::service_from_row(row)?);
            last = Some(row.try_get::<i64, _>("pk")?);
        }
        Ok(paged(items, last, page))
    }

    async fn get_service(&self, id: Uuid) -> Result<Service> {
        let row = sqlx::query(
            "SELECT id, name, description, remind_every_ms, remind_max, flap_changes, flap_window_ms, created_at, updated_at, \
             (SELECT p.id FROM escalation_policies p WHERE p.pk = services.escalation_policy_pk) AS escalation_policy_id \
             FROM services WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            kind: "service",
            id,
        })?;
        Self::service_from_row(&row)
    }

    async fn update_service(
        &self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
        now: Millis,
    ) -> Result<Service> {
        let name = name.map(beacon_core::endpoint::validate_name).transpose()?;
        let updated = sqlx::query(
            "UPDATE services SET name = COALESCE($2, name), description = COALESCE($3, description), \
             updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(description.map(str::trim))
        .bind(now)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "service",
                id,
            });
        }
        self.get_service(id).await
    }

    async fn set_service_reminders(
        &self,
        id: Uuid,
        reminders: Option<Reminders>,
        now: Millis,
    ) -> Result<Service> {
        let updated = sqlx::query(
            "UPDATE services SET remind_every_ms = $2, remind_max = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(reminders.map(|r| r.every_ms))
        .bind(reminders.map(|r| i32::try_from(r.max).unwrap_or(i32::MAX)))
        .bind(now)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "service",
                id,
            });
        }
        self.get_service(id).await
    }

    async fn set_service_flap_rule(
        &self,
        id: Uuid,
        rule: Option<beacon_core::flapping::FlapRule>,
        now: Millis,
    ) -> Result<Service> {
        let updated = sqlx::query(
            "UPDATE services SET flap_changes = $2, flap_window_ms = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(rule.map(|r| i32::try_from(r.changes).unwrap_or(i32::MAX)))
        .bind(rule.map(|r| r.window_ms))
        .bind(now)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "service",
                id,
            });
        }
        self.get_service(id).await
    }

    async fn delete_service(&self, id: Uuid, cascade: bool) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk: i64 = sqlx::query("SELECT pk FROM services WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.get(0))
            .ok_or(StoreError::NotFound {
                kind: "service",
                id,
            })?;
        let endpoints: i64 = sqlx::query("SELECT COUNT(*) FROM endpoints WHERE service_pk = $1")
            .bind(pk)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        if endpoints > 0 && !cascade {
            return Err(StoreError::Conflict(format!(
                "service {id} still has {endpoints} endpoint(s); delete them first or use --cascade"
            )));
        }
        sqlx::query("DELETE FROM pings WHERE endpoint_pk IN (SELECT pk FROM endpoints WHERE service_pk = $1)")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM endpoints WHERE service_pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM services WHERE pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_endpoint(
        &self,
        service_id: Uuid,
        spec: &EndpointSpec,
        now: Millis,
    ) -> Result<Endpoint> {
        let id = Uuid::new_v4();
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let service_pk: i64 = sqlx::query("SELECT pk FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.get(0))
            .ok_or(StoreError::NotFound {
                kind: "service",
                id: service_id,
            })?;
        let insert = sqlx::query(
            "INSERT INTO endpoints (name, kind, config, interval_seconds, timeout_ms, alert_threshold, \
             recovery_threshold, enabled, webhook_url, alert_regions, id, service_pk, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING pk",
        );
        let pk: i64 = Self::bind_spec(insert, spec)?
            .bind(id)
            .bind(service_pk)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        let regions = Self::region_pks(&mut tx, &spec.regions).await?;
        let first = Self::add_schedules(&mut tx, pk, id, spec, &regions, now).await?;
        Self::sync_endpoint_webhook(&mut tx, pk, spec.webhook_url.as_ref(), now).await?;
        tx.commit().await?;
        Ok(Endpoint {
            id,
            service_id,
            spec: spec.clone(),
            status: Status::Unknown,
            last_checked_at: None,
            last_error_kind: None,
            consecutive_failures: 0,
            next_check_at: Some(first),
            created_at: now,
            updated_at: now,
        })
    }

    async fn list_endpoints(
        &self,
        service_id: Option<Uuid>,
        page: Page,
    ) -> Result<Paged<Endpoint>> {
        let mut qb = Self::endpoints_query();
        self.push_service_page(&mut qb, "e", service_id, page)
            .await?;
        let rows = Self::read_endpoints(&self.pool, qb).await?;
        let last = rows.last().map(|(pk, _)| *pk);
        Ok(paged(
            rows.into_iter().map(|(_, e)| e).collect(),
            last,
            page,
        ))
    }

    async fn get_endpoint(&self, id: Uuid) -> Result<Endpoint> {
        let mut qb = Self::endpoints_query();
        qb.push(" WHERE e.id = ").push_bind(id);
        Self::read_endpoints(&self.pool, qb)
            .await?
            .pop()
            .map(|(_, e)| e)
            .ok_or(StoreError::NotFound {
                kind: "endpoint",
                id,
            })
    }

    async fn update_endpoint(
        &self,
        id: Uuid,
        input: EndpointInput,
        now: Millis,
    ) -> Result<Endpoint> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let mut qb = Self::endpoints_query();
        qb.push(" WHERE e.id = ")
            .push_bind(id)
            .push(sql::FOR_UPDATE);
        let (pk, current) =
            Self::read_endpoints(&mut *tx, qb)
                .await?
                .pop()
                .ok_or(StoreError::NotFound {
                    kind: "endpoint",
                    id,
                })?;
        let spec = current.spec.apply(input)?;
        let update = sqlx::query(
            "UPDATE endpoints SET name = $1, kind = $2, config = $3, interval_seconds = $4, timeout_ms = $5, \
             alert_threshold = $6, recovery_threshold = $7, enabled = $8, webhook_url = $9, alert_regions = $10, \
             updated_at = $11 WHERE pk = $12",
        );
        Self::bind_spec(update, &spec)?
            .bind(now)
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        if spec.regions != current.spec.regions {
            let wanted = Self::region_pks(&mut tx, &spec.regions).await?;
            let had = Self::region_pks(&mut tx, &current.spec.regions).await?;
            for gone in had.iter().filter(|r| !wanted.contains(r)) {
                sqlx::query("DELETE FROM schedules WHERE endpoint_pk = $1 AND region_pk = $2")
                    .bind(pk)
                    .bind(*gone)
                    .execute(&mut *tx)
                    .await?;
            }
            let new: Vec<i32> = wanted.into_iter().filter(|r| !had.contains(r)).collect();
            Self::add_schedules(&mut tx, pk, id, &spec, &new, now).await?;
        }
        if spec.webhook_url != current.spec.webhook_url {
            Self::sync_endpoint_webhook(&mut tx, pk, spec.webhook_url.as_ref(), now).await?;
        }
        let mut current = current;
        if current.spec.enabled && !spec.enabled {
            Self::pause_endpoint(&mut tx, pk, now).await?;
            current.status = Status::Unknown;
            current.consecutive_failures = 0;
        }
        let rescheduled = spec.interval_seconds != current.spec.interval_seconds
            || (spec.enabled && !current.spec.enabled);
        let mut next_check_at = current.next_check_at;
        if rescheduled {
            // A new grid from now; any lease on the old slot is void (its completion will not match).
            let interval = spec.interval_ms();
            let next = schedule::slot_at_or_after(now, interval, schedule::phase_ms(id, interval));
            sqlx::query(
                "UPDATE schedules SET next_slot_at = $2, lease_owner = NULL, lease_expires_at = NULL \
                 WHERE endpoint_pk = $1",
            )
            .bind(pk)
            .bind(next)
            .execute(&mut *tx)
            .await?;
            next_check_at = Some(next);
        }
        tx.commit().await?;
        Ok(Endpoint {
            spec,
            updated_at: now,
            next_check_at,
            ..current
        })
    }

    async fn delete_endpoint(&self, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk: i64 = sqlx::query("SELECT pk FROM endpoints WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.get(0))
            .ok_or(StoreError::NotFound {
                kind: "endpoint",
                id,
            })?;
        sqlx::query("DELETE FROM pings WHERE endpoint_pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM endpoints WHERE pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
