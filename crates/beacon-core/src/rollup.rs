//! Rollup windows: per endpoint and region, at 1 m, 5 m, 1 h and 1 d (UTC-aligned), each holding count, successes,
//! failures, min/max/sum of latency and a [`Sketch`] of latencies. Windows merge, so statistics over any range are
//! a merge of stored windows. Latency statistics cover successful checks only (a refused connection's 0.1 ms must
//! not pull p50 down, a timeout's full wait must not count as a response time); uptime counts every check.

use crate::Millis;
use crate::sketch::Sketch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolution {
    Minute,
    FiveMinutes,
    Hour,
    Day,
}

impl Resolution {
    pub const ALL: [Resolution; 4] = [
        Resolution::Minute,
        Resolution::FiveMinutes,
        Resolution::Hour,
        Resolution::Day,
    ];

    pub fn millis(self) -> Millis {
        match self {
            Resolution::Minute => 60_000,
            Resolution::FiveMinutes => 300_000,
            Resolution::Hour => 3_600_000,
            Resolution::Day => 86_400_000,
        }
    }

    /// Stored as the window length in seconds.
    pub fn seconds(self) -> i32 {
        (self.millis() / 1000) as i32
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Minute => "1m",
            Resolution::FiveMinutes => "5m",
            Resolution::Hour => "1h",
            Resolution::Day => "1d",
        }
    }

    pub fn parse(s: &str) -> Result<Self, crate::ValidationError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                crate::ValidationError::new(
                    "resolution",
                    format!("'{s}' is not one of 1m, 5m, 1h, 1d"),
                )
            })
    }

    /// The start of the window holding `t`.
    pub fn window_start(self, t: Millis) -> Millis {
        t - t.rem_euclid(self.millis())
    }

    /// The finest resolution that covers `[from, to)` in at most `max_buckets` windows.
    pub fn fitting(from: Millis, to: Millis, max_buckets: i64) -> Self {
        let span = (to - from).max(1);
        Self::ALL
            .into_iter()
            .find(|r| span / r.millis() <= max_buckets)
            .unwrap_or(Resolution::Day)
    }
}

/// The aggregate of one window (or of a merge of windows). Latencies are kept in microseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    pub count: u64,
    pub successes: u64,
    /// Successes with a warning (counted in `successes` too).
    pub degraded: u64,
    pub min_us: Option<i64>,
    pub max_us: Option<i64>,
    pub sum_us: i64,
    pub sketch: Sketch,
}

impl Window {
    pub fn failures(&self) -> u64 {
        self.count - self.successes
    }

    pub fn add(&mut self, success: bool, total_us: i64) {
        self.add_result(success, false, total_us);
    }

    /// One result; `degraded`: it passed with a warning.
    pub fn add_result(&mut self, success: bool, degraded: bool, total_us: i64) {
        self.count += 1;
        if success && degraded {
            self.degraded += 1;
        }
        if success {
            self.successes += 1;
            self.min_us = Some(self.min_us.map_or(total_us, |m| m.min(total_us)));
            self.max_us = Some(self.max_us.map_or(total_us, |m| m.max(total_us)));
            self.sum_us += total_us;
            self.sketch.add(total_us as f64 / 1000.0);
        }
    }

    pub fn merge(&mut self, other: &Window) {
        self.count += other.count;
        self.successes += other.successes;
        self.degraded += other.degraded;
        self.min_us = match (self.min_us, other.min_us) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_us = match (self.max_us, other.max_us) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.sum_us += other.sum_us;
        self.sketch.merge(&other.sketch);
    }

    /// Percentage of successful checks, `None` without checks.
    pub fn uptime(&self) -> Option<f64> {
        (self.count > 0).then(|| self.successes as f64 * 100.0 / self.count as f64)
    }

    /// A latency quantile in milliseconds, clamped to the window's exact min and max.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.quantiles_ms(&[q]).pop().flatten()
    }

    fn quantiles_ms(&self, qs: &[f64]) -> Vec<Option<f64>> {
        let (Some(lo), Some(hi)) = (self.min_us, self.max_us) else {
            return vec![None; qs.len()];
        };
        let (lo, hi) = (lo as f64 / 1000.0, hi as f64 / 1000.0);
        self.sketch
            .quantiles(qs)
            .into_iter()
            .map(|v| v.map(|v| v.clamp(lo, hi)))
            .collect()
    }

    pub fn stats(&self, start: Millis, end: Millis) -> BucketStats {
        let q = self.quantiles_ms(&[0.50, 0.95, 0.99]);
        BucketStats {
            start,
            end,
            count: self.count,
            successes: self.successes,
            failures: self.failures(),
            degraded: self.degraded,
            uptime: self.uptime(),
            p50_ms: q[0],
            p95_ms: q[1],
            p99_ms: q[2],
            min_ms: self.min_us.map(|v| v as f64 / 1000.0),
            max_ms: self.max_us.map(|v| v as f64 / 1000.0),
        }
    }
}

