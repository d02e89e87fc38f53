//! Users (admin's work: create, list, change, delete, set passwords) and the dashboard's sign-in: the first admin
//! on setup, sessions, sign-in attempts slowed down per account and per address. Passwords are hashed with
//! Argon2id on a blocking thread; only the hash is stored.

use super::*;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use beacon_core::user::{self, Role, SessionLimits};
use beacon_store::{SessionInfo, UserChange};
use std::collections::HashMap;
use std::sync::Mutex;

#[async_trait]
pub trait UserOps: Send + Sync {
    async fn create_user(&self, body: UserCreate) -> Result<UserView, ApiError>;
    async fn list_users(&self) -> Result<UserList, ApiError>;
    async fn get_user(&self, id: Uuid) -> Result<UserView, ApiError>;
    async fn update_user(&self, id: Uuid, body: UserPatch) -> Result<UserView, ApiError>;
    async fn delete_user(&self, id: Uuid) -> Result<(), ApiError>;
    /// A new password; the user's sessions end.
    async fn set_user_password(&self, id: Uuid, body: PasswordSet) -> Result<(), ApiError>;
}

/// Failed sign-ins in a row per account and per address (the first five are free, then each waits twice as
/// long as the one before, up to a minute). Kept in this process; a restart forgets them.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, (u32, Millis)>>,
}

/// Failures allowed before sign-in slows down.
const FREE_FAILURES: u32 = 5;
const MAX_DELAY: Millis = 60_000;

impl SignInLimiter {
    /// Milliseconds to wait before `keys` may try again at `now` (0: go ahead).
    fn wait(&self, keys: &[String], now: Millis) -> Millis {
        let Ok(map) = self.failures.lock() else {
            return 0;
        };
        keys.iter()
            .filter_map(|k| map.get(k))
            .map(|(n, at)| user::sign_in_delay(*n, FREE_FAILURES, MAX_DELAY) - (now - at))
            .max()
            .unwrap_or(0)
            .max(0)
    }

    fn failed(&self, keys: &[String], now: Millis) {
        if let Ok(mut map) = self.failures.lock() {
            // Bounded: forget entries idle for an hour once the map grows.
            if map.len() > 10_000 {
                map.retain(|_, (_, at)| now - *at < 3_600_000);
            }
            for k in keys {
                let e = map.entry(k.clone()).or_insert((0, now));
                *e = (e.0 + 1, now);
            }
        }
    }

    fn succeeded(&self, keys: &[String]) {
        if let Ok(mut map) = self.failures.lock() {
            for k in keys {
                map.remove(k);
            }
        }
    }
}

/// A new session: the token for the cookie (shown only to the browser) and the session it opens.
pub struct NewSession {
    pub token: String,
    pub session: SessionInfo,
}

async fn hash_password(password: String) -> Result<String, ApiError> {
    user::validate_password(&password)?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))?
    .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))
}

