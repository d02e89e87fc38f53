//! Heartbeats: push monitors that expect a ping every period, or on a cron schedule in a time zone, with a grace
//! time. Parsing of user input into a `HeartbeatSpec`, the status rule (`evaluate`), what a ping does to the state
//! (`on_ping`), and when the status can next change by itself (`next_change_at`) — all pure, time passed in.

use crate::{Millis, ValidationError};
use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

pub const DEFAULT_GRACE_SECONDS: u32 = 60;
const MAX_SECONDS: i64 = 366 * 24 * 3600;

/// When a heartbeat expects its pings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// A ping at most this many seconds after the previous one.
    Period { seconds: u32 },
    /// A ping after each time the expression fires, in its time zone.
    Cron(Box<CronSchedule>),
}

/// A five-field cron expression (or `@hourly`-style nickname) and an IANA time zone.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    expr: String,
    tz: chrono_tz::Tz,
    cron: Cron,
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr && self.tz == other.tz
    }
}
impl Eq for CronSchedule {}

const FIELDS: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];

fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
}

impl CronSchedule {
    /// Parse an expression and a time zone name. A bad expression is reported with the field and its column.
    pub fn parse(expr: &str, tz: &str) -> Result<Self, ValidationError> {
        let tz: chrono_tz::Tz = tz.trim().parse().map_err(|_| {
            ValidationError::new(
                "tz",
                format!("unknown time zone {tz:?}: use an IANA name such as UTC or Europe/Berlin"),
            )
        })?;
        let expr = expr.trim();
        let cron = parse_cron(expr)?;
        Ok(Self {
            expr: expr.to_owned(),
            tz,
            cron,
        })
    }

    pub fn expr(&self) -> &str {
        &self.expr
    }

    pub fn tz(&self) -> &str {
        self.tz.name()
    }

    /// The first time the expression fires strictly after `after`. Local times that a daylight-saving change
    /// skips or repeats are resolved by the cron library against the zone's real offsets.
    pub fn next_after(&self, after: Millis) -> Option<Millis> {
        let start = self
            .tz
            .from_utc_datetime(&DateTime::<Utc>::from_timestamp_millis(after)?.naive_utc());
        self.cron
            .find_next_occurrence(&start, false)
            .ok()
            .map(|t| t.with_timezone(&Utc).timestamp_millis())
    }
}

fn parse_cron(expr: &str) -> Result<Cron, ValidationError> {
    let bad = |msg: String| ValidationError::new("cron", msg);
    if expr.is_empty() {
        return Err(bad("empty cron expression".into()));
    }
    if !expr.starts_with('@') {
        let fields: Vec<(usize, &str)> = expr
            .split_whitespace()
            .map(|f| (f.as_ptr() as usize - expr.as_ptr() as usize + 1, f))
            .collect();
        if fields.len() != 5 {
            return Err(bad(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {} in {expr:?}",
                fields.len()
            )));
        }
        // Check each field alone, with the others as `*`, to say where the error is.
        for (i, (column, field)) in fields.iter().enumerate() {
            let probe: Vec<&str> = (0..5).map(|j| if i == j { *field } else { "*" }).collect();
            if let Err(e) = parser().parse(&probe.join(" ")) {
                return Err(bad(format!(
                    "invalid {} field {field:?} at column {column} of {expr:?}: {e}",
                    FIELDS[i]
                )));
            }
        }
    }
    parser()
        .parse(expr)
        .map_err(|e| bad(format!("invalid cron expression {expr:?}: {e}")))
}

/// A heartbeat's slug (seed 003's `serviceId`): 1..64 of `a-z 0-9 - _ .`, starting with a letter or digit.
pub fn validate_slug(slug: &str) -> Result<String, ValidationError> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug.as_bytes()[0].is_ascii_alphanumeric()
        && slug.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if ok {
        Ok(slug.to_owned())
    } else {
        Err(ValidationError::new(
            "slug",
            format!(
                "{slug:?} is not a slug: use 1-64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit"
            ),
        ))
    }
}

