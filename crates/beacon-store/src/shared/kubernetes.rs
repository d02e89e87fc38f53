//! The Kubernetes watcher's records (`Kubernetes`): objects by uid, their `created`/`deleted` events in the
//! outbox, watch positions, and their cleanup. Each state change is conditional in its own statement (an upsert
//! that only revives a deleted record, an update that only retires an active one), so a second process seeing the
//! same object records nothing twice.

use super::*;
use beacon_core::event::EventKind;
use beacon_core::kubernetes::{
    self as kube, Change, Known, ObjectEvent, ObjectMeta, Reason, Sighting,
};
use sqlx::AssertSqlSafe;

const KUBE_OBJECT_COLUMNS: &str = "o.id, o.uid, o.api_version, o.kind, o.namespace, o.name, o.annotation_value, \
     o.labels, o.annotations, o.resource_version, o.status, o.created_at, o.updated_at, o.deleted_at";

fn kube_object_from_row(row: &<Db as sqlx::Database>::Row) -> Result<KubeObject> {
    let namespace: String = row.try_get("namespace")?;
    let labels: String = row.try_get("labels")?;
    let annotations: String = row.try_get("annotations")?;
    let status: String = row.try_get("status")?;
    Ok(KubeObject {
        id: row.try_get("id")?,
        meta: ObjectMeta {
            uid: row.try_get("uid")?,
            api_version: row.try_get("api_version")?,
            kind: row.try_get("kind")?,
            name: row.try_get("name")?,
            namespace: (!namespace.is_empty()).then_some(namespace),
            labels: serde_json::from_str(&labels).map_err(corrupt)?,
            annotations: serde_json::from_str(&annotations).map_err(corrupt)?,
            resource_version: row.try_get("resource_version")?,
        },
        annotation_value: row.try_get("annotation_value")?,
        status: KubeObjectStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("kube object status {status:?}")))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

fn json_map(m: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(m).map_err(corrupt)
}

impl This {
    pub(crate) async fn service_pk_of(
        tx: &mut sqlx::Transaction<'static, Db>,
        id: Uuid,
    ) -> Result<i64> {
        sqlx::query("SELECT pk FROM services WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound {
                kind: "service",
                id,
            })?
            .try_get(0)
            .map_err(Into::into)
    }

    /// Record one change of an object, if its record is in the state the change starts from, with its event.
    async fn kube_change(
        tx: &mut sqlx::Transaction<'static, Db>,
        service_pk: i64,
        meta: &ObjectMeta,
        annotation_value: &str,
        change: Change,
        reason: Reason,
        now: Millis,
    ) -> Result<Option<KubeRecorded>> {
        let (labels, annotations) = (json_map(&meta.labels)?, json_map(&meta.annotations)?);
        let namespace = meta.namespace.as_deref().unwrap_or("");
        let row = match change {
            Change::Created => sqlx::query(
                "INSERT INTO kube_objects (id, uid, api_version, kind, namespace, name, annotation_value, labels, \
                 annotations, resource_version, status, created_at, updated_at, service_pk) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $11, $12) \
                 ON CONFLICT (uid) DO UPDATE SET api_version = excluded.api_version, kind = excluded.kind, \
                 namespace = excluded.namespace, name = excluded.name, \
                 annotation_value = excluded.annotation_value, labels = excluded.labels, \
                 annotations = excluded.annotations, resource_version = excluded.resource_version, \
                 status = 'active', updated_at = excluded.updated_at, deleted_at = NULL, \
                 service_pk = excluded.service_pk \
                 WHERE kube_objects.status = 'deleted' RETURNING pk, id, annotation_value",
            )
            .bind(Uuid::new_v4())
            .bind(&meta.uid)
            .bind(&meta.api_version)
            .bind(&meta.kind)
            .bind(namespace)
            .bind(&meta.name)
            .bind(annotation_value)
            .bind(&labels)
            .bind(&annotations)
            .bind(&meta.resource_version)
            .bind(now)
            .bind(service_pk)
            .fetch_optional(&mut **tx)
            .await?,
            Change::Deleted => sqlx::query(
                "UPDATE kube_objects SET status = 'deleted', deleted_at = $2, updated_at = $2, name = $3, \
                 labels = $4, annotations = $5, resource_version = $6 \
                 WHERE uid = $1 AND status = 'active' RETURNING pk, id, annotation_value",
            )
            .bind(&meta.uid)
            .bind(now)
            .bind(&meta.name)
            .bind(&labels)
            .bind(&annotations)
            .bind(&meta.resource_version)
            .fetch_optional(&mut **tx)
            .await?,
        };
        let Some(row) = row else {
            return Ok(None);
        };
        // For a deletion, the value it was tracked with (the object may have lost the annotation).
        let (pk, object_id, annotation_value): (i64, Uuid, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let event = ObjectEvent {
            object: meta.clone(),
            annotation_value,
            reason,
            detected_at: now,
        };
        let payload = match change {
            Change::Created => Payload::KubernetesCreated(event),
            Change::Deleted => Payload::KubernetesDeleted(event),
        };
        let event_id = Self::insert_event(tx, Owner::KubeObject(pk), &payload, now, false).await?;
        Ok(Some(KubeRecorded {
            event_id,
            object_id,
            change,
            reason,
            uid: meta.uid.clone(),
            kind: meta.kind.clone(),
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
        }))
    }

    async fn set_position(
        tx: &mut sqlx::Transaction<'static, Db>,
        position: Option<(&str, &str)>,
        now: Millis,
    ) -> Result<()> {
        if let Some((watch, rv)) = position {
            sqlx::query(
                "INSERT INTO kube_watch_positions (watch, resource_version, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (watch) DO UPDATE SET resource_version = excluded.resource_version, \
                 updated_at = excluded.updated_at",
            )
            .bind(watch)
            .bind(rv)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Kubernetes for This {
    async fn kube_target(&self, target: &KubeTarget, now: Millis) -> Result<KubeTargetIds> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let existing = sqlx::query("SELECT pk, id FROM services WHERE name = $1")
            .bind(&target.service_name)
            .fetch_optional(&mut *tx)
            .await?;
        let (service_pk, service_id): (i64, Uuid) = match existing {
            Some(row) => (row.try_get(0)?, row.try_get(1)?),
            None => {
                let id = Uuid::new_v4();
                let row = sqlx::query(
                    "INSERT INTO services (id, name, description, created_at, updated_at, ping_key) \
                     VALUES ($1, $2, $3, $4, $4, $5) RETURNING pk",
                )
                .bind(id)
                .bind(beacon_core::endpoint::validate_name(&target.service_name)?)
                .bind("Kubernetes objects the watcher tracks")
                .bind(now)
                .bind(&Uuid::new_v4().simple().to_string()[..22])
                .fetch_one(&mut *tx)
                .await?;
                (row.try_get(0)?, id)
            }
        };
        let mut ids = KubeTargetIds {
            service_id,
            webhook_id: None,
            new_secret: None,
        };
        let managed: Option<Uuid> = sqlx::query(
            "SELECT id FROM webhooks WHERE service_pk = $1 AND managed_by = 'kubernetes' ORDER BY pk LIMIT 1",
        )
        .bind(service_pk)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        match (&target.webhook, managed) {
            (Some(hook), existing) => {
                let headers = serde_json::to_string(&hook.headers).map_err(corrupt)?;
                let options = serde_json::to_string(&hook.options).map_err(corrupt)?;
                let events = format!(
                    ",{},{},",
                    EventKind::KubernetesCreated.as_str(),
                    EventKind::KubernetesDeleted.as_str()
                );
                let id = match existing {
                    Some(id) => {
                        sqlx::query(
                            "UPDATE webhooks SET url = $2, format = $3, headers = $4, options = $5, events = $6, \
                             updated_at = $7 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(hook.url.as_str())
                        .bind(hook.format.as_str())
                        .bind(&headers)
                        .bind(&options)
                        .bind(&events)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        id
                    }
                    None => {
                        let (id, secret) = (Uuid::new_v4(), new_secret());
                        sqlx::query(
                            "INSERT INTO webhooks (id, service_pk, url, events, secret, headers, created_at, \
                             updated_at, format, options, managed_by) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, 'kubernetes')",
                        )
                        .bind(id)
                        .bind(service_pk)
                        .bind(hook.url.as_str())
                        .bind(&events)
                        .bind(secret.expose())
                        .bind(&headers)
                        .bind(now)
                        .bind(hook.format.as_str())
                        .bind(&options)
                        .execute(&mut *tx)
                        .await?;
                        ids.new_secret = Some(secret);
                        id
                    }
                };
                ids.webhook_id = Some(id);
            }
            (None, Some(id)) => {
                // The configuration no longer names an endpoint: its webhook goes, with its deliveries.
                sqlx::query(
                    "DELETE FROM delivery_attempts WHERE delivery_pk IN (SELECT d.pk FROM deliveries d \
                     JOIN webhooks w ON w.pk = d.webhook_pk WHERE w.id = $1)",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM deliveries WHERE webhook_pk = (SELECT pk FROM webhooks WHERE id = $1)",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM webhooks WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            (None, None) => {}
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn kube_record(
        &self,
        service_id: Uuid,
        sightings: &[Sighting],
        position: Option<(&str, &str)>,
        now: Millis,
    ) -> Result<Vec<KubeRecorded>> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let service_pk = Self::service_pk_of(&mut tx, service_id).await?;
        let mut out = Vec::new();
        for s in sightings {
            // No lock: the change statements themselves are conditional on the state read here.
            let row =
                sqlx::query("SELECT status, resource_version FROM kube_objects WHERE uid = $1")
                    .bind(&s.meta.uid)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (known, stored_rv) = match row {
                None => (Known::Unknown, None),
                Some(r) => {
                    let status: String = r.try_get(0)?;
                    let rv: String = r.try_get(1)?;
                    let known = if status == "active" {
                        Known::Active
                    } else {
                        Known::Inactive
                    };
                    (known, Some(rv))
                }
            };
            match kube::on_sighting(known, s) {
                Some((change, reason)) => {
                    let value = s.tracked.as_deref().unwrap_or("");
                    if let Some(r) =
                        Self::kube_change(&mut tx, service_pk, &s.meta, value, change, reason, now)
                            .await?
                    {
                        out.push(r);
                    }
                }
                // Still tracked: keep what a deletion event will report up to date.
                None if known == Known::Active
                    && stored_rv.as_deref() != Some(s.meta.resource_version.as_str()) =>
                {
                    sqlx::query(
                        "UPDATE kube_objects SET name = $2, labels = $3, annotations = $4, \
                         resource_version = $5, annotation_value = $6, updated_at = $7 \
                         WHERE uid = $1 AND status = 'active'",
                    )
                    .bind(&s.meta.uid)
                    .bind(&s.meta.name)
                    .bind(json_map(&s.meta.labels)?)
                    .bind(json_map(&s.meta.annotations)?)
                    .bind(&s.meta.resource_version)
                    .bind(s.tracked.as_deref().unwrap_or(""))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {}
            }
        }
        Self::set_position(&mut tx, position, now).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn kube_reconcile(
        &self,
        service_id: Uuid,
        scope: &KubeScope,
        listed: &[Sighting],
        position: Option<(&str, &str)>,
        now: Millis,
    ) -> Result<Vec<KubeRecorded>> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let service_pk = Self::service_pk_of(&mut tx, service_id).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {KUBE_OBJECT_COLUMNS} FROM kube_objects o \
             WHERE o.kind = $1 AND o.api_version = $2 AND o.status = 'active'"
        )))
        .bind(&scope.kind)
        .bind(&scope.api_version)
        .fetch_all(&mut *tx)
        .await?;
        let mut stored: HashMap<String, KubeObject> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let o = kube_object_from_row(row)?;
            if kube::in_namespaces(o.meta.namespace.as_deref(), &scope.include, &scope.exclude) {
                stored.insert(o.meta.uid.clone(), o);
            }
        }
        let active: HashSet<&str> = stored.keys().map(String::as_str).collect();
        let changes = kube::reconcile(&active, listed, |uid| stored.get(uid).map(|o| &o.meta));
        let tracked: HashMap<&str, &str> = listed
            .iter()
            .filter_map(|s| Some((s.meta.uid.as_str(), s.tracked.as_deref()?)))
            .collect();
        let mut out = Vec::new();
        for (change, meta) in changes {
            let reason = match change {
                Change::Created => Reason::MissedCreation,
                Change::Deleted => Reason::MissedDeletion,
            };
            let value = tracked.get(meta.uid.as_str()).copied().unwrap_or("");
            if let Some(r) =
                Self::kube_change(&mut tx, service_pk, meta, value, change, reason, now).await?
            {
                out.push(r);
            }
        }
        // Objects still tracked whose metadata moved on while nobody watched.
        for s in listed {
            if let (true, Some(o)) = (s.counts(), stored.get(&s.meta.uid))
                && o.meta.resource_version != s.meta.resource_version
            {
                sqlx::query(
                    "UPDATE kube_objects SET name = $2, labels = $3, annotations = $4, resource_version = $5, \
                     updated_at = $6 WHERE uid = $1 AND status = 'active'",
                )
                .bind(&s.meta.uid)
                .bind(&s.meta.name)
                .bind(json_map(&s.meta.labels)?)
                .bind(json_map(&s.meta.annotations)?)
                .bind(&s.meta.resource_version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        Self::set_position(&mut tx, position, now).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn kube_position(&self, watch: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query("SELECT resource_version FROM kube_watch_positions WHERE watch = $1")
                .bind(watch)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?,
        )
    }

    async fn list_kube_objects(&self, filter: &KubeObjectFilter) -> Result<Vec<KubeObject>> {
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {KUBE_OBJECT_COLUMNS} FROM kube_objects o WHERE 1 = 1"
        ));
        if let Some(kind) = &filter.kind {
            qb.push(" AND o.kind = ").push_bind(kind.clone());
        }
        if let Some(ns) = &filter.namespace {
            qb.push(" AND o.namespace = ").push_bind(ns.clone());
        }
        if let Some(status) = filter.status {
            qb.push(" AND o.status = ").push_bind(status.as_str());
        }
        qb.push(" ORDER BY o.pk DESC LIMIT ")
            .push_bind(i64::from(filter.limit.max(1)));
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(kube_object_from_row)
            .collect()
    }

    async fn list_kube_events(&self, filter: &KubeEventFilter) -> Result<Vec<KubeEventRow>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT ev.id, o.id AS object_id, ev.kind, ev.payload, ev.created_at, \
             (SELECT COUNT(*) FROM deliveries d WHERE d.event_pk = ev.pk AND d.status = 'pending') AS pending, \
             (SELECT COUNT(*) FROM deliveries d WHERE d.event_pk = ev.pk AND d.status = 'delivered') AS delivered, \
             (SELECT COUNT(*) FROM deliveries d WHERE d.event_pk = ev.pk AND d.status = 'failed') AS failed \
             FROM events ev JOIN kube_objects o ON o.pk = ev.kube_object_pk WHERE 1 = 1",
        );
        if let Some(id) = filter.object_id {
            qb.push(" AND o.id = ").push_bind(id);
        }
        if let Some(kind) = &filter.kind {
            qb.push(" AND o.kind = ").push_bind(kind.clone());
        }
        if let Some(ns) = &filter.namespace {
            qb.push(" AND o.namespace = ").push_bind(ns.clone());
        }
        qb.push(" ORDER BY ev.pk DESC LIMIT ")
            .push_bind(i64::from(filter.limit.max(1)));
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                let payload: String = row.try_get("payload")?;
                let (change, event) = match events::from_columns(&kind, &payload)? {
                    Payload::KubernetesCreated(e) => (Change::Created, e),
                    Payload::KubernetesDeleted(e) => (Change::Deleted, e),
                    other => {
                        return Err(corrupt(format!(
                            "event of a kubernetes object has kind {}",
                            other.kind()
                        )));
                    }
                };
                let count = |c: &str| -> Result<u32> {
                    let n: i64 = row.try_get(c)?;
                    Ok(u32::try_from(n).unwrap_or(u32::MAX))
                };
                Ok(KubeEventRow {
                    id: row.try_get("id")?,
                    object_id: row.try_get("object_id")?,
                    event,
                    change,
                    created_at: row.try_get("created_at")?,
                    pending: count("pending")?,
                    delivered: count("delivered")?,
                    failed: count("failed")?,
                })
            })
            .collect()
    }

    async fn kube_cleanup(&self, before: Millis) -> Result<u64> {
        let mut deleted = 0u64;
        loop {
            let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
            let pks: Vec<i64> = sqlx::query(
                "SELECT o.pk FROM kube_objects o WHERE o.status = 'deleted' AND o.deleted_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM events ev JOIN deliveries d ON d.event_pk = ev.pk \
                 WHERE ev.kube_object_pk = o.pk AND d.status <> 'delivered') ORDER BY o.pk LIMIT 500",
            )
            .bind(before)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
            if pks.is_empty() {
                break;
            }
            let statements = [
                (
                    "DELETE FROM delivery_attempts WHERE delivery_pk IN (SELECT d.pk FROM deliveries d \
                     JOIN events ev ON ev.pk = d.event_pk WHERE ev.kube_object_pk IN (",
                    "))",
                ),
                (
                    "DELETE FROM deliveries WHERE event_pk IN (SELECT pk FROM events WHERE kube_object_pk IN (",
                    "))",
                ),
                ("DELETE FROM events WHERE kube_object_pk IN (", ")"),
                ("DELETE FROM kube_objects WHERE pk IN (", ")"),
            ];
            for (head, close) in statements {
                let mut qb = QueryBuilder::<Db>::new(head);
                let mut list = qb.separated(", ");
                for pk in &pks {
                    list.push_bind(*pk);
                }
                qb.push(close);
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            deleted += pks.len() as u64;
            if pks.len() < 500 {
                break;
            }
        }
        Ok(deleted)
    }

    async fn kube_counts(&self) -> Result<KubeCounts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM kube_objects WHERE status = 'active'), \
             (SELECT COUNT(*) FROM kube_objects WHERE status = 'deleted'), \
             (SELECT COUNT(*) FROM deliveries d JOIN events ev ON ev.pk = d.event_pk \
              WHERE ev.kube_object_pk IS NOT NULL AND d.status = 'pending'), \
             (SELECT COUNT(*) FROM deliveries d JOIN events ev ON ev.pk = d.event_pk \
              WHERE ev.kube_object_pk IS NOT NULL AND d.status = 'failed')",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |i: usize| -> Result<u64> {
            let v: i64 = row.try_get(i)?;
            Ok(u64::try_from(v).unwrap_or(0))
        };
        Ok(KubeCounts {
            active: n(0)?,
            deleted: n(1)?,
            pending_notifications: n(2)?,
            failed_notifications: n(3)?,
        })
    }
}
