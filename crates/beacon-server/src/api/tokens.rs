//! API tokens: create (the secret shown once), list, revoke; authentication of presented tokens.

use super::*;

#[async_trait]
pub trait TokenOps: Send + Sync {
    async fn create_token(&self, body: TokenCreate) -> Result<CreatedTokenView, ApiError>;
    async fn list_tokens(&self) -> Result<TokenList, ApiError>;
    async fn revoke_token(&self, id: Uuid) -> Result<TokenView, ApiError>;
}

impl App {
    /// On first start with a database that has never had a token, create an admin token and return its text.
    pub async fn bootstrap_admin_token(&self) -> Result<Option<String>, ApiError> {
        let new = token::generate(Uuid::new_v4(), rand::random());
        Ok(self
            .store
            .create_bootstrap_token(&new, self.now())
            .await?
            .then_some(new.text))
    }

    /// The scope a presented bearer token grants, or 401.
    pub async fn authenticate(&self, presented: &str) -> Result<Scope, ApiError> {
        let invalid = || ApiError::unauthorized("invalid or revoked API token");
        let (id, hash) = token::parse(presented).ok_or_else(invalid)?;
        if let Ok(cache) = self.tokens.lock()
            && let Some((scope, known, at)) = cache.get(&id)
            && at.elapsed() < TOKEN_CACHE_TTL
            && token::hashes_match(known, &hash)
        {
            return Ok(*scope);
        }
        let creds = self
            .store
            .token_credentials(id)
            .await?
            .ok_or_else(invalid)?;
        if creds.revoked || !token::hashes_match(&creds.secret_hash, &hash) {
            return Err(invalid());
        }
        if let Ok(mut cache) = self.tokens.lock() {
            cache.retain(|_, (_, _, at)| at.elapsed() < TOKEN_CACHE_TTL);
            cache.insert(id, (creds.scope, hash, std::time::Instant::now()));
        }
        Ok(creds.scope)
    }
}

#[async_trait]
impl TokenOps for App {
    async fn create_token(&self, body: TokenCreate) -> Result<CreatedTokenView, ApiError> {
        let scope: Scope = body.scope.as_deref().unwrap_or("write").parse()?;
        let new = token::generate(Uuid::new_v4(), rand::random());
        let t = self
            .store
            .create_token(&body.name, scope, &new, self.now())
            .await?;
        let v = TokenView::from(&t);
        Ok(CreatedTokenView {
            id: v.id,
            name: v.name,
            scope: v.scope,
            created_at: v.created_at,
            revoked_at: v.revoked_at,
            token: new.text,
        })
    }

    async fn list_tokens(&self) -> Result<TokenList, ApiError> {
        let tokens = self.store.list_tokens().await?;
        Ok(TokenList {
            data: tokens.iter().map(Into::into).collect(),
            next_cursor: None,
        })
    }

    async fn revoke_token(&self, id: Uuid) -> Result<TokenView, ApiError> {
        let revoked = self.store.revoke_token(id, self.now()).await?;
        if let Ok(mut cache) = self.tokens.lock() {
            cache.remove(&id);
        }
        Ok((&revoked).into())
    }
}
