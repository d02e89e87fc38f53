//! SQLite: one file in WAL mode with a busy timeout, so the CLI and a running server can share it. The shared
//! bodies (`shared`) compile here against `sqlx::Sqlite` and this backend's `dialect`; what only SQLite does —
//! heartbeat rows written behind the intake — lives in `deferred`.

mod deferred;
mod dialect;
#[path = "../shared/mod.rs"]
#[allow(clippy::duplicate_mod, reason = "compiled once per backend on purpose")]
mod shared;

use crate::hbrows::HbCache;
use crate::{Result, StoreError};
use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

type Db = sqlx::Sqlite;
type This = SqliteStore;
const BACKEND: &str = "sqlite";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite in WAL mode with a busy timeout, so the CLI and a running server can share one file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for the hot write paths (the heartbeat intake). SQLite has one writer at a time anyway,
    /// and a connection whose last transaction was the last write keeps its page cache: batches that rotate
    /// through the pool find it invalidated by the previous batch and read every page again.
    hot: SqlitePool,
    /// The intake's view of recently pinged heartbeats (see `hbrows`).
    hb_cache: std::sync::Arc<tokio::sync::Mutex<HbCache>>,
    path: std::path::PathBuf,
}

/// The database holds webhook secrets: a data directory created here is 0700, and the database file 0600 —
/// created so before SQLite opens it, since SQLite gives its `-wal` and `-shm` files the database's mode.
/// Files an earlier version left readable by others are narrowed to 0600.
fn private_files(path: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let unavailable = |what: &str, p: &Path, e: std::io::Error| {
        StoreError::Unavailable(format!("cannot {what} {}: {e}", p.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| unavailable("create data directory", dir, e))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| unavailable("create", path, e))?;
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if let Ok(meta) = std::fs::metadata(&file)
            && meta.permissions().mode() & 0o077 != 0
        {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| unavailable("restrict", &file, e))?;
        }
    }
    Ok(())
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<Self> {
        private_files(path)?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Takes effect on a new file only (before the first table): cleanup can then give freed pages back
            // to the file system in small steps. An older file reuses freed pages instead.
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Every result touches a random endpoint's rows; SQLite's default 2 MiB page cache turns that into
            // a page read from the OS per statement once there are tens of thousands of endpoints.
            .pragma("cache_size", "-32768")
            // Statement journals (multi-row statements inside a transaction) in memory, not in temp files.
            .pragma("temp_store", "MEMORY")
            // Checkpoint less often: a hot page written by many batches is copied back once per checkpoint.
            .pragma("wal_autocheckpoint", "4000")
            // After a checkpoint resets the WAL, truncate the file to this size instead of keeping its peak.
            .pragma("journal_size_limit", "67108864");
        // The hot connection checkpoints on its own commits (every 4,000 pages; the intake's batches append
        // few pages, so this comes every few seconds under load): a checkpoint run from elsewhere never catches
        // up with a steady writer (a passive one let the WAL grow to 2.9 GB in 30 s), and a restarting one every
        // second stalled the intake for 250+ ms at p99.
        let hot_options = options.clone().pragma("wal_autocheckpoint", "4000");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        // Two processes starting on a fresh file race to create the schema; the loser retries once and finds
        // the migration applied.
        if let Err(first) = MIGRATOR.run(&pool).await {
            tokio::time::sleep(Duration::from_millis(200)).await;
            MIGRATOR.run(&pool).await.map_err(|_| first)?;
        }
        let hot = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(hot_options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        Ok(Self {
            pool,
            hot,
            hb_cache: Default::default(),
            path: path.to_path_buf(),
        })
    }

    /// A consistent copy of the database at `to`, taken online with `VACUUM INTO` (writers go on meanwhile; the
    /// copy is one compact, self-contained file, mode 0600). `to` must not exist. Its size in bytes.
    pub async fn backup_to(&self, to: &Path) -> Result<u64> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(to)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    StoreError::Conflict(format!("{} exists; choose a new file", to.display()))
                }
                _ => StoreError::Unavailable(format!("cannot create {}: {e}", to.display())),
            })?;
        let target = to
            .to_str()
            .ok_or_else(|| StoreError::Conflict(format!("{} is not UTF-8", to.display())))?;
        if let Err(e) = sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await
        {
            let _ = std::fs::remove_file(to);
            return Err(e.into());
        }
        Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0))
    }

    fn hot_pool(&self) -> &SqlitePool {
        &self.hot
    }

    fn database_path(&self) -> Option<std::path::PathBuf> {
        Some(self.path.clone())
    }
}
