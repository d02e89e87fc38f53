//! Delivery policy, pure: which outcomes of a webhook request are retried, and when the next try happens
//! (exponential backoff with full jitter, capped, honouring `Retry-After`, bounded by attempts and age).

use crate::Millis;
use std::time::Duration;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx.
    Delivered,
    /// Worth trying again: timeouts, connection errors, 408, 429, 500, 502, 503, 504. `retry_after` from the
    /// response, if it gave one.
    Retryable { retry_after: Option<Duration> },
    /// Trying again cannot help: other 4xx (400, 401, 403, 404, 422, ...), other 5xx, redirects (not followed).
    Permanent,
}

/// Classify an HTTP status (None: no response — timeout or connection error).
pub fn classify(status: Option<u16>, retry_after: Option<Duration>) -> AttemptOutcome {
    match status {
        None => AttemptOutcome::Retryable { retry_after: None },
        Some(200..=299) => AttemptOutcome::Delivered,
        Some(408 | 429 | 500 | 502 | 503 | 504) => AttemptOutcome::Retryable { retry_after },
        Some(_) => AttemptOutcome::Permanent,
    }
}

/// Parse a `Retry-After` header: delay-seconds, or an HTTP date relative to `now`.
pub fn parse_retry_after(value: &str, now: Millis) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate_to_millis(v)?;
    Some(Duration::from_millis(u64::try_from(at - now).unwrap_or(0)))
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP/1.1 senders must use.
fn httpdate_to_millis(s: &str) -> Option<Millis> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| m == month)? as i64 + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    // Days from the civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + h * 3_600 + m * 60 + sec) * 1_000)
}

/// Retry policy of the delivery engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// After this long since the event, no more tries.
    pub max_age: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
            max_attempts: 15,
            max_age: Duration::from_secs(3 * 24 * 3_600),
        }
    }
}

/// When to try again after `attempts` failed tries of a delivery created at `created_at`; `None` when the policy
/// gives up. Full jitter: a uniform delay in [0, min(cap, base * 2^(attempts-1))], `unit` in [0, 1) supplied by
/// the caller; a `Retry-After` longer than that wins, up to the cap.
pub fn next_retry(
    policy: &RetryPolicy,
    attempts: u32,
    unit: f64,
    retry_after: Option<Duration>,
    created_at: Millis,
    now: Millis,
) -> Option<Millis> {
    if attempts >= policy.max_attempts {
        return None;
    }
    let exp = policy
        .base
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(30))
        .min(policy.cap);
    let jittered = exp.mul_f64(unit.clamp(0.0, 1.0));
    // A receiver may ask for any wait; more than the cap would only make the delivery outlive its maximum age.
    let delay = retry_after.map_or(jittered, |r| r.min(policy.cap).max(jittered));
    let at = now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
    let deadline = created_at + i64::try_from(policy.max_age.as_millis()).unwrap_or(i64::MAX / 2);
    (at <= deadline).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(classify(Some(code), None), AttemptOutcome::Retryable { .. }),
                "{code}"
            );
        }
        for code in [301, 302, 400, 401, 403, 404, 410, 422, 501, 505] {
            assert_eq!(
                classify(Some(code), None),
                AttemptOutcome::Permanent,
                "{code}"
            );
        }
        assert_eq!(classify(Some(204), None), AttemptOutcome::Delivered);
        assert_eq!(
            classify(None, None),
            AttemptOutcome::Retryable { retry_after: None }
        );
    }

    #[test]
    fn backoff_grows_with_full_jitter_up_to_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            max_attempts: 10,
            max_age: Duration::from_secs(86_400),
        };
        let at = |attempts, unit| next_retry(&p, attempts, unit, None, 0, 0).expect("retry");
        assert_eq!(at(1, 0.999_999), 999);
        assert_eq!(at(3, 0.5), 2_000, "half of 4 s");
        assert_eq!(at(9, 0.999_999), 59_999, "capped at 60 s");
        assert_eq!(at(4, 0.0), 0, "full jitter may retry at once");
        assert_eq!(next_retry(&p, 10, 0.5, None, 0, 0), None, "max attempts");
    }

    #[test]
    fn retry_after_is_honoured_and_age_bounds_retries() {
        let p = RetryPolicy {
            max_age: Duration::from_secs(100),
            ..RetryPolicy::default()
        };
        assert_eq!(
            next_retry(&p, 1, 0.1, Some(Duration::from_secs(30)), 0, 1_000),
            Some(31_000)
        );
        assert_eq!(
            next_retry(&p, 1, 0.1, Some(Duration::from_secs(200)), 0, 1_000),
            None,
            "beyond max age"
        );
        assert_eq!(parse_retry_after("120", 0), Some(Duration::from_secs(120)));
        let now = 784_111_777_000 - 10_000; // 10 s before Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn a_far_future_retry_after_is_clamped_to_the_cap() {
        let p = RetryPolicy::default();
        let cap = 300_000;
        for far in ["99999999999", "Thu, 01 Jan 2099 00:00:00 GMT"] {
            let wait = parse_retry_after(far, 1_000).expect("parses");
            assert_eq!(
                next_retry(&p, 1, 0.1, Some(wait), 0, 1_000),
                Some(1_000 + cap),
                "{far}: retried after the cap, within the maximum age"
            );
        }
    }
}
