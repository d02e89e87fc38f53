//! The incident state machine: consecutive failures open an incident, consecutive successes resolve it, a manual
//! resolve resets the count. Pure: the store persists `Health` and acts on the returned `Transition`.

use crate::Millis;
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
    /// No incident is open, and the last check passed with a warning (slow, a certificate expiring soon).
    Degraded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Up => "up",
            Status::Down => "down",
            Status::Degraded => "degraded",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unknown" => Some(Status::Unknown),
            "up" => Some(Status::Up),
            "down" => Some(Status::Down),
            "degraded" => Some(Status::Degraded),
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

/// One region's view of a monitor checked from several regions: its own `Health` (`incident_open` there means
/// the region has seen `alert` failures in a row and not `recovery` successes since) and its last result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegionHealth {
    pub health: Health,
    pub last_checked_at: Option<Millis>,
}

/// Whether a region's results are recent enough to vote: it has checked within three intervals plus the
/// timeout and ten seconds. A region whose workers are gone (no results) counts toward neither side.
pub fn region_available(
    last_checked_at: Option<Millis>,
    now: Millis,
    interval_ms: i64,
    timeout_ms: i64,
) -> bool {
    last_checked_at.is_some_and(|last| now - last <= 3 * interval_ms + timeout_ms + 10_000)
}

/// What decides a monitor's incidents: its thresholds, its quorum of regions, and the cadence that tells a
/// silent region from one that is still reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub thresholds: Thresholds,
    pub alert_regions: u32,
    pub interval_ms: i64,
    pub timeout_ms: i64,
}

/// Apply one result seen from region `at` to a monitor checked from `regions`, with quorum `k`: the region's
/// own health moves as `observe` moves a single monitor; an incident opens when at least `k` available regions
/// are down, and resolves when fewer than `k` are (regions that are not available do not count either way).
/// `open` is whether the monitor has an open incident. With one region and `k` = 1 this is `observe`.
pub fn observe_region(
    regions: &mut [RegionHealth],
    at: usize,
    success: bool,
    now: Millis,
    rules: &Rules,
    open: bool,
) -> Option<Transition> {
    let Rules {
        thresholds,
        alert_regions: k,
        interval_ms,
        timeout_ms,
    } = *rules;
    let (next, _) = observe(regions[at].health, success, thresholds);
    regions[at] = RegionHealth {
        health: next,
        last_checked_at: Some(regions[at].last_checked_at.map_or(now, |l| l.max(now))),
    };
    let down: Vec<&RegionHealth> = regions
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            (*i == at || region_available(r.last_checked_at, now, interval_ms, timeout_ms))
                && r.health.incident_open
        })
        .map(|(_, r)| r)
        .collect();
    let quorum = down.len() as u32 >= k.max(1);
    match (open, quorum) {
        (false, true) => Some(Transition::Open {
            failures: down
                .iter()
                .map(|r| r.health.consecutive_failures)
                .max()
                .unwrap_or(1),
        }),
        (true, false) => Some(Transition::Resolve),
        (true, true) if !success => Some(Transition::FailureDuringIncident),
        _ => None,
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

    const MIN: i64 = 60_000;

    /// Results as (region index, success) at one-minute steps; the transitions returned, with quorum `k`.
    fn regional(n: usize, k: u32, results: &[(usize, bool)]) -> Vec<Option<Transition>> {
        let mut regions = vec![RegionHealth::default(); n];
        let mut open = false;
        let mut out = Vec::new();
        for (i, (at, ok)) in results.iter().enumerate() {
            let now = i as i64 * MIN;
            let rules = Rules {
                thresholds: T,
                alert_regions: k,
                interval_ms: MIN,
                timeout_ms: 10_000,
            };
            let tr = observe_region(&mut regions, *at, *ok, now, &rules, open);
            match tr {
                Some(Transition::Open { .. }) => open = true,
                Some(Transition::Resolve) => open = false,
                _ => {}
            }
            out.push(tr);
        }
        out
    }

    #[test]
    fn one_region_with_quorum_one_is_the_single_monitor_rule() {
        let seq = "SFFFFSSFSFFFS";
        let (_, single) = run(seq);
        let results: Vec<(usize, bool)> = seq.chars().map(|c| (0, c == 'S')).collect();
        assert_eq!(regional(1, 1, &results), single);
    }

    #[test]
    fn quorum_of_two_needs_two_regions_down() {
        // Region 0 fails three times in a row (down there), region 1 stays up: no incident with k = 2.
        let mut r = vec![
            (0, false),
            (1, true),
            (0, false),
            (1, true),
            (0, false),
            (1, true),
        ];
        let tr = regional(2, 2, &r);
        assert!(tr.iter().all(Option::is_none), "{tr:?}");
        // Region 1 now fails three times too: the incident opens on the third.
        r.extend([(1, false), (0, false), (1, false), (0, false), (1, false)]);
        let tr = regional(2, 2, &r);
        assert_eq!(tr[..10].iter().flatten().count(), 0, "{tr:?}");
        assert!(
            matches!(tr[10], Some(Transition::Open { failures: 5 })),
            "{tr:?}"
        );
        // One region recovering (recovery 2) brings it below the quorum: resolved.
        r.extend([(0, true), (0, true)]);
        let tr = regional(2, 2, &r);
        assert_eq!(tr[11], None);
        assert_eq!(tr[12], Some(Transition::Resolve));
    }

    #[test]
    fn a_silent_region_counts_toward_neither_side() {
        // Region 1 fails three times and then goes silent (its workers died); region 0 keeps succeeding.
        let mut r = vec![(1, false), (1, false), (1, false)];
        let tr = regional(2, 1, &r);
        assert!(matches!(tr[2], Some(Transition::Open { .. })));
        // Region 0's results once region 1 has been silent for > 3 intervals + timeout + 10 s: below quorum.
        r.extend([(0, true), (0, true), (0, true), (0, true)]);
        let tr = regional(2, 1, &r);
        assert_eq!(
            tr[3..6],
            [None, None, None],
            "region 1 still counts for three minutes"
        );
        assert_eq!(tr[6], Some(Transition::Resolve));
        // A region never heard from never opens anything, whatever k.
        let tr = regional(3, 2, &[(0, false), (0, false), (0, false), (0, false)]);
        assert!(tr.iter().all(Option::is_none), "{tr:?}");
    }

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
