//! People and sessions (`Users`). Passwords arrive hashed; session tokens as their SHA-256.

use super::*;

/// A user's columns, unqualified (statements on `users` alone).
macro_rules! user_columns {
    () => {
        "id, name, email, role, created_at, updated_at"
    };
}

fn user_from_row<R: Row>(row: &R) -> Result<User>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    Uuid: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: role.parse().map_err(corrupt)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn email_taken(e: sqlx::Error, email: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("a user with the email {email} exists"))
        }
        _ => e.into(),
    }
}

impl This {
    /// Conflict if the change would leave no admin (inside the transaction that makes it).
    async fn keep_an_admin(tx: &mut sqlx::Transaction<'static, Db>) -> Result<()> {
        let admins: i64 = sqlx::query("SELECT COUNT(*) FROM users WHERE role = 'admin'")
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        if admins == 0 {
            return Err(StoreError::Conflict(
                "this would leave no admin: make another user admin first".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Users for This {
    async fn create_user(
        &self,
        name: &str,
        email: &str,
        role: Role,
        password_hash: &str,
        now: Millis,
    ) -> Result<User> {
        let name = beacon_core::endpoint::validate_name(name)?;
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO users (id, name, email, role, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id)
        .bind(&name)
        .bind(email)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| email_taken(e, email))?;
        Ok(User {
            id,
            name,
            email: email.to_owned(),
            role,
            created_at: now,
            updated_at: now,
        })
    }

    async fn create_first_user(
        &self,
        name: &str,
        email: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<User> {
        let name = beacon_core::endpoint::validate_name(name)?;
        let id = Uuid::new_v4();
        let inserted = sqlx::query(
            "INSERT INTO users (id, name, email, role, password_hash, created_at, updated_at) \
             SELECT $1, $2, $3, 'admin', $4, $5, $5 WHERE NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(id)
        .bind(&name)
        .bind(email)
        .bind(password_hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| email_taken(e, email))?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Conflict(
                "Beacon is set up already: sign in".into(),
            ));
        }
        Ok(User {
            id,
            name,
            email: email.to_owned(),
            role: Role::Admin,
            created_at: now,
            updated_at: now,
        })
    }

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ORDER BY pk"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    async fn get_user(&self, id: Uuid) -> Result<User> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { kind: "user", id })?;
        user_from_row(&row)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>> {
        let Some(row) = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", password_hash FROM users WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some((user_from_row(&row)?, row.try_get("password_hash")?)))
    }

    async fn password_hash(&self, id: Uuid) -> Result<String> {
        Ok(sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound { kind: "user", id })?
            .try_get(0)?)
    }

    async fn update_user(&self, id: Uuid, change: &UserChange, now: Millis) -> Result<User> {
        let name = change
            .name
            .as_deref()
            .map(beacon_core::endpoint::validate_name)
            .transpose()?;
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let email = change.email.as_deref().unwrap_or("");
        let row = sqlx::query(concat!(
            "UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email), \
             role = COALESCE($4, role), updated_at = $5 WHERE id = $1 RETURNING ",
            user_columns!()
        ))
        .bind(id)
        .bind(name)
        .bind(change.email.as_deref())
        .bind(change.role.map(Role::as_str))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| email_taken(e, email))?
        .ok_or(StoreError::NotFound { kind: "user", id })?;
        let user = user_from_row(&row)?;
        Self::keep_an_admin(&mut tx).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_user_password(&self, id: Uuid, password_hash: &str, now: Millis) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let row = sqlx::query(
            "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1 RETURNING pk",
        )
        .bind(id)
        .bind(password_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound { kind: "user", id })?;
        let pk: i64 = row.try_get(0)?;
        sqlx::query("DELETE FROM sessions WHERE user_pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_user(&self, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin_with(sql::BEGIN_WRITE).await?;
        let pk: i64 = sqlx::query("SELECT pk FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound { kind: "user", id })?
            .try_get(0)?;
        sqlx::query("DELETE FROM sessions WHERE user_pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        Self::keep_an_admin(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(
        &self,
        user: Uuid,
        token_hash: &[u8; 32],
        csrf: &str,
        now: Millis,
    ) -> Result<()> {
        let inserted = sqlx::query(
            "INSERT INTO sessions (token_hash, user_pk, csrf, created_at, last_seen_at) \
             SELECT $1, pk, $2, $3, $3 FROM users WHERE id = $4",
        )
        .bind(token_hash.to_vec())
        .bind(csrf)
        .bind(now)
        .bind(user)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::NotFound {
                kind: "user",
                id: user,
            });
        }
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &[u8; 32],
        limits: SessionLimits,
        now: Millis,
    ) -> Result<Option<SessionInfo>> {
        let Some(row) = sqlx::query(
            "SELECT u.id, u.name, u.email, u.role, u.created_at, u.updated_at, s.csrf, \
             s.created_at AS session_created, s.last_seen_at \
             FROM sessions s JOIN users u ON u.pk = s.user_pk WHERE s.token_hash = $1",
        )
        .bind(token_hash.to_vec())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let (created, seen): (i64, i64) = (
            row.try_get("session_created")?,
            row.try_get("last_seen_at")?,
        );
        if !limits.valid(created, seen, now) {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        // Marked used at most once a minute: a page and its fragments do not each write.
        if now - seen > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
                .bind(token_hash.to_vec())
                .bind(now)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(SessionInfo {
            user: user_from_row(&row)?,
            csrf: row.try_get("csrf")?,
        }))
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
