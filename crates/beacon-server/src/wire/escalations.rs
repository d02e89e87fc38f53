//! Escalation policies: the view (steps with their channels named) and the create body.

use super::*;
use beacon_store::EscalationPolicy;

/// A channel as a step names it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct StepChannel {
    pub id: Uuid,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct StepView {
    /// After the incident opens (`0m`, `15m`).
    pub delay: String,
    pub channels: Vec<StepChannel>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct EscalationPolicyView {
    pub id: Uuid,
    pub name: String,
    pub steps: Vec<StepView>,
    /// How many more rounds after the first; a round starts again one step-gap after its last step.
    pub repeat: u32,
    pub created_at: String,
    pub updated_at: String,
}

impl EscalationPolicyView {
    pub fn new(
        p: &EscalationPolicy,
        names: &std::collections::HashMap<Uuid, Option<String>>,
    ) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            steps: p
                .steps
                .iter()
                .map(|s| StepView {
                    delay: span(s.delay_ms),
                    channels: s
                        .channels
                        .iter()
                        .map(|id| StepChannel {
                            id: *id,
                            name: names.get(id).cloned().flatten(),
                        })
                        .collect(),
                })
                .collect(),
            repeat: p.repeat,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

list_type!(EscalationPolicyList, EscalationPolicyView);

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationCreate {
    pub name: String,
    /// `DELAY:channel[,channel]`, channels by name or id, delays growing: `["0m:oncall", "15m:lead,pager"]`.
    pub steps: Vec<String>,
    /// Rounds after the first, 0..10 (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u32>,
}
