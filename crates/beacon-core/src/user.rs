//! People who sign in to the dashboard: roles, what they may do, and the rules for their input and sessions.
//! Pure: hashing passwords and storing sessions happen elsewhere.

use crate::token::Scope;
use crate::{Millis, ValidationError, parse_named};
use std::str::FromStr;

/// What a user may do. A user's API tokens and session get the matching scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Creates and changes monitors and webhooks, resolves incidents.
    Editor,
    /// Everything, including users and others' tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    /// The API scope the role carries.
    pub fn scope(self) -> Scope {
        match self {
            Role::Admin => Scope::Admin,
            Role::Editor => Scope::Write,
            Role::Viewer => Scope::Read,
        }
    }
}

impl FromStr for Role {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, ValidationError> {
        parse_named(&Role::ALL, Role::as_str, s, "role", "role")
    }
}

/// An email address as stored: trimmed and lower-cased; one `@` with text on both sides and a dot in the domain.
pub fn validate_email(email: &str) -> Result<String, ValidationError> {
    let e = email.trim().to_lowercase();
    let bad = || {
        ValidationError::new(
            "email",
            format!(
                "{:?} is not an email address like ops@example.com",
                email.trim()
            ),
        )
    };
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || e.len() > 254
        || e.chars().any(char::is_whitespace)
    {
        return Err(bad());
    }
    Ok(e)
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// Longest (hashing cost is bounded by what is hashed).
pub const MAX_PASSWORD: usize = 1024;

pub fn validate_password(password: &str) -> Result<(), ValidationError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(ValidationError::new(
            "password",
            format!("at least {MIN_PASSWORD} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD {
        return Err(ValidationError::new(
            "password",
            format!("at most {MAX_PASSWORD} bytes"),
        ));
    }
    Ok(())
}

/// How long sessions live: `idle` without a request, `absolute` in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: Millis,
    pub absolute: Millis,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: 12 * 3_600_000,
            absolute: 7 * 86_400_000,
        }
    }
}

impl SessionLimits {
    /// Whether a session created at `created` and last used at `last_seen` is still good at `now`.
    pub fn valid(&self, created: Millis, last_seen: Millis, now: Millis) -> bool {
        now - last_seen <= self.idle && now - created <= self.absolute
    }
}

/// Sign-in attempts: after `free` failures in a row, each further attempt must wait twice as long as the one
/// before (1 s, 2 s, 4 s, ... capped at `cap`). The wait before the next attempt after `failures` failures.
pub fn sign_in_delay(failures: u32, free: u32, cap: Millis) -> Millis {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(20);
    (1_000_i64 << doublings).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_map_to_scopes_and_parse() {
        assert_eq!(Role::Admin.scope(), Scope::Admin);
        assert_eq!(Role::Editor.scope(), Scope::Write);
        assert_eq!(Role::Viewer.scope(), Scope::Read);
        assert_eq!("editor".parse::<Role>(), Ok(Role::Editor));
        let err = "root".parse::<Role>().expect_err("unknown");
        assert_eq!(err.field, "role");
        assert!(err.message.contains("viewer"), "{}", err.message);
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            validate_email(" Ops@Example.COM ").as_deref(),
            Ok("ops@example.com")
        );
        for bad in [
            "",
            "ops",
            "@example.com",
            "ops@",
            "ops@example",
            "a b@example.com",
            "a@b@c.d",
            "ops@.com",
        ] {
            assert_eq!(
                validate_email(bad).map_err(|e| e.field),
                Err("email"),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_have_a_length_floor_and_ceiling() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("ten chars!").is_ok());
        assert!(validate_password(&"x".repeat(MAX_PASSWORD + 1)).is_err());
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let l = SessionLimits {
            idle: 100,
            absolute: 1_000,
        };
        assert!(l.valid(0, 950, 1_000));
        assert!(!l.valid(0, 850, 1_000), "idle too long");
        assert!(!l.valid(0, 1_000, 1_001), "too old");
    }

    #[test]
    fn sign_in_slows_down_after_free_failures() {
        assert_eq!(sign_in_delay(4, 5, 60_000), 0);
        assert_eq!(sign_in_delay(5, 5, 60_000), 1_000);
        assert_eq!(sign_in_delay(7, 5, 60_000), 4_000);
        assert_eq!(sign_in_delay(40, 5, 60_000), 60_000);
    }
}