/// A slug derived from a name: lower case, runs of other characters as one '-'.
pub fn slug_from_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let out: String = out.chars().take(64).collect();
    if out.is_empty() {
        "heartbeat".into()
    } else {
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatSpec {
    pub name: String,
    pub schedule: Schedule,
    pub grace_seconds: u32,
}

/// Settable fields as they come from the CLI or the API; `None` keeps the current value on update.
#[derive(Debug, Clone, Default)]
pub struct HeartbeatInput {
    pub name: Option<String>,
    pub period_seconds: Option<i64>,
    pub cron: Option<String>,
    pub tz: Option<String>,
    pub grace_seconds: Option<i64>,
}

fn seconds(field: &'static str, v: i64, min: i64) -> Result<u32, ValidationError> {
    if !(min..=MAX_SECONDS).contains(&v) {
        return Err(ValidationError::new(
            field,
            format!("{v} is outside {min}..{MAX_SECONDS} seconds"),
        ));
    }
    u32::try_from(v).map_err(|_| ValidationError::new(field, "out of range"))
}

impl HeartbeatSpec {
    pub fn create(input: HeartbeatInput) -> Result<Self, ValidationError> {
        let name = input
            .name
            .clone()
            .ok_or_else(|| ValidationError::new("name", "a name is required"))?;
        if input.period_seconds.is_none() && input.cron.is_none() {
            return Err(ValidationError::new(
                "period",
                "give a period in seconds or a cron expression",
            ));
        }
        let base = Self {
            name: String::new(),
            schedule: Schedule::Period { seconds: 60 },
            grace_seconds: DEFAULT_GRACE_SECONDS,
        };
        base.apply(HeartbeatInput {
            name: Some(name),
            ..input
        })
    }

    /// The spec with `input` applied: giving a period switches to a period schedule, giving a cron expression to
    /// a cron schedule; `tz` alone changes the zone of a cron schedule.
    pub fn apply(&self, input: HeartbeatInput) -> Result<Self, ValidationError> {
        let mut next = self.clone();
        if let Some(name) = input.name {
            next.name = crate::endpoint::validate_name(&name)?;
        }
        match (input.period_seconds, input.cron) {
            (Some(_), Some(_)) => {
                return Err(ValidationError::new(
                    "period",
                    "give either a period or a cron expression, not both",
                ));
            }
            (Some(p), None) => {
                if input.tz.is_some() {
                    return Err(ValidationError::new(
                        "tz",
                        "a time zone applies only to a cron schedule",
                    ));
                }
                next.schedule = Schedule::Period {
                    seconds: seconds("period", p, 1)?,
                };
            }
            (None, Some(expr)) => {
                let tz = input.tz.as_deref().unwrap_or(match &self.schedule {
                    Schedule::Cron(c) => c.tz(),
                    Schedule::Period { .. } => "UTC",
                });
                next.schedule = Schedule::Cron(Box::new(CronSchedule::parse(&expr, tz)?));
            }
            (None, None) => {
                if let Some(tz) = input.tz {
                    match &self.schedule {
                        Schedule::Cron(c) => {
                            next.schedule =
                                Schedule::Cron(Box::new(CronSchedule::parse(c.expr(), &tz)?));
                        }
                        Schedule::Period { .. } => {
                            return Err(ValidationError::new(
                                "tz",
                                "a time zone applies only to a cron schedule",
                            ));
                        }
                    }
                }
            }
        }
        if let Some(g) = input.grace_seconds {
            next.grace_seconds = seconds("grace", g, 0)?;
        }
        Ok(next)
    }

    fn grace_ms(&self) -> Millis {
        i64::from(self.grace_seconds) * 1000
    }

    /// When the next ping is due after one at `last`.
    pub fn due_after(&self, last: Millis) -> Millis {
        match &self.schedule {
            Schedule::Period { seconds } => last + i64::from(*seconds) * 1000,
            // An expression that never fires again never makes the heartbeat late.
            Schedule::Cron(c) => c.next_after(last).unwrap_or(Millis::MAX / 2),
        }
    }
}

/// A span of seconds as a person says it: "30 seconds", "5 minutes", "2 hours", "1 day", "90 seconds".
fn span_words(seconds: u32) -> String {
    let (n, unit) = match seconds {
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if n == 1 {
        format!("every {unit}")
    } else {
        format!("every {n} {unit}s")
    }
}

impl Schedule {
    /// The schedule in words: "every 5 minutes", "every day at 03:00 Europe/Berlin", "every hour at :15",
    /// "every 10 minutes (UTC)"; other cron expressions as themselves with their zone.
    pub fn describe(&self) -> String {
        match self {
            Schedule::Period { seconds } => span_words(*seconds),
            Schedule::Cron(c) => {
                let f: Vec<&str> = c.expr().split_whitespace().collect();
                let num = |s: &str| s.parse::<u32>().ok();
                match f[..] {
                    [m, h, "*", "*", "*"] if num(m).is_some() && num(h).is_some() => format!(
                        "every day at {:02}:{:02} {}",
                        num(h).unwrap_or(0),
                        num(m).unwrap_or(0),
                        c.tz()
                    ),
                    [m, "*", "*", "*", "*"] if num(m).is_some() => {
                        format!("every hour at :{:02}", num(m).unwrap_or(0))
                    }
                    [m, "*", "*", "*", "*"] if m.starts_with("*/") => {
                        match m.trim_start_matches("*/").parse::<u32>() {
                            Ok(n) => format!("{} ({})", span_words(n * 60), c.tz()),
                            Err(_) => format!("cron {} ({})", c.expr(), c.tz()),
                        }
                    }
                    _ => format!("cron {} ({})", c.expr(), c.tz()),
                }
            }
        }
    }

    /// The next `n` times a ping is due after `after` (a period's are `after` + k periods).
    pub fn next_times(&self, after: Millis, n: usize) -> Vec<Millis> {
        let mut out = Vec::with_capacity(n);
        let mut at = after;
        for _ in 0..n {
            at = match self {
                Schedule::Period { seconds } => at + i64::from(*seconds) * 1000,
                Schedule::Cron(c) => match c.next_after(at) {
                    Some(t) => t,
                    None => break,
                },
            };
            out.push(at);
        }
        out
    }
}

/// A heartbeat's computed status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HbStatus {
    /// Never pinged.
    New,
    Up,
    /// Past its due time, within grace.
    Late,
    Down,
    Paused,
    /// A run signalled its start and has not finished; within grace.
    Started,
}

impl HbStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HbStatus::New => "new",
            HbStatus::Up => "up",
            HbStatus::Late => "late",
            HbStatus::Down => "down",
            HbStatus::Paused => "paused",
            HbStatus::Started => "started",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            HbStatus::New,
            HbStatus::Up,
            HbStatus::Late,
            HbStatus::Down,
            HbStatus::Paused,
            HbStatus::Started,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// What a heartbeat has heard, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HbState {
    /// The last finished run: when, and whether it succeeded.
    pub last_result: Option<(Millis, bool)>,
    /// A run in progress since (a `start` ping not yet followed by success or failure).
    pub started_at: Option<Millis>,
    pub paused: bool,
}

