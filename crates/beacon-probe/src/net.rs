//! What the probers share: resolving and connecting (each phase timed), reading a certificate's expiry, and
//! judging a result's conditions.

use beacon_core::Millis;
use beacon_core::condition::{Condition, Observed, Outcome};
use beacon_core::ping::{Details, ErrorKind, Timings};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

pub(crate) type Failure = (ErrorKind, String);

/// What one run of a check fills in as it goes (its start, phase timings, conditions' outcomes, an HTTP status,
/// the kind's details), and how a run under a timeout ends: every prober's `attempt` is `Run::new`, its own
/// `run(.., &mut Run)` under `tokio::time::timeout`, then `finish`.
pub(crate) struct Run {
    pub start: Instant,
    pub timings: Timings,
    pub outcomes: Vec<Outcome>,
    pub status: Option<u16>,
    /// What the kind saw besides status and timings (kept on failures too: an expired certificate's date).
    pub details: Details,
}

impl Run {
    pub fn new() -> Self {
        Run {
            start: Instant::now(),
            timings: Timings::default(),
            outcomes: Vec::new(),
            status: None,
            details: Details::default(),
        }
    }

    /// The run's result: the total time, and the failure — a run past the timeout fails as "no {waiting_for}
    /// within N s".
    pub fn finish(
        mut self,
        outcome: Result<Result<(), Failure>, tokio::time::error::Elapsed>,
        timeout_ms: u32,
        waiting_for: &str,
    ) -> crate::Tried {
        self.timings.total_us = micros(self.start.elapsed());
        let failure = match outcome {
            Err(_) => Some((
                ErrorKind::Timeout,
                format!(
                    "no {waiting_for} within {} s",
                    f64::from(timeout_ms) / 1000.0
                ),
            )),
            Ok(result) => result.err(),
        };
        crate::Tried {
            observation: beacon_core::ping::Observation {
                status_code: self.status,
                timings: self.timings,
                failure,
                details: self.details.bounded(),
            },
            conditions: self.outcomes,
        }
    }
}

/// A check's timeout as a duration.
pub(crate) fn limit(timeout_ms: u32) -> Duration {
    Duration::from_millis(u64::from(timeout_ms))
}

pub(crate) fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// Resolve `host` (timed as the DNS phase unless it is an IP address) and connect to the first address that
/// answers (timed as the connect phase).
pub(crate) async fn connect(
    host: &str,
    port: u16,
    timings: &mut Timings,
) -> Result<TcpStream, Failure> {
    let addrs: Vec<SocketAddr> = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            let t = Instant::now();
            let found = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| (ErrorKind::Dns, format!("cannot resolve {host}: {e}")))?
                .collect::<Vec<_>>();
            timings.dns_us = Some(micros(t.elapsed()));
            if found.is_empty() {
                return Err((ErrorKind::Dns, format!("{host} has no addresses")));
            }
            found
        }
    };
    let t = Instant::now();
    let mut last_err = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                timings.connect_us = Some(micros(t.elapsed()));
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last_err = Some(format!("cannot connect to {addr}: {e}")),
        }
    }
    Err((ErrorKind::Connect, last_err.unwrap_or_default()))
}

/// When a DER certificate stops being valid, in Unix milliseconds.
pub(crate) fn not_after(der: &[u8]) -> Option<Millis> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    cert.validity().not_after.timestamp().checked_mul(1000)
}

/// Milliseconds from now until `at`.
pub(crate) fn until(at: Millis) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    at.saturating_sub(now)
}

/// Every condition's outcome into `outcomes`; those that do not hold, with what was observed, as one failure.
pub(crate) fn judge(
    conditions: &[Condition],
    observed: &Observed<'_>,
    outcomes: &mut Vec<Outcome>,
) -> Result<(), Failure> {
    outcomes.extend(conditions.iter().map(|c| c.evaluate(observed)));
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(|o| o.shown.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err((ErrorKind::Condition, failed.join("; ")))
    }
}

/// Whether any condition reads `p` (then it decides what the kind's own default check would).
pub(crate) fn reads(conditions: &[Condition], p: beacon_core::condition::Placeholder) -> bool {
    conditions.iter().any(|c| c.placeholders().contains(&p))
}
