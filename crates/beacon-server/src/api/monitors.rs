//! Per-monitor Prometheus series, as the blackbox exporter has them: `beacon_monitor_up{monitor,service,kind}`
//! (1 up, 0 down; monitors that are paused or have no result yet have no sample) and
//! `beacon_monitor_latency_seconds` (the last check's total time, for checks this process ran). Read from the
//! database (the overview's snapshot, at most a second old), so deleted monitors vanish and every server shows
//! the same status.

use super::*;
use std::fmt::Write;

/// One monitor's samples.
struct Sample {
    monitor: String,
    service: String,
    kind: &'static str,
    up: Option<bool>,
    latency: Option<f64>,
}

impl App {
    /// The per-monitor series in Prometheus' text format, from the overview's snapshot of every monitor.
    pub async fn monitor_metrics(&self) -> Result<String, ApiError> {
        let snap = self.monitors().await?;
        let samples: Vec<Sample> = snap
            .0
            .iter()
            .map(|m| Sample {
                monitor: m.name.clone(),
                service: m.service.clone(),
                kind: m.kind,
                // Failing below its threshold or late within grace is still up; paused or unknown has no sample.
                up: match m.group {
                    "up" | "degraded" => Some(true),
                    "down" => Some(false),
                    _ => None,
                },
                latency: (m.kind != "heartbeat")
                    .then(|| beacon_runtime::checks::last_latency(m.id))
                    .flatten(),
            })
            .collect();
        Ok(render(&samples))
    }
}

fn render(samples: &[Sample]) -> String {
    let mut out = String::new();
    let labels = |s: &Sample| {
        format!(
            "monitor=\"{}\",service=\"{}\",kind=\"{}\"",
            escape(&s.monitor),
            escape(&s.service),
            s.kind
        )
    };
    out.push_str(
        "# HELP beacon_monitor_up 1 when the monitor is up, 0 when down (no sample while paused or before its first result).\n\
         # TYPE beacon_monitor_up gauge\n",
    );
    for s in samples {
        if let Some(up) = s.up {
            let _ = writeln!(out, "beacon_monitor_up{{{}}} {}", labels(s), u8::from(up));
        }
    }
    out.push_str(
        "# HELP beacon_monitor_latency_seconds Total time of the monitor's last check run by this server.\n\
         # TYPE beacon_monitor_latency_seconds gauge\n",
    );
    for s in samples {
        if let Some(latency) = s.latency {
            let _ = writeln!(
                out,
                "beacon_monitor_latency_seconds{{{}}} {latency}",
                labels(s)
            );
        }
    }
    out
}

/// A label value as Prometheus' text format needs it.
pub(super) fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_unknown_status_has_no_sample() {
        let text = render(&[
            Sample {
                monitor: "Say \"hi\"\\now".into(),
                service: "shop\nfront".into(),
                kind: "http",
                up: Some(false),
                latency: Some(0.25),
            },
            Sample {
                monitor: "new".into(),
                service: "shop".into(),
                kind: "heartbeat",
                up: None,
                latency: None,
            },
        ]);
        assert!(text.contains(
            "beacon_monitor_up{monitor=\"Say \\\"hi\\\"\\\\now\",service=\"shop\\nfront\",kind=\"http\"} 0\n"
        ));
        assert!(text.contains("kind=\"http\"} 0.25\n"));
        assert!(!text.contains("monitor=\"new\""), "{text}");
    }
}
