//! The cost of judging a check's conditions, as the prober does for each check: the body parsed as JSON once,
//! then five conditions of the kinds people write evaluated. A benchmark, not a test (BENCHMARKS.md):
//! `cargo run --release -p beacon-core --example conditions [checks per sample] [samples]`.

use beacon_core::condition::{Condition, Observed};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let checks: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let samples: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(9);
    let list: Vec<Condition> = [
        "[STATUS] == 200",
        "[BODY].status == UP",
        "[BODY].checks[1].state == pat(ok*)",
        "[RESPONSE_TIME] < 300",
        "[CERTIFICATE_EXPIRATION] > 72h",
    ]
    .iter()
    .map(|c| Condition::parse(c).expect("condition"))
    .collect();
    let body = r#"{"status":"UP","version":"2.4.1","checks":[{"name":"db","state":"ok","ms":3},{"name":"cache","state":"ok","ms":1}],"uptime_s":86400}"#;
    // The conditions that do not read the body, for the same check without parsing it.
    let three: Vec<Condition> = [0, 3, 4].iter().map(|i| list[*i].clone()).collect();
    let mut with_json = Vec::new();
    let mut without_json = Vec::new();
    let mut held = 0usize;
    for _ in 0..samples {
        for (parse, out) in [(true, &mut with_json), (false, &mut without_json)] {
            let t = Instant::now();
            for i in 0..checks {
                let observed = Observed {
                    status: Some(200),
                    response_time_ms: Some(f64::from(i % 250)),
                    certificate_expires_in_ms: Some(30 * 86_400_000),
                    connected: Some(true),
                    ..Observed::default()
                }
                .with_body(std::hint::black_box(body), parse);
                let judged = if parse { &list } else { &three };
                held += judged.iter().filter(|c| c.evaluate(&observed).ok).count();
            }
            out.push(t.elapsed().as_nanos() as f64 / f64::from(checks));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2].round()
    };
    println!(
        "five conditions with a {}-byte JSON body parsed: median {} ns per check; three without the body: {} ns \
         ({} samples of {checks}; {held} held)",
        body.len(),
        median(&mut with_json),
        median(&mut without_json),
        samples
    );
}
