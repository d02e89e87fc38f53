//! The storage monitor: how big the database is and how full its volume is (space and inodes), against warning
//! and critical thresholds. `/health` reports `degraded` under pressure; `run` keeps the `beacon_storage_*` and
//! `beacon_db_rows` gauges current.

use beacon_store::{Maintenance, StoreError};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Percent of the volume's space (or inodes) in use at which storage is under pressure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageThresholds {
    pub warning_percent: f64,
    pub critical_percent: f64,
}

impl Default for StorageThresholds {
    fn default() -> Self {
        Self {
            warning_percent: 80.0,
            critical_percent: 90.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warning,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }
}

/// The volume holding the database.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Volume {
    pub total_bytes: u64,
    pub available_bytes: u64,
    pub inodes_total: u64,
    pub inodes_free: u64,
}

impl Volume {
    pub fn of(path: &Path) -> Option<Volume> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let s = rustix::fs::statvfs(dir).ok()?;
        Some(Volume {
            total_bytes: s.f_blocks.saturating_mul(s.f_frsize),
            available_bytes: s.f_bavail.saturating_mul(s.f_frsize),
            inodes_total: s.f_files,
            inodes_free: s.f_ffree,
        })
    }

    pub fn used_percent(&self) -> f64 {
        percent(
            self.total_bytes - self.available_bytes.min(self.total_bytes),
            self.total_bytes,
        )
    }

    /// `None` on file systems without a fixed inode table (they report 0 inodes).
    pub fn inodes_used_percent(&self) -> Option<f64> {
        (self.inodes_total > 0).then(|| {
            percent(
                self.inodes_total - self.inodes_free.min(self.inodes_total),
                self.inodes_total,
            )
        })
    }

    /// The worse of space and inode pressure.
    pub fn level(&self, t: &StorageThresholds) -> Level {
        let worst = self
            .used_percent()
            .max(self.inodes_used_percent().unwrap_or(0.0));
        if worst >= t.critical_percent {
            Level::Critical
        } else if worst >= t.warning_percent {
            Level::Warning
        } else {
            Level::Ok
        }
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// One look at the storage.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageReport {
    pub db_bytes: u64,
    pub wal_bytes: u64,
    pub free_in_file_bytes: u64,
    /// Unknown for a database on another host (PostgreSQL).
    pub volume: Option<Volume>,
    pub level: Level,
}

pub async fn sample(
    store: &dyn Maintenance,
    thresholds: &StorageThresholds,
) -> Result<StorageReport, StoreError> {
    let usage = store.storage_usage().await?;
    let volume = usage.path.as_deref().and_then(Volume::of);
    Ok(StorageReport {
        db_bytes: usage.db_bytes,
        wal_bytes: usage.wal_bytes,
        free_in_file_bytes: usage.free_bytes,
        level: volume.map_or(Level::Ok, |v| v.level(thresholds)),
        volume,
    })
}

fn record(report: &StorageReport) {
    metrics::gauge!("beacon_storage_db_bytes").set(report.db_bytes as f64);
    metrics::gauge!("beacon_storage_wal_bytes").set(report.wal_bytes as f64);
    metrics::gauge!("beacon_storage_free_in_file_bytes").set(report.free_in_file_bytes as f64);
    metrics::gauge!("beacon_storage_level").set(match report.level {
        Level::Ok => 0.0,
        Level::Warning => 1.0,
        Level::Critical => 2.0,
    });
    if let Some(v) = report.volume {
        metrics::gauge!("beacon_storage_volume_bytes").set(v.total_bytes as f64);
        metrics::gauge!("beacon_storage_volume_available_bytes").set(v.available_bytes as f64);
        metrics::gauge!("beacon_storage_volume_used_ratio").set(v.used_percent() / 100.0);
        if let Some(p) = v.inodes_used_percent() {
            metrics::gauge!("beacon_storage_inodes_used_ratio").set(p / 100.0);
        }
    }
}

/// Sample every `every` (row counts every tenth time: they scan tables on SQLite) until `shutdown`.
pub async fn run(
    store: Arc<dyn Maintenance>,
    thresholds: StorageThresholds,
    every: Duration,
    shutdown: CancellationToken,
) {
    let mut round: u64 = 0;
    loop {
        match sample(&*store, &thresholds).await {
            Ok(report) => {
                if report.level != Level::Ok {
                    warn!(level = report.level.as_str(), volume = ?report.volume, "storage under pressure");
                }
                record(&report);
            }
            Err(e) => warn!(error = %e, "sampling storage failed"),
        }
        if round.is_multiple_of(10) {
            match store.table_rows().await {
                Ok(rows) => {
                    for (table, n) in rows {
                        metrics::gauge!("beacon_db_rows", "table" => table).set(n as f64);
                    }
                }
                Err(e) => warn!(error = %e, "counting rows failed"),
            }
        }
        round += 1;
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_levels_take_the_worse_of_space_and_inodes() {
        let t = StorageThresholds::default();
        let v = |avail: u64, ifree: u64| Volume {
            total_bytes: 1_000,
            available_bytes: avail,
            inodes_total: 100,
            inodes_free: ifree,
        };
        assert_eq!(v(500, 90).level(&t), Level::Ok);
        assert_eq!(v(200, 90).level(&t), Level::Warning);
        assert_eq!(v(100, 90).level(&t), Level::Critical);
        assert_eq!(v(900, 15).level(&t), Level::Warning, "inodes alone");
        assert_eq!(v(900, 5).level(&t), Level::Critical);
        let no_inodes = Volume {
            inodes_total: 0,
            inodes_free: 0,
            ..v(900, 0)
        };
        assert_eq!(no_inodes.inodes_used_percent(), None);
        assert_eq!(no_inodes.level(&t), Level::Ok);
    }

    #[test]
    fn the_volume_of_a_real_directory() {
        let v = Volume::of(&std::env::temp_dir().join("x.db")).expect("statvfs works here");
        assert!(v.total_bytes > 0 && v.available_bytes <= v.total_bytes);
        assert!((0.0..=100.0).contains(&v.used_percent()));
    }
}
