//! PostgreSQL: several servers may share one database. The shared bodies (`shared`) compile here against
//! `sqlx::Postgres` and this backend's `dialect`; heartbeat rows are written with every intake batch, under row
//! locks (`deferred` holds the backend's side of the intake: nothing is deferred here).

mod deferred;
mod dialect;
#[path = "../shared/mod.rs"]
#[allow(clippy::duplicate_mod, reason = "compiled once per backend on purpose")]
mod shared;

use crate::error::corrupt;
use crate::{Result, StoreError};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

type Db = sqlx::Postgres;
type This = PostgresStore;
const BACKEND: &str = "postgres";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// PostgreSQL. `schema` isolates a database inside one server (tests; several Beacons on one cluster).
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// PostgreSQL has no per-connection page cache to keep warm: the hot paths share the pool.
    fn hot_pool(&self) -> &PgPool {
        &self.pool
    }

    fn database_path(&self) -> Option<std::path::PathBuf> {
        None
    }

    pub async fn open(url: &str, schema: Option<&str>) -> Result<Self> {
        let unavailable =
            |e: sqlx::Error| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}"));
        let mut options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Invalid(beacon_core::ValidationError::new(
                "database",
                format!("invalid URL: {e}"),
            ))
        })?;
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(corrupt(format!("invalid schema name {schema:?}")));
            }
            let mut conn = sqlx::PgConnection::connect_with(&options)
                .await
                .map_err(unavailable)?;
            let ddl = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }
}
