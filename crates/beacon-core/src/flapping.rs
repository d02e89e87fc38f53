//! Flapping: a monitor that changes state more than `changes` times within `window_ms` is flapping. While it
//! flaps, its incidents' notifications are held back: one `flapping` notification says so, and one more says when
//! it has been stable (no change) for a whole window again, with the state it settled in. A service may set its
//! own rule, or switch flapping off (`changes` 0).

use crate::{Millis, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlapRule {
    /// More than this many changes within the window is flapping; 0: never.
    pub changes: u32,
    pub window_ms: Millis,
}

/// The most changes a rule may allow, and its shortest and longest windows.
pub const MAX_CHANGES: u32 = 100;
pub const MIN_WINDOW_MS: Millis = 60_000;
pub const MAX_WINDOW_MS: Millis = 86_400_000;

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
    /// A rule of more than `changes` changes (2..100, or 0 for off) within `window_ms` (1 min..1 d); errors name
    /// `flap_changes` or `flap_window`.
    pub fn new(changes: u32, window_ms: Millis) -> Result<Self, ValidationError> {
        if changes == 1 || changes > MAX_CHANGES {
            return Err(ValidationError::new(
                "flap_changes",
                format!("must be 2..{MAX_CHANGES}, or 0 to switch flapping off"),
            ));
        }
        if !(MIN_WINDOW_MS..=MAX_WINDOW_MS).contains(&window_ms) {
            return Err(ValidationError::new("flap_window", "must be 1m..1d"));
        }
        Ok(Self { changes, window_ms })
    }

    /// Whether `changes_in_window` state changes (the latest included) make a monitor flapping.
    pub fn flapping(&self, changes_in_window: u32) -> bool {
        self.changes > 0 && changes_in_window > self.changes
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

    #[test]
    fn a_rule_of_ones_own_is_bounded_and_zero_switches_it_off() {
        let r = FlapRule::new(2, 10 * 60_000).expect("valid");
        assert!(r.flapping(3) && !r.flapping(2));
        let off = FlapRule::new(0, 30 * 60_000).expect("off");
        assert!(!off.flapping(1_000));
        for (changes, window, field) in [
            (1, 60_000, "flap_changes"),
            (101, 60_000, "flap_changes"),
            (6, 59_999, "flap_window"),
            (6, 86_400_001, "flap_window"),
        ] {
            assert_eq!(
                FlapRule::new(changes, window).expect_err("bounds").field,
                field
            );
        }
    }
}
