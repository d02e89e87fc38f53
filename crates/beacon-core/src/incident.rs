//! The incident state machine: consecutive failures open an incident, consecutive successes resolve it, a manual
//! resolve resets the count. Pure: the store persists `Health` and acts on the returned `Transition`.

use serde::{Deserialize, Serialize};

/// Current status of a monitor as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Never checked (or not since it was created).
    Unknown,
    /// Checked, and no incident is open.
    Up,
    /// An incident is open.
    Down,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Up => "up",
            Status::Down => "down",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unknown" => Some(Status::Unknown),
            "up" => Some(Status::Up),
            "down" => Some(Status::Down),
            _ => None,
        }
    }
}

/// Persisted health of one monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub status: Status,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub incident_open: bool,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            status: Status::Unknown,
            consecutive_failures: 0,
            consecutive_successes: 0,
            incident_open: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub alert: u32,
    pub recovery: u32,
}

/// What the store must do besides saving the new `Health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Open an incident; its failure count starts at `failures`.
    Open { failures: u32 },
    /// Count one more failure on the open incident.
    FailureDuringIncident,
    /// Resolve the open incident automatically.
    Resolve,
}

/// Apply one check result.
pub fn observe(health: Health, success: bool, t: Thresholds) -> (Health, Option<Transition>) {
    let mut next = health;
    if success {
        next.consecutive_failures = 0;
        next.consecutive_successes = health.consecutive_successes.saturating_add(1);
        if health.incident_open && next.consecutive_successes >= t.recovery {
            next.incident_open = false;
            next.status = Status::Up;
            return (next, Some(Transition::Resolve));
        }
        if !health.incident_open {
            next.status = Status::Up;
        }
        (next, None)
    } else {
        next.consecutive_successes = 0;
        next.consecutive_failures = health.consecutive_failures.saturating_add(1);
        if health.incident_open {
            return (next, Some(Transition::FailureDuringIncident));
        }
        if next.consecutive_failures >= t.alert {
            next.incident_open = true;
            next.status = Status::Down;
            return (
                next,
                Some(Transition::Open {
                    failures: next.consecutive_failures,
                }),
            );
        }
        if next.status == Status::Unknown {
            // Failing, but not yet past the threshold: a known state, not an incident.
            next.status = Status::Up;
        }
        (next, None)
    }
}

/// A person resolved the incident: close it and start counting failures afresh.
pub fn resolve_manually(health: Health) -> Health {
    Health {
        status: if health.status == Status::Unknown {
            Status::Unknown
        } else {
            Status::Up
        },
        consecutive_failures: 0,
        consecutive_successes: 0,
        incident_open: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        alert: 3,
        recovery: 2,
    };

    fn run(results: &str) -> (Health, Vec<Option<Transition>>) {
        let mut h = Health::default();
        let mut out = Vec::new();
        for c in results.chars() {
            let (next, tr) = observe(h, c == 'S', T);
            h = next;
            out.push(tr);
        }
        (h, out)
    }

    #[test]
    fn opens_after_threshold_consecutive_failures() {
        let (h, tr) = run("FFSFFF");
        assert_eq!(tr[..5], [None, None, None, None, None]);
        assert_eq!(tr[5], Some(Transition::Open { failures: 3 }));
        assert!(h.incident_open && h.status == Status::Down);
    }

    #[test]
    fn failures_during_incident_count_and_recovery_needs_threshold() {
        let (h, tr) = run("FFFFSFSS");
        assert_eq!(tr[3], Some(Transition::FailureDuringIncident));
        assert_eq!(tr[4], None, "one success is not enough with recovery 2");
        assert_eq!(tr[5], Some(Transition::FailureDuringIncident));
        assert_eq!(tr[6], None);
        assert_eq!(tr[7], Some(Transition::Resolve));
        assert!(!h.incident_open && h.status == Status::Up);
    }

    #[test]
    fn manual_resolve_resets_failure_count() {
        let (h, _) = run("FFF");
        let h = resolve_manually(h);
        assert!(!h.incident_open);
        let (h, tr) = observe(h, false, T);
        assert_eq!(tr, None);
        let (h, tr) = observe(h, false, T);
        assert_eq!(tr, None);
        let (_, tr) = observe(h, false, T);
        assert_eq!(
            tr,
            Some(Transition::Open { failures: 3 }),
            "new incident after threshold more"
        );
    }

    #[test]
    fn threshold_one_matches_seed_behaviour() {
        let one = Thresholds {
            alert: 1,
            recovery: 1,
        };
        let (h, tr) = observe(Health::default(), false, one);
        assert_eq!(tr, Some(Transition::Open { failures: 1 }));
        let (_, tr) = observe(h, true, one);
        assert_eq!(tr, Some(Transition::Resolve));
    }

    #[test]
    fn first_success_makes_status_up() {
        let (h, _) = run("S");
        assert_eq!(h.status, Status::Up);
        assert_eq!(Health::default().status, Status::Unknown);
    }
}
