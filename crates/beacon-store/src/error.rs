//! The store's error type and how database errors map onto it: "unavailable" (the database cannot serve now, an
//! environment problem) is told apart from a statement that failed.

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: Uuid },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Invalid(#[from] beacon_core::ValidationError),
    /// The database cannot be reached or opened: an environment problem, not bad input.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(ref db) if db.code().is_some_and(|c| unavailable_code(&c)) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Database(other),
        }
    }
}

/// Error codes that mean "the database cannot serve now" rather than "this statement is wrong": PostgreSQL's
/// connection exceptions (08xxx), shutdown and start-up (57P01..57P03), a database not accepting connections
/// (55000), too many connections (53300); SQLite's busy and locked (5, 6) once the busy timeout has passed.
pub(crate) fn unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "55000" | "53300" | "5" | "6"
        )
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}
