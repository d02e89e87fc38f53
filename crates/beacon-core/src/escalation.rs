//! Escalation policies: steps "notify these channels this long after an incident opens, unless it has been
//! acknowledged or resolved by then", optionally run again. Parsed from `DELAY:channel,channel` (the CLI's
//! `--step`), and laid out as the times each step fires.

use crate::{Millis, ValidationError};

/// At most this many steps, and this many repeats.
pub const MAX_STEPS: usize = 10;
pub const MAX_REPEAT: u32 = 10;

/// One step as given: its delay after the incident opens and the channels it notifies (names or ids, resolved
/// by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInput {
    pub delay_ms: Millis,
    pub channels: Vec<String>,
}

/// `0m:channel-a` / `15m:channel-b,channel-c`.
pub fn parse_step(s: &str) -> Result<StepInput, ValidationError> {
    let bad = |why: &str| {
        ValidationError::new(
            "step",
            format!("{s:?}: {why} (write DELAY:channel[,channel], e.g. 15m:oncall)"),
        )
    };
    let (delay, channels) = s.split_once(':').ok_or_else(|| bad("no ':'"))?;
    let delay = delay.trim();
    let digits = delay.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let delay_ms = if !digits.is_empty()
        && digits.chars().all(|c| c == '0')
        && delay.len() - digits.len() <= 1
    {
        0
    } else {
        crate::rollup::parse_span(delay)
            .map_err(|_| bad("the delay is not a span like 0m, 15m or 1h"))?
    };
    let channels: Vec<String> = channels
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    if channels.is_empty() {
        return Err(bad("no channel named"));
    }
    Ok(StepInput { delay_ms, channels })
}

/// Check a policy's steps and repeat count: 1..10 steps whose delays grow, at most a day each, repeat 0..10.
pub fn validate(steps: &[StepInput], repeat: u32) -> Result<(), ValidationError> {
    if steps.is_empty() || steps.len() > MAX_STEPS {
        return Err(ValidationError::new(
            "step",
            format!("give 1 to {MAX_STEPS} steps"),
        ));
    }
    for w in steps.windows(2) {
        if w[1].delay_ms <= w[0].delay_ms {
            return Err(ValidationError::new(
                "step",
                "each step's delay must be longer than the one before",
            ));
        }
    }
    if steps
        .iter()
        .any(|s| !(0..=86_400_000).contains(&s.delay_ms))
    {
        return Err(ValidationError::new("step", "a step's delay is at most 1d"));
    }
    if repeat > MAX_REPEAT {
        return Err(ValidationError::new(
            "repeat",
            format!("at most {MAX_REPEAT}"),
        ));
    }
    if repeat > 0 && steps.last().is_some_and(|s| s.delay_ms == 0) {
        return Err(ValidationError::new(
            "repeat",
            "a policy whose only step is at 0m cannot repeat",
        ));
    }
    Ok(())
}

/// How long one round of the policy lasts before it starts again: the last step's delay plus the gap before it
/// (a round of one step repeats every that step's delay).
pub fn round_ms(delays: &[Millis]) -> Millis {
    match delays {
        [] => 0,
        [only] => *only,
        [.., prev, last] => last + (last - prev),
    }
}

/// When each step fires, as (step index, round, offset after the incident opened), in time order.
pub fn schedule(delays: &[Millis], repeat: u32) -> Vec<(usize, u32, Millis)> {
    let round = round_ms(delays);
    let mut out: Vec<(usize, u32, Millis)> = (0..=repeat)
        .flat_map(|r| {
            delays
                .iter()
                .enumerate()
                .map(move |(i, d)| (i, r, Millis::from(r) * round + d))
        })
        .collect();
    out.sort_by_key(|(i, r, at)| (*at, *r, *i));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_bad_ones_are_named() {
        assert_eq!(
            parse_step("15m:oncall, lead").expect("step"),
            StepInput {
                delay_ms: 900_000,
                channels: vec!["oncall".into(), "lead".into()]
            }
        );
        assert_eq!(parse_step("0m:a").expect("0m").delay_ms, 0);
        assert_eq!(parse_step("0:a").expect("0").delay_ms, 0);
        for bad in ["15m", "15m:", "soon:a", ":a"] {
            assert_eq!(parse_step(bad).expect_err(bad).field, "step", "{bad}");
        }
    }

    #[test]
    fn policies_must_grow_and_repeat_within_bounds() {
        let s = |d: &[i64]| {
            d.iter()
                .map(|d| StepInput {
                    delay_ms: *d,
                    channels: vec!["a".into()],
                })
                .collect::<Vec<_>>()
        };
        assert!(validate(&s(&[0, 900_000]), 2).is_ok());
        assert_eq!(
            validate(&s(&[900_000, 0]), 0).expect_err("order").field,
            "step"
        );
        assert_eq!(validate(&s(&[]), 0).expect_err("empty").field, "step");
        assert_eq!(
            validate(&s(&[0, 60_000]), 11).expect_err("repeat").field,
            "repeat"
        );
        assert_eq!(
            validate(&s(&[0]), 1).expect_err("0m repeat").field,
            "repeat"
        );
    }

    #[test]
    fn rounds_restart_one_gap_after_the_last_step() {
        // 0m:a, 15m:b, repeated once: a at 0, b at 15m, then a at 30m, b at 45m.
        assert_eq!(round_ms(&[0, 900_000]), 1_800_000);
        assert_eq!(
            schedule(&[0, 900_000], 1),
            vec![
                (0, 0, 0),
                (1, 0, 900_000),
                (0, 1, 1_800_000),
                (1, 1, 2_700_000)
            ]
        );
        assert_eq!(
            schedule(&[600_000], 2),
            vec![(0, 0, 600_000), (0, 1, 1_200_000), (0, 2, 1_800_000)]
        );
    }
}