/// What `beacon stats` shows per bucket and for the whole range.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketStats {
    pub start: Millis,
    pub end: Millis,
    pub count: u64,
    pub successes: u64,
    pub failures: u64,
    /// Successes with a warning.
    pub degraded: u64,
    pub uptime: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Buckets of `resolution` over `[from, to)` from stored windows (`(window start, window)`, any order, several per
/// start when there are several regions), and the summary over all of them. Empty buckets are omitted.
pub fn buckets(
    resolution: Resolution,
    from: Millis,
    to: Millis,
    windows: impl IntoIterator<Item = (Millis, Window)>,
) -> (BucketStats, Vec<BucketStats>) {
    let mut by_start: std::collections::BTreeMap<Millis, Window> = Default::default();
    for (start, w) in windows {
        by_start.entry(start).or_default().merge(&w);
    }
    let mut total = Window::default();
    let list = by_start
        .iter()
        .map(|(start, w)| {
            total.merge(w);
            w.stats(*start, start + resolution.millis())
        })
        .collect();
    (total.stats(from, to), list)
}

/// Uptime per cell of `resolution` for `n` cells from `from` (a window start), e.g. 24 hourly cells or 90 daily
/// ones: `None` for a cell without checks. Windows outside the cells are ignored; several per start (regions)
/// are merged.
pub fn uptime_cells<'a>(
    resolution: Resolution,
    from: Millis,
    n: usize,
    windows: impl IntoIterator<Item = &'a (Millis, Window)>,
) -> Vec<Option<f64>> {
    let mut cells = vec![Window::default(); n];
    for (start, w) in windows {
        let offset = (start - from).div_euclid(resolution.millis());
        if let Some(cell) = usize::try_from(offset).ok().and_then(|i| cells.get_mut(i)) {
            cell.merge(w);
        }
    }
    cells.iter().map(Window::uptime).collect()
}

/// The trailing periods `endpoints get` reports: label and length.
pub const UPTIME_PERIODS: [(&str, Millis); 4] = [
    ("24h", 86_400_000),
    ("7d", 7 * 86_400_000),
    ("30d", 30 * 86_400_000),
    ("90d", 90 * 86_400_000),
];

/// Merge the hourly windows covering the last `span` before `now` (the hour holding `now - span` onwards, the
/// current hour included).
pub fn trailing<'a>(
    now: Millis,
    span: Millis,
    hourly: impl IntoIterator<Item = &'a (Millis, Window)>,
) -> Window {
    let from = Resolution::Hour.window_start(now - span);
    let mut total = Window::default();
    for (start, w) in hourly {
        if *start >= from && *start <= now {
            total.merge(w);
        }
    }
    total
}

