//! Everything Beacon persists and every coordination it does through the database (leases, idempotent results,
//! the outbox): the role traits (`roles`), their union `Store`, and two implementations, SQLite and PostgreSQL,
//! which pass the same conformance suite. Callers pass `now`; the store never reads a clock.

#[macro_use]
mod fragments;
mod checks;
mod common;
mod decode;
mod error;
mod events;
mod hbrows;
mod model;
mod postgres;
pub mod roles;
mod sqlite;
mod url;

pub use error::{Result, StoreError};
pub use model::*;
pub use postgres::PostgresStore;
pub use roles::*;
pub use sqlite::SqliteStore;
pub use url::DatabaseUrl;

use std::sync::Arc;

/// Persistence and coordination for Beacon: every role at once. Implemented by `SqliteStore` and
/// `PostgresStore`; a caller that needs only one role takes that trait instead (an `Arc<dyn Store>` coerces).
pub trait Store:
    Catalog
    + Schedules
    + Results
    + Incidents
    + Webhooks
    + Channels
    + Escalations
    + MaintenanceWindows
    + Outbox
    + Tokens
    + Users
    + Publishing
    + Regions
    + Leadership
    + Heartbeats
    + HeartbeatIntake
    + Maintenance
    + Kubernetes
{
}

impl<T> Store for T where
    T: Catalog
        + Schedules
        + Results
        + Incidents
        + Webhooks
        + Channels
        + Escalations
        + MaintenanceWindows
        + Outbox
        + Tokens
        + Users
        + Publishing
        + Regions
        + Leadership
        + Heartbeats
        + HeartbeatIntake
        + Maintenance
        + Kubernetes
{
}

/// Open the store a URL names, creating the SQLite file (and its directory) if needed, and apply migrations.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn Store>> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        DatabaseUrl::Postgres(url) => Arc::new(PostgresStore::open(url, None).await?),
    })
}