/// The status at `now`.
pub fn evaluate(spec: &HeartbeatSpec, state: &HbState, now: Millis) -> HbStatus {
    if state.paused {
        return HbStatus::Paused;
    }
    if let Some(started) = state.started_at {
        return if now > started + spec.grace_ms() {
            HbStatus::Down
        } else {
            HbStatus::Started
        };
    }
    match state.last_result {
        None => HbStatus::New,
        Some((_, false)) => HbStatus::Down,
        Some((at, true)) => {
            let due = spec.due_after(at);
            if now <= due {
                HbStatus::Up
            } else if now <= due.saturating_add(spec.grace_ms()) {
                HbStatus::Late
            } else {
                HbStatus::Down
            }
        }
    }
}

/// The next time after `now` at which `evaluate` can give another answer without a ping (None: only a ping or a
/// pause can change it).
pub fn next_change_at(spec: &HeartbeatSpec, state: &HbState, now: Millis) -> Option<Millis> {
    let at = match evaluate(spec, state, now) {
        HbStatus::Started => state.started_at? + spec.grace_ms() + 1,
        HbStatus::Up => spec.due_after(state.last_result?.0) + 1,
        HbStatus::Late => {
            spec.due_after(state.last_result?.0)
                .saturating_add(spec.grace_ms())
                + 1
        }
        HbStatus::New | HbStatus::Down | HbStatus::Paused => return None,
    };
    Some(at.max(now))
}

