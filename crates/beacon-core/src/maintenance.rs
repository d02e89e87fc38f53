//! Maintenance windows: when a service's or a monitor's checks keep running and are stored, but incidents and
//! notifications are held back. A window is one span (`start`..`end`), or recurring: a cron expression in a time
//! zone with a duration (`0 2 * * SUN`, Europe/Berlin, 2h), whose occurrences follow the zone's daylight-saving
//! changes. Pure: the store keeps windows, the result writer and the heartbeat evaluator ask `active_at`.

use crate::heartbeat::CronSchedule;
use crate::{Millis, ValidationError};

/// The longest window, and the longest a recurring one may last.
pub const MAX_WINDOW_MS: Millis = 30 * 86_400_000;
pub const MAX_RECURRING_MS: Millis = 7 * 86_400_000;

/// When a window is in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSchedule {
    /// From `start` until `end` (exclusive).
    Once { start: Millis, end: Millis },
    /// Each time `cron` fires, for `duration_ms`.
    Recurring {
        cron: Box<CronSchedule>,
        duration_ms: Millis,
    },
}

/// A window as given: a span (`start` and `end`, or `start` and `duration`), or a recurrence (`cron`, `tz`,
/// `duration`). Times are Unix milliseconds, spans milliseconds.
#[derive(Debug, Clone, Default)]
pub struct WindowInput {
    pub start: Option<Millis>,
    pub end: Option<Millis>,
    pub duration_ms: Option<Millis>,
    pub cron: Option<String>,
    pub tz: Option<String>,
}

impl WindowSchedule {
    /// A schedule from input, checked: a span ends after it starts and lasts at most 30 days; a recurrence has a
    /// valid cron expression and zone and a duration of 1 minute to 7 days. `now` is when it is made: a span must
    /// not have ended already.
    pub fn parse(input: &WindowInput, now: Millis) -> Result<Self, ValidationError> {
        match (&input.cron, input.start) {
            (Some(_), Some(_)) | (Some(_), None) if input.end.is_some() => Err(
                ValidationError::new("end", "a recurring window has a duration, not an end"),
            ),
            (Some(_), Some(_)) => Err(ValidationError::new(
                "start",
                "a recurring window starts when its cron expression fires; give no start",
            )),
            (Some(expr), None) => {
                let cron = CronSchedule::parse(expr, input.tz.as_deref().unwrap_or("UTC"))?;
                let duration_ms = input.duration_ms.ok_or_else(|| {
                    ValidationError::new("duration", "a recurring window needs a duration, e.g. 2h")
                })?;
                if !(60_000..=MAX_RECURRING_MS).contains(&duration_ms) {
                    return Err(ValidationError::new(
                        "duration",
                        "a recurring window lasts from 1 minute to 7 days",
                    ));
                }
                Ok(WindowSchedule::Recurring {
                    cron: Box::new(cron),
                    duration_ms,
                })
            }
            (None, start) => {
                if input.tz.is_some() {
                    return Err(ValidationError::new(
                        "tz",
                        "a time zone is for a recurring window (with cron)",
                    ));
                }
                let start = start.unwrap_or(now);
                let end = match (input.end, input.duration_ms) {
                    (Some(_), Some(_)) => {
                        return Err(ValidationError::new(
                            "duration",
                            "give an end or a duration, not both",
                        ));
                    }
                    (Some(end), None) => end,
                    (None, Some(d)) if d > 0 => start.saturating_add(d),
                    (None, Some(_)) => {
                        return Err(ValidationError::new("duration", "must be positive"));
                    }
                    (None, None) => {
                        return Err(ValidationError::new(
                            "end",
                            "give an end or a duration (or a cron expression and a duration)",
                        ));
                    }
                };
                if end <= start {
                    return Err(ValidationError::new("end", "must be after the start"));
                }
                if end - start > MAX_WINDOW_MS {
                    return Err(ValidationError::new(
                        "end",
                        "a window lasts at most 30 days",
                    ));
                }
                if end <= now {
                    return Err(ValidationError::new("end", "is in the past"));
                }
                Ok(WindowSchedule::Once { start, end })
            }
        }
    }

    /// The span in force at `at`, if any: `[start, end)`.
    pub fn active_at(&self, at: Millis) -> Option<(Millis, Millis)> {
        match self {
            WindowSchedule::Once { start, end } => {
                (*start <= at && at < *end).then_some((*start, *end))
            }
            WindowSchedule::Recurring { cron, duration_ms } => {
                // The first occurrence after `at - duration` is in force at `at` if it has begun by then.
                let first = cron.next_after(at.saturating_sub(*duration_ms))?;
                (first <= at).then_some((first, first.saturating_add(*duration_ms)))
            }
        }
    }

