//! PagerDuty Events API v2 (`POST /v2/enqueue`): a `trigger` when a monitor goes down, an `acknowledge` when
//! someone acknowledges it in Beacon and a `resolve` when it comes back, all with the incident's id as
//! `dedup_key`, so PagerDuty acknowledges and closes the incident Beacon opened.
//! Other events (tests, Kubernetes objects) are `info` triggers with a key of their own. The routing key is in
//! the body: the logged body hides it.

use super::{ACK, OPEN, Outgoing, cut, join};
use beacon_core::channel::PagerDutySpec;
use beacon_core::event::EventKind;
use beacon_core::notify::{Message, Severity, rfc3339};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub fn request(spec: &PagerDutySpec, msg: &Message, delivery_id: Uuid) -> Outgoing {
    let dedup_key = match &msg.incident_key {
        Some(k) => format!("beacon-{k}"),
        None => format!("beacon-{delivery_id}"),
    };
    let mut body = if msg.severity == Severity::Up {
        json!({"event_action": "resolve", "dedup_key": dedup_key})
    } else if msg.kind == EventKind::IncidentAcknowledged {
        json!({"event_action": "acknowledge", "dedup_key": dedup_key})
    } else {
        let details: Map<String, Value> = msg
            .facts
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let mut b = json!({
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": {
                "summary": cut(&msg.summary, 1024),
                "source": msg.subject,
                "severity": match msg.severity {
                    Severity::Down => "critical",
                    Severity::Warning => "warning",
                    _ => "info",
                },
                "timestamp": rfc3339(msg.at),
                "component": msg.subject,
                "class": msg.kind.as_str(),
                "custom_details": details,
            },
            "client": "Beacon",
        });
        if let Some(link) = &msg.link {
            b["links"] = json!([{"href": link, "text": OPEN}]);
            b["client_url"] = json!(link);
        }
        if let (Some(ack), Some(links)) = (&msg.ack_link, b["links"].as_array_mut()) {
            links.push(json!({"href": ack, "text": ACK}));
        }
        b
    };
    let mut logged = body.clone();
    body["routing_key"] = json!(spec.routing_key);
    logged["routing_key"] = json!("[redacted]");
    let mut out = Outgoing::post(join(spec.base.as_str(), "/v2/enqueue"), body);
    out.logged_body = logged;
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn trigger_and_resolve_share_the_dedup_key() {
        let spec = PagerDutySpec {
            base: beacon_core::endpoint::CheckUrl::parse("https://events.pagerduty.com")
                .expect("url"),
            routing_key: "R0UT1NGKEY".into(),
        };
        let down = request(&spec, &sample::down(), sample::ID);
        let up = request(&spec, &sample::up(), sample::ID);
        let ack = request(&spec, &sample::acknowledged(), sample::ID);
        assert_eq!(down.url, "https://events.pagerduty.com/v2/enqueue");
        assert_eq!(down.body["dedup_key"], up.body["dedup_key"]);
        assert_eq!(
            ack.body,
            json!({"event_action": "acknowledge", "dedup_key": down.body["dedup_key"],
                "routing_key": "R0UT1NGKEY"})
        );
        assert_eq!(down.body["routing_key"], "R0UT1NGKEY");
        assert!(!down.logged_body.to_string().contains("R0UT1NGKEY"));
        insta::assert_snapshot!(
            "pagerduty_trigger",
            serde_json::to_string_pretty(&down.body).expect("json")
        );
        insta::assert_snapshot!(
            "pagerduty_resolve",
            serde_json::to_string_pretty(&up.body).expect("json")
        );
    }
}