/// Status and next evaluation time at `now` when Beacon itself could not take pings until `resumed_at` (its
/// database or intake was unavailable, or the process was not running). Silence before `resumed_at` is not held
/// against the heartbeat: a deadline that passed while Beacon was away moves to where it would be after a ping at
/// `resumed_at`, so a heartbeat goes down only a full period (or the next cron time) plus grace after service
/// resumed. The hold never turns a heartbeat down earlier and never lifts one that was already `down` before
/// (`current`), nor one whose last run failed. Held, an overdue heartbeat reads `late`.
pub fn evaluate_held(
    spec: &HeartbeatSpec,
    state: &HbState,
    current: HbStatus,
    now: Millis,
    resumed_at: Millis,
) -> (HbStatus, Option<Millis>) {
    let real = (evaluate(spec, state, now), next_change_at(spec, state, now));
    if real.0 != HbStatus::Down || current == HbStatus::Down {
        return real;
    }
    let held = match (state.started_at, state.last_result) {
        (Some(started), _) => HbState {
            started_at: Some(started.max(resumed_at)),
            ..*state
        },
        (None, Some((at, true))) => HbState {
            last_result: Some((at.max(resumed_at), true)),
            ..*state
        },
        _ => return real,
    };
    match evaluate(spec, &held, now) {
        HbStatus::Down => real,
        status => {
            let shown = if status == HbStatus::Up {
                HbStatus::Late
            } else {
                status
            };
            let next = match status {
                HbStatus::Started => held.started_at.map(|s| s + spec.grace_ms() + 1),
                _ => held
                    .last_result
                    .map(|(at, _)| spec.due_after(at).saturating_add(spec.grace_ms()) + 1),
            };
            (shown, next.map(|n| n.max(now)))
        }
    }
}

/// The kinds of ping the intake accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingKind {
    Success,
    Start,
    Fail,
    /// A message for the log; no state change.
    Log,
    /// An exit status: 0 is success, anything else failure.
    Exit(u8),
}

impl PingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PingKind::Success => "success",
            PingKind::Start => "start",
            PingKind::Fail => "fail",
            PingKind::Log => "log",
            PingKind::Exit(0) => "success",
            PingKind::Exit(_) => "fail",
        }
    }

    /// The `/ping/<id>/<suffix>` part: `start`, `fail`, `log`, or an exit status 0..=255.
    pub fn from_suffix(s: &str) -> Option<Self> {
        match s {
            "" => Some(PingKind::Success),
            "start" => Some(PingKind::Start),
            "fail" => Some(PingKind::Fail),
            "log" => Some(PingKind::Log),
            n if !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()) => {
                n.parse::<u8>().ok().map(PingKind::Exit)
            }
            _ => None,
        }
    }
}

/// What one ping did: the new state and, for a finished run that had started, how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingEffect {
    pub state: HbState,
    pub duration_ms: Option<Millis>,
}

