//! Slot math: when an endpoint's checks are due. Slots sit on a fixed grid `phase + k * interval`, so a slow check
//! never pushes later slots (no drift), and the phase is derived from the endpoint id so that many endpoints with
//! the same interval spread over it instead of all firing at :00.

use crate::Millis;
use uuid::Uuid;

/// Phase of an endpoint's slot grid inside its interval, in milliseconds: a stable hash of the id (FNV-1a over
/// its bytes), so every process computes the same grid without coordination.
pub fn phase_ms(id: Uuid, interval_ms: i64) -> i64 {
    debug_assert!(interval_ms > 0);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % interval_ms.unsigned_abs()) as i64
}

/// The first slot at or after `t`.
pub fn slot_at_or_after(t: Millis, interval_ms: i64, phase_ms: i64) -> Millis {
    let offset = (t - phase_ms).rem_euclid(interval_ms);
    if offset == 0 {
        t
    } else {
        t - offset + interval_ms
    }
}

/// The first slot strictly after `t`.
pub fn slot_after(t: Millis, interval_ms: i64, phase_ms: i64) -> Millis {
    slot_at_or_after(t + 1, interval_ms, phase_ms)
}

/// What to do with a claimed slot at time `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotDecision {
    /// Run the check for this slot.
    Run,
    /// The slot was missed (its successor is already due, e.g. after downtime): skip it without a result and
    /// continue at `next`, the first slot after `now`. Missed slots are never replayed in a burst.
    Skip { next: Millis },
}

/// Decide whether a claimed slot is still worth running: it is, until the following slot is due as well.
pub fn decide(slot: Millis, now: Millis, interval_ms: i64, phase_ms: i64) -> SlotDecision {
    if slot + interval_ms <= now {
        SlotDecision::Skip {
            next: slot_at_or_after(now, interval_ms, phase_ms),
        }
    } else {
        SlotDecision::Run
    }
}

/// The slot that follows a completed one. Normally `slot + interval`; if the check took so long that later slots
/// passed meanwhile, the first slot after `now` (never a backlog).
pub fn next_after_completion(slot: Millis, now: Millis, interval_ms: i64, phase_ms: i64) -> Millis {
    let next = slot + interval_ms;
    if next + interval_ms <= now {
        slot_at_or_after(now, interval_ms, phase_ms)
    } else {
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_sit_on_the_phase_grid() {
        // (t, interval, phase) -> first slot at or after t
        let cases = [
            (0, 60_000, 0, 0),
            (1, 60_000, 0, 60_000),
            (59_999, 60_000, 0, 60_000),
            (60_000, 60_000, 0, 60_000),
            (0, 60_000, 15_000, 15_000),
            (15_001, 60_000, 15_000, 75_000),
            (-5, 10_000, 3_000, 3_000),
        ];
        for (t, interval, phase, want) in cases {
            assert_eq!(
                slot_at_or_after(t, interval, phase),
                want,
                "t={t} i={interval} p={phase}"
            );
        }
        assert_eq!(slot_after(60_000, 60_000, 0), 120_000);
    }

    #[test]
    fn phase_is_stable_and_spread() {
        let interval = 60_000;
        let mut buckets = [0u32; 60];
        for i in 0..6_000u128 {
            let id = Uuid::from_u128(i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835));
            let p = phase_ms(id, interval);
            assert!((0..interval).contains(&p));
            assert_eq!(p, phase_ms(id, interval), "phase must be deterministic");
            buckets[(p / 1000) as usize] += 1;
        }
        // 6,000 endpoints over 60 one-second buckets: ~100 each; none empty, none holding a pile-up.
        assert!(
            buckets.iter().all(|&n| (40..=200).contains(&n)),
            "{buckets:?}"
        );
    }

    #[test]
    fn late_slots_run_until_their_successor_is_due() {
        assert_eq!(decide(60_000, 60_500, 60_000, 0), SlotDecision::Run);
        assert_eq!(decide(60_000, 119_999, 60_000, 0), SlotDecision::Run);
        assert_eq!(
            decide(60_000, 120_000, 60_000, 0),
            SlotDecision::Skip { next: 120_000 }
        );
        // Long downtime: resume at the next slot, not replaying the hour that was missed.
        assert_eq!(
            decide(60_000, 3_600_000 + 60_001, 60_000, 0),
            SlotDecision::Skip { next: 3_720_000 }
        );
    }

    #[test]
    fn slow_checks_do_not_drift_or_backlog() {
        // A check that finishes within its interval: the next slot is simply the following one.
        assert_eq!(next_after_completion(60_000, 100_000, 60_000, 0), 120_000);
        // A check that overran into the next slot: that slot is still run (it is not yet missed).
        assert_eq!(next_after_completion(60_000, 125_000, 60_000, 0), 120_000);
        // A check that overran past two slots: continue at the first slot after now.
        assert_eq!(next_after_completion(60_000, 185_000, 60_000, 0), 240_000);
    }
}
