//! Per-monitor Prometheus series, as the blackbox exporter has them: `beacon_monitor_up{monitor,service,kind}`
//! (1 up, 0 down; monitors that are paused or have no result yet have no sample) and
//! `beacon_monitor_latency_seconds` (the last check's total time, for checks this process ran). Read from the
//! database at scrape time, so deleted monitors vanish and every server shows the same status.

use super::*;
use beacon_core::heartbeat::HbStatus;
use beacon_core::incident::Status;
use std::collections::HashMap;
use std::fmt::Write;

/// Monitors read per page while rendering.
const PAGE: u32 = 1_000;

/// One monitor's samples.
struct Sample {
    monitor: String,
    service: String,
    kind: &'static str,
    up: Option<bool>,
    latency: Option<f64>,
}

impl App {
    /// The per-monitor series in Prometheus' text format.
    pub async fn monitor_metrics(&self) -> Result<String, ApiError> {
        let mut services: HashMap<Uuid, String> = HashMap::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .list_services(Page {
                    after,
                    limit: Some(PAGE),
                })
                .await?;
            services.extend(page.items.into_iter().map(|s| (s.id, s.name)));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let service = |id: &Uuid| services.get(id).cloned().unwrap_or_default();
        let mut samples = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .list_endpoints(
                    None,
                    Page {
                        after,
                        limit: Some(PAGE),
                    },
                )
                .await?;
            for e in &page.items {
                samples.push(Sample {
                    monitor: e.spec.name.clone(),
                    service: service(&e.service_id),
                    kind: e.spec.check.kind().as_str(),
                    up: match (e.spec.enabled, e.status) {
                        (true, Status::Up) => Some(true),
                        (true, Status::Down) => Some(false),
                        _ => None,
                    },
                    latency: beacon_runtime::checks::last_latency(e.id),
                });
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let now = self.now();
        let mut after = None;
        loop {
            let page = self
                .store
                .list_heartbeats(
                    None,
                    Page {
                        after,
                        limit: Some(PAGE),
                    },
                )
                .await?;
            for h in &page.items {
                samples.push(Sample {
                    monitor: h.spec.name.clone(),
                    service: service(&h.service_id),
                    kind: "heartbeat",
                    up: match heartbeat::evaluate(&h.spec, &h.state, now) {
                        HbStatus::Up | HbStatus::Late | HbStatus::Started => Some(true),
                        HbStatus::Down => Some(false),
                        HbStatus::New | HbStatus::Paused => None,
                    },
                    latency: None,
                });
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
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
fn escape(v: &str) -> String {
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
