//! Flapping: a monitor that changes state more than `changes` times within `window_ms` is flapping. While it
//! flaps, its incidents' notifications are held back: one `flapping` notification says so, and one more says when
//! it has been stable (no change) for a whole window again, with the state it settled in.

use crate::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlapRule {
    pub changes: u32,
    pub window_ms: Millis,
}

impl Default for FlapRule {
    /// More than 6 changes (3 outages) in 30 minutes.
    fn default() -> Self {
        Self {
            changes: 6,
            window_ms: 30 * 60_000,
        }
    }
}

impl FlapRule {
    /// Whether `changes_in_window` state changes (the latest included) make a monitor flapping.
    pub fn flapping(&self, changes_in_window: u32) -> bool {
        changes_in_window > self.changes
    }

    /// Whether a flapping monitor whose last change was at `last_change` is stable at `now`.
    pub fn stable(&self, last_change: Millis, now: Millis) -> bool {
        now - last_change >= self.window_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_six_changes_in_thirty_minutes_is_flapping_and_a_quiet_window_ends_it() {
        let r = FlapRule::default();
        assert!(!r.flapping(6));
        assert!(r.flapping(7));
        assert!(!r.stable(0, 30 * 60_000 - 1));
        assert!(r.stable(0, 30 * 60_000));
    }
}
