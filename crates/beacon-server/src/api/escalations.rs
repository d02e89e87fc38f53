//! Escalation policies: create (steps naming channels by name or id), list, read, delete; which service follows
//! which is set with the service (`ServicePatch::escalation_policy`).

use super::*;
use beacon_core::escalation;
use beacon_store::PolicyStep;
use std::collections::HashMap;

#[async_trait]
pub trait EscalationOps: Send + Sync {
    async fn create_policy(&self, body: EscalationCreate)
    -> Result<EscalationPolicyView, ApiError>;
    async fn list_policies(&self) -> Result<EscalationPolicyList, ApiError>;
    async fn get_policy(&self, id: Uuid) -> Result<EscalationPolicyView, ApiError>;
    async fn delete_policy(&self, id: Uuid) -> Result<(), ApiError>;
}

impl App {
    async fn channel_names(&self) -> Result<HashMap<Uuid, Option<String>>, ApiError> {
        Ok(self
            .store
            .list_channels()
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect())
    }

    /// A policy by id or name.
    pub(crate) async fn policy_id(&self, given: &str) -> Result<Uuid, ApiError> {
        if let Ok(id) = Uuid::try_parse(given) {
            return Ok(id);
        }
        self.store
            .list_policies()
            .await?
            .into_iter()
            .find(|p| p.name == given)
            .map(|p| p.id)
            .ok_or_else(|| {
                ValidationError::new(
                    "escalation_policy",
                    format!("no escalation policy is named {given:?}"),
                )
                .into()
            })
    }
}

#[async_trait]
impl EscalationOps for App {
    async fn create_policy(
        &self,
        body: EscalationCreate,
    ) -> Result<EscalationPolicyView, ApiError> {
        let name = beacon_core::endpoint::validate_name(&body.name)?;
        let steps = body
            .steps
            .iter()
            .map(|s| escalation::parse_step(s))
            .collect::<Result<Vec<_>, _>>()?;
        let repeat = body.repeat.unwrap_or(0);
        escalation::validate(&steps, repeat)?;
        // Channels by id or name: every one must exist, or nothing is stored.
        let names = self.channel_names().await?;
        let resolve = |given: &str| -> Result<Uuid, ApiError> {
            if let Ok(id) = Uuid::try_parse(given)
                && names.contains_key(&id)
            {
                return Ok(id);
            }
            names
                .iter()
                .find(|(_, n)| n.as_deref() == Some(given))
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    ValidationError::new("step", format!("no channel is named {given:?}")).into()
                })
        };
        let steps = steps
            .iter()
            .map(|s| {
                Ok(PolicyStep {
                    delay_ms: s.delay_ms,
                    channels: s
                        .channels
                        .iter()
                        .map(|c| resolve(c))
                        .collect::<Result<_, ApiError>>()?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let p = self
            .store
            .create_policy(&name, &steps, repeat, self.now())
            .await?;
        Ok(EscalationPolicyView::new(&p, &names))
    }

    async fn list_policies(&self) -> Result<EscalationPolicyList, ApiError> {
        let names = self.channel_names().await?;
        Ok(EscalationPolicyList {
            data: self
                .store
                .list_policies()
                .await?
                .iter()
                .map(|p| EscalationPolicyView::new(p, &names))
                .collect(),
            next_cursor: None,
        })
    }

    async fn get_policy(&self, id: Uuid) -> Result<EscalationPolicyView, ApiError> {
        let names = self.channel_names().await?;
        Ok(EscalationPolicyView::new(
            &self.store.get_policy(id).await?,
            &names,
        ))
    }

    async fn delete_policy(&self, id: Uuid) -> Result<(), ApiError> {
        Ok(self.store.delete_policy(id).await?)
    }
}
