//! API tokens: the view (never the secret), the one-time created view, the create body.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// read, write, admin or worker.
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// A worker token's region: it takes leases and stores results of that region only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The user who made it in the dashboard; it never grants more than their role does now. Null for tokens
    /// made with an admin token.
    #[serde(default)]
    pub owner_id: Option<Uuid>,
}

impl From<&ApiToken> for TokenView {
    fn from(t: &ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            scope: t.scope.as_str().to_owned(),
            created_at: rfc3339(t.created_at),
            revoked_at: opt_rfc3339(t.revoked_at),
            region: t.region.clone(),
            owner_id: t.owner,
        }
    }
}

/// A token just created: the only time its secret text is shown.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CreatedTokenView {
    pub id: Uuid,
    pub name: String,
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// read, write (default), admin, or worker (with `region`).
    #[serde(default)]
    pub scope: Option<String>,
    /// The region of a worker token (required with scope worker, refused with the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

list_type!(TokenList, TokenView);
