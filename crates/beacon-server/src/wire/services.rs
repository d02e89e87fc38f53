//! Services: the view and the create/patch bodies.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServiceView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Names its heartbeats in ping URLs without a header: `/ping/<ping_key>/<slug>` (Healthchecks' slug URLs);
    /// on create and get only, to tokens that may write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_key: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Service> for ServiceView {
    fn from(s: &Service) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            description: s.description.clone(),
            ping_key: None,
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceCreate {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

list_type!(ServiceList, ServiceView);