/// Parse a relative span such as `90s`, `15m`, `24h`, `7d` or `2w`.
pub fn parse_span(s: &str) -> Result<Millis, crate::ValidationError> {
    let bad = || {
        crate::ValidationError::new(
            "since",
            format!("'{s}' is not a span like 30m, 24h, 7d or 2w"),
        )
    };
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return Err(bad()),
    };
    match n.checked_mul(unit_ms) {
        Some(ms) if ms > 0 && ms <= 3_660 * 86_400_000 => Ok(ms),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_utc_aligned() {
        let t = 1_700_000_123_456; // 2023-11-14T22:15:23.456Z
        assert_eq!(Resolution::Minute.window_start(t), 1_700_000_100_000);
        assert_eq!(Resolution::FiveMinutes.window_start(t), 1_700_000_100_000);
        assert_eq!(
            Resolution::FiveMinutes.window_start(t - 60_000),
            1_699_999_800_000
        );
        assert_eq!(Resolution::Hour.window_start(t), 1_699_999_200_000);
        assert_eq!(Resolution::Day.window_start(t), 1_699_920_000_000);
        assert_eq!(Resolution::Minute.window_start(-1), -60_000);
        assert_eq!(Resolution::parse("1h"), Ok(Resolution::Hour));
        assert!(
            Resolution::parse("2h")
                .expect_err("an error")
                .to_string()
                .contains("1m, 5m, 1h, 1d")
        );
        assert_eq!(
            Resolution::fitting(0, 86_400_000, 500),
            Resolution::FiveMinutes
        );
        assert_eq!(
            Resolution::fitting(0, 90 * 86_400_000, 500),
            Resolution::Day
        );
    }

    #[test]
    fn uptime_cells_merge_regions_and_leave_gaps_empty() {
        let hour = Resolution::Hour.millis();
        let w = |ok: u32, bad: u32| {
            let mut w = Window::default();
            (0..ok).for_each(|_| w.add(true, 1_000));
            (0..bad).for_each(|_| w.add(false, 1_000));
            w
        };
        let from = 10 * hour;
        let windows = [
            (from, w(3, 1)),
            (from, w(1, 3)), // another region, same hour: merged
            (from + 2 * hour, w(2, 0)),
            (from - hour, w(0, 5)),     // before the cells
            (from + 3 * hour, w(0, 5)), // after them
        ];
        assert_eq!(
            uptime_cells(Resolution::Hour, from, 3, &windows),
            [Some(50.0), None, Some(100.0)]
        );
    }

    #[test]
    fn uptime_is_exact_and_latency_counts_successes_only() {
        let mut w = Window::default();
        for i in 0..997 {
            w.add(true, 1_000 + i);
        }
        w.add(false, 0);
        w.add(false, 30_000_000);
        w.add(false, 5);
        assert_eq!((w.count, w.successes, w.failures()), (1000, 997, 3));
        assert_eq!(w.uptime(), Some(99.7));
        assert_eq!(w.min_us, Some(1_000));
        assert_eq!(w.max_us, Some(1_996));
        let s = w.stats(0, 60_000);
        assert_eq!(s.min_ms, Some(1.0));
        assert_eq!(s.max_ms, Some(1.996));
        let p99 = s.p99_ms.expect("a value");
        assert!((p99 - 1.986).abs() / 1.986 <= 0.01, "{p99}");
        assert_eq!(Window::default().uptime(), None);
        assert_eq!(Window::default().stats(0, 1).p50_ms, None);
    }

    #[test]
    fn trailing_periods_and_spans() {
        let hour = 3_600_000;
        let now = 100 * hour + 1_000;
        let mut ok = Window::default();
        ok.add(true, 1_000);
        let mut bad = Window::default();
        bad.add(false, 0);
        let hourly = vec![
            (70 * hour, bad.clone()),
            (77 * hour, bad),
            (99 * hour, ok.clone()),
            (100 * hour, ok),
        ];
        // 24 h back from 100:00:01 is 76:00:01: the 76 h window onwards.
        let day = trailing(now, 24 * hour, &hourly);
        assert_eq!((day.count, day.successes), (3, 2));
        let all = trailing(now, 90 * 24 * hour, &hourly);
        assert_eq!(all.count, 4);
        assert_eq!(parse_span("24h"), Ok(24 * hour));
        assert_eq!(parse_span("2w"), Ok(14 * 24 * hour));
        assert_eq!(parse_span("90s"), Ok(90_000));
        for bad in [
            "",
            "h",
            "24",
            "-1h",
            "0h",
            "1y",
            "99999999999999999d",
            "1.5h",
        ] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn buckets_merge_regions_and_summarise() {
        let mut a = Window::default();
        a.add(true, 10_000);
        let mut b = Window::default();
        b.add(false, 0);
        let mut c = Window::default();
        c.add(true, 30_000);
        let (summary, list) = buckets(
            Resolution::Hour,
            0,
            7_200_000,
            [(0, a.clone()), (0, b), (3_600_000, c)],
        );
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[0].count, list[0].successes, list[0].uptime),
            (2, 1, Some(50.0))
        );
        assert_eq!(list[1].start, 3_600_000);
        assert_eq!(list[1].end, 7_200_000);
        assert_eq!((summary.count, summary.failures), (3, 1));
        assert_eq!((summary.min_ms, summary.max_ms), (Some(10.0), Some(30.0)));
        assert_eq!((summary.start, summary.end), (0, 7_200_000));
    }
}
