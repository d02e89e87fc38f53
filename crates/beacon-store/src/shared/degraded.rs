//! Degraded endpoints: their checks pass with a warning (slow, a certificate expiring soon). The result writer
//! settles each endpoint's degraded state after a batch; a change writes `degraded_start` or `degraded_end` (to
//! the channels subscribed to those kinds) in the batch's transaction.

use super::*;
use beacon_core::event::Degraded;

impl This {
    /// Settle an endpoint's degraded state: `was` from its row (since, the warning it began with), `now` the
    /// warning of its last result (none: it passed cleanly, failed, or has an incident open), `at` when that ran.
    /// Writes the row's columns and an event only when the state changes (a slow endpoint's every check has a
    /// new warning text; it costs no write); the state afterwards.
    pub(crate) async fn settle_degraded(
        tx: &mut sqlx::Transaction<'static, Db>,
        endpoint_pk: i64,
        was: Option<(Millis, String)>,
        now: Option<String>,
        at: Millis,
    ) -> Result<Option<(Millis, String)>> {
        let (next, payload) = match (was, now) {
            // Unchanged (still degraded keeps the warning it began with): nothing to write.
            (None, None) => return Ok(None),
            (Some(w), Some(_)) => return Ok(Some(w)),
            (None, Some(why)) => (
                Some((at, why.clone())),
                Payload::DegradedStart(Degraded {
                    monitor: Self::monitor(tx, endpoint_pk).await?,
                    reason: why,
                    at,
                    since: None,
                }),
            ),
            (Some((since, why)), None) => (
                None,
                Payload::DegradedEnd(Degraded {
                    monitor: Self::monitor(tx, endpoint_pk).await?,
                    reason: why,
                    at,
                    since: Some(since),
                }),
            ),
        };
        sqlx::query("UPDATE endpoints SET degraded_since = $2, degraded_reason = $3 WHERE pk = $1")
            .bind(endpoint_pk)
            .bind(next.as_ref().map(|(since, _)| *since))
            .bind(next.as_ref().map(|(_, why)| why.clone()))
            .execute(&mut **tx)
            .await?;
        Self::insert_event(tx, Owner::Endpoint(endpoint_pk), &payload, at, false).await?;
        Ok(next)
    }
}
