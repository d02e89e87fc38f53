//! Parsing of database URLs: `sqlite://PATH` (or a bare path to a .db file) and `postgres://…`.

use crate::StoreError;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let invalid = |why: &str| {
            StoreError::Invalid(beacon_core::ValidationError::new(
                "database",
                format!(
                    "invalid database URL {s:?}: {why} (use sqlite://PATH or postgres://USER@HOST/DB)"
                ),
            ))
        };
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(invalid("no file path"));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            if s.split("://").nth(1).is_none_or(str::is_empty) {
                return Err(invalid("no host"));
            }
            return Ok(Self::Postgres(s.to_owned()));
        }
        Err(invalid("unknown scheme"))
    }

    /// The embedded default: `<data-dir>/beacon.db`.
    pub fn in_data_dir(dir: &Path) -> Self {
        Self::Sqlite(dir.join("beacon.db"))
    }

    /// For messages: the URL without a password.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite://{}", p.display()),
            Self::Postgres(u) => match (u.find("://"), u.rfind('@')) {
                (Some(scheme), Some(at)) if u[scheme + 3..at].contains(':') => {
                    let user_end = u[scheme + 3..at].find(':').map_or(at, |i| scheme + 3 + i);
                    format!("{}:***{}", &u[..user_end], &u[at..])
                }
                _ => u.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_backends_and_rejects_others() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").ok(),
            Some(DatabaseUrl::Sqlite("/tmp/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/b.db").ok(),
            Some(DatabaseUrl::Sqlite("data/b.db".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        for bad in ["mysql://x", "sqlite://", "postgres://", "nonsense"] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            DatabaseUrl::parse("postgres://u:secret@h/db")
                .expect("valid")
                .redacted(),
            "postgres://u:***@h/db"
        );
    }
}