/// Apply a ping received at `now`. `run_started_at` is the start of the same run when the client paired start and
/// finish with a run id; without one, the most recent start is used. A ping resumes a paused heartbeat.
pub fn on_ping(
    state: &HbState,
    kind: PingKind,
    now: Millis,
    run_started_at: Option<Millis>,
) -> PingEffect {
    let mut next = HbState {
        paused: false,
        ..*state
    };
    let finish = |ok: bool, mut next: HbState| {
        let started = run_started_at.or(state.started_at);
        next.last_result = Some((now, ok));
        next.started_at = None;
        PingEffect {
            state: next,
            duration_ms: started.filter(|s| *s <= now).map(|s| now - s),
        }
    };
    match kind {
        PingKind::Log => PingEffect {
            state: *state,
            duration_ms: None,
        },
        PingKind::Start => {
            next.started_at = Some(now);
            PingEffect {
                state: next,
                duration_ms: None,
            }
        }
        PingKind::Success | PingKind::Exit(0) => finish(true, next),
        PingKind::Fail | PingKind::Exit(_) => finish(false, next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_800_000_000_000;

    #[test]
    fn schedules_in_words_and_their_next_times() {
        let cron = |e: &str, tz: &str| {
            Schedule::Cron(Box::new(CronSchedule::parse(e, tz).expect("valid")))
        };
        assert_eq!(
            Schedule::Period { seconds: 300 }.describe(),
            "every 5 minutes"
        );
        assert_eq!(Schedule::Period { seconds: 86_400 }.describe(), "every day");
        assert_eq!(
            Schedule::Period { seconds: 90 }.describe(),
            "every 90 seconds"
        );
        assert_eq!(
            cron("0 3 * * *", "Europe/Berlin").describe(),
            "every day at 03:00 Europe/Berlin"
        );
        assert_eq!(cron("15 * * * *", "UTC").describe(), "every hour at :15");
        assert_eq!(
            cron("*/10 * * * *", "UTC").describe(),
            "every 10 minutes (UTC)"
        );
        assert_eq!(
            cron("0 2 * * SUN", "UTC").describe(),
            "cron 0 2 * * SUN (UTC)"
        );
        assert_eq!(
            Schedule::Period { seconds: 60 }.next_times(T0, 3),
            [T0 + 60_000, T0 + 120_000, T0 + 180_000]
        );
        // 1_800_000_000_000 is 2027-01-15 08:00 UTC: the next three 03:00 UTC are the following days.
        let next = cron("0 3 * * *", "UTC").next_times(T0, 3);
        assert_eq!(next.len(), 3);
        assert!(
            next.windows(2).all(|w| w[1] - w[0] == 86_400_000),
            "{next:?}"
        );
        assert_eq!(next[0] % 86_400_000, 3 * 3_600_000);
    }

    #[test]
    fn an_outage_of_beacon_holds_deadlines_for_a_period_and_grace_after_it_ends() {
        let spec = period(60, 30);
        let pinged = HbState {
            last_result: Some((T0, true)),
            ..HbState::default()
        };
        // Beacon was away from T0+10s to T0+200s; the heartbeat's deadline (T0+90s) passed meanwhile.
        let resumed = T0 + 200_000;
        assert_eq!(evaluate(&spec, &pinged, resumed), HbStatus::Down);
        let (status, next) = evaluate_held(&spec, &pinged, HbStatus::Up, resumed, resumed);
        assert_eq!(status, HbStatus::Late);
        assert_eq!(next, Some(resumed + 90_000 + 1));
        // Still silent a period + grace after the resume: now it is down.
        let later = resumed + 90_001;
        assert_eq!(
            evaluate_held(&spec, &pinged, HbStatus::Late, later, resumed).0,
            HbStatus::Down
        );
        // Down before the outage stays down; a failed run stays down; a run started before it gets grace.
        assert_eq!(
            evaluate_held(&spec, &pinged, HbStatus::Down, resumed, resumed).0,
            HbStatus::Down
        );
        let failed = HbState {
            last_result: Some((T0, false)),
            ..HbState::default()
        };
        assert_eq!(
            evaluate_held(&spec, &failed, HbStatus::Down, resumed, resumed).0,
            HbStatus::Down
        );
        let running = HbState {
            started_at: Some(T0),
            ..pinged
        };
        assert_eq!(
            evaluate_held(&spec, &running, HbStatus::Started, resumed, resumed),
            (HbStatus::Started, Some(resumed + 30_000 + 1))
        );
        // Without an outage in the way the answer is evaluate's.
        assert_eq!(
            evaluate_held(&spec, &pinged, HbStatus::Up, T0 + 200_000, T0 - 1),
            (HbStatus::Down, None)
        );
    }

    fn period(p: i64, g: i64) -> HeartbeatSpec {
        HeartbeatSpec::create(HeartbeatInput {
            name: Some("backup".into()),
            period_seconds: Some(p),
            grace_seconds: Some(g),
            ..Default::default()
        })
        .expect("valid")
    }

    fn cron(expr: &str, tz: &str, g: i64) -> HeartbeatSpec {
        HeartbeatSpec::create(HeartbeatInput {
            name: Some("nightly".into()),
            cron: Some(expr.into()),
            tz: Some(tz.into()),
            grace_seconds: Some(g),
            ..Default::default()
        })
        .expect("valid")
    }

    fn at(s: &str) -> Millis {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .timestamp_millis()
    }

    #[test]
    fn period_heartbeat_goes_new_up_late_down_and_back_up() {
        let spec = period(60, 30);
        let mut state = HbState::default();
        assert_eq!(evaluate(&spec, &state, T0), HbStatus::New);
        assert_eq!(
            next_change_at(&spec, &state, T0),
            None,
            "new never goes down"
        );
        state = on_ping(&state, PingKind::Success, T0, None).state;
        assert_eq!(evaluate(&spec, &state, T0 + 60_000), HbStatus::Up);
        assert_eq!(next_change_at(&spec, &state, T0), Some(T0 + 60_001));
        assert_eq!(evaluate(&spec, &state, T0 + 60_001), HbStatus::Late);
        assert_eq!(
            next_change_at(&spec, &state, T0 + 60_001),
            Some(T0 + 90_001)
        );
        assert_eq!(evaluate(&spec, &state, T0 + 90_000), HbStatus::Late);
        assert_eq!(evaluate(&spec, &state, T0 + 90_001), HbStatus::Down);
        assert_eq!(next_change_at(&spec, &state, T0 + 90_001), None);
        state = on_ping(&state, PingKind::Success, T0 + 100_000, None).state;
        assert_eq!(evaluate(&spec, &state, T0 + 100_000), HbStatus::Up);
    }

    #[test]
    fn failures_and_exit_statuses() {
        let spec = period(60, 30);
        let s = on_ping(&HbState::default(), PingKind::Fail, T0, None).state;
        assert_eq!(evaluate(&spec, &s, T0), HbStatus::Down);
        let s = on_ping(&s, PingKind::Exit(0), T0 + 1, None).state;
        assert_eq!(evaluate(&spec, &s, T0 + 1), HbStatus::Up);
        let s = on_ping(&s, PingKind::Exit(3), T0 + 2, None).state;
        assert_eq!(evaluate(&spec, &s, T0 + 2), HbStatus::Down);
        let logged = on_ping(&s, PingKind::Log, T0 + 3, None);
        assert_eq!(logged.state, s, "a log ping changes nothing");
        assert_eq!(PingKind::from_suffix("255"), Some(PingKind::Exit(255)));
        assert_eq!(PingKind::from_suffix("256"), None);
        assert_eq!(PingKind::from_suffix("-1"), None);
        assert_eq!(PingKind::from_suffix("start"), Some(PingKind::Start));
        assert_eq!(PingKind::from_suffix("restart"), None);
    }

    #[test]
    fn a_started_run_must_finish_within_grace_and_its_duration_is_measured() {
        let spec = period(3600, 120);
        let up = on_ping(&HbState::default(), PingKind::Success, T0, None).state;
        let started = on_ping(&up, PingKind::Start, T0 + 1_000, None).state;
        assert_eq!(evaluate(&spec, &started, T0 + 2_000), HbStatus::Started);
        assert_eq!(
            next_change_at(&spec, &started, T0 + 2_000),
            Some(T0 + 121_001)
        );
        assert_eq!(evaluate(&spec, &started, T0 + 121_001), HbStatus::Down);
        let done = on_ping(&started, PingKind::Success, T0 + 61_000, None);
        assert_eq!(done.duration_ms, Some(60_000));
        assert_eq!(evaluate(&spec, &done.state, T0 + 61_000), HbStatus::Up);
        // With a run id the client names which start this finish belongs to.
        let paired = on_ping(&started, PingKind::Success, T0 + 61_000, Some(T0 + 500));
        assert_eq!(paired.duration_ms, Some(60_500));
        let plain = on_ping(&up, PingKind::Success, T0 + 5_000, None);
        assert_eq!(plain.duration_ms, None, "no start, no duration");
    }

    #[test]
    fn pause_wins_and_a_ping_resumes() {
        let spec = period(60, 0);
        let s = HbState {
            paused: true,
            ..on_ping(&HbState::default(), PingKind::Success, T0, None).state
        };
        assert_eq!(evaluate(&spec, &s, T0 + 999_999), HbStatus::Paused);
        assert_eq!(next_change_at(&spec, &s, T0), None);
        let s = on_ping(&s, PingKind::Success, T0 + 1_000_000, None).state;
        assert_eq!(evaluate(&spec, &s, T0 + 1_000_000), HbStatus::Up);
    }

    #[test]
    fn cron_due_times_follow_the_time_zone_across_dst() {
        // 02:30 every day in Berlin. On 2026-03-29 clocks jump 02:00 → 03:00, so 02:30 does not exist.
        let spec = cron("30 2 * * *", "Europe/Berlin", 600);
        let before = at("2026-03-27T01:30:00Z"); // 02:30 CET on the 27th
        let due = spec.due_after(before);
        assert_eq!(
            due,
            at("2026-03-28T01:30:00Z"),
            "next day, 02:30 CET = 01:30 UTC"
        );
        let skipped = spec.due_after(due);
        assert!(
            skipped > at("2026-03-29T00:00:00Z") && skipped <= at("2026-03-30T00:30:00Z"),
            "the skipped local time fires once, on the 29th or at the latest 02:30 CEST on the 30th: {skipped}"
        );
        // Summer time: 02:30 CEST = 00:30 UTC.
        assert_eq!(
            spec.due_after(at("2026-06-01T00:31:00Z")),
            at("2026-06-02T00:30:00Z")
        );
        // Autumn: 2026-10-25 02:30 happens twice (CEST then CET); it is due once.
        let first = spec.due_after(at("2026-10-24T12:00:00Z"));
        assert!(
            first == at("2026-10-25T00:30:00Z") || first == at("2026-10-25T01:30:00Z"),
            "{first}"
        );
        let next = spec.due_after(first);
        assert_eq!(next, at("2026-10-26T01:30:00Z"), "not again the same night");

        // Late and down follow the due time plus grace.
        let s = on_ping(
            &HbState::default(),
            PingKind::Success,
            at("2026-06-01T00:31:00Z"),
            None,
        )
        .state;
        assert_eq!(
            evaluate(&spec, &s, at("2026-06-02T00:30:00Z")),
            HbStatus::Up
        );
        assert_eq!(
            evaluate(&spec, &s, at("2026-06-02T00:35:00Z")),
            HbStatus::Late
        );
        assert_eq!(
            evaluate(&spec, &s, at("2026-06-02T00:40:01Z")),
            HbStatus::Down
        );
        assert_eq!(
            next_change_at(&spec, &s, at("2026-06-01T12:00:00Z")),
            Some(at("2026-06-02T00:30:00Z") + 1)
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug_from_name("Nightly DB backup (eu-1)"),
            "nightly-db-backup-eu-1"
        );
        assert_eq!(slug_from_name("!!!"), "heartbeat");
        assert!(validate_slug("service-1").is_ok());
        assert!(validate_slug("Service").is_err());
        assert!(validate_slug("-x").is_err());
        assert!(validate_slug("").is_err());
        assert!(validate_slug(&"a".repeat(65)).is_err());
    }

    #[test]
    fn bad_input_names_the_field_and_position() {
        let err = |i: HeartbeatInput| HeartbeatSpec::create(i).expect_err("invalid");
        let base = || HeartbeatInput {
            name: Some("x".into()),
            ..Default::default()
        };
        let e = err(HeartbeatInput {
            cron: Some("0 25 * * *".into()),
            ..base()
        });
        assert_eq!(e.field, "cron");
        assert!(
            e.message.contains("hour") && e.message.contains("column 3"),
            "{e}"
        );
        let e = err(HeartbeatInput {
            cron: Some("*/5 * * *".into()),
            ..base()
        });
        assert!(e.message.contains("expected 5 fields"), "{e}");
        let e = err(HeartbeatInput {
            cron: Some("0 0 * * MON".into()),
            tz: Some("Mars/Olympus".into()),
            ..base()
        });
        assert_eq!(e.field, "tz");
        let e = err(HeartbeatInput {
            period_seconds: Some(0),
            ..base()
        });
        assert_eq!(e.field, "period");
        let e = err(HeartbeatInput {
            period_seconds: Some(60),
            cron: Some("* * * * *".into()),
            ..base()
        });
        assert_eq!(e.field, "period");
        let e = err(HeartbeatInput {
            period_seconds: Some(60),
            grace_seconds: Some(-1),
            ..base()
        });
        assert_eq!(e.field, "grace");
        assert_eq!(err(base()).field, "period");
        let ok = cron("@daily", "UTC", 0);
        assert!(matches!(ok.schedule, Schedule::Cron(_)));
    }
}
