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

    /// What a presented bearer token grants, or 401.
    pub async fn authenticate(&self, presented: &str) -> Result<Grant, ApiError> {
        let invalid = || ApiError::unauthorized("invalid or revoked API token");
        let (id, hash) = token::parse(presented).ok_or_else(invalid)?;
        if let Ok(cache) = self.tokens.lock()
            && let Some((grant, known, at)) = cache.get(&id)
            && at.elapsed() < TOKEN_CACHE_TTL
            && token::hashes_match(known, &hash)
        {
            return Ok(grant.clone());
        }
        let creds = self
            .store
            .token_credentials(id)
            .await?
            .ok_or_else(invalid)?;
        if creds.revoked || !token::hashes_match(&creds.secret_hash, &hash) {
            return Err(invalid());
        }
        // A token a person made never grants more than their role does now.
        let scope = match creds.owner_role {
            Some(role) => creds.scope.min(role.scope()),
            None => creds.scope,
        };
        let grant = Grant {
            scope,
            region: creds.region,
            who: format!("token {id}"),
        };
        if let Ok(mut cache) = self.tokens.lock() {
            cache.retain(|_, (_, _, at)| at.elapsed() < TOKEN_CACHE_TTL);
            cache.insert(id, (grant.clone(), hash, std::time::Instant::now()));
        }
        Ok(grant)
    }

    /// What a verified client certificate grants: a worker of the region it was issued for, unless revoked;
    /// 401 for a certificate the CA signed but Beacon never issued (or whose record is gone).
    pub async fn authenticate_certificate(
        &self,
        fingerprint: &[u8; 32],
    ) -> Result<Grant, ApiError> {
        let unknown = || {
            ApiError::unauthorized(
                "this client certificate was not issued to a worker, or it was revoked",
            )
        };
        if let Ok(cache) = self.certs.lock()
            && let Some((grant, at)) = cache.get(fingerprint)
            && at.elapsed() < TOKEN_CACHE_TTL
        {
            return Ok(grant.clone());
        }
        let cert = self
            .store
            .worker_cert(fingerprint)
            .await?
            .ok_or_else(unknown)?;
        if cert.revoked_at.is_some() {
            return Err(unknown());
        }
        let grant = Grant {
            scope: Scope::Worker,
            who: format!("worker {}", cert.name),
            region: Some(cert.region),
        };
        if let Ok(mut cache) = self.certs.lock() {
            cache.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
            cache.insert(*fingerprint, (grant.clone(), std::time::Instant::now()));
        }
        Ok(grant)
    }

    /// A token made by a signed-in person, owned by them: its scope may not exceed their role's.
    pub async fn create_own_token(
        &self,
        me: &beacon_store::User,
        name: &str,
        scope: &str,
    ) -> Result<CreatedTokenView, ApiError> {
        let scope: Scope = scope.parse()?;
        if scope == Scope::Worker {
            return Err(ApiError::from(ValidationError::new(
                "scope",
                "worker tokens name a region: make them with `beacon tokens create --scope worker --region R`",
            )));
        }
        if scope > me.role.scope() {
            return Err(ApiError::forbidden(format!(
                "a {} may make tokens of scope {} at most",
                me.role.as_str(),
                me.role.scope().as_str()
            ))
            .with_field("scope"));
        }
        let new = token::generate(Uuid::new_v4(), rand::random());
        let t = self
            .store
            .create_token(name, scope, &new, Some(me.id), self.now())
            .await?;
        Ok(CreatedTokenView {
            token: new.text,
            ..created_view(&t)
        })
    }

    /// The tokens a person may see: all of them for an admin, else their own.
    pub async fn visible_tokens(
        &self,
        me: &beacon_store::User,
    ) -> Result<Vec<TokenView>, ApiError> {
        let all = self.store.list_tokens().await?;
        let admin = me.role >= beacon_core::user::Role::Admin;
        Ok(all
            .iter()
            .filter(|t| admin || t.owner == Some(me.id))
            .map(Into::into)
            .collect())
    }

    /// Revoke a token: an admin any, others their own.
    pub async fn revoke_visible_token(
        &self,
        me: &beacon_store::User,
        id: Uuid,
    ) -> Result<TokenView, ApiError> {
        if !self.visible_tokens(me).await?.iter().any(|t| t.id == id) {
            return Err(ApiError::not_found(format!("no token {id}")));
        }
        self.revoke_token(id).await
    }
}

fn created_view(t: &beacon_store::ApiToken) -> CreatedTokenView {
    let v = TokenView::from(t);
    CreatedTokenView {
        id: v.id,
        name: v.name,
        scope: v.scope,
        created_at: v.created_at,
        revoked_at: v.revoked_at,
        region: v.region,
        token: String::new(),
    }
}

#[async_trait]
impl TokenOps for App {
    async fn create_token(&self, body: TokenCreate) -> Result<CreatedTokenView, ApiError> {
        let scope: Scope = body.scope.as_deref().unwrap_or("write").parse()?;
        let new = token::generate(Uuid::new_v4(), rand::random());
        let t = match (scope, body.region.as_deref()) {
            (Scope::Worker, Some(region)) => {
                self.store
                    .create_worker_token(&body.name, region.trim(), &new, self.now())
                    .await?
            }
            (Scope::Worker, None) => {
                return Err(ValidationError::new(
                    "region",
                    "a worker token takes leases of one region: name it with --region",
                )
                .into());
            }
            (_, Some(_)) => {
                return Err(ValidationError::new(
                    "region",
                    "only worker tokens have a region (use --scope worker)",
                )
                .into());
            }
            (_, None) => {
                self.store
                    .create_token(&body.name, scope, &new, None, self.now())
                    .await?
            }
        };
        Ok(CreatedTokenView {
            token: new.text,
            ..created_view(&t)
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
