//! API tokens (`Tokens`): only the SHA-256 of a secret is stored.

use super::*;

#[async_trait]
impl Tokens for This {
    async fn create_token(
        &self,
        name: &str,
        scope: Scope,
        token: &NewToken,
        owner: Option<Uuid>,
        now: Millis,
    ) -> Result<ApiToken> {
        let name = beacon_core::endpoint::validate_name(name)?;
        // The owner's row is looked up in the same statement: a user deleted meanwhile inserts nothing.
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (id, name, scope, secret_hash, created_at, user_pk) \
             SELECT $1, $2, $3, $4, $5, u.pk FROM (SELECT 1 AS one) AS x \
             LEFT JOIN users u ON u.id = $6 WHERE $6 IS NULL OR u.pk IS NOT NULL",
        )
        .bind(token.id)
        .bind(&name)
        .bind(scope.as_str())
        .bind(token.secret_hash.to_vec())
        .bind(now)
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::NotFound {
                kind: "user",
                id: owner.unwrap_or_default(),
            });
        }
        Ok(ApiToken {
            id: token.id,
            name,
            scope,
            created_at: now,
            revoked_at: None,
            owner,
            region: None,
        })
    }

    async fn create_worker_token(
        &self,
        name: &str,
        region: &str,
        token: &NewToken,
        now: Millis,
    ) -> Result<ApiToken> {
        let name = beacon_core::endpoint::validate_name(name)?;
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (id, name, scope, secret_hash, created_at, region_pk) \
             SELECT $1, $2, $3, $4, $5, r.pk FROM regions r WHERE r.name = $6",
        )
        .bind(token.id)
        .bind(&name)
        .bind(Scope::Worker.as_str())
        .bind(token.secret_hash.to_vec())
        .bind(now)
        .bind(region)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(beacon_core::ValidationError::new(
                "region",
                format!("no region is named {region:?}; create it first with `beacon regions create {region}`"),
            )
            .into());
        }
        Ok(ApiToken {
            id: token.id,
            name,
            scope: Scope::Worker,
            created_at: now,
            revoked_at: None,
            owner: None,
            region: Some(region.to_owned()),
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
        sqlx::query(
            "SELECT t.id, t.name, t.scope, t.created_at, t.revoked_at, u.id AS owner, r.name AS region \
             FROM api_tokens t LEFT JOIN users u ON u.pk = t.user_pk LEFT JOIN regions r ON r.pk = t.region_pk \
             ORDER BY t.pk",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(token_from_row)
        .collect()
    }

    async fn revoke_token(&self, id: Uuid, now: Millis) -> Result<ApiToken> {
        // Only a token not yet revoked is updated, so a second revoke in the same millisecond is a
        // conflict too (comparing `revoked_at` with `now` afterwards could not tell them apart).
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL \
             RETURNING id, name, scope, created_at, revoked_at, \
             (SELECT u.id FROM users u WHERE u.pk = api_tokens.user_pk) AS owner, \
             (SELECT r.name FROM regions r WHERE r.pk = api_tokens.region_pk) AS region",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => token_from_row(&row),
            None => {
                let exists = sqlx::query("SELECT 1 FROM api_tokens WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .is_some();
                Err(if exists {
                    StoreError::Conflict(format!("token {id} is already revoked"))
                } else {
                    StoreError::NotFound { kind: "token", id }
                })
            }
        }
    }

    async fn token_credentials(&self, id: Uuid) -> Result<Option<TokenCredentials>> {
        let Some(row) = sqlx::query(
            "SELECT t.scope, t.secret_hash, t.revoked_at, u.role AS owner_role, r.name AS region \
                 FROM api_tokens t LEFT JOIN users u ON u.pk = t.user_pk LEFT JOIN regions r ON r.pk = t.region_pk \
                 WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let scope: String = row.try_get("scope")?;
        let owner_role: Option<String> = row.try_get("owner_role")?;
        Ok(Some(TokenCredentials {
            scope: scope.parse().map_err(corrupt)?,
            owner_role: owner_role.map(|r| r.parse().map_err(corrupt)).transpose()?,
            secret_hash: row.try_get("secret_hash")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            region: row.try_get("region")?,
        }))
    }
}
