//! ntfy's JSON publishing (`POST` to the server's root): topic, title, message, priority and tags by severity,
//! the monitor's page as the click action. An access token goes in `Authorization: Bearer`.

use super::{ACK, OPEN, Outgoing, cut};
use beacon_core::channel::NtfySpec;
use beacon_core::notify::{Message, Severity};
use serde_json::json;

pub fn request(spec: &NtfySpec, msg: &Message) -> Outgoing {
    let (priority, tag) = match msg.severity {
        Severity::Down => (5, "rotating_light"),
        Severity::Up => (3, "white_check_mark"),
        Severity::Info => (3, "information_source"),
        Severity::Warning => (4, "warning"),
    };
    let mut text = msg.summary.clone();
    for (k, v) in &msg.facts {
        text.push_str(&format!("\n{k}: {v}"));
    }
    let mut body = json!({
        "topic": spec.topic,
        "title": cut(&msg.title, 250),
        "message": cut(&text, 4000),
        "priority": priority,
        "tags": [tag, msg.kind.as_str()],
    });
    if let Some(link) = &msg.link {
        body["click"] = json!(link);
        body["actions"] = json!([{"action": "view", "label": OPEN, "url": link}]);
    }
    if let Some(ack) = &msg.ack_link {
        let action = json!({"action": "view", "label": ACK, "url": ack});
        match body["actions"].as_array_mut() {
            Some(actions) => actions.push(action),
            None => body["actions"] = json!([action]),
        }
    }
    let mut out = Outgoing::post(spec.base.as_str().to_owned(), body);
    if let Some(t) = &spec.token {
        out.headers
            .push(("authorization".into(), format!("Bearer {t}")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn publish_bodies() {
        let spec = NtfySpec {
            base: beacon_core::endpoint::CheckUrl::parse("https://ntfy.sh").expect("url"),
            topic: "beacon-alerts".into(),
            token: Some("tk_secret".into()),
        };
        let r = request(&spec, &sample::down());
        assert_eq!(r.url, "https://ntfy.sh/");
        assert!(
            r.headers
                .contains(&("authorization".into(), "Bearer tk_secret".into()))
        );
        insta::assert_snapshot!(
            "ntfy_down",
            serde_json::to_string_pretty(&r.body).expect("json")
        );
    }
}