    /// The next span that starts after `after` (for lists: "next window").
    pub fn next_after(&self, after: Millis) -> Option<(Millis, Millis)> {
        match self {
            WindowSchedule::Once { start, end } => (*start > after).then_some((*start, *end)),
            WindowSchedule::Recurring { cron, duration_ms } => cron
                .next_after(after)
                .map(|s| (s, s.saturating_add(*duration_ms))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Millis {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("time")
            .timestamp_millis()
    }

    const H: Millis = 3_600_000;

    #[test]
    fn a_span_is_in_force_from_its_start_until_its_end() {
        let now = utc(2026, 11, 29, 12, 0);
        let w = WindowSchedule::parse(
            &WindowInput {
                duration_ms: Some(30 * 60_000),
                ..Default::default()
            },
            now,
        )
        .expect("from now, for 30 min");
        assert_eq!(
            w,
            WindowSchedule::Once {
                start: now,
                end: now + 30 * 60_000
            }
        );
        assert_eq!(w.active_at(now), Some((now, now + 30 * 60_000)));
        assert_eq!(w.active_at(now + 30 * 60_000), None, "the end is not in it");
        assert_eq!(w.active_at(now - 1), None);
        for (input, field, says) in [
            (WindowInput::default(), "end", "give an end or a duration"),
            (
                WindowInput {
                    start: Some(now),
                    end: Some(now),
                    ..Default::default()
                },
                "end",
                "after the start",
            ),
            (
                WindowInput {
                    start: Some(now - 2 * H),
                    end: Some(now - H),
                    ..Default::default()
                },
                "end",
                "in the past",
            ),
            (
                WindowInput {
                    end: Some(now + 31 * 24 * H),
                    ..Default::default()
                },
                "end",
                "30 days",
            ),
            (
                WindowInput {
                    end: Some(now + H),
                    duration_ms: Some(H),
                    ..Default::default()
                },
                "duration",
                "not both",
            ),
            (
                WindowInput {
                    cron: Some("0 2 * * SUN".into()),
                    ..Default::default()
                },
                "duration",
                "needs a duration",
            ),
            (
                WindowInput {
                    cron: Some("0 2 * * SUN".into()),
                    duration_ms: Some(8 * 24 * H),
                    ..Default::default()
                },
                "duration",
                "7 days",
            ),
            (
                WindowInput {
                    cron: Some("0 2 * * SUN".into()),
                    tz: Some("Mars/Olympus".into()),
                    duration_ms: Some(H),
                    ..Default::default()
                },
                "tz",
                "unknown time zone",
            ),
            (
                WindowInput {
                    cron: Some("0 25 * * *".into()),
                    duration_ms: Some(H),
                    ..Default::default()
                },
                "cron",
                "hour",
            ),
            (
                WindowInput {
                    tz: Some("UTC".into()),
                    duration_ms: Some(H),
                    ..Default::default()
                },
                "tz",
                "recurring",
            ),
        ] {
            let e = WindowSchedule::parse(&input, now).expect_err(says);
            assert_eq!(e.field, field, "{e}");
            assert!(e.message.contains(says), "{e}");
        }
    }

    #[test]
    fn a_recurring_window_follows_its_zone_across_daylight_saving() {
        let w = WindowSchedule::parse(
            &WindowInput {
                cron: Some("0 2 * * SUN".into()),
                tz: Some("Europe/Berlin".into()),
                duration_ms: Some(2 * H),
                ..Default::default()
            },
            utc(2026, 1, 1, 0, 0),
        )
        .expect("every Sunday 02:00 Berlin time for 2 h");
        // Winter (CET, UTC+1): Sunday 2026-03-22 02:00 local is 01:00 UTC.
        let winter = utc(2026, 3, 22, 1, 0);
        assert_eq!(w.active_at(winter), Some((winter, winter + 2 * H)));
        assert_eq!(w.active_at(winter + 2 * H), None);
        assert_eq!(w.active_at(winter - 1), None);
        // Summer (CEST, UTC+2): Sunday 2026-04-05 02:00 local is 00:00 UTC.
        let summer = utc(2026, 4, 5, 0, 0);
        assert_eq!(w.active_at(summer + H), Some((summer, summer + 2 * H)));
        // On the night of the change (2026-03-29) 02:00 does not exist locally; the window still happens once,
        // and lasts its two hours.
        let (start, end) = w
            .next_after(utc(2026, 3, 28, 12, 0))
            .expect("the next window");
        assert!(
            (utc(2026, 3, 29, 0, 0)..=utc(2026, 3, 29, 1, 0)).contains(&start),
            "{start}"
        );
        assert_eq!(end - start, 2 * H);
        assert_eq!(w.active_at(start + H), Some((start, end)));
        // Autumn (2026-10-25, 03:00 CEST → 02:00 CET): the Sunday window is there exactly once.
        let (a, _) = w
            .next_after(utc(2026, 10, 24, 12, 0))
            .expect("autumn window");
        let (b, _) = w.next_after(a).expect("the week after");
        assert!(b - a >= 7 * 24 * H - H, "{a} {b}");
    }
}
