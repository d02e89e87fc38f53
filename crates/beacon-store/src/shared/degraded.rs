//! Degraded endpoints: their checks pass with a warning (slow, a certificate expiring soon). The result writer
//! settles each endpoint's degraded state after a batch; a change writes `degraded_start` or `degraded_end` (to
//! the channels subscribed to those kinds) in the batch's transaction.

use super::*;
use beacon_core::event::Degraded;

impl This {
    /// Settle an endpoint's degraded state: `was` from its row (since, why), `now` the warning of its last result
    /// (none: it passed cleanly, failed, or has an incident open), `at` when that ran. Writes the row's columns
    /// and an event when the state changes; the state afterwards.
    pub(crate) async fn settle_degraded(
        tx: &mut sqlx::Transaction<'static, Db>,
        endpoint_pk: i64,
        was: Option<(Millis, String)>,
        now: Option<String>,
        at: Millis,
    ) -> Result<Option<(Millis, String)>> {
        let next = match (&was, now) {
            (None, None) => return Ok(None),
            // Still degraded: the reason is the latest warning.
            (Some((since, why)), Some(now)) if *why == now => return Ok(Some((*since, now))),
            (Some((since, _)), Some(now)) => Some((*since, now)),
            (None, Some(now)) => Some((at, now)),
            (Some(_), None) => None,
        };
        sqlx::query("UPDATE endpoints SET degraded_since = $2, degraded_reason = $3 WHERE pk = $1")
            .bind(endpoint_pk)
            .bind(next.as_ref().map(|(since, _)| *since))
            .bind(next.as_ref().map(|(_, why)| why.clone()))
            .execute(&mut **tx)
            .await?;
        let payload = match (&was, &next) {
            (None, Some((since, why))) => Payload::DegradedStart(Degraded {
                monitor: Self::monitor(tx, endpoint_pk).await?,
                reason: why.clone(),
                at: *since,
                since: None,
            }),
            (Some((since, why)), None) => Payload::DegradedEnd(Degraded {
                monitor: Self::monitor(tx, endpoint_pk).await?,
                reason: why.clone(),
                at,
                since: Some(*since),
            }),
            // A new warning while degraded: the row says it; no event.
            _ => return Ok(next),
        };
        Self::insert_event(tx, Owner::Endpoint(endpoint_pk), &payload, at, false).await?;
        Ok(next)
    }
}
