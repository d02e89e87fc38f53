//! Regions: the view and the create body.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct RegionView {
    pub name: String,
    /// Endpoints checked from it.
    pub endpoints: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionCreate {
    /// 1-64 of a-z, 0-9, '-', '_', '.', e.g. eu-west.
    #[schema(pattern = "^[a-z0-9][a-z0-9._-]{0,63}$")]
    pub name: String,
}

list_type!(RegionList, RegionView);
