//! API tokens (`Tokens`): only the SHA-256 of a secret is stored.

use super::*;

#[async_trait]
impl Tokens for This {
    async fn create_token(
        &self,
        name: &str,
        scope: Scope,
        token: &NewToken,
        now: Millis,
    ) -> Result<ApiToken> {
        let name = beacon_core::endpoint::validate_name(name)?;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, scope, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.id)
        .bind(&name)
        .bind(scope.as_str())
        .bind(token.secret_hash.to_vec())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(ApiToken {
            id: token.id,
            name,
            scope,
            created_at: now,
            revoked_at: None,
        })
    }

    async fn create_bootstrap_token(&self, token: &NewToken, now: Millis) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (id, name, scope, secret_hash, bootstrap, created_at) \
             SELECT $1, 'admin (first start)', 'admin', $2, TRUE, $3 \
             WHERE NOT EXISTS (SELECT 1 FROM api_tokens) ON CONFLICT DO NOTHING",
        )
        .bind(token.id)
        .bind(token.secret_hash.to_vec())
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        sqlx::query("SELECT id, name, scope, created_at, revoked_at FROM api_tokens ORDER BY pk")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(token_from_row)
            .collect()
    }

    async fn revoke_token(&self, id: Uuid, now: Millis) -> Result<ApiToken> {
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 \
             RETURNING id, name, scope, created_at, revoked_at",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { kind: "token", id })?;
        let token = token_from_row(&row)?;
        if token.revoked_at != Some(now) {
            return Err(StoreError::Conflict(format!(
                "token {id} is already revoked"
            )));
        }
        Ok(token)
    }

    async fn token_credentials(&self, id: Uuid) -> Result<Option<TokenCredentials>> {
        let Some(row) =
            sqlx::query("SELECT scope, secret_hash, revoked_at FROM api_tokens WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let scope: String = row.try_get("scope")?;
        Ok(Some(TokenCredentials {
            scope: scope.parse().map_err(corrupt)?,
            secret_hash: row.try_get("secret_hash")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        }))
    }
}