async fn password_matches(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A random token (256 bits, URL-safe hex) and its SHA-256.
fn session_token() -> (String, [u8; 32]) {
    let bytes: [u8; 32] = rand::random();
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = token::sha256(text.as_bytes());
    (text, hash)
}

fn csrf_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl App {
    /// No user yet: the dashboard offers the setup page.
    pub async fn needs_setup(&self) -> Result<bool, ApiError> {
        Ok(self.store.count_users().await? == 0)
    }

    /// The first admin, from the setup page; Conflict once anyone exists. Signed in at once.
    pub async fn set_up(
        &self,
        name: &str,
        email: &str,
        password: String,
    ) -> Result<NewSession, ApiError> {
        let email = user::validate_email(email)?;
        let hash = hash_password(password).await?;
        let u = self
            .store
            .create_first_user(name, &email, &hash, self.now())
            .await?;
        self.open_session(u.id).await
    }

    async fn open_session(&self, user_id: Uuid) -> Result<NewSession, ApiError> {
        let (token, hash) = session_token();
        let csrf = csrf_token();
        self.store
            .create_session(user_id, &hash, &csrf, self.now())
            .await?;
        let user = self.store.get_user(user_id).await?;
        Ok(NewSession {
            token,
            session: SessionInfo { user, csrf },
        })
    }

    /// Check an email and password; a new session (a new token every time: rotated on sign-in). Wrong
    /// credentials get one message whichever was wrong; repeated failures per account or address get 429.
    pub async fn sign_in(
        &self,
        email: &str,
        password: String,
        address: &str,
    ) -> Result<NewSession, ApiError> {
        let email = email.trim().to_lowercase();
        let keys = [format!("account:{email}"), format!("address:{address}")];
        let now = self.now();
        let wait = self.sign_ins.wait(&keys, now);
        if wait > 0 {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!(
                    "too many failed sign-ins: try again in {} s",
                    (wait + 999) / 1000
                ),
            ));
        }
        let found = self.store.user_by_email(&email).await?;
        // Without a user, verify against a fixed hash anyway, so the answer takes as long either way.
        let (user, hash) = match found {
            Some((u, h)) => (Some(u), h),
            None => (None, DUMMY_HASH.to_owned()),
        };
        let ok = password_matches(password, hash).await && user.is_some();
        match user {
            Some(u) if ok => {
                self.sign_ins.succeeded(&keys);
                self.open_session(u.id).await
            }
            _ => {
                self.sign_ins.failed(&keys, self.now());
                Err(ApiError::unauthorized("wrong email or password"))
            }
        }
    }

    /// The signed-in session a cookie's token names, if still valid.
    pub async fn session(&self, token: &str) -> Result<Option<SessionInfo>, ApiError> {
        let hash = token::sha256(token.as_bytes());
        Ok(self
            .store
            .session(&hash, SessionLimits::default(), self.now())
            .await?)
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), ApiError> {
        Ok(self
            .store
            .delete_session(&token::sha256(token.as_bytes()))
            .await?)
    }

    /// Change one's own password: the current one first. Every session of the user ends; a new one is opened for
    /// the browser that asked.
    pub async fn change_own_password(
        &self,
        id: Uuid,
        current: String,
        new: String,
    ) -> Result<NewSession, ApiError> {
        let hash = self.store.password_hash(id).await?;
        if !password_matches(current, hash).await {
            return Err(
                ApiError::unprocessable("the current password is wrong").with_field("current")
            );
        }
        let hash = hash_password(new).await?;
        self.store.set_user_password(id, &hash, self.now()).await?;
        self.open_session(id).await
    }
}

/// An Argon2id hash of a random password nobody has: verified against when the email is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4cXNZIyQBJ3AHDgm8SWPsqrG2P0lQ6XR4/bpzTGfBqA";

fn role(s: Option<&str>, default: Role) -> Result<Role, ApiError> {
    Ok(s.map(str::parse).transpose()?.unwrap_or(default))
}

#[async_trait]
impl UserOps for App {
    async fn create_user(&self, body: UserCreate) -> Result<UserView, ApiError> {
        let email = user::validate_email(&body.email)?;
        let role = role(body.role.as_deref(), Role::Viewer)?;
        let hash = hash_password(body.password).await?;
        let u = self
            .store
            .create_user(&body.name, &email, role, &hash, self.now())
            .await?;
        Ok((&u).into())
    }

    async fn list_users(&self) -> Result<UserList, ApiError> {
        Ok(UserList {
            data: self
                .store
                .list_users()
                .await?
                .iter()
                .map(Into::into)
                .collect(),
            next_cursor: None,
        })
    }

    async fn get_user(&self, id: Uuid) -> Result<UserView, ApiError> {
        Ok((&self.store.get_user(id).await?).into())
    }

    async fn update_user(&self, id: Uuid, body: UserPatch) -> Result<UserView, ApiError> {
        let change = UserChange {
            name: body.name,
            email: body
                .email
                .as_deref()
                .map(user::validate_email)
                .transpose()?,
            role: body.role.as_deref().map(str::parse).transpose()?,
        };
        Ok((&self.store.update_user(id, &change, self.now()).await?).into())
    }

    async fn delete_user(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_user(id).await?)
    }

    async fn set_user_password(&self, id: Uuid, body: PasswordSet) -> Result<(), ApiError> {
        let hash = hash_password(body.password).await?;
        Ok(self.store.set_user_password(id, &hash, self.now()).await?)
    }
}
